"""Field values and Bloom-filter features of a normalized record.

A feature is a short string (a padded bigram, a date component, a phonetic code) that sets
``hashes`` bits of the filter. Missing values yield no features at all, so a missing field
sets no bits: there is no shared "empty" feature that would make two records with missing
fields look alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import chain, groupby
from operator import attrgetter

import jellyfish
import numpy as np

from ppmatch.encoding.schema import (
    IDENTITY_FIELDS,
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
    if not any(map(str.isalpha, token)):
        return ""
    try:
        code = PHONETIC[algorithm](token)
    except (ValueError, IndexError):  # jellyfish rejects some non-letter inputs
        return ""
    return "".join(letter for letter, _ in groupby(code))


def name_token_spellings(name: NormalizedName) -> list[tuple[str, ...]]:
    """Per core token, its accepted spellings (primary first, then ICAO/transliteration variants)."""
    alternatives = name.alternatives
    return [
        token_spellings(token, alternatives[index] if index < len(alternatives) else ())
        for index, token in enumerate(name.tokens)
        if token not in name.particles
    ]


def token_spellings(token: str, alternatives: tuple[str, ...]) -> tuple[str, ...]:
    """One name token's spellings: itself, then its distinct non-empty alternatives."""
    variants = [token]
    variants.extend(v for v in alternatives if v and v not in variants)
    return tuple(variants)


FieldValue = NormalizedName | PartialDate | str
FieldKey = FieldValue | int  # what the encoder memoises a field on (``value_getter``)
NAME_FIELDS = ("given_names", "surname")


def value_getter(field: str) -> Callable[[NormalizedRecord], FieldKey | None]:
    """A fast accessor of the field's value as the encoder keys it; falsy when missing.

    The normalized value itself, except the date of birth: ``date_number``.
    """
    if field == "date_of_birth":
        return date_number
    if field in IDENTITY_FIELDS:
        return attrgetter(field)
    return lambda record: record.extra.get(field)


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


def _qgrams(token: str, spec: QGramFeature) -> list[str]:
    """The token's q-gram features ("q:" + gram, "@offset" when positional)."""
    text = f"_{token}_" if spec.padding else token
    n = spec.n
    if len(text) < n:
        return [f"q:{text}"]
    starts = range(len(text) - n + 1)
    if spec.positional:
        return [f"q:{text[i : i + n]}@{i}" for i in starts]
    return ["q:" + text[i : i + n] for i in starts]


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


def text_tokens(
    field: str, values: Sequence[str], *, fold_ocr: bool
) -> tuple[list[str], list[int]]:
    """``value_tokens`` of many (non-empty) text values: the tokens and each one's value index.

    OCR folding runs once over the joined values (one C call instead of one per value).
    """
    if field == "document_number" and fold_ocr:
        folded = fold_document_number("\n".join(values)).split("\n")
        if len(folded) == len(values):  # no value held the separator
            return folded, list(range(len(values)))
    if field in ("document_number", "sex", "nationality"):
        return [value_tokens(field, v, fold_ocr=fold_ocr)[0][0] for v in values], list(
            range(len(values))
        )
    split = [value.split() for value in values]
    return list(chain.from_iterable(split)), [i for i, parts in enumerate(split) for _ in parts]


# ---- vectorized features: many values at once, as integer keys --------------------------------
# The encoder hashes a feature once per encoder; these let it find a chunk's features without
# building one string per value. Each key maps back to exactly the string ``unit_features``
# would give (``qgram_feature``, ``date_feature``), so the bits are the same.

_POSITION_SHIFT = 40  # q-gram keys: up to 5 bytes of characters, the offset above them


