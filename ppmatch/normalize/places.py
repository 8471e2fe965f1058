"""Place names: one canonical spelling per city across exonyms, former names and scripts.

MUENCHEN, MUNICH and MONACO DI BAVIERA are one place, and so are BOMBAY and MUMBAI, and
دمشق (DMSHQ) and DAMASCUS. A place of birth that disagrees only in its spelling would read as
evidence against a true match. The table comes from GeoNames cities with at least 100,000
people (``tools/build_place_aliases.py``; data CC BY 4.0). Places not in it keep their
normalized text.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from importlib import resources


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    data = resources.files("ppmatch.normalize").joinpath("data/place_aliases.tsv.gz").read_bytes()
    table = {}
    for line in gzip.decompress(data).decode("utf-8").splitlines():
        if line and not line.startswith("#"):
            alias, canonical = line.split("\t")
            table[alias] = canonical
    return table


def canonical_place(normalized: str) -> str:
    """The canonical name of a place already passed through ``normalize_text``."""
    return _aliases().get(normalized, normalized)


@lru_cache(maxsize=1)
def _canonical_names() -> frozenset[str]:
    return frozenset(_aliases().values())


def is_known_place(normalized: str) -> bool:
    """Whether ``normalized`` (after ``normalize_text``) names a city of the table."""
    return normalized in _aliases() or normalized in _canonical_names()
