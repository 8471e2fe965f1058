"""``ppmatch synth``: write travelers.csv, felons.csv and truth.csv for a seed.

Work is split into fixed-size chunks, each rendered from its own seed
(``SeedSequence([seed, file, chunk])``), so the bytes written do not depend on how many
worker processes ran them.
"""

from __future__ import annotations

import io
import itertools
import os
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ppmatch.errors import InputError
from ppmatch.synth.population import Population, add_hard_negatives, draw_people
from ppmatch.synth.render import render_felons, render_travelers
from ppmatch.synth.tables import name_tables

CHUNK_ROWS = 25_000
_MIN_CHUNKS_FOR_POOL = 4  # below ~100k rows, starting worker processes costs more than it saves
_PEOPLE, _ORDER, _TRAVELERS, _FELONS = 0, 1, 2, 3


@dataclass(frozen=True)
class SynthSummary:
    """What was written, and how fast."""

    travelers_path: Path
    felons_path: Path
    truth_path: Path
    travelers: int
    felons: int
    overlap: int
    seconds: float

    @property
    def records_per_second(self) -> float:
        return (self.travelers + self.felons) / max(self.seconds, 1e-9)


def _rng(seed: int, *stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence([seed, *stream]))


def _record_ids(prefix: str, count: int) -> np.ndarray:
    width = max(6, len(str(count)))
    if count == 0:
        return np.empty(0, dtype=object)
    numbers = np.char.zfill(np.arange(1, count + 1).astype(str), width)
    return np.char.add(prefix, numbers).astype(object)


def _render_chunk(
    task: tuple[int, int, int, Population, np.ndarray],
) -> bytes:
    """Render one chunk to CSV bytes (runs in a worker process)."""
    seed, stream, chunk, people, record_ids = task
    render = render_travelers if stream == _TRAVELERS else render_felons
    table = render(people, record_ids, _rng(seed, stream, chunk), name_tables())
    sink = io.BytesIO()
    options = pacsv.WriteOptions(include_header=chunk == 0, quoting_style="needed")
    pacsv.write_csv(table, sink, write_options=options)
    return sink.getvalue()


def _write_csv(path: Path, chunks: Iterator[bytes]) -> None:
    """Write to a temporary name and rename, so a partial file is never taken for a result."""
    partial = path.with_name(path.name + ".partial")
    with open(partial, "wb") as handle:
        for data in chunks:
            handle.write(data)
    os.replace(partial, path)


def validate_sizes(travelers: int, felons: int, overlap: int) -> None:
    for name, value in (("travelers", travelers), ("felons", felons), ("overlap", overlap)):
        if value < 0:
            raise InputError(f"--{name} must be zero or more, got {value}")
    if overlap > min(travelers, felons):
        raise InputError(
            f"--overlap {overlap} is larger than --travelers {travelers} or --felons {felons}"
        )


def generate(
    out_dir: str | os.PathLike[str],
    *,
    travelers: int,
    felons: int,
    overlap: int,
    seed: int,
    workers: int | None = None,
    chunk_rows: int = CHUNK_ROWS,
    on_chunk: Callable[[int], None] | None = None,
) -> SynthSummary:
    """Generate a labeled synthetic screening scenario into ``out_dir``.

    People ``[0, overlap)`` appear in both files (the felon copy corrupted), then travelers
    only, then felons only (some of them hard negatives of travelers). The bytes depend on
    ``seed`` and ``chunk_rows``, never on ``workers``. ``on_chunk`` is told
    the row count of every chunk written (for a progress bar).
    """
    validate_sizes(travelers, felons, overlap)
    started = time.perf_counter()
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{out}: cannot create output directory ({error.strerror})") from None
    tables = name_tables()
    population = travelers + felons - overlap
    people = draw_people(_rng(seed, _PEOPLE), population, tables)
    add_hard_negatives(
        _rng(seed, _PEOPLE, 1), people, slice(travelers, population), travelers, tables
    )

    order = _rng(seed, _ORDER)
    traveler_people = order.permutation(travelers)
    felon_pool = np.concatenate([np.arange(overlap), np.arange(travelers, population)])
    felon_people = felon_pool[order.permutation(felons)]
    traveler_ids = _record_ids("T", travelers)
    felon_ids = _record_ids("F", felons)

    def tasks(stream: int, rows: np.ndarray, ids: np.ndarray):
        for chunk, start in enumerate(range(0, max(len(rows), 1), chunk_rows)):
            part = rows[start : start + chunk_rows]
            yield seed, stream, chunk, people.take(part), ids[start : start + chunk_rows]

    jobs = [
        (out / "travelers.csv", list(tasks(_TRAVELERS, traveler_people, traveler_ids))),
        (out / "felons.csv", list(tasks(_FELONS, felon_people, felon_ids))),
    ]
    workers = workers or os.cpu_count() or 1
    total_chunks = sum(len(chunk_tasks) for _, chunk_tasks in jobs)
    all_tasks = [task for _, chunk_tasks in jobs for task in chunk_tasks]
    if workers > 1 and total_chunks >= _MIN_CHUNKS_FOR_POOL:
        # Arrow imports pandas lazily on first use; do it once here so forked workers inherit
        # it instead of each paying the import. One map over both files keeps every worker
        # busy; results come back in task order.
        pa.array([], pa.string())
        with ProcessPoolExecutor(max_workers=min(workers, total_chunks)) as pool:
            _write_files(jobs, _reported(pool.map(_render_chunk, all_tasks), all_tasks, on_chunk))
    else:
        _write_files(jobs, _reported(map(_render_chunk, all_tasks), all_tasks, on_chunk))

    truth_path = out / "truth.csv"
    _write_truth(truth_path, traveler_people, felon_people, traveler_ids, felon_ids, overlap)
    return SynthSummary(
        travelers_path=out / "travelers.csv",
        felons_path=out / "felons.csv",
        truth_path=truth_path,
        travelers=travelers,
        felons=felons,
        overlap=overlap,
        seconds=time.perf_counter() - started,
    )


def _write_files(jobs: list[tuple[Path, list]], chunks: Iterator[bytes]) -> None:
    for path, chunk_tasks in jobs:
        _write_csv(path, itertools.islice(chunks, len(chunk_tasks)))


def _reported(
    chunks: Iterator[bytes], tasks: list, on_chunk: Callable[[int], None] | None
) -> Iterator[bytes]:
    for data, task in zip(chunks, tasks, strict=True):
        if on_chunk is not None:
            on_chunk(len(task[4]))
        yield data


def _write_truth(
    path: Path,
    traveler_people: np.ndarray,
    felon_people: np.ndarray,
    traveler_ids: np.ndarray,
    felon_ids: np.ndarray,
    overlap: int,
) -> None:
    """The true pairs: overlap people's traveler and felon ids, in traveler-id order."""
    traveler_row = np.empty(len(traveler_people) + 1, dtype=np.int64)
    traveler_row[traveler_people] = np.arange(len(traveler_people))
    felon_row = np.full(max(len(traveler_people), int(felon_people.max(initial=0)) + 1), -1)
    felon_row[felon_people] = np.arange(len(felon_people))
    pairs = np.sort(traveler_row[:overlap])
    person_of_row = traveler_people[pairs]
    table = pa.table(
        {
            "traveler_id": pa.array(traveler_ids[pairs], pa.string()),
            "felon_id": pa.array(felon_ids[felon_row[person_of_row]], pa.string()),
        }
    )
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(quoting_style="needed"))
    _write_csv(path, iter([sink.getvalue()]))
