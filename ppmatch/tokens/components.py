"""Rule components: canonical strings a match-key rule is built from.

Each component returns its values for one record, primary reading first, then alternatives
(ICAO/transliteration spellings, one value per surname token...). An empty list means the
component is missing, and a rule with a missing component emits no token. Every component is
symmetric: both parties compute it the same way from their own record, so e.g. a day/month
swap is caught by ``dob_unordered`` (year + the two numbers in ascending order), not by
swapping one side.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from itertools import islice, product

from ppmatch.encoding.features import fold_document_number, name_token_spellings, phonetic
from ppmatch.encoding.schema import LinkageSchema
from ppmatch.normalize.model import NormalizedName, NormalizedRecord

MAX_ALTERNATIVES = 4
PREFIX_LETTERS = 3

ComponentFunction = Callable[[NormalizedRecord, LinkageSchema], list[str]]


def _unique(values: list[str]) -> list[str]:
    return [v for v in dict.fromkeys(values) if v]


def _joined_spellings(name: NormalizedName) -> list[str]:
    """The whole name without spaces (O BRIEN = OBRIEN), primary spelling first."""
    spellings = name_token_spellings(name)
    if not spellings:
        return []
    return _unique(["".join(combo) for combo in islice(product(*spellings), MAX_ALTERNATIVES)])


# Portuguese-speaking countries put the father's surname last (DOS SANTOS SILVA), so a short
# form keeps the last one; Spanish order (GARCIA LOPEZ) keeps the first.
_FATHER_SURNAME_LAST = frozenset({"PRT", "BRA", "AGO", "MOZ", "CPV", "GNB", "STP", "TLS"})


def _surname_values(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    """The whole surname joined, and for a double surname the one a short form keeps.

    Clerks drop the second of two Spanish surnames (GARCIA LOPEZ -> GARCIA) and the first of
    two Portuguese ones (FERREIRA COSTA -> COSTA). The kept surname comes right after the
    primary joined spelling so a rule with a small ``max_tokens`` still emits it. Two cousins
    with one first surname, one given name and one birth date share it: the price of the far
    more frequent dropped surname.
    """
    joined = _joined_spellings(record.surname)
    spellings = name_token_spellings(record.surname)
    if len(spellings) < 2:
        return joined
    kept = spellings[-1 if record.nationality in _FATHER_SURNAME_LAST else 0][0]
    return _unique(joined[:1] + [kept] + joined[1:])


def _phonetic_spellings(name: NormalizedName, algorithm: str) -> list[str]:
    return _unique([phonetic(joined, algorithm) for joined in _joined_spellings(name)])


def _core_tokens(record: NormalizedRecord) -> list[str]:
    return list(record.given_names.core_tokens) + list(record.surname.core_tokens)


def _sorted_phonetic(record: NormalizedRecord, schema: LinkageSchema) -> list[str]:
    """Order-free phonetic reading of all name tokens: survives swaps and spelling variants."""
    codes = [phonetic(token, schema.rule_phonetic) for token in _core_tokens(record)]
    codes = [code for code in codes if code]
    return [" ".join(sorted(codes))] if codes else []


def _group_key(name: NormalizedName, index: int, token: str) -> str:
    """The token's variant group, or the token itself when it has none."""
    return name.groups[index] if index < len(name.groups) and name.groups[index] else token


def _first_given(record: NormalizedRecord) -> tuple[str, ...]:
    spellings = name_token_spellings(record.given_names)
    return spellings[0] if spellings else ()


