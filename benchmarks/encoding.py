"""Encoding throughput: ppmatch's keyed CLK encoder against clkhash on an equivalent schema.

Both encoders get the same normalized records (ppmatch synth felons) and start cold (a fresh
instance per run: ppmatch's feature and value memos start empty every time). ppmatch encodes
``NormalizedRecord`` objects with the default linkage schema; clkhash encodes the same values
as strings with a v3 schema of the same filter length, fields, q-grams and bits per feature
(keyed BLAKE2b in both), run in its own virtual environment (it pins an old ``cryptography``)
and timed in the same run. "All cores" is ``encode_parallel`` as shipped, which encodes
in-process below ``MIN_POOL_RECORDS`` (``ppmatch_all_cores_mode`` says which);
``ppmatch_encode_forced_pool`` is its process pool regardless of size.

Reported: records/s single process and all cores (best of ``--repeat`` interleaved runs),
the ratios to clkhash, the CPU seconds of each best run over all its processes
(``ratio_cpu_single`` is the work ratio, which load moves far less than wall-clock rates;
clkhash's pool processes are not reaped before its call returns, so its all-cores CPU is not
counted) and the load average (the machine is shared: absolute figures move, ratios less).

    python3 -m venv /tmp/clkvenv && /tmp/clkvenv/bin/pip install clkhash
    .venv/bin/python benchmarks/encoding.py [--records 50000] [--clkhash-python /tmp/clkvenv/bin/python]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import synth  # noqa: E402

from ppmatch.encoding import ClkEncoder, LinkageSchema, encode_parallel  # noqa: E402
from ppmatch.encoding.clk import MIN_POOL_RECORDS  # noqa: E402
from ppmatch.normalize.model import NormalizedRecord  # noqa: E402
from ppmatch.tokens import Tokenizer, tokenize_parallel  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SECRET = b"benchmark linkage secret, not for production use"

CLKHASH_RUNNER = r"""
import json, resource, sys, time
from clkhash import clk
from clkhash.schema import from_json_dict
def cpu():
    own, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
schema = from_json_dict(json.load(open(sys.argv[1])))
rows = json.load(open(sys.argv[2]))
result = {}
for label, workers in (("single", 1), ("all_cores", int(sys.argv[3]))):
    start, start_cpu = time.perf_counter(), cpu()
    clk.generate_clks(rows, schema, "benchmark secret", validate=False, max_workers=workers)
    # its pool processes are not yet reaped here, so their CPU time cannot be counted
    used = cpu() - start_cpu if workers == 1 else None
    result[label] = (len(rows) / (time.perf_counter() - start), used)
