"""Both roles in one process, exchanging only serialized bytes: the same bytes as a real exchange.

Used by ``ppmatch simulate`` and by the tests: the holder and the querier are separate objects
that share the agreement (``ScreeningConfig``) and nothing else; every message goes through
``to_bytes``/``from_bytes`` and can be written to a transcript directory.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ppmatch.protocols.config import ScreeningConfig
from ppmatch.protocols.database import HolderDatabase
from ppmatch.protocols.holder import Holder
from ppmatch.protocols.querier import Querier
from ppmatch.protocols.records import RecordSource
from ppmatch.protocols.result import ScreeningResult


@dataclass
class Transcript:
    """Every message of a run, in order, with its direction (and optionally on disk)."""

    directory: Path | None = None
    messages: list[tuple[str, str, int]] = field(default_factory=list)  # (name, direction, bytes)

    def record(
        self, name: str, direction: str, data: bytes | None, size: int | None = None
    ) -> None:
        size = len(data) if data is not None else int(size or 0)
        self.messages.append((name, direction, size))
        if self.directory is not None and data is not None:
            index = len(self.messages)
            (self.directory / f"{index:02d}-{direction}-{name}.bin").write_bytes(data)

    def bytes_sent(self, direction: str) -> int:
        return sum(size for _, d, size in self.messages if d == direction)

    def write_index(self) -> None:
        if self.directory is None:
            return
        index = [
            {"order": i + 1, "message": name, "direction": direction, "bytes": size}
            for i, (name, direction, size) in enumerate(self.messages)
        ]
        (self.directory / "transcript.json").write_text(json.dumps(index, indent=2) + "\n")


HOLDER_TO_QUERIER = "holder-to-querier"
QUERIER_TO_HOLDER = "querier-to-holder"


def simulate(
    holder_records: RecordSource,
    querier_records: RecordSource,
    config: ScreeningConfig,
    *,
    workers: int | None = None,
    transcript_dir: str | Path | None = None,
    on_progress: Callable[[str, int], None] | None = None,
) -> tuple[ScreeningResult, dict]:
    """Run publish -> prepare -> evaluate -> finish; returns the result and a JSON-able summary.

    ``on_progress(phase, records)`` is called as each phase starts (records 0) and, while
    publishing, with the holder records published so far."""
    report = on_progress or (lambda phase, records: None)
    directory = Path(transcript_dir) if transcript_dir is not None else None
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    transcript = Transcript(directory)
    signing_key = Ed25519PrivateKey.generate()
    holder_identity = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    holder = Holder(config, signing_key=signing_key, workers=workers)
    querier = Querier(config, workers=workers)
    seconds: dict[str, float] = {}

    with tempfile.TemporaryDirectory(prefix="ppmatch-simulate-") as scratch:
        started = time.perf_counter()
        database_path = (directory or Path(scratch)) / "holder-database.ppmdb"
        report("publish", 0)
        holder.publish(
            holder_records, out=database_path, on_progress=lambda done: report("publish", done)
        )
        seconds["publish"] = time.perf_counter() - started
        transcript.record("holder-database", HOLDER_TO_QUERIER, None, database_path.stat().st_size)

        started = time.perf_counter()
        querier_copy = HolderDatabase.read(database_path, expected_signer=holder_identity)
        seconds["load_database"] = time.perf_counter() - started

        started = time.perf_counter()
        report("prepare", 0)
        request_bytes = querier.prepare(querier_records).to_bytes()
        seconds["prepare"] = time.perf_counter() - started
        transcript.record("evaluation-request", QUERIER_TO_HOLDER, request_bytes)

        started = time.perf_counter()
        report("evaluate", 0)
        response_bytes = holder.evaluate(request_bytes).to_bytes()
        seconds["evaluate"] = time.perf_counter() - started
        transcript.record("evaluation-response", HOLDER_TO_QUERIER, response_bytes)

        started = time.perf_counter()
        report("finish", 0)
        result = querier.finish(response_bytes, querier_copy)
        seconds["finish"] = time.perf_counter() - started
        del querier_copy
        holder.close()
        querier.close()
    transcript.write_index()

    summary = {
        "holder_records": holder.publish_stats.records,
        "querier_records": querier.stats.records,
        "tokens_published": holder.publish_stats.tokens,
        "querier_tokens": querier.stats.tokens,
        "tokens_evaluated": holder.evaluation_stats.elements,
        "bytes_holder_to_querier": transcript.bytes_sent(HOLDER_TO_QUERIER),
        "bytes_querier_to_holder": transcript.bytes_sent(QUERIER_TO_HOLDER),
        "candidates": result.candidates,
        "payloads_disclosed": querier.stats.payloads_disclosed,
        "matches": len(result.matches),
        "reviews": len(result.reviews),
        "seconds": {phase: round(value, 3) for phase, value in seconds.items()},
    }
    return result, summary