def _given_group(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    name = record.given_names
    for index, token in enumerate(name.tokens):
        if token in name.particles:
            continue
        group = _group_key(name, index, token)
        return [group]
    return []


def _surname_tokens(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    spellings = name_token_spellings(record.surname)
    primaries = [variants[0] for variants in spellings]
    alternatives = [v for variants in spellings for v in variants[1:]]
    return _unique(primaries + alternatives)


def _sorted_tokens(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    tokens = _core_tokens(record)
    return [" ".join(sorted(tokens))] if tokens else []


def _name_token_groups(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    """Each name token's variant group, given names and surnames alike, in written order."""
    keys = []
    for name in (record.given_names, record.surname):
        for index, token in enumerate(name.tokens):
            if token not in name.particles:
                keys.append(_group_key(name, index, token))
    return _unique(keys)


def _first_names_pair(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    """Groups of the first given-name token and the first surname token, order-free.

    Survives dropped middle names and second surnames, and given/surname swaps.
    """
    firsts = []
    for name in (record.given_names, record.surname):
        for index, token in enumerate(name.tokens):
            if token not in name.particles:
                firsts.append(_group_key(name, index, token))
                break
    return [" ".join(sorted(firsts))] if len(firsts) == 2 else []


def _sorted_groups(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    keys = []
    for name in (record.given_names, record.surname):
        for index, token in enumerate(name.tokens):
            if token in name.particles:
                continue
            group = _group_key(name, index, token)
            keys.append(group)
    return [" ".join(sorted(keys))] if keys else []


def _dob(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    date = record.date_of_birth
    return [date.isoformat()] if date is not None and date.day is not None else []


def _dob_unordered(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    date = record.date_of_birth
    if date is None or date.day is None or date.month is None:
        return []
    low, high = sorted((date.month, date.day))
    return [f"{date.year:04d}~{low:02d}~{high:02d}"]


def _dob_adjacent(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    """Two-day bins at both offsets: two full dates one day apart always share one bin.

    Off-by-one birth days (time zones, 21/22 misread, midnight births) are a common clerical
    error; an exact-date rule misses them and a year-only rule cannot tell them from a stranger
    of the same name born months away.
    """
    date = record.date_of_birth
    if date is None or date.day is None or date.month is None:
        return []
    try:
        ordinal = datetime.date(date.year, date.month, date.day).toordinal()
    except ValueError:
        return []
    return [f"e{ordinal // 2}", f"o{(ordinal + 1) // 2}"]


def _name_prefixes(name: NormalizedName) -> list[str]:
    """First three letters of the name's first token, each spelling (shorter tokens whole).

    A typo, a nickname or a truncation late in a name (CHRISTOPHER / CHRIS, PATRICIA /
    PATICIA) keeps the prefix; with the other name and the birth date it still points at one
    person, while a twin or cousin with another given name rarely shares it.
    """
    spellings = name_token_spellings(name)
    return _unique([spelling[:PREFIX_LETTERS] for spelling in spellings[0]]) if spellings else []


def _name_ends(name: NormalizedName) -> list[str]:
    """First and last three letters of the name's first token, marked, each spelling.

    One typo leaves at least one end of a name of seven letters or more intact (COTEMAN /
    COLEMAN keeps ``MAN``, SCMMIDT / SCHMIDT keeps ``IDT``); names of three letters or fewer
    give the whole token once.
    """
    spellings = name_token_spellings(name)
    ends = []
    for spelling in spellings[0] if spellings else []:
        if len(spelling) <= PREFIX_LETTERS:
            ends.append(spelling)
        else:
            ends += [spelling[:PREFIX_LETTERS] + "-", "-" + spelling[-PREFIX_LETTERS:]]
    return _unique(ends)


def _birth_year(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    date = record.date_of_birth
    return [f"{date.year:04d}"] if date is not None else []


def _birth_year_month(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    date = record.date_of_birth
    return [f"{date.year:04d}-{date.month:02d}"] if date is not None and date.month else []


def _birth_month_day(record: NormalizedRecord, _: LinkageSchema) -> list[str]:
    date = record.date_of_birth
    return [f"{date.month:02d}-{date.day:02d}"] if date is not None and date.day is not None else []


def _document_number(record: NormalizedRecord, schema: LinkageSchema) -> list[str]:
    value = record.document_number
    if not value:
        return []
    return [fold_document_number(value) if schema.document_ocr_folding else value]


def _document_characters(record: NormalizedRecord, schema: LinkageSchema) -> list[str]:
    """The document number's characters in sorted order: survives transposed digits, the most
    common keying error (6889594 / 6885994), and on its own is far too coarse to be a key."""
    return ["".join(sorted(value)) for value in _document_number(record, schema)]


COMPONENTS: dict[str, ComponentFunction] = {
    "document_number": _document_number,
    "document_characters": _document_characters,
    "nationality": lambda r, _: [r.nationality] if r.nationality else [],
    "sex": lambda r, _: [r.sex] if r.sex else [],
    "place_of_birth": lambda r, _: [r.place_of_birth] if r.place_of_birth else [],
    "dob": _dob,
    "dob_unordered": _dob_unordered,
    "dob_adjacent": _dob_adjacent,
    "birth_year": _birth_year,
    "birth_year_month": _birth_year_month,
    "birth_month_day": _birth_month_day,
    "surname": _surname_values,
    "surname_token": _surname_tokens,
    "surname_phonetic": lambda r, s: _phonetic_spellings(r.surname, s.rule_phonetic),
    "given_first": lambda r, _: list(_first_given(r)),
    "given_group": _given_group,
    "given_prefix": lambda r, _: _name_prefixes(r.given_names),
    "surname_prefix": lambda r, _: _name_prefixes(r.surname),
    "surname_ends": lambda r, _: _name_ends(r.surname),
    "given_phonetic": lambda r, s: _unique([phonetic(v, s.rule_phonetic) for v in _first_given(r)]),
    "name_tokens_sorted": _sorted_tokens,
    "name_groups_sorted": _sorted_groups,
    "name_token_group": _name_token_groups,
    "first_names_pair": _first_names_pair,
    "name_phonetic_sorted": _sorted_phonetic,
}


def component_values(record: NormalizedRecord, component: str, schema: LinkageSchema) -> list[str]:
    return COMPONENTS[component](record, schema)


def _valid_full_date(record: NormalizedRecord) -> bool:
    date = record.date_of_birth
    if date is None or date.day is None or date.month is None:
        return False
    try:
        datetime.date(date.year, date.month, date.day)
    except ValueError:
        return False
    return True


def _has_given(record: NormalizedRecord) -> bool:
    return bool(record.given_names.core_tokens)


def _has_surname(record: NormalizedRecord) -> bool:
    return bool(record.surname.core_tokens)


def _has_day(record: NormalizedRecord) -> bool:
    return record.date_of_birth is not None and record.date_of_birth.day is not None


# Whether a component has a value, without computing it (phonetic codes and variant groups
# are the expensive part of tokenizing). The tokenizer derives each record's mask while it
# tokenizes; this is the independent definition the tests hold that mask to.
_PRESENT: dict[str, Callable[[NormalizedRecord], bool]] = {
    "document_number": lambda r: bool(r.document_number),
    "document_characters": lambda r: bool(r.document_number),
    "nationality": lambda r: bool(r.nationality),
    "sex": lambda r: bool(r.sex),
    "place_of_birth": lambda r: bool(r.place_of_birth),
    "dob": _has_day,
    "birth_month_day": _has_day,
    "dob_unordered": lambda r: _has_day(r) and r.date_of_birth.month is not None,  # type: ignore[union-attr]
    "dob_adjacent": _valid_full_date,
    "birth_year": lambda r: r.date_of_birth is not None,
    "birth_year_month": lambda r: r.date_of_birth is not None and bool(r.date_of_birth.month),
    "surname": _has_surname,
    "surname_token": _has_surname,
    "surname_phonetic": _has_surname,
    "surname_prefix": _has_surname,
    "surname_ends": _has_surname,
    "given_first": _has_given,
    "given_group": _has_given,
    "given_phonetic": _has_given,
    "given_prefix": _has_given,
    "name_tokens_sorted": lambda r: _has_given(r) or _has_surname(r),
    "name_groups_sorted": lambda r: _has_given(r) or _has_surname(r),
    "name_token_group": lambda r: _has_given(r) or _has_surname(r),
    "name_phonetic_sorted": lambda r: _has_given(r) or _has_surname(r),
    "first_names_pair": lambda r: _has_given(r) and _has_surname(r),
}


def rule_presence_mask(record: NormalizedRecord, schema: LinkageSchema) -> int:
    """Bit i set when rule i of the schema emits a token for the record (all its components
    have a value). The scorer tells a rule both records emit but do not share (their fields
    differ) from one a record cannot emit (a field is empty)."""
    mask = 0
    for index, rule in enumerate(schema.rules):
        if all(_PRESENT[component](record) for component in rule.components):
            mask |= 1 << index
    return mask


def rules_in_mask(mask: int, rule_ids: tuple[str, ...]) -> frozenset[str]:
    return frozenset(rule_id for index, rule_id in enumerate(rule_ids) if mask >> index & 1)
