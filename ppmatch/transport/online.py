"""``query run``: prepare, evaluate over HTTPS and finish in one go, resumable.

The travelers are screened in batches of ``batch_rows`` records (default: all in one batch);
each batch is its own session (request, response, partial results). Every completed step —
database download, and per batch prepare / evaluate / finish — leaves its output in the work
directory and is recorded in ``progress.json``; a run restarted with ``resume=True`` continues
from the last completed step. Because the service answers a resent request with the stored
response, a run killed while waiting for an answer resumes without a second charge.

Batching bounds what a kill can cost and the size of each request, at one price: threshold
shares pool per holder record *within* a batch, so a payload reached only by shares from
travelers in different batches is not disclosed (never more is disclosed than in one batch).
"""

from __future__ import annotations

import json
from pathlib import Path

from ppmatch.errors import InputError
from ppmatch.exchange.atomic import atomic_write_bytes, atomic_write_text
from ppmatch.exchange.holder_side import file_sha256
from ppmatch.exchange.querier_side import FinishSummary, QuerierSide
from ppmatch.transport.client import HolderClient


def _batches(travelers: Path, batch_rows: int):
    if batch_rows <= 0:
        yield travelers
        return
    from ppmatch.identity import read_records

    for batch in read_records(travelers, chunk_rows=batch_rows):
        yield [batch]


def run_online_query(
    side: QuerierSide,
    client: HolderClient,
    travelers: Path,
    work_dir: Path,
    results_out: Path,
    *,
    resume: bool,
    batch_rows: int = 0,
) -> FinishSummary:
    work_dir = Path(work_dir)
    progress_path = work_dir / "progress.json"
    job = {
        "travelers_sha256": file_sha256(travelers),
        "server": client.base_url,
        "batch_rows": batch_rows,
    }
    if progress_path.exists():
        if not resume:
            raise InputError(
                f"{work_dir} holds an earlier run; pass --resume to continue it or use an "
                "empty work directory"
            )
        progress = json.loads(progress_path.read_text(encoding="utf-8"))
        if progress.get("job") != job:
            raise InputError(f"{work_dir} belongs to a run with other travelers, server or batches")
    else:
        work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        progress = {"job": job, "done": []}

    def mark(step: str) -> None:
        progress["done"].append(step)
        atomic_write_text(progress_path, json.dumps(progress, sort_keys=True))

    database = work_dir / "database.ppmdb"
    if "database" not in progress["done"]:
        client.download_database(database)
        mark("database")
    total = FinishSummary(0, 0, 0, 0, 0)
    parts = []
    for index, batch in enumerate(_batches(travelers, batch_rows)):
        request = work_dir / f"request-{index:05d}.ppm"
        response = work_dir / f"response-{index:05d}.ppm"
        part = work_dir / f"matches-{index:05d}.csv"
        summary_path = work_dir / f"summary-{index:05d}.json"
        if f"prepare-{index}" not in progress["done"]:
            side.prepare(batch, database, request, work_dir)
            mark(f"prepare-{index}")
        if f"evaluate-{index}" not in progress["done"]:
            atomic_write_bytes(response, client.evaluate(request.read_bytes()))
            mark(f"evaluate-{index}")
        if f"finish-{index}" not in progress["done"]:
            summary = side.finish(response, work_dir, database, part)
            atomic_write_text(summary_path, json.dumps(summary.__dict__))
            mark(f"finish-{index}")
        done = json.loads(summary_path.read_text(encoding="utf-8"))
        for name, value in done.items():
            setattr(total, name, getattr(total, name) + value)
        parts.append(part.read_text(encoding="utf-8").splitlines(keepends=True))
    header = parts[0][:1] if parts else []
    atomic_write_text(results_out, "".join(header + [line for p in parts for line in p[1:]]))
    return total
