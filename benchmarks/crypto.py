"""Crypto-layer throughput: raw backend operations vs. the OPRF pipeline, serial and pooled.

Prints, per suite, raw scalar multiplications/s and hash-to-group/s, then the pipeline's
elements/s for blind, evaluate (blind-evaluate, modes 0 and 1), finalize (modes 0 and 1) and
direct evaluate, serial and over a process pool on all cores. Each pipeline figure is also
given as a ratio to the *raw bound*: the throughput the raw operations that stage performs
per element would reach with no Python around them (e.g. finalize in VOPRF mode = three
scalar multiplications + one hash-to-scalar + one hash per element). Every figure is the best
of ``--repeat`` rounds in which, per stage, the raw loop, the serial pipeline and the pool run
back to back; ratios are medians of per-round ratios. Serial ratios compare CPU time of this
process (so other load on the machine skews them less); pool speed-ups compare wall-clock
time with the serial wall-clock run ("speedup"); run it on an otherwise idle machine, since
other processes sharing the cores lower the pool figures. Writes JSON with the CPU model to
``benchmarks/results/crypto.json``.

    .venv/bin/python benchmarks/crypto.py [--elements 4000] [--repeat 5] [--suite NAME]
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ppmatch.crypto import OPRFClient, OPRFServer, generate_key_pair, get_suite, parallel
from ppmatch.crypto._sodium import libsodium
from ppmatch.crypto.h2c import XmdExpander

RESULTS = Path(__file__).resolve().parent / "results" / "crypto.json"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def seconds(operation: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds of this process, wall seconds) for one run of ``operation``."""
    cpu, wall = time.process_time(), time.perf_counter()
    operation()
    return time.process_time() - cpu, time.perf_counter() - wall


def raw_ops(name: str, count: int) -> dict[str, Callable[[], None]]:
    """Tight loops of ``count`` raw operations straight on the backend."""
    suite = get_suite(name)
    group = suite.group
    expander = XmdExpander(group.hash_name, b"HashToGroup-bench")
    scalar_expander = XmdExpander(group.hash_name, b"HashToScalar-bench")
    messages = [b"token-%d" % i for i in range(count)]
    final_hash = getattr(hashlib, suite.hash_name)
    key = int.from_bytes(os.urandom(40), "big") % group.order
    point = group.map_to_group(expander.expand(b"x", group.uniform_group_bytes))
    encoded = group.encode(point)
    length = group.uniform_group_bytes

    if name.startswith("ristretto"):
        lib = libsodium()
        scalarmult = lib.crypto_scalarmult_ristretto255
        from_hash = lib.crypto_core_ristretto255_from_hash
        key_bytes = key.to_bytes(32, "little")
        out = ctypes.create_string_buffer(32)

        def smul() -> None:
            for _ in range(count):
                scalarmult(out, key_bytes, point)

        def h2g() -> None:
            for message in messages:
                from_hash(out, expander.expand(message, length))

        add = lib.crypto_core_ristretto255_add
        other = group.map_to_group(expander.expand(b"y", length))

        def point_add() -> None:
            for _ in range(count):
                add(out, point, other)

        def decode() -> None:  # libsodium decodes and validates inside each multiplication
            pass

        def encode() -> None:  # ... and returns encodings
            pass
    else:

        def smul() -> None:
            for _ in range(count):
                point * key

        def h2g() -> None:
            for message in messages:
                group.map_to_group(expander.expand(message, length))

        other = group.map_to_group(expander.expand(b"y", length))

        def point_add() -> None:
            for _ in range(count):
                point + other

        def decode() -> None:
            for _ in range(count):
                group.decode(encoded)

        def encode() -> None:
            for _ in range(count):
                group.encode(point)

    def h2s() -> None:
        for message in messages:
            group.scalar_from_uniform(scalar_expander.expand(message, group.uniform_scalar_bytes))

    def digest() -> None:
        for message in messages:
            final_hash(message + encoded + b"Finalize").digest()

    return {
        "smul": smul,
        "add": point_add,
        "h2g": h2g,
        "h2s": h2s,
        "hash": digest,
        "decode": decode,
        "encode": encode,
    }


# Raw operations each pipeline stage performs per element. VOPRF composites cost one point
# addition per term (M on the server; M and Z on the client). decode/encode are P-256 point
# (de)compression; libsodium does them inside its ristretto255 operations.
STAGE_OPS = {
    "blind": {"h2g": 1, "smul": 1, "encode": 1},
    "evaluate_mode0": {"decode": 1, "smul": 1, "encode": 1},
    "evaluate_mode1": {"decode": 1, "smul": 2, "add": 1, "h2s": 1, "encode": 1},
    "finalize_mode0": {"decode": 1, "smul": 1, "encode": 1, "hash": 1},
    "finalize_mode1": {"decode": 2, "smul": 3, "add": 2, "h2s": 1, "encode": 1, "hash": 1},
    "direct_evaluate": {"h2g": 1, "smul": 1, "encode": 1, "hash": 1},
}


