"""``query run``: prepare, evaluate over HTTPS and finish in one go, resumable step by step.

Each completed step leaves its output in the work directory (database, request bundle and
sealed state, response bundle) and is recorded in ``progress.json``; a run restarted with
``resume=True`` skips what is done. Because the service answers a resent request with the
stored response, a run killed while waiting for the answer resumes without a second charge.
"""

from __future__ import annotations

import json
from pathlib import Path

from ppmatch.errors import InputError
from ppmatch.exchange.atomic import atomic_write_bytes, atomic_write_text
from ppmatch.exchange.holder_side import file_sha256
from ppmatch.exchange.querier_side import FinishSummary, QuerierSide
from ppmatch.transport.client import HolderClient


def run_online_query(
    side: QuerierSide,
    client: HolderClient,
    travelers: Path,
    work_dir: Path,
    results_out: Path,
    *,
    resume: bool,
) -> FinishSummary:
    work_dir = Path(work_dir)
    progress_path = work_dir / "progress.json"
    job = {"travelers_sha256": file_sha256(travelers), "server": client.base_url}
    if progress_path.exists():
        if not resume:
            raise InputError(
                f"{work_dir} holds an earlier run; pass --resume to continue it or use an "
                "empty work directory"
            )
        progress = json.loads(progress_path.read_text(encoding="utf-8"))
        if progress.get("job") != job:
            raise InputError(f"{work_dir} belongs to a run with other travelers or server")
    else:
        work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        progress = {"job": job, "done": []}

    def mark(step: str) -> None:
        progress["done"].append(step)
        atomic_write_text(progress_path, json.dumps(progress, sort_keys=True))

    database = work_dir / "database.ppmdb"
    request = work_dir / "request.ppm"
    response = work_dir / "response.ppm"
    if "database" not in progress["done"]:
        client.download_database(database)
        mark("database")
    if "prepare" not in progress["done"]:
        side.prepare(travelers, database, request, work_dir)
        mark("prepare")
    if "evaluate" not in progress["done"]:
        atomic_write_bytes(response, client.evaluate(request.read_bytes()))
        mark("evaluate")
    summary = side.finish(response, work_dir, database, results_out)
    mark("finish")
    return summary