def token_qgrams(
    tokens: Sequence[str], spec: QGramFeature
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    """The q-grams of many tokens: (token index, key) arrays for printable-ASCII tokens, and
    (token index, feature) for the others (non-ASCII, or shorter than n once padded)."""
    n = spec.n
    texts = [f"_{t}_" for t in tokens] if spec.padding else list(tokens)
    simple = [t.isascii() and t.isprintable() and len(t) >= n for t in texts]
    rest = [
        (i, feature)
        for i, text in enumerate(texts)
        if not simple[i]
        for feature in _qgrams(tokens[i], spec)
    ]
    index = np.flatnonzero(simple)
    if len(index) == 0:
        return np.zeros(0, np.intp), np.zeros(0, np.int64), rest
    chosen = [texts[i] for i in index]
    lengths = np.fromiter(map(len, chosen), np.int64, len(chosen))
    width = int(lengths.max())
    chars = np.array(chosen, dtype=f"S{width}").view(np.uint8).reshape(len(chosen), width)
    grams = width - n + 1
    keys = np.zeros((len(chosen), grams), dtype=np.int64)
    for offset in range(n):
        keys |= chars[:, offset : offset + grams].astype(np.int64) << (8 * offset)
    if spec.positional:
        keys |= np.arange(grams, dtype=np.int64) << _POSITION_SHIFT
    valid = np.arange(grams) <= (lengths - n)[:, None]
    return np.broadcast_to(index[:, None], keys.shape)[valid], keys[valid], rest


def qgram_feature(key: int, spec: QGramFeature) -> str:
    """The feature string of a ``token_qgrams`` key."""
    gram = bytes((key >> (8 * i)) & 255 for i in range(spec.n)).decode("ascii")
    return f"q:{gram}@{key >> _POSITION_SHIFT}" if spec.positional else f"q:{gram}"


def date_number(record: NormalizedRecord) -> int | None:
    """The date of birth as one integer, YYYYMMDD with 00 for a missing month or day.

    Cheaper to hash and compare than the date object: the encoder keys its memo on it.
    """
    date = record.date_of_birth
    return date.year * 10000 + (date.month or 0) * 100 + (date.day or 0) if date else None


def date_keys(
    dates: Sequence[int], feature: DateFeature | ExactFeature
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per date component: (component, date index, key) for the dates that have it.

    ``dates`` are ``date_number`` values. ``ExactFeature`` is the component ``exact`` (the
    ISO text at the date's precision). Keys are integers in the same style.
    """
    count = len(dates)
    ymd = np.fromiter(dates, np.int64, count)
    year, month, day = ymd // 10000, ymd // 100 % 100, ymd % 100
    everyone = np.ones(count, dtype=bool)
    table = {
        "year": (year, everyone),
        "month": (month, month > 0),
        "day": (day, day > 0),
        "year_month": (year * 100 + month, month > 0),
        "month_day": (month * 100 + day, day > 0),
        "full": (ymd, day > 0),
        "exact": (ymd, everyone),
    }
    components = feature.components if isinstance(feature, DateFeature) else ("exact",)
    found = []
    for component in components:
        key, present = table[component]
        which = np.flatnonzero(present)
        found.append((component, which, key[which]))
    return found


def date_feature(component: str, key: int) -> str:
    """The feature string of a ``date_keys`` key."""
    year, month, day = key // 10000, key // 100 % 100, key % 100
    if component in ("exact", "full"):  # PartialDate.isoformat at the date's precision
        iso = f"{year:04d}" + (f"-{month:02d}" if month else "") + (f"-{day:02d}" if day else "")
        return f"e:{iso}" if component == "exact" else f"d:F{iso}"
    text = {
        "year": f"Y{key:04d}",
        "month": f"M{key:02d}",
        "day": f"D{key:02d}",
        "year_month": f"YM{key // 100:04d}{key % 100:02d}",
        "month_day": f"MD{key // 100:02d}{key % 100:02d}",
    }[component]
    return f"d:{text}"


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
                features.update(_qgrams(spelling, feature))
        elif isinstance(feature, TokenFeature):
            features.update(f"t:{spelling}" for spelling in unit)
        elif isinstance(feature, PhoneticFeature):
            codes = [phonetic(spelling, feature.algorithm) for spelling in unit]
            features.update(["p:" + code for code in codes if code])
    return features