def pipeline(
    name: str, count: int, runner: parallel.BatchRunner | None
) -> dict[str, Callable[[], object]]:
    """One batch of ``count`` elements per stage, serial (``runner=None``) or pooled."""
    inputs = [b"agreement|rule|token-%d" % i for i in range(count)]
    private_key, public_key = generate_key_pair(name, 1)
    servers = {mode: OPRFServer(name, private_key, mode=mode) for mode in (0, 1)}
    clients = {mode: OPRFClient(name, mode=mode, server_public_key=public_key) for mode in (0, 1)}
    blinds, blinded = clients[0].blind_batch(inputs)
    responses = {mode: servers[mode].blind_evaluate_batch(blinded) for mode in (0, 1)}

    def stage(mode: int, kind: str) -> Callable[[], object]:
        server, client = servers[mode], clients[mode]
        evaluated, proof = responses[mode]
        if runner is None:
            return {
                "blind": lambda: client.blind_batch(inputs),
                "evaluate": lambda: server.blind_evaluate_batch(blinded),
                "finalize": lambda: client.finalize_batch(
                    inputs, blinds, evaluated, blinded, proof
                ),
                "direct": lambda: server.evaluate_batch(inputs),
            }[kind]
        return {
            "blind": lambda: runner.blind(name, mode, inputs),
            "evaluate": lambda: runner.blind_evaluate(server, blinded),
            "finalize": lambda: runner.finalize(client, inputs, blinds, evaluated, blinded, proof),
            "direct": lambda: runner.evaluate(server, inputs),
        }[kind]

    plan = {
        "blind": stage(0, "blind"),
        "evaluate_mode0": stage(0, "evaluate"),
        "evaluate_mode1": stage(1, "evaluate"),
        "finalize_mode0": stage(0, "finalize"),
        "finalize_mode1": stage(1, "finalize"),
        "direct_evaluate": stage(0, "direct"),
    }
    return plan


def bench_suite(name: str, count: int, repeat: int, runner: parallel.BatchRunner) -> dict:
    """Per stage and round: the stage's raw operations, the serial pipeline and the pool run
    back to back on the same batch, so load from other processes hits all three alike.

    Rates are best-of-rounds; ratios are medians of the per-round ratios. Serial vs raw
    compares CPU time of this process; the pool is wall-clock against the serial wall-clock.
    """
    ops = raw_ops(name, count)
    serial_plan = pipeline(name, count, None)
    pool_plan = pipeline(name, count, runner)
    # Start the pool's workers before timing: their one-off start-up is not per-element work.
    pool_plan[next(iter(STAGE_OPS))]()
    stages = {}
    for label, stage_ops in STAGE_OPS.items():

        def raw_stage(stage_ops: dict[str, int] = stage_ops) -> None:
            for op, times in stage_ops.items():
                for _ in range(times):
                    ops[op]()

        rounds = []
        for _ in range(repeat):
            raw_cpu, _raw_wall = seconds(raw_stage)
            serial_cpu, serial_wall = seconds(serial_plan[label])
            _parent_cpu, pool_wall = seconds(pool_plan[label])
            rounds.append((raw_cpu, serial_cpu, serial_wall, pool_wall))
        raw_cpu, serial_cpu, serial_wall, pool_wall = (
            min(column) for column in zip(*rounds, strict=True)
        )
        stages[label] = {
            "raw_bound_per_s": round(count / raw_cpu, 1),
            "serial_per_s": round(count / serial_cpu, 1),
            "serial_vs_bound": round(statistics.median(r[0] / r[1] for r in rounds), 3),
            "serial_wall_per_s": round(count / serial_wall, 1),
            "pool_per_s": round(count / pool_wall, 1),
            "pool_vs_bound": round(raw_cpu / pool_wall, 3),
            "pool_speedup": round(statistics.median(r[2] / r[3] for r in rounds), 2),
        }
    single = {op: min(seconds(fn)[0] for _ in range(repeat)) / count for op, fn in ops.items()}
    return {
        "raw_scalar_mults_per_s": round(1.0 / single["smul"], 1),
        "raw_hash_to_group_per_s": round(1.0 / single["h2g"], 1),
        "raw_seconds_per_op": single,
        "stages": stages,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elements", type=int, default=4000, help="batch size (ristretto255)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--suite", action="append", help="suite name (default: both)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    cores = parallel.available_cores()
    report = {
        "cpu_model": cpu_model(),
        "cores": cores,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "elements": args.elements,
        "repeat": args.repeat,
        "load_average_before": list(os.getloadavg()),
        "suites": {},
    }
    with parallel.BatchRunner(cores) as runner:
        runner.start()
        for name in args.suite or ["ristretto255-SHA512", "P256-SHA256"]:
            # P-256 is ~10x slower per operation: a tenth of the batch keeps runs comparable.
            count = args.elements if name.startswith("ristretto") else max(128, args.elements // 8)
            result = bench_suite(name, count, args.repeat, runner)
            result["elements"] = count
            report["suites"][name] = result
            print(f"\n{name} ({count} elements, {cores} cores, {report['cpu_model']})")
            print(
                f"  raw scalar mults/s {result['raw_scalar_mults_per_s']:>10,.0f}   "
                f"raw hash-to-group/s {result['raw_hash_to_group_per_s']:>10,.0f}"
            )
            print(
                f"  {'stage':<16}{'raw bound/s':>12}{'serial/s':>11}{'ratio':>7}"
                f"{'pool/s':>11}{'ratio':>7}{'speedup':>9}"
            )
            for label, row in result["stages"].items():
                print(
                    f"  {label:<16}{row['raw_bound_per_s']:>12,.0f}{row['serial_per_s']:>11,.0f}"
                    f"{row['serial_vs_bound']:>7.2f}{row['pool_per_s']:>11,.0f}"
                    f"{row['pool_vs_bound']:>7.2f}{row['pool_speedup']:>8.2f}x"
                )
    report["load_average_after"] = list(os.getloadavg())
    print(
        f"\nload average before {report['load_average_before'][0]:.2f}, "
        f"after {report['load_average_after'][0]:.2f} (other processes share these cores)"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwrote {args.output}")


if __name__ == "__main__":
    main()
