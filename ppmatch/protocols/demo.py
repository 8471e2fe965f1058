"""``ppmatch demo``: two agencies screen each other's travelers, each in its own process.

Each agency process owns its data and keys and talks to the other only through a pipe of
raw bytes (no pickle): X25519 public keys to derive the shared linkage secret, Ed25519 keys,
then per direction the signed holder database, the evaluation request and the response. The
parent generates the data, starts the two agencies, scores the results against the known
truth and writes matches CSVs plus a self-contained HTML report.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import queue
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

import pandas as pd
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ppmatch.crypto.kdf import hkdf
from ppmatch.crypto.parallel import available_cores
from ppmatch.protocols.config import ScreeningConfig
from ppmatch.protocols.database import HolderDatabase
from ppmatch.protocols.holder import Holder
from ppmatch.protocols.querier import Querier

AGENCIES = ("agency-a", "agency-b")


class _Channel:
    """Bytes over a pipe; sends run on a thread so both agencies may send at once."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._outbox: queue.Queue[bytes | None] = queue.Queue()
        self._sender = threading.Thread(target=self._send_loop, daemon=True)
        self._sender.start()
        self.sent = 0
        self.received = 0

    def _send_loop(self) -> None:
        while (message := self._outbox.get()) is not None:
            self._connection.send_bytes(message)

    def send(self, message: bytes) -> None:
        self.sent += len(message)
        self._outbox.put(message)

    def receive(self) -> bytes:
        message = self._connection.recv_bytes()
        self.received += len(message)
        return message

    def close(self) -> None:
        self._outbox.put(None)
        self._sender.join()


def _raw(public_key) -> bytes:
    return public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def run_agency(
    name: str, data_dir: str, connection: Connection, reports: multiprocessing.Queue, workers: int
) -> None:
    """One agency: holder of its felons for the partner, querier of its travelers."""
    try:
        reports.put(json.dumps(_agency(name, Path(data_dir), _Channel(connection), workers)))
    except Exception as error:  # report, do not hang the parent
        reports.put(json.dumps({"agency": name, "error": f"{type(error).__name__}: {error}"}))


def _agency(name: str, data_dir: Path, channel: _Channel, workers: int) -> dict:
    timings: dict[str, float] = {}
    exchange_key = X25519PrivateKey.generate()
    signing_key = Ed25519PrivateKey.generate()
    channel.send(_raw(exchange_key.public_key()) + _raw(signing_key.public_key()))
    partner_keys = channel.receive()
    shared = exchange_key.exchange(X25519PublicKey.from_public_bytes(partner_keys[:32]))
    # Both agencies derive the same secret; it never crosses the pipe.
    secret = hkdf(shared, salt=b"ppmatch demo agreement", info=b"linkage secret", length=32)
    config = ScreeningConfig.default(linkage_secret=secret)

    started = time.perf_counter()
    holder = Holder(config, signing_key=signing_key, workers=workers)
    channel.send(holder.publish(data_dir / f"{name}-felons.csv").to_bytes())
    timings["publish"] = time.perf_counter() - started

    querier = Querier(config, workers=workers)
    started = time.perf_counter()
    partner_database = HolderDatabase.from_bytes(
        channel.receive(), expected_signer=partner_keys[32:]
    )
    timings["wait_and_load_partner_database"] = time.perf_counter() - started
    started = time.perf_counter()
    channel.send(querier.prepare(data_dir / f"{name}-travelers.csv").to_bytes())
    timings["prepare"] = time.perf_counter() - started

    started = time.perf_counter()
    partner_request = channel.receive()
    timings["wait_for_partner_request"] = time.perf_counter() - started
    started = time.perf_counter()
    channel.send(holder.evaluate(partner_request).to_bytes())
    timings["evaluate_partner_request"] = time.perf_counter() - started

    started = time.perf_counter()
    response = channel.receive()
    timings["wait_for_response"] = time.perf_counter() - started
    started = time.perf_counter()
    result = querier.finish(response, partner_database)
    timings["finish"] = time.perf_counter() - started
    holder.close()
    querier.close()
    channel.close()
    return {
        "agency": name,
        "holder_records": holder.publish_stats.records,
        "tokens_published": holder.publish_stats.tokens,
        "querier_records": querier.stats.records,
        "elements_evaluated_for_partner": holder.evaluation_stats.elements,
        "bytes_sent": channel.sent,
        "bytes_received": channel.received,
        "seconds": {k: round(v, 3) for k, v in timings.items()},
        "rows": result.to_frame().to_dict("records"),
        "payload_fields": list(result.payload_fields),
    }


