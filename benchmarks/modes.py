"""Throughput of the other protocol modes (PSI-sum, mutual DH-PSI, linkage unit).

Generates a labeled synthetic scenario, normalizes and keys it once (timed separately), then
runs each mode with both roles in this process and every message through to_bytes/from_bytes.
Each mode's throughput is elements (records of both sides) per CPU-second, reported as a ratio
to raw scalar multiplications per CPU-second of the same suite measured in the same run (the
DH modes cost about two multiplications per element, so 0.5 is their ceiling without Python
overhead; PSI-sum adds one Paillier encryption per holder record, whose rate is reported as a
second baseline). CPU time of this process is used so that other load on the machine skews the
ratios less. Also reports bytes each way and, against the scenario's truth, precision and recall
of the pairs each mode can output. Writes ``benchmarks/results/modes.json`` (``modes-<suite>.json`` for another suite).

    .venv/bin/python benchmarks/modes.py [--travelers 2000] [--felons 1000] [--overlap 300]
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import os
import platform
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd

from ppmatch.crypto import get_suite
from ppmatch.crypto.dh import blind_chunk
from ppmatch.crypto.group import random_nonzero_scalar
from ppmatch.crypto.parallel import available_cores
from ppmatch.encoding import LinkageSchema
from ppmatch.protocols._modes_paillier import PaillierKey
from ppmatch.protocols._modes_records import ExactKeyer, load_records
from ppmatch.protocols.linkage_unit import (
    ClkSubmission,
    LinkageUnit,
    LinkageUnitParty,
    MatchReport,
)
from ppmatch.protocols.mutual_psi import (
    MutualFinish,
    MutualHello,
    MutualReply,
    PsiInitiator,
    PsiResponder,
)
from ppmatch.protocols.psi_sum import (
    MaskedSum,
    SumHolder,
    SumQuerier,
    SumRequest,
    SumResponse,
    SumReveal,
)
from ppmatch.synth import generate

RESULTS = Path(__file__).resolve().parent / "results"


def cpu_model() -> str:
    for line in (
        Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    ):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def raw_mults_per_cpu_second(suite_name: str, count: int = 3000) -> float:
    group = get_suite(suite_name).group
    element = group.generator_mult(random_nonzero_scalar(group.order))
    scalar = random_nonzero_scalar(group.order)
    started = time.process_time()
    for _ in range(count):
        group.encode(group.mult(scalar, element))
    return count / (time.process_time() - started)


def paillier_encryptions_per_cpu_second(count: int = 100) -> float:
    key = PaillierKey()
    started = time.process_time()
    key.encrypt_many(list(range(count)))
    return count / (time.process_time() - started)


def timed(function):
    started = time.process_time()
    result = function()
    return result, time.process_time() - started


def precision_recall(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, float]:
    hits = len(found & truth)
    return {
        "pairs": len(found),
        "true_pairs": hits,
        "precision": round(hits / len(found), 4) if found else 1.0,
        "recall": round(hits / len(truth), 4) if truth else 1.0,
    }


def run_psi_sum(suite, held, holder_keys, querier_keys):
    def protocol():
        holder = SumHolder(suite, holder_keys, held.values)
        querier = SumQuerier(suite, querier_keys)
        request = querier.request().to_bytes()
        response = holder.respond(SumRequest.from_bytes(request)).to_bytes()
        masked = querier.mask(SumResponse.from_bytes(response)).to_bytes()
        reveal = holder.reveal(MaskedSum.from_bytes(masked)).to_bytes()
        result = querier.finish(SumReveal.from_bytes(reveal))
        return result, len(request) + len(masked), len(response) + len(reveal)

    return timed(protocol)


def run_mutual(suite, a_ids, a_keys, b_ids, b_keys, cardinality_only, pool=None):
    def protocol():
        a = PsiInitiator(suite, a_ids, a_keys, cardinality_only=cardinality_only, pool=pool)
        b = PsiResponder(suite, b_ids, b_keys, cardinality_only=cardinality_only, pool=pool)
        hello = a.hello().to_bytes()
        reply = b.reply(MutualHello.from_bytes(hello)).to_bytes()
        finish, a_result = a.finish(MutualReply.from_bytes(reply))
        finish_bytes = finish.to_bytes()
        b_result = b.finish(MutualFinish.from_bytes(finish_bytes))
        return a_result, b_result, len(hello) + len(finish_bytes), len(reply)

    return timed(protocol)


def run_linkage_unit(schema, a_records, b_records, threshold):
    def protocol():
        secret = os.urandom(32)
        a, b = LinkageUnitParty(schema, secret, "a"), LinkageUnitParty(schema, secret, "b")
        unit = LinkageUnit(schema, threshold=threshold)
        submissions = [a.submit(a_records).to_bytes(), b.submit(b_records).to_bytes()]
        for data in submissions:
            unit.receive(ClkSubmission.from_bytes(data))
        reports = [r.to_bytes() for r in unit.link()]
        a_rows = a.resolve(MatchReport.from_bytes(reports[0]))
        b_ids = {
            (row.other_index, row.own_index): row.record_id
            for row in b.resolve(MatchReport.from_bytes(reports[1]))
        }
        pairs = {(row.record_id, b_ids[(row.own_index, row.other_index)]) for row in a_rows}
        return pairs, sum(map(len, submissions)), sum(map(len, reports))

    return timed(protocol)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--travelers", type=int, default=2000)
    parser.add_argument("--felons", type=int, default=1000)
    parser.add_argument("--overlap", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--suite", default="ristretto255-SHA512")
    parser.add_argument("--threshold", type=float, default=0.92)
    args = parser.parse_args()

    schema = LinkageSchema.default()
    with tempfile.TemporaryDirectory() as folder:
        generate(
            folder,
            travelers=args.travelers,
            felons=args.felons,
            overlap=args.overlap,
            seed=args.seed,
        )
        felons = pd.read_csv(Path(folder) / "felons.csv", dtype=str, keep_default_na=False)
        felons["convictions"] = [str(1 + i % 3) for i in range(len(felons))]
        felons.to_csv(Path(folder) / "felons_valued.csv", index=False)
        with open(Path(folder) / "truth.csv", newline="") as handle:
            truth = {(r["traveler_id"], r["felon_id"]) for r in csv.DictReader(handle)}
        (held, queried), load_seconds = timed(
            lambda: (
                load_records(Path(folder) / "felons_valued.csv", value_column="convictions"),
                load_records(Path(folder) / "travelers.csv"),
            )
        )
    keyer = ExactKeyer(schema, os.urandom(32), "benchmark")
    (holder_keys, querier_keys), key_seconds = timed(
        lambda: (keyer.keys(held.records), keyer.keys(queried.records))
    )
    elements = len(held.records) + len(queried.records)
    raw = raw_mults_per_cpu_second(args.suite)

    def figures(seconds: float) -> dict[str, float]:
        """The mode's rate, and its ratio to raw mults measured again right after it (the mean of
        the rates before and after), so that load changing during the run skews it less."""
        nonlocal raw
        after = raw_mults_per_cpu_second(args.suite)
        per_second = elements / seconds
        baseline = (raw + after) / 2
        raw = after
        return {
            "cpu_seconds": round(seconds, 3),
            "elements_per_second": round(per_second, 1),
            "raw_mults_per_cpu_second": round(baseline, 1),
            "ratio_to_raw_mults": round(per_second / baseline, 4),
        }

    report: dict[str, object] = {
        "suite": args.suite,
        "cpu": cpu_model(),
        "travelers": len(queried.records),
        "felons": len(held.records),
        "overlap": args.overlap,
        "raw_scalar_mults_per_cpu_second_at_start": round(raw, 1),
        "paillier_encryptions_per_cpu_second": round(paillier_encryptions_per_cpu_second(), 1),
        "normalize_seconds": round(load_seconds, 3),
        "exact_key_seconds": round(key_seconds, 3),
    }

    (result, q_bytes, h_bytes), seconds = run_psi_sum(args.suite, held, holder_keys, querier_keys)
    report["psi_sum"] = {
        **figures(seconds),
        "count": result.intersection_size,
        "sum": result.total,
        "bytes_querier_to_holder": q_bytes,
        "bytes_holder_to_querier": h_bytes,
    }

    a_ids = [r.record_id for r in queried.records]
    b_ids = [r.record_id for r in held.records]
    for name, cardinality_only in (("mutual_psi", False), ("mutual_psi_cardinality", True)):
        (a_result, b_result, a_bytes, b_bytes), seconds = run_mutual(
            args.suite, a_ids, querier_keys, b_ids, holder_keys, cardinality_only
        )
        entry = {
            **figures(seconds),
            "count": a_result.intersection_size,
            "bytes_a_to_b": a_bytes,
            "bytes_b_to_a": b_bytes,
        }
        if not cardinality_only:
            matched = set(a_result.matched_record_ids)
            partners = {f for t, f in truth if t in matched}
            entry["travelers_matched_true"] = round(
                len(matched & {t for t, _ in truth}) / max(len(matched), 1), 4
            )
            entry["recall_of_truth"] = round(
                len(partners & set(b_result.matched_record_ids)) / len(truth), 4
            )
        report[name] = entry

    # Wall clock, serial vs the DH operations on a process pool of all cores (pool warmed first).
    cores = available_cores()
    with ProcessPoolExecutor(cores, mp_context=multiprocessing.get_context("spawn")) as pool:
        warm_key = get_suite(args.suite).group.encode_scalar(1)
        list(
            pool.map(
                blind_chunk, [args.suite] * cores, [warm_key] * cores, [[b"w"]] * cores, [0] * cores
            )
        )
        started = time.perf_counter()
        run_mutual(args.suite, a_ids, querier_keys, b_ids, holder_keys, False)
        serial_wall = time.perf_counter() - started
        started = time.perf_counter()
        run_mutual(args.suite, a_ids, querier_keys, b_ids, holder_keys, False, pool)
        pool_wall = time.perf_counter() - started
    report["mutual_psi_pool"] = {
        "workers": cores,
        "serial_wall_seconds": round(serial_wall, 3),
        "pool_wall_seconds": round(pool_wall, 3),
        "speedup": round(serial_wall / pool_wall, 2),
    }

    (pairs, to_unit, from_unit), seconds = run_linkage_unit(
        schema, queried.records, held.records, args.threshold
    )
    report["linkage_unit"] = {
        **figures(seconds),
        "threshold": args.threshold,
        **precision_recall(pairs, truth),
        "bytes_to_unit": to_unit,
        "bytes_from_unit": from_unit,
    }

    print(json.dumps(report, indent=2))
    name = "modes.json" if args.suite == "ristretto255-SHA512" else f"modes-{args.suite}.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / name).write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
