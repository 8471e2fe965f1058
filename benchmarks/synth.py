"""Synthetic-data and reader throughput on 1M records.

Measures, in one run on this machine:
- ``ppmatch synth`` generation (all cores and one core), against a baseline of writing an
  equally sized table of constant strings with the same Arrow CSV writer (the I/O floor);
- ``read_records`` streaming the generated files (id checks, chunking), against Arrow's bare
  streaming CSV reader on the same files.
Prints a summary and writes benchmarks/results/synth.json.

    .venv/bin/python benchmarks/synth.py [--travelers 500000 --felons 500000 --overlap 50000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from ppmatch.identity import read_records
from ppmatch.synth import generate


def timed(function) -> tuple[float, object]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def write_floor(path: Path, rows: int, columns: int) -> None:
    """Write ``rows`` x ``columns`` short constant strings: what CSV output alone costs."""
    column = pa.array(["ABCDEFGHIJ"] * min(rows, 100_000), pa.string())
    chunk = pa.table({f"c{i}": column for i in range(columns)})
    with pacsv.CSVWriter(path, chunk.schema) as writer:
        for start in range(0, rows, chunk.num_rows):
            writer.write_table(chunk.slice(0, min(chunk.num_rows, rows - start)))


def arrow_read(path: Path) -> int:
    reader = pacsv.open_csv(path)
    return sum(batch.num_rows for batch in reader)


def ppmatch_read(path: Path) -> int:
    return sum(len(batch) for batch in read_records(path))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--travelers", type=int, default=500_000)
    parser.add_argument("--felons", type=int, default=500_000)
    parser.add_argument("--overlap", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    records = args.travelers + args.felons
    sizes = {"travelers": args.travelers, "felons": args.felons, "overlap": args.overlap}

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch)
        parallel_s, summary = timed(lambda: generate(out / "all", seed=args.seed, **sizes))
        serial_s, _ = timed(lambda: generate(out / "one", seed=args.seed, workers=1, **sizes))
        identical = all(
            (out / "all" / name).read_bytes() == (out / "one" / name).read_bytes()
            for name in ("travelers.csv", "felons.csv", "truth.csv")
        )
        floor_s, _ = timed(lambda: write_floor(out / "floor.csv", records, 9))
        files = [out / "all" / "travelers.csv", out / "all" / "felons.csv"]
        bytes_written = sum(path.stat().st_size for path in files)
        arrow_s, _ = timed(lambda: sum(arrow_read(path) for path in files))
        reader_s, read_rows = timed(lambda: sum(ppmatch_read(path) for path in files))

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "records": records,
        **sizes,
        "csv_bytes": bytes_written,
        "synth_all_cores_seconds": round(parallel_s, 2),
        "synth_all_cores_records_per_second": round(records / parallel_s),
        "synth_one_core_seconds": round(serial_s, 2),
        "synth_one_core_records_per_second": round(records / serial_s),
        "parallel_speedup": round(serial_s / parallel_s, 2),
        "same_bytes_one_core_vs_all_cores": identical,
        "baseline_csv_write_seconds": round(floor_s, 2),
        "synth_time_over_csv_write_floor": round(parallel_s / floor_s, 1),
        "read_records_seconds": round(reader_s, 2),
        "read_records_records_per_second": round(read_rows / reader_s),
        "arrow_bare_read_seconds": round(arrow_s, 2),
        "read_records_time_over_arrow_bare_read": round(reader_s / arrow_s, 1),
    }
    for key, value in result.items():
        print(f"{key:40s} {value}")
    target = Path(__file__).parent / "results" / "synth.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {target} (summary: {summary.records_per_second:,.0f} records/s)")


if __name__ == "__main__":
    main()
