"""Whole identity records -> ``NormalizedRecord`` (never raises on values)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from ppmatch.normalize.codes import (
    normalize_document_number,
    normalize_nationality,
    normalize_sex,
)
from ppmatch.normalize.cyrillic import detect_table
from ppmatch.normalize.dates import normalize_date
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.normalize.names import name_tokens, normalize_name
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


@lru_cache(maxsize=1 << 16)
def _normalize_text(text: str) -> str | None:
    return " ".join(primary for primary, _ in name_tokens(text)) or None


def normalize_record(
    raw: Mapping[str, object],
    *,
    record_id: str,
    extra_fields: Iterable[str] = (),
) -> NormalizedRecord:
    """Normalize one raw record; missing or unparsable values become ``None`` / empty.

    The Cyrillic table leading the names comes from the nationality (UKR/BLR -> Ukrainian, BGR ->
    Bulgarian, SRB/MNE/BIH/MKD -> Serbian, RUS/KAZ/KGZ -> ICAO) or else from the letters of
    both name fields.
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
    return NormalizedRecord(
        record_id=record_id,
        given_names=normalize_name(given, cyrillic_table=table),
        surname=normalize_name(surname, cyrillic_table=table),
        date_of_birth=normalize_date(raw.get("date_of_birth")),
        sex=normalize_sex(raw.get("sex")),
        nationality=nationality,
        place_of_birth=normalize_text(raw.get("place_of_birth")),
        document_number=normalize_document_number(raw.get("document_number")),
        extra=extra,
    )
