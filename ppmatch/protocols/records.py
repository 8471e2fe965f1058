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

import pandas as pd

from ppmatch.errors import InputError
from ppmatch.identity import IDENTITY_COLUMNS, RECORD_ID, RecordBatch, read_records
from ppmatch.normalize import normalize_record
from ppmatch.tokens import Token, Tokenizer

RecordSource = str | os.PathLike[str] | pd.DataFrame | Iterable[RecordBatch]


@dataclass(frozen=True)
class RecordChunk:
    """Plain rows of one chunk: what a worker process receives."""

    source: str
    first_row: int
    record_ids: list[str]
    identity: list[dict[str, str | None]]
    payload: dict[str, list[str | None]]

    def __len__(self) -> int:
        return len(self.record_ids)


def iter_chunks(
    source: RecordSource, *, chunk_rows: int, extra_fields: tuple[str, ...] = ()
) -> Iterator[RecordChunk]:
    """Stream a file, a DataFrame or ready ``RecordBatch`` chunks as :class:`RecordChunk`.

    ``extra_fields`` (declared by the linkage schema) travel with the identity values.
    """
    if isinstance(source, str | os.PathLike | pd.DataFrame):
        if isinstance(source, str | os.PathLike) and not Path(source).exists():
            raise InputError(f"{source}: no such file")
        batches: Iterable[RecordBatch] = read_records(source, chunk_rows=chunk_rows)
    else:
        batches = source
    identity_names = tuple(name for name in IDENTITY_COLUMNS if name != RECORD_ID) + extra_fields
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
        yield RecordChunk(batch.source, batch.first_row, batch.record_ids, rows, batch.payload())


def tokenize_chunk(tokenizer: Tokenizer, chunk: RecordChunk) -> list[list[Token]]:
    """Normalize and tokenize; duplicate token values within a record are dropped."""
    extra = tokenizer.schema.extra_fields
    normalized = [
        normalize_record(raw, record_id=record_id, extra_fields=extra)
        for record_id, raw in zip(chunk.record_ids, chunk.identity, strict=True)
    ]
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
