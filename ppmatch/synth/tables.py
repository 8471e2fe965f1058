"""The hand-made name tables, loaded once into arrays for vectorized drawing.

Every name gets a global index; index 0 is the empty name, so "no middle name" is just 0 and
whole columns can be gathered with one numpy take.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from ppmatch.synth.locales import LOCALES

KINDS = ("m", "f", "m2", "f2", "s", "p")


@dataclass(frozen=True)
class NameTables:
    """Names of all locales as parallel object arrays, plus Zipf samplers per locale and kind."""

    latin: np.ndarray  # passport (ICAO 9303) Latin form
    native: np.ndarray  # as a native clerk writes it (script, diacritics)
    fem_latin: np.ndarray  # feminine surname form, else the plain form
    fem_native: np.ndarray
    variants: tuple[tuple[str, ...], ...]  # other Latin spellings seen in records
    nicknames: tuple[tuple[str, ...], ...]
    has_nickname: np.ndarray  # bool per name
    ranges: dict[tuple[int, str], np.ndarray]  # (locale index, kind) -> global indices by rank

    def draw(
        self, rng: np.random.Generator, locale: int, kind: str, count: int, zipf: float
    ) -> np.ndarray:
        """Draw ``count`` names of one locale and kind; rank r has weight 1 / r**zipf."""
        indices = self.ranges.get((locale, kind))
        if indices is None or count == 0:
            return np.zeros(count, dtype=np.int32)
        weights = 1.0 / np.arange(1, len(indices) + 1) ** zipf
        cumulative = np.cumsum(weights / weights.sum())
        picks = np.searchsorted(cumulative, rng.random(count), side="right")
        return indices[np.minimum(picks, len(indices) - 1)]

    def has(self, locale: int, kind: str) -> bool:
        return (locale, kind) in self.ranges


@cache
def name_tables() -> NameTables:
    """Load ``data/names.csv`` (cached per process; workers load their own copy)."""
    locale_index = {locale.code: i for i, locale in enumerate(LOCALES)}
    latin, native, fem_latin, fem_native = [""], [""], [""], [""]
    variants: list[tuple[str, ...]] = [()]
    nicknames: list[tuple[str, ...]] = [()]
    grouped: dict[tuple[int, str], list[int]] = {}
    text = resources.files("ppmatch.synth").joinpath("data/names.csv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines()):
        key = (locale_index[row["locale"]], row["kind"])
        grouped.setdefault(key, []).append(len(latin))
        latin.append(row["latin"])
        native.append(row["native"] or row["latin"])
        fem_latin.append(row["fem_latin"] or row["latin"])
        fem_native.append(row["fem_native"] or row["native"] or row["latin"])
        variants.append(tuple(v for v in row["variants"].split("|") if v))
        nicknames.append(tuple(v for v in row["nicknames"].split("|") if v))
    return NameTables(
        latin=np.array(latin, dtype=object),
        native=np.array(native, dtype=object),
        fem_latin=np.array(fem_latin, dtype=object),
        fem_native=np.array(fem_native, dtype=object),
        variants=tuple(variants),
        nicknames=tuple(nicknames),
        has_nickname=np.array([bool(options) for options in nicknames]),
        ranges={key: np.array(ids, dtype=np.int32) for key, ids in grouped.items()},
    )
