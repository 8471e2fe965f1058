"""Field values and Bloom-filter features of a normalized record.

A feature is a short string (a padded bigram, a date component, a phonetic code) that sets
``hashes`` bits of the filter. Missing values yield no features at all, so a missing field
sets no bits: there is no shared "empty" feature that would make two records with missing
fields look alike.
"""

from __future__ import annotations

from collections.abc import Iterable

import jellyfish

from ppmatch.encoding.schema import (
    DateFeature,
    ExactFeature,
    FieldSpec,
    PhoneticFeature,
    QGramFeature,
    TokenFeature,
)
from ppmatch.normalize.model import NormalizedName, NormalizedRecord, PartialDate

_OCR_FOLD = str.maketrans({"O": "0", "I": "1", "S": "5", "B": "8"})

PHONETIC = {
    "metaphone": jellyfish.metaphone,
    "nysiis": jellyfish.nysiis,
    "soundex": jellyfish.soundex,
}


def fold_document_number(value: str) -> str:
    """Fold characters that OCR and clerks confuse (O/0, I/1, S/5, B/8...) onto one symbol."""
    return value.upper().translate(_OCR_FOLD)


def phonetic(token: str, algorithm: str = "metaphone") -> str:
    """Phonetic code of one uppercase ASCII token ('' for tokens without letters).

    Repeated letters in the code are collapsed (metaphone gives SXMTT for SCHMIDT but SXMT
    for SCHMITT).
    """
    if not any(c.isalpha() for c in token):
        return ""
    try:
        code = PHONETIC[algorithm](token)
    except (ValueError, IndexError):  # jellyfish rejects some non-letter inputs
        return ""
    return "".join(c for i, c in enumerate(code) if i == 0 or c != code[i - 1])


def name_token_spellings(name: NormalizedName) -> list[tuple[str, ...]]:
    """Per core token, its accepted spellings (primary first, then ICAO/transliteration variants)."""
    spellings = []
    for index, token in enumerate(name.tokens):
        if token in name.particles:
            continue
        variants = [token]
        if index < len(name.alternatives):
            variants.extend(v for v in name.alternatives[index] if v and v not in variants)
        spellings.append(tuple(variants))
    return spellings


FieldValue = NormalizedName | PartialDate | str


def field_value(record: NormalizedRecord, field: str) -> FieldValue | None:
    """The field's normalized value (hashable), or None when missing."""
    if field in ("given_names", "surname"):
        name = getattr(record, field)
        return name if name.tokens else None
    if field in ("date_of_birth", "sex", "nationality", "place_of_birth", "document_number"):
        return getattr(record, field) or None
    return record.extra.get(field) or None


def value_tokens(
    field: str, value: NormalizedName | str, *, fold_ocr: bool
) -> list[tuple[str, ...]]:
    """A field value as a list of tokens, each with its alternative spellings."""
    if isinstance(value, NormalizedName):
        return name_token_spellings(value)
    if field == "document_number":
        return [(fold_document_number(value) if fold_ocr else value,)]
    if field in ("sex", "nationality"):
        return [(value,)]
    return [(token,) for token in value.split()]


def _qgrams(token: str, spec: QGramFeature) -> Iterable[str]:
    text = f"_{token}_" if spec.padding else token
    n = spec.n
    if len(text) < n:
        yield text
        return
    for i in range(len(text) - n + 1):
        gram = text[i : i + n]
        yield f"{gram}@{i}" if spec.positional else gram


def _date_features(date: PartialDate, spec: DateFeature) -> Iterable[str]:
    for component in spec.components:
        if component == "year":
            yield f"Y{date.year:04d}"
        elif component == "month" and date.month is not None:
            yield f"M{date.month:02d}"
        elif component == "day" and date.day is not None:
            yield f"D{date.day:02d}"
        elif component == "year_month" and date.month is not None:
            yield f"YM{date.year:04d}{date.month:02d}"
        elif component == "month_day" and date.day is not None:
            yield f"MD{date.month:02d}{date.day:02d}"
        elif component == "full" and date.day is not None:
            yield f"F{date.isoformat()}"


FieldUnit = tuple[str, ...] | str | PartialDate


def value_units(spec: FieldSpec, value: FieldValue | None, *, fold_ocr: bool) -> list[FieldUnit]:
    """The field split into independently hashed units; [] when the field is missing.

    A unit is one token with its spellings (a tuple), the whole value for ``exact`` features
    (a str) or the date. Units are what the encoder memoises: a common name token is turned
    into bit positions once per encoder, however many records carry it.
    """
    if value is None:
        return []
    if isinstance(value, PartialDate):
        return [value]
    tokens = value_tokens(spec.name, value, fold_ocr=fold_ocr)
    if not tokens:
        return []
    units: list[FieldUnit] = []
    if any(not isinstance(f, ExactFeature) for f in spec.features):
        units.extend(tokens)
    if any(isinstance(f, ExactFeature) for f in spec.features):
        units.append(" ".join(spellings[0] for spellings in tokens))
    return units


def unit_features(unit: FieldUnit, spec: FieldSpec) -> set[str]:
    """The features of one unit (a set: a repeated q-gram sets its bits once)."""
    features: set[str] = set()
    for feature in spec.features:
        if isinstance(unit, PartialDate):
            if isinstance(feature, DateFeature):
                features.update(f"d:{value}" for value in _date_features(unit, feature))
            elif isinstance(feature, ExactFeature):
                features.add(f"e:{unit.isoformat()}")
        elif isinstance(unit, str):
            if isinstance(feature, ExactFeature):
                features.add(f"e:{unit}")
        elif isinstance(feature, QGramFeature):
            for spelling in unit:
                features.update(f"q:{gram}" for gram in _qgrams(spelling, feature))
        elif isinstance(feature, TokenFeature):
            features.update(f"t:{spelling}" for spelling in unit)
        elif isinstance(feature, PhoneticFeature):
            codes = {phonetic(spelling, feature.algorithm) for spelling in unit}
            features.update(f"p:{code}" for code in codes if code)
    return features
