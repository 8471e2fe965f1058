"""Whole identity records -> ``NormalizedRecord`` (never raises on values)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ppmatch.normalize.codes import normalize_document_number, normalize_nationality, normalize_sex
from ppmatch.normalize.dates import normalize_date
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.normalize.names import name_tokens, normalize_name


def normalize_text(value: object) -> str | None:
    """A free-text field (place of birth, declared extras): name tokens joined by one space."""
    if not isinstance(value, str):
        return None
    tokens = name_tokens(value)
    return " ".join(primary for primary, _ in tokens) or None


def normalize_record(
    raw: Mapping[str, object],
    *,
    record_id: str,
    extra_fields: Iterable[str] = (),
) -> NormalizedRecord:
    """Normalize one raw record; missing or unparsable values become ``None`` / empty."""
    extra: dict[str, str] = {}
    for name in extra_fields:
        value = normalize_text(raw.get(name))
        if value is not None:
            extra[name] = value
    return NormalizedRecord(
        record_id=record_id,
        given_names=normalize_name(raw.get("given_names")),
        surname=normalize_name(raw.get("surname")),
        date_of_birth=normalize_date(raw.get("date_of_birth")),
        sex=normalize_sex(raw.get("sex")),
        nationality=normalize_nationality(raw.get("nationality")),
        place_of_birth=normalize_text(raw.get("place_of_birth")),
        document_number=normalize_document_number(raw.get("document_number")),
        extra=extra,
    )
