"""Single-process normalization throughput on synthetic-looking identity rows.

Generates N rows (default 1,000,000) from small multicultural name pools with Zipf-like
frequencies (so common names recur, as in real files), mixed date formats, sex spellings,
nationality spellings and unique document numbers, then times ``normalize_record`` over all
of them. The baseline, timed in the same run on the same rows, is the cheapest conceivable
"normalization" (``str.strip().upper()`` on every field), so the ratio says how much the
multicultural rules cost relative to touching each value once.

    .venv/bin/python benchmarks/normalize.py [--rows N] [--seed S] [--truth-dir DIR]

With ``--truth-dir`` (a ``ppmatch synth`` output directory) it also reports, over the true
pairs, how often the two normalized copies of one person agree field by field: the share of
pairs whose order-free name token sets are equal, whose surnames share a reading (primary or
alternative), whose given-name/surname group keys agree, and whose dates of birth, sex and
nationality are equal. These are the inputs the token rules see, before any fuzzy matching.
The baseline for names is anyascii + uppercase + whitespace split on the same pairs.
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import resource
import time
from collections.abc import Iterator
from pathlib import Path

from anyascii import anyascii

from ppmatch.normalize import NormalizedName, NormalizedRecord, normalize_record


def _pool(text: str) -> list[str]:
    return text.split("|")


GIVEN = _pool(
    "Mohammed|Muhammad|Ahmed|Ali|Юрий|Олександр|Сергій|Елена|Наталья|Γεώργιος|Χρήστος|Jürgen|"
    "Müller|Łukasz|Małgorzata|Ayşe|İbrahim|Ömer|María|José|Nguyễn|小明|伟|محمد|أحمد|Bob|Robert|"
    "William|John|Peter|Anna|Olga|Fatima|Yusuf|Youssef|Dmitry|Ivan|Mikhail|Jean-Pierre|Søren"
)
SURNAMES = _pool(
    "Ivanov|Иванов|Шевченко|Петров|Παπαδόπουλος|Müller|Schröder|Groß|Wałęsa|Kowalski|Öztürk|"
    "Yılmaz|Şahin|García|López|Fernández|Nguyễn|Trần|王|李|Al-Hassan|bin Laden|Smith|O'Brien|"
    "van der Berg|Ђоковић|Кънчев|Garcia-Lopez|Hussein|Abdul-Rahman|Kim|Lee|Wang"
)
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%Y%m%d", "%Y", "%m/%Y")
SEXES = ("M", "F", "male", "Female", "м", "ж", "", "X")
NATIONALITIES = ("DEU", "D", "Germany", "RU", "Russia", "UKR", "GRC", "TR", "ESP", "VNM", "CN", "")


def _zipf_choice(rng: random.Random, pool: list[str]) -> str:
    return pool[min(int(rng.paretovariate(1.1)) - 1, len(pool) - 1)]


def make_rows(count: int, seed: int, chunk_rows: int = 50_000) -> Iterator[list[dict[str, str]]]:
    """Generated rows in chunks, so 1M rows never sit in memory at once."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for index in range(count):
        year, month, day = rng.randint(1940, 2005), rng.randint(1, 12), rng.randint(1, 28)
        date = time.strftime(rng.choice(DATE_FORMATS), (year, month, day, 0, 0, 0, 0, 1, -1))
        given = _zipf_choice(rng, GIVEN)
        if rng.random() < 0.3:
            given += " " + _zipf_choice(rng, GIVEN)
        rows.append(
            {
                "given_names": given,
                "surname": _zipf_choice(rng, SURNAMES),
                "date_of_birth": date,
                "sex": rng.choice(SEXES),
                "nationality": rng.choice(NATIONALITIES),
                "place_of_birth": _zipf_choice(rng, SURNAMES) + " city",
                "document_number": f"{rng.choice('ABCPX')}{index:08d}-{rng.randint(0, 9)}",
                "offense_category": rng.choice(("fraud", "drug trafficking", "")),
            }
        )
        if len(rows) == chunk_rows:
            yield rows
            rows = []
    if rows:
        yield rows


