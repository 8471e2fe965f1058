"""Identity records in, tokens out: the part both roles run on their own data.

A chunk travels to a worker process as plain rows (record id, raw identity values, payload
values); normalization and tokenization happen there, so every core does the Python-heavy
work as well as the elliptic-curve work.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import pandas as pd

from ppmatch.encoding import LinkageSchema
from ppmatch.errors import InputError
from ppmatch.identity import IDENTITY_COLUMNS, RECORD_ID, RecordBatch, read_records
from ppmatch.normalize import DateOrder, NormalizedRecord, normalize_record
from ppmatch.tokens import Token, Tokenizer

RecordSource: TypeAlias = str | os.PathLike[str] | pd.DataFrame | Iterable[RecordBatch]


@dataclass(frozen=True)
class RecordChunk:
    """Plain rows of one chunk: what a worker process receives."""

    source: str
    first_row: int
    record_ids: list[str]
    identity: list[dict[str, str | None]]
    payload: dict[str, list[str | None]]
    month_first_dates: bool = False

    def __len__(self) -> int:
        return len(self.record_ids)


def iter_chunks(
    source: RecordSource, *, chunk_rows: int, extra_fields: tuple[str, ...] = ()
) -> Iterator[RecordChunk]:
    """Stream a file, a DataFrame or ready ``RecordBatch`` chunks as :class:`RecordChunk`.

    ``extra_fields`` (declared by the linkage schema) travel with the identity values. The
    file's day/month order is read from the first chunk whose dates show one
    (:class:`~ppmatch.normalize.DateOrder`) and holds for the chunks after it.
    """
    if isinstance(source, str | os.PathLike | pd.DataFrame):
        if isinstance(source, str | os.PathLike) and not Path(source).exists():
            raise InputError(f"{source}: no such file")
        batches: Iterable[RecordBatch] = read_records(source, chunk_rows=chunk_rows)
    else:
        batches = source
    identity_names = tuple(name for name in IDENTITY_COLUMNS if name != RECORD_ID) + extra_fields
    order = DateOrder()
    for batch in batches:
        missing = [name for name in extra_fields if name not in batch.payload_columns]
        if missing:
            raise InputError(
                f"{batch.source}: column {missing[0]!r} (an extra field of the linkage schema) "
                "is missing"
            )
        columns = {name: batch.values(name) for name in identity_names}
        rows = [
            dict(zip(identity_names, values, strict=True))
            for values in zip(*columns.values(), strict=True)
        ]
        yield RecordChunk(
            batch.source,
            batch.first_row,
            batch.record_ids,
            rows,
            batch.payload(),
            month_first_dates=order.observe(columns["date_of_birth"]),
        )


def normalize_chunk(chunk: RecordChunk, extra_fields: Iterable[str]) -> list[NormalizedRecord]:
    """The chunk's identity rows as normalized records, in order."""
    extra = tuple(extra_fields)
    return [
        normalize_record(
            raw, record_id=record_id, extra_fields=extra, month_first_dates=chunk.month_first_dates
        )
        for record_id, raw in zip(chunk.record_ids, chunk.identity, strict=True)
    ]


def tokenize_chunk(tokenizer: Tokenizer, chunk: RecordChunk) -> list[list[Token]]:
    """Normalize and tokenize; duplicate token values within a record are dropped."""
    normalized = normalize_chunk(chunk, tokenizer.schema.extra_fields)
    result = []
    for tokens in tokenizer.tokenize_many(normalized):
        seen: set[bytes] = set()
        unique = []
        for token in tokens:
            if token.value not in seen:
                seen.add(token.value)
                unique.append(token)
        result.append(unique)
    return result


_worker_tokenizer: Tokenizer | None = None


def _init_tokenizer(schema_json: bytes, linkage_secret: bytes, agreement_id: str) -> None:
    global _worker_tokenizer
    _worker_tokenizer = Tokenizer(
        LinkageSchema.from_json(schema_json), linkage_secret, agreement_id
    )


def _tokenize_in_worker(chunk: RecordChunk) -> tuple[list[str], list[list[Token]]]:
    assert _worker_tokenizer is not None, "_init_tokenizer was not called in this process"
    return chunk.record_ids, tokenize_chunk(_worker_tokenizer, chunk)


def tokenize_records(
    schema: LinkageSchema,
    linkage_secret: bytes,
    agreement_id: str,
    chunks: Iterable[RecordChunk],
    *,
    workers: int,
) -> Iterator[tuple[list[str], list[list[Token]]]]:
    """``(record ids, tokens)`` per chunk, in input order; a process pool when ``workers > 1``."""
    if workers <= 1:
        tokenizer = Tokenizer(schema, linkage_secret, agreement_id)
        for chunk in chunks:
            yield chunk.record_ids, tokenize_chunk(tokenizer, chunk)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    initargs = (schema.canonical_json(), bytes(linkage_secret), agreement_id)
    with ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_tokenizer,
        initargs=initargs,
    ) as pool:
        pending = []
        for chunk in chunks:
            pending.append(pool.submit(_tokenize_in_worker, chunk))
            if len(pending) >= 2 * workers:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
