"""Whole identity records -> ``NormalizedRecord`` (never raises on values)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from ppmatch.normalize.codes import (
    normalize_document_number,
    normalize_nationality,
    normalize_sex,
)
from ppmatch.normalize.conventions import (
    combined_family,
    family_script,
    given_names_field,
    name_keys,
    split_chinese_full_name,
)
from ppmatch.normalize.cyrillic import detect_table
from ppmatch.normalize.dates import normalize_date
from ppmatch.normalize.model import NormalizedName, NormalizedRecord
from ppmatch.normalize.names import name_tokens, normalize_name
from ppmatch.normalize.places import canonical_place, is_known_place
from ppmatch.normalize.values import as_text

_NATIONAL_TABLES = {
    "UKR": "uk",
    "BLR": "uk",  # Belarusian passports also write Г as H
    "BGR": "bg",
    "SRB": "sr",
    "MNE": "sr",
    "BIH": "sr",
    "MKD": "sr",
    "RUS": "icao",
    "KAZ": "icao",
    "KGZ": "icao",
}


def normalize_text(value: object) -> str | None:
    """A free-text field (place of birth, declared extras): name tokens joined by one space."""
    text = as_text(value)
    return _normalize_text(text) if text is not None else None


def normalize_place(value: object) -> str | None:
    """A place name as free text, then its canonical city name (BOMBAY -> MUMBAI).

    Clerks add the country or province: ``Damascus, Syria``, ``Kiev (UA)``, ``DAMASCUS SYR``,
    ``Aleppo / Halab``. When the whole text is no known city, the first part (before ``, ; /
    ( [``) that is one is taken, else the first part without a trailing country name or code.
    """
    text = as_text(value)
    return _place(text) if text is not None else None


_PLACE_PARTS = re.compile(r"[,;/()\[\]]")


@lru_cache(maxsize=1 << 16)
def _place(text: str) -> str | None:
    whole = _normalize_text(text)
    if whole is None:
        return None
    if is_known_place(whole):
        return canonical_place(whole)
    parts = [part for part in map(_normalize_text, _PLACE_PARTS.split(text)) if part]
    for part in parts:
        if is_known_place(part):
            return canonical_place(part)
    city = _normalize_text(
        " ".join(_without_trailing_country((parts[0] if parts else whole).split()))
    )
    return canonical_place(city) if city is not None else None  # None: what is left is a filler


def _without_trailing_country(words: list[str]) -> list[str]:
    """DAMASCUS SYR, RIYADH SAUDI ARABIA -> the city's words; repeated, so a result is stable."""
    for count in (3, 2, 1):
        if len(words) > count and normalize_nationality(" ".join(words[-count:])):
            return _without_trailing_country(words[:-count])
    return words


@lru_cache(maxsize=1 << 16)
def _normalize_text(text: str) -> str | None:
    return " ".join(primary for primary, _ in name_tokens(text)) or None


_OWN_FAMILY = "own"
_EMPTY = NormalizedName()


@lru_cache(maxsize=1 << 17)
def _name_field(
    text: str, table: str | None, field: str, family: str | None
) -> tuple[NormalizedName, str | None]:
    """One name field with its field's conventions, keyed for ``family`` (``_OWN_FAMILY``: the
    family-name script found in this field), and the script found in this field."""
    name = normalize_name(text, cyrillic_table=table)
    own = family_script(name)
    if field == "given_names":
        name = given_names_field(name)
    keyed = name_keys(name, own if family == _OWN_FAMILY else family, surname=field == "surname")
    return keyed, own


def _name_fields(
    given: object, surname: object, table: str | None
) -> tuple[NormalizedName, NormalizedName]:
    """Given names and surname, each with the conventions of its field (``conventions``).

    Most records need one cached lookup per field; a second one only when the other field
    holds a Chinese or Korean family name.
    """
    given_text, surname_text = as_text(given), as_text(surname)
    surname_name, surname_family = _EMPTY, None
    if surname_text is not None:
        surname_name, surname_family = _name_field(surname_text, table, "surname", _OWN_FAMILY)
    if given_text is None:
        return _EMPTY, surname_name
    if not surname_name.tokens:
        split = split_chinese_full_name(given_text)
        if split is not None:
            surname_text, given_text = split
            surname_name, surname_family = _name_field(surname_text, table, "surname", _OWN_FAMILY)
    given_field = "given_names" if surname_name.tokens else "given_names_alone"
    given_name, given_family = _name_field(given_text, table, given_field, _OWN_FAMILY)
    if given_family is None and surname_family is None:
        return given_name, surname_name
    family = combined_family(given_family, surname_family)
    if family != surname_family and surname_text is not None:
        surname_name = _name_field(surname_text, table, "surname", family)[0]
    if family != given_family:
        given_name = _name_field(given_text, table, given_field, family)[0]
    return given_name, surname_name


def normalize_record(
    raw: Mapping[str, object],
    *,
    record_id: str,
    extra_fields: Iterable[str] = (),
    month_first_dates: bool = False,
) -> NormalizedRecord:
    """Normalize one raw record; missing or unparsable values become ``None`` / empty.

    ``month_first_dates``: the file writes ambiguous dates US-style (see
    :func:`~ppmatch.normalize.dates.month_first_column`).

    The Cyrillic table leading the names comes from the nationality (UKR/BLR -> Ukrainian, BGR ->
    Bulgarian, SRB/MNE/BIH/MKD -> Serbian, RUS/KAZ/KGZ -> ICAO) or else from the letters of
    both name fields. Given names and surname then follow the conventions of their field
    (``conventions``: two-syllable East Asian given names joined, surname group keys).
    """
    nationality = normalize_nationality(raw.get("nationality"))
    given, surname = raw.get("given_names"), raw.get("surname")
    table = _NATIONAL_TABLES.get(nationality) if nationality else None
    if table is None and isinstance(given, str) and isinstance(surname, str):
        table = detect_table(given) or detect_table(surname)
    extra: dict[str, str] = {}
    for name in extra_fields:
        value = normalize_text(raw.get(name))
        if value is not None:
            extra[name] = value
    given_names, surname_name = _name_fields(given, surname, table)
    return NormalizedRecord(
        record_id=record_id,
        given_names=given_names,
        surname=surname_name,
        date_of_birth=normalize_date(raw.get("date_of_birth"), month_first=month_first_dates),
        sex=normalize_sex(raw.get("sex")),
        nationality=nationality,
        place_of_birth=normalize_place(raw.get("place_of_birth")),
        document_number=normalize_document_number(raw.get("document_number")),
        extra=extra,
    )