def baseline(rows: list[dict[str, str]]) -> float:
    start = time.perf_counter()
    for row in rows:
        {key: value.strip().upper() for key, value in row.items()}
    return time.perf_counter() - start


def normalize_all(rows: list[dict[str, str]]) -> float:
    start = time.perf_counter()
    for index, row in enumerate(rows):
        normalize_record(row, record_id=str(index), extra_fields=("offense_category",))
    return time.perf_counter() - start


def _readings(name: NormalizedName) -> set[str]:
    return {
        reading
        for token, alternatives in zip(name.tokens, name.alternatives, strict=True)
        if token not in name.particles
        for reading in (token, *alternatives)
    }


def _group_keys(record: NormalizedRecord) -> set[str]:
    return {
        group
        for name in (record.given_names, record.surname)
        for token, group in zip(name.tokens, name.groups, strict=True)
        if token not in name.particles
    }


def _naive_name_tokens(row: dict[str, str]) -> tuple[str, ...]:
    """Baseline: anyascii + uppercase + whitespace split, no ICAO tables or name rules."""
    text = anyascii(f"{row.get('given_names') or ''} {row.get('surname') or ''}").upper()
    return tuple(sorted(set(text.split())))


def _load_normalized(path: Path) -> dict[str, tuple[NormalizedRecord, tuple[str, ...]]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return {
            row["record_id"]: (
                normalize_record(row, record_id=row["record_id"]),
                _naive_name_tokens(row),
            )
            for row in csv.DictReader(handle)
        }


def truth_agreement(directory: Path) -> dict[str, float]:
    """Field agreement between the two normalized copies of each true pair."""
    travelers = _load_normalized(directory / "travelers.csv")
    felons = _load_normalized(directory / "felons.csv")
    counts: dict[str, int] = {}
    pairs = 0
    with open(directory / "truth.csv", encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            (a, naive_a), (b, naive_b) = travelers[row["traveler_id"]], felons[row["felon_id"]]
            pairs += 1
            checks = {
                "baseline_naive_name_token_sets_equal": naive_a == naive_b,
                "name_token_sets_equal": a.name_tokens == b.name_tokens,
                "surname_shares_a_reading": bool(_readings(a.surname) & _readings(b.surname)),
                "name_groups_equal_or_share_two": _group_keys(a) == _group_keys(b)
                or len(_group_keys(a) & _group_keys(b)) >= 2,
                "date_of_birth_equal": a.date_of_birth == b.date_of_birth,
                "birth_year_equal": bool(
                    a.date_of_birth
                    and b.date_of_birth
                    and a.date_of_birth.year == b.date_of_birth.year
                ),
                "sex_equal": a.sex == b.sex,
                "nationality_equal": a.nationality == b.nationality,
            }
            for key, agreed in checks.items():
                counts[key] = counts.get(key, 0) + agreed
    return {"pairs": pairs, **{key: round(value / pairs, 4) for key, value in counts.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--truth-dir", type=Path, default=None)
    args = parser.parse_args()

    base_seconds = seconds = 0.0
    for chunk in make_rows(args.rows, args.seed):
        base_seconds += baseline(chunk)
        seconds += normalize_all(chunk)
    result = {
        "benchmark": "normalize_record, single process",
        "rows": args.rows,
        "seconds": round(seconds, 2),
        "records_per_second": round(args.rows / seconds),
        "baseline": "str.strip().upper() on every field",
        "baseline_records_per_second": round(args.rows / base_seconds),
        "ratio_to_baseline": round(base_seconds / seconds, 4),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    if args.truth_dir is not None:
        result["truth_pair_agreement"] = truth_agreement(args.truth_dir)
    print(json.dumps(result, indent=2))
    out = Path(__file__).parent / "results" / "normalize.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
