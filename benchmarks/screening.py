"""Screening protocol benchmark: publish and query throughput, bytes, peak memory.

For each holder size (default 100k and 1M felons) against 10k travelers (overlap 1k):
publish records/s, query records/s (prepare + evaluate + finish), database bytes per holder
record, peak RSS of the publishing and querying processes, and precision/recall against the
generator's truth. Throughput is reported as a ratio to the raw elliptic-curve bound measured
in the same run: hash-to-group and scalar multiplications per second on one core, times the
number of workers, divided by the operations the protocol performs (publish: 1 hash-to-group
+ 1 multiplication per holder token; query: per padded element 1 hash-to-group + 6
multiplications — blind, evaluate, the holder's composite, unblind, and the querier's two
composites).

    .venv/bin/python benchmarks/screening.py [--felons 100000,1000000] [--travelers 10000]

Each phase runs in its own process so its peak RSS is measured alone; JSON goes to
benchmarks/results/screening.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def raw_bound(seconds: float = 2.0) -> dict:
    """Single-core hash-to-group/s and scalar multiplications/s of the default suite."""
    from ppmatch.crypto import MODE_VOPRF, get_suite
    from ppmatch.crypto.group import random_nonzero_scalar

    suite = get_suite("ristretto255-SHA512")
    context, group = suite.context(MODE_VOPRF), suite.group
    point = context.hash_to_group(b"benchmark")
    scalar = random_nonzero_scalar(group.order)
    rates = {}
    for name, operation in (
        ("hash_to_group_per_s", lambda i: context.hash_to_group(i.to_bytes(8, "big"))),
        ("scalar_mult_per_s", lambda i: group.mult(scalar, point)),
    ):
        count, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            for i in range(500):
                operation(count + i)
            count += 500
        rates[name] = count / (time.perf_counter() - started)
    return rates


def _peak_rss_mb() -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": round(own, 1), "peak_worker_rss_mb": round(children, 1)}


def phase_publish(data: Path, workers: int) -> dict:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ppmatch.protocols import Holder, ScreeningConfig

    config = ScreeningConfig.default(linkage_secret=bytes.fromhex((data / "secret").read_text()))
    holder = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=workers)
    started = time.perf_counter()
    holder.publish(data / "felons.csv", out=data / "holder.ppmdb")
    seconds = time.perf_counter() - started
    (data / "oprf.key").write_bytes(holder.oprf_key)
    stats = holder.publish_stats
    return {
        "records": stats.records,
        "tokens": stats.tokens,
        "seconds": round(seconds, 2),
        "records_per_s": round(stats.records / seconds, 1),
        "spilled_to_disk": stats.spilled,
        "database_bytes": (data / "holder.ppmdb").stat().st_size,
        **_peak_rss_mb(),
    }


def phase_query(data: Path, workers: int) -> dict:
    import pandas as pd
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ppmatch.protocols import Holder, HolderDatabase, Querier, ScreeningConfig
    from ppmatch.protocols.demo import accuracy

    config = ScreeningConfig.default(linkage_secret=bytes.fromhex((data / "secret").read_text()))
    started = time.perf_counter()
    database = HolderDatabase.read(data / "holder.ppmdb")
    load = time.perf_counter() - started
    holder = Holder(
        config,
        oprf_key=(data / "oprf.key").read_bytes(),
        signing_key=Ed25519PrivateKey.generate(),
        workers=workers,
    )
    querier = Querier(config, workers=workers)
    times = {"load_database": load}
    started = time.perf_counter()
    request = querier.prepare(data / "travelers.csv").to_bytes()
    times["prepare"] = time.perf_counter() - started
    started = time.perf_counter()
    response = holder.evaluate(request).to_bytes()
    times["evaluate"] = time.perf_counter() - started
    started = time.perf_counter()
    result = querier.finish(response, database)
    times["finish"] = time.perf_counter() - started
    protocol_seconds = times["prepare"] + times["evaluate"] + times["finish"]
    truth = pd.read_csv(data / "truth.csv", dtype=str)
    return {
        "records": querier.stats.records,
        "elements": querier.stats.elements,
        "seconds": {k: round(v, 2) for k, v in times.items()},
        "records_per_s": round(querier.stats.records / protocol_seconds, 1),
        "request_bytes": len(request),
        "response_bytes": len(response),
        "accuracy": accuracy(result.to_frame().to_dict("records"), truth),
        **_peak_rss_mb(),
    }


def run_phase(phase: str, data: Path, workers: int) -> dict:
    """Run one phase in a fresh interpreter; returns its JSON report."""
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            phase,
            "--data",
            str(data),
            "--workers",
            str(workers),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--felons", default="100000,1000000")
    parser.add_argument("--travelers", type=int, default=10_000)
    parser.add_argument("--overlap", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--phase", choices=["publish", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS / "screening.json")
    args = parser.parse_args()
    from ppmatch.crypto.parallel import available_cores

    workers = args.workers or available_cores()
    if args.phase:
        report = (
            phase_publish(args.data, workers)
            if args.phase == "publish"
            else phase_query(args.data, workers)
        )
        print(json.dumps(report))
        return

    from ppmatch.protocols import ScreeningConfig
    from ppmatch.synth import generate

    rates = raw_bound()
    per_token = 1 / rates["hash_to_group_per_s"] + 1 / rates["scalar_mult_per_s"]
    per_element = 1 / rates["hash_to_group_per_s"] + 6 / rates["scalar_mult_per_s"]
    tokens_per_record = ScreeningConfig.default(linkage_secret=bytes(32)).tokens_per_record
    report = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": available_cores(),
            "workers": workers,
        },
        "raw_single_core": {k: round(v, 1) for k, v in rates.items()},
        "runs": [],
    }
    for felons in (int(n) for n in args.felons.split(",")):
        with tempfile.TemporaryDirectory(prefix="ppmatch-bench-") as scratch:
            data = Path(scratch)
            started = time.perf_counter()
            generate(data, travelers=args.travelers, felons=felons, overlap=args.overlap, seed=11)
            (data / "secret").write_text(os.urandom(32).hex())
            synth_seconds = time.perf_counter() - started
            publish = run_phase("publish", data, workers)
            query = run_phase("query", data, workers)
        publish_bound = workers / (publish["tokens"] / publish["records"] * per_token)
        query_bound = workers / (tokens_per_record * per_element)
        run = {
            "felons": felons,
            "travelers": args.travelers,
            "synth_seconds": round(synth_seconds, 1),
            "publish": publish
            | {
                "bound_records_per_s": round(publish_bound, 1),
                "ratio_to_bound": round(publish_bound / publish["records_per_s"], 2),
            },
            "query": query
            | {
                "bound_records_per_s": round(query_bound, 1),
                "ratio_to_bound": round(query_bound / query["records_per_s"], 2),
            },
            "bytes_per_holder_record": round(publish["database_bytes"] / publish["records"], 1),
        }
        report["runs"].append(run)
        print(json.dumps(run), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
