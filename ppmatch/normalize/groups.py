"""Name-variant groups, English nicknames and phonetic codes for single name tokens.

``name_group`` answers "could these two tokens be the same given name?" with one key per
group: curated variant groups first (data/name_variants.txt: MOHAMMED/MUHAMMAD/MEHMET...,
ALEKSANDR/ALEXANDER/OLEKSANDR...), then the ``nicknames`` package for English diminutives.

The nicknames table is loose (it lists ROBERT as a nickname of BILL and BILL of ROBERT), so
its pairs go through one conservative, stable rule: a token maps to a formal name only when
the table gives exactly one formal name for it, the token is shorter, and the token has no
nicknames of its own (so it is not a formal name itself). Ambiguous nicknames (AL, CHRIS, SAM,
LEE) keep their own key. Tokens that are full names in other cultures or particles (ALI, ANA,
JAN, JEAN, NOAH, VAN...) never map. data/nickname_overrides.txt then fixes the common English
nicknames by hand (BOB/BILL/DICK/JACK/PEGGY...), where usage beats the table's noise.
The group key of a nickname is the key of its formal name's variant group (MIKE -> MICHAEL ->
MIKHAIL), so every key is stable and ``name_group(name_group(x)) == name_group(x)``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

import jellyfish
from nicknames import NickNamer

from ppmatch.normalize.translit import word_readings

_NOT_LETTER = re.compile(r"[^A-Z]+")


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Full names in their own right in the cultures ppmatch sees, which the English table would
# otherwise fold into an unrelated formal name.
_NOT_NICKNAMES = _word_set(
    "ALI ANA ANNA ADA EVA JAN IAN MAX LEO LENA NINA SASHA IVAN ALLA MIA MILA LIA LINA NIKA "
    "TONI KIM LEE LI LU SAM OLGA MARIA ELIAS JOHN JEAN NOAH MICAH AMY GINA GLEN BELA CHER "
    "ANDI DRE ONE LEFT SIS"
)
PARTICLE_WORDS = _word_set("AL EL BIN BEN IBN ABU VAN VON DER DEN DE DEL DI DA DU LE LA")
# ABD + article + name; the article's L assimilates to a following "sun letter" in Maghrebi
# spellings (ABDERRAHMANE, ABDESSALAM, ABDENNOUR).
_ABD_COMPOUND = re.compile(r"^ABD(?:U|E|A|O|OU)?(?:L|([RSNTDZ])(?=\1))(?=[A-Z]{3,}$)")
# Persian compound given names, written joined (MOHAMMADREZA, GHOLAMREZA, ALIAKBAR) or apart.
COMPOUND_FIRST = _word_set("MOHAMMED ALI GHOLAM AMIR")
COMPOUND_SECOND = _word_set("REZA AKBAR ASGHAR TAGHI NAGHI")
# NASREDDINE, NASRELDIN, NASRUDDIN, KAMALEDDIN, KAMALDIN: one key (base + DIN) however the
# article between the base and DIN was assimilated.
_DIN_COMPOUND = re.compile(r"^([A-Z]{3,}?)[AEIOUL]*(?:DD|LD)(?:INE|IN|EEN)$")


def _data_lines(name: str) -> list[list[str]]:
    text = resources.files("ppmatch.normalize").joinpath(f"data/{name}").read_text("utf-8")
    return [line.split() for line in text.splitlines() if line.strip() and line[0] != "#"]


def _load_variant_groups() -> dict[str, str]:
    group_of: dict[str, str] = {}
    for names in _data_lines("name_variants.txt"):
        for name in names:
            group_of[name] = names[0]
    return group_of


def _load_nickname_keys() -> dict[str, str]:
    namer = NickNamer()
    nicknames_of = namer.nickname_lookup
    keys: dict[str, str] = {}
    for name, formals in namer.canonical_lookup.items():
        if len(formals) != 1 or nicknames_of.get(name):
            continue  # ambiguous, or a formal name in its own right
        (formal,) = formals
        if len(name) < len(formal):
            keys[name.upper()] = formal.upper()
    for name in _NOT_NICKNAMES | PARTICLE_WORDS:
        keys.pop(name, None)
    keys.update({nickname: formal for nickname, formal in _data_lines("nickname_overrides.txt")})
    keys = {name: target for name, target in keys.items() if name != target}
    for name in list(keys):  # follow chains (GERI -> JERRY -> GERALD) so keys are fixed points
        seen = {name}
        while keys[name] in keys and keys[name] not in seen:
            seen.add(keys[name])
            keys[name] = keys[keys[name]]
    return keys


VARIANT_GROUPS = _load_variant_groups()
NICKNAME_KEYS = _load_nickname_keys()
# Formal names with English nicknames (GERALDINE): never re-keyed as compounds.
_FORMAL_NAMES = frozenset(name.upper() for name in NickNamer().nickname_lookup) | frozenset(
    NICKNAME_KEYS.values()
)
# Names the curated groups or the nickname tables know: their group key is already right.
KNOWN_NAMES = frozenset(VARIANT_GROUPS) | _FORMAL_NAMES | frozenset(NICKNAME_KEYS)


def _ascii_token(token: object) -> str:
    """The primary ASCII reading of a token given in any script (محمد -> MOHAMMED)."""
    text = str(token)
    if not text.isascii():
        readings = word_readings("".join(text.split()))
        text = readings[0] if readings else ""
    return _NOT_LETTER.sub("", text.upper())


@lru_cache(maxsize=1 << 16)
def name_group(token: str) -> str:
    """Group key of one name token: equal keys mean "possibly the same given name"."""
    token = _ascii_token(token)
    if token in VARIANT_GROUPS:
        return VARIANT_GROUPS[token]
    compound = _ABD_COMPOUND.match(token)
    if compound:  # ABDUL RAHMAN, ABDELRAHMAN, ABD AL-RAHMAN -> one key
        return "ABDUL" + name_group(token[compound.end() :])
    formal = NICKNAME_KEYS.get(token)
    if formal is not None:
        return VARIANT_GROUPS.get(formal, formal)
    return _compound_group(token) or _din_group(token) or token


def _din_group(token: str) -> str | None:
    din = _DIN_COMPOUND.match(token)
    return din.group(1) + "DIN" if din and token not in _FORMAL_NAMES else None


def _compound_group(token: str) -> str | None:
    """MOHAMMADREZA, MOHAMEDREZA and GHOLAMREZA -> the group keys of both parts, joined."""
    for cut in range(3, len(token) - 2):
        first = VARIANT_GROUPS.get(token[:cut])
        if first in COMPOUND_FIRST:
            second = VARIANT_GROUPS.get(token[cut:])
            if second in COMPOUND_SECOND:
                return first + second
    return None


_PHONETIC_FOLDS = (
    (re.compile(r"(?<=.)Y"), "I"),  # DMITRY/DMITRI, NATALYA/NATALIA, SERGEY/SERGEI
    (re.compile(r"^I(?=[AEOU])"), "Y"),  # IURII/YURI, IAKOV/YAKOV (ICAO vs popular Cyrillic)
    (re.compile(r"KH"), "H"),  # MIKHAIL/MIHAIL, KHRISTOS/HRISTOS
    (re.compile(r"W"), "V"),  # IWANOW/IVANOV, WLADIMIR/VLADIMIR
    (re.compile(r"([A-Z])\1+"), r"\1"),  # SCHMITT/SCHMIDT, ANNA/ANA, YOUSSEF/YOUSEF
    (re.compile(r"I+$"), "I"),  # IURII/YURI
)


_DOUBLED = re.compile(r"([A-Z0-9])\1+")


@lru_cache(maxsize=1 << 16)
def phonetic_code(token: str) -> str:
    """Metaphone of a name token after folding transliteration-table differences, plus a
    trailing ``A`` for names ending in -A/-AH.

    Plain Metaphone already equates MUELLER/MULLER, MOHAMMED/MUHAMMAD, YUSUF/YOUSSEF and
    ALEKSANDR/ALEXANDER; the folds above add the Cyrillic/Greek table differences it misses.
    """
    token = _ascii_token(token)
    if not token:
        return ""
    for pattern, replacement in _PHONETIC_FOLDS:
        token = pattern.sub(replacement, token)
    code = _DOUBLED.sub(r"\1", jellyfish.metaphone(token))
    # Metaphone drops final vowels; a final -A (-AH) is kept because it marks the female form
    # (IVANA, PETROVA, ALEKSANDRA) and is stable across transliteration tables.
    return code + "A" if token.endswith(("A", "AH")) else code
