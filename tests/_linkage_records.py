"""Hand-built normalized records for the encoding/tokens/match tests (no normalizer needed)."""

from __future__ import annotations

from ppmatch.normalize.model import NormalizedName, NormalizedRecord, PartialDate


def name(
    *tokens: str, alternatives: dict[int, tuple[str, ...]] | None = None, groups=None
) -> NormalizedName:
    alternatives = alternatives or {}
    return NormalizedName(
        tokens=tokens,
        alternatives=tuple(alternatives.get(i, (t,)) for i, t in enumerate(tokens)),
        groups=tuple(groups) if groups else (),
    )


DEFAULT_DOB = PartialDate(1980, 5, 3)


def person(
    record_id: str = "r1",
    given: tuple[str, ...] = ("ANNA", "MARIA"),
    surname: tuple[str, ...] = ("SCHMIDT",),
    dob: PartialDate | None = DEFAULT_DOB,
    sex: str | None = "F",
    nationality: str | None = "DEU",
    document_number: str | None = "C01X00T47",
    **extra_fields: str,
) -> NormalizedRecord:
    return NormalizedRecord(
        record_id=record_id,
        given_names=name(*given),
        surname=name(*surname),
        date_of_birth=dob,
        sex=sex,
        nationality=nationality,
        document_number=document_number,
        extra=dict(extra_fields),
    )