def _generate(data_dir: Path, *, travelers: int, felons: int, overlap: int, seed: int) -> None:
    """Per agency: its travelers and its felons; the truth links A's travelers to B's felons
    and B's travelers to A's felons."""
    from ppmatch.synth import generate

    for index, (querier_name, holder_name) in enumerate((AGENCIES, AGENCIES[::-1])):
        scratch = data_dir / f"synth-{querier_name}"
        generate(scratch, travelers=travelers, felons=felons, overlap=overlap, seed=seed + index)
        (scratch / "travelers.csv").replace(data_dir / f"{querier_name}-travelers.csv")
        (scratch / "felons.csv").replace(data_dir / f"{holder_name}-felons.csv")
        (scratch / "truth.csv").replace(
            data_dir / f"truth-{querier_name}-screens-{holder_name}.csv"
        )
        for leftover in scratch.iterdir():
            leftover.unlink()
        scratch.rmdir()


def accuracy(rows: list[dict], truth: pd.DataFrame) -> dict:
    """Precision and recall of the ``match`` decisions against the generator's truth."""
    found = {
        (r["querier_record_id"], r["holder_record_id"]) for r in rows if r["decision"] == "match"
    }
    expected = set(zip(truth.iloc[:, 0].astype(str), truth.iloc[:, 1].astype(str), strict=True))
    correct = len(found & expected)
    return {
        "matches": len(found),
        "true_pairs": len(expected),
        "correct": correct,
        "precision": round(correct / len(found), 4) if found else 1.0,
        "recall": round(correct / len(expected), 4) if expected else 1.0,
        "reviews": sum(r["decision"] == "review" for r in rows),
    }


def run_demo(
    out: str | Path,
    *,
    travelers: int = 2_000,
    felons: int = 5_000,
    overlap: int = 200,
    seed: int = 7,
    workers: int | None = None,
) -> str:
    """Generate, run both agencies in their own processes, write CSVs and the report."""
    from ppmatch.errors import PpmatchError
    from ppmatch.protocols.report import write_report

    out = Path(out)
    data_dir = out / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    _generate(data_dir, travelers=travelers, felons=felons, overlap=overlap, seed=seed)
    generate_seconds = time.perf_counter() - started

    workers = workers or max(1, available_cores() // 2)
    context = multiprocessing.get_context("spawn")
    reports = context.Queue()
    end_a, end_b = context.Pipe(duplex=True)
    processes = [
        context.Process(
            target=run_agency, args=(name, str(data_dir), end, reports, workers), name=name
        )
        for name, end in zip(AGENCIES, (end_a, end_b), strict=True)
    ]
    started = time.perf_counter()
    for process in processes:
        process.start()
    results = {}
    for _ in processes:
        report = json.loads(reports.get(timeout=3600))
        results[report["agency"]] = report
    for process in processes:
        process.join()
    protocol_seconds = time.perf_counter() - started
    failures = [r["error"] for r in results.values() if "error" in r]
    if failures:
        raise PpmatchError(f"demo: an agency failed: {failures[0]}")

    directions = []
    for querier_name, holder_name in (AGENCIES, AGENCIES[::-1]):
        report = results[querier_name]
        frame = pd.DataFrame.from_records(report["rows"])
        matches_path = out / f"matches-{querier_name}-screens-{holder_name}.csv"
        frame.to_csv(matches_path, index=False)
        truth = pd.read_csv(data_dir / f"truth-{querier_name}-screens-{holder_name}.csv", dtype=str)
        directions.append(
            {
                "querier": querier_name,
                "holder": holder_name,
                "matches_csv": str(matches_path),
                "accuracy": accuracy(report["rows"], truth),
                "querier_report": report,
                "holder_report": results[holder_name],
            }
        )
    summary = {
        "travelers_per_agency": travelers,
        "felons_per_agency": felons,
        "overlap": overlap,
        "workers_per_agency": workers,
        "generate_seconds": round(generate_seconds, 2),
        "protocol_seconds": round(protocol_seconds, 2),
    }
    report_path = out / "report.html"
    write_report(report_path, summary, directions)
    lines = [
        f"ppmatch demo: two agencies, {travelers} travelers and {felons} conviction records each "
        f"({overlap} travelers per agency have a conviction at the partner)",
    ]
    for direction in directions:
        acc = direction["accuracy"]
        q = direction["querier_report"]
        lines.append(
            f"  {direction['querier']} screens {direction['holder']}: {acc['matches']} matches "
            f"({acc['correct']} correct of {acc['true_pairs']} true), precision {acc['precision']:.3f}, "
            f"recall {acc['recall']:.3f}, {acc['reviews']} to review; sent {q['bytes_sent'] / 1e6:.1f} MB, "
            f"received {q['bytes_received'] / 1e6:.1f} MB"
        )
    lines.append(
        f"  time: data {generate_seconds:.1f} s, protocol (both directions) {protocol_seconds:.1f} s"
    )
    lines.append(f"  wrote {report_path} and {len(directions)} matches CSVs in {out}{os.sep}")
    return "\n".join(lines)