print(json.dumps(result))
"""


def clkhash_schema(schema: LinkageSchema) -> dict:
    """The clkhash v3 schema closest to a ppmatch schema (same fields, q-grams, bits)."""
    features = [{"identifier": "record_id", "ignored": True}]
    for spec in schema.clk.fields:
        ngram = next((f for f in spec.features if f.kind == "qgram"), None)
        if spec.name == "date_of_birth":
            comparison = {"type": "ngram", "n": 1, "positional": True}
        elif ngram is not None:
            comparison = {"type": "ngram", "n": ngram.n}
        else:
            comparison = {"type": "exact"}
        features.append(
            {
                "identifier": spec.name,
                "format": {"type": "string", "encoding": "utf-8"},
                "hashing": {
                    "comparison": comparison,
                    "strategy": {"bitsPerToken": spec.hashes},
                    "hash": {"type": "blakeHash"},
                    "missingValue": {"sentinel": ""},
                },
            }
        )
    return {
        "version": 3,
        "clkConfig": {
            "l": schema.clk.filter_bits,
            "kdf": {"type": "HKDF", "hash": "SHA256", "keySize": 64},
        },
        "features": features,
    }


def clkhash_row(record: NormalizedRecord, schema: LinkageSchema) -> list[str]:
    values = {
        "given_names": " ".join(record.given_names.tokens),
        "surname": " ".join(record.surname.tokens),
        "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else "",
        "sex": record.sex or "",
        "nationality": record.nationality or "",
        "place_of_birth": record.place_of_birth or "",
        "document_number": record.document_number or "",
    }
    return [record.record_id] + [
        values.get(spec.name, record.extra.get(spec.name, "")) for spec in schema.clk.fields
    ]


def run_clkhash(
    python: str, schema: LinkageSchema, records: list[NormalizedRecord], workers: int
) -> dict | None:
    if not Path(python).exists():
        return None
    with tempfile.TemporaryDirectory() as folder:
        schema_path, rows_path, runner = (
            Path(folder) / n for n in ("schema.json", "rows.json", "run.py")
        )
        schema_path.write_text(json.dumps(clkhash_schema(schema)))
        rows_path.write_text(json.dumps([clkhash_row(r, schema) for r in records]))
        runner.write_text(CLKHASH_RUNNER)
        completed = subprocess.run(
            [python, str(runner), str(schema_path), str(rows_path), str(workers)],
            capture_output=True,
            text=True,
            check=False,
        )
    if completed.returncode != 0:
        print(completed.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(completed.stdout.strip().splitlines()[-1])


def cpu_seconds() -> float:
    """CPU time of this process and its reaped children (pool workers)."""
    own, children = (
        resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def rate(function, count: int) -> tuple[float, float]:
    """(records/s wall clock, CPU seconds of all processes)."""
    start, start_cpu = time.perf_counter(), cpu_seconds()
    function()
    return count / (time.perf_counter() - start), cpu_seconds() - start_cpu


def keep_best(figures: dict, name: str, measured: tuple[float, float]) -> None:
    """Keep the fastest run's records/s and the CPU seconds that run used."""
    if measured[0] > figures.get(name, 0.0):
        figures[name], figures[f"{name}_cpu_s"] = measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--clkhash-python", default="/tmp/clkvenv/bin/python")
    parser.add_argument("--repeat", type=int, default=3, help="best of N, runs interleaved")
    parser.add_argument("--skip-tokenize", action="store_true", help="encoding figures only")
    args = parser.parse_args()
    schema = LinkageSchema.default()
    records = synth(seed=1).holder[: args.records]
    count = len(records)
    print(f"{count} normalized records (synth felons), {args.workers} cores")
    measurements = {
        "ppmatch_encode_single": lambda: ClkEncoder(schema, SECRET).encode_batch(records),
        "ppmatch_encode_all_cores": lambda: encode_parallel(
            schema, SECRET, records, workers=args.workers
        ),
        # the pool even below encode_parallel's size threshold (what it would cost here)
        "ppmatch_encode_forced_pool": lambda: encode_parallel(
            schema, SECRET, records, workers=args.workers, min_pool_records=0
        ),
    }
    if not args.skip_tokenize:
        measurements["ppmatch_tokenize_single"] = lambda: Tokenizer(
            schema, SECRET, "bench"
        ).tokenize_many(records)
        measurements["ppmatch_tokenize_all_cores"] = lambda: tokenize_parallel(
            schema, SECRET, "bench", records, workers=args.workers
        )
    # Shared machines are noisy: interleave the runs and keep each one's best.
    figures: dict = {"records": count, "cores": args.workers, "repeat": args.repeat}
    figures["load_average_before"] = os.getloadavg()[0]
    for _ in range(args.repeat):
        for name, function in measurements.items():
            keep_best(figures, name, rate(function, count))
        run = run_clkhash(args.clkhash_python, schema, records, args.workers)
        for label, measured in (run or {}).items():
            keep_best(figures, f"clkhash_{label}", measured)
    if "clkhash_single" not in figures:
        figures["clkhash"] = "not available (install it in a separate venv, see the docstring)"
    else:
        for label in ("single", "all_cores"):
            figures[f"ratio_{label}"] = (
                figures[f"ppmatch_encode_{label}"] / figures[f"clkhash_{label}"]
            )
        # CPU seconds per batch: the work ratio, whatever the machine's load
        figures["ratio_cpu_single"] = (
            figures["clkhash_single_cpu_s"] / figures["ppmatch_encode_single_cpu_s"]
        )
    figures["ppmatch_all_cores_mode"] = (
        "process pool" if count >= MIN_POOL_RECORDS and args.workers > 1 else "in-process"
    )
    figures["ppmatch_pool_speedup"] = (
        figures["ppmatch_encode_forced_pool"] / figures["ppmatch_encode_single"]
    )
    figures["load_average_after"] = os.getloadavg()[0]
    figures = {k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}
    print(json.dumps(figures, indent=1))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "encoding.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
