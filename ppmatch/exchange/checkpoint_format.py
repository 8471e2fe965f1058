"""Byte format of one checkpointed publish chunk (no pickle: fixed-width arrays only).

magic 8 b"PPMCHUNK" | version u32 | entries E u64 | label size L u64 | records R u64
payload bytes P u64 | tokens u64 | undisclosable u64
tags E x 8 (big-endian) | entry ids E x 12 | labels E x L
handles R x 8 | payload sizes R x 8 | payload blob P
"""

from __future__ import annotations

import struct

import numpy as np

from ppmatch.errors import IntegrityError
from ppmatch.protocols.database import EntryTable
from ppmatch.protocols.derive import ENTRY_ID_SIZE
from ppmatch.protocols.publish import PublishedChunk

_HEADER = struct.Struct(">8sIQQQQQQ")
_MAGIC = b"PPMCHUNK"


def chunk_to_bytes(chunk: PublishedChunk) -> bytes:
    entries = chunk.entries
    label_size = entries.labels.shape[1]
    header = _HEADER.pack(
        _MAGIC,
        1,
        len(entries),
        label_size,
        len(chunk.handles),
        len(chunk.payload_blob),
        chunk.token_count,
        chunk.undisclosable,
    )
    return b"".join(
        [
            header,
            entries.tags.astype(">u8").tobytes(),
            np.ascontiguousarray(entries.entry_ids).tobytes(),
            np.ascontiguousarray(entries.labels).tobytes(),
            chunk.handles.astype(">u8").tobytes(),
            chunk.payload_sizes.astype(">u8").tobytes(),
            chunk.payload_blob,
        ]
    )


def chunk_from_bytes(data: bytes, *, source: str) -> PublishedChunk:
    if len(data) < _HEADER.size:
        raise IntegrityError(f"{source}: checkpoint chunk truncated")
    magic, version, count, label_size, records, blob, tokens, undisclosable = _HEADER.unpack_from(
        data
    )
    if magic != _MAGIC or version != 1:
        raise IntegrityError(f"{source}: not a publish checkpoint chunk")
    sizes = [count * 8, count * ENTRY_ID_SIZE, count * label_size, records * 8, records * 8, blob]
    if _HEADER.size + sum(sizes) != len(data):
        raise IntegrityError(f"{source}: checkpoint chunk length does not match its counts")
    parts, offset = [], _HEADER.size
    for size in sizes:
        parts.append(data[offset : offset + size])
        offset += size
    entries = EntryTable(
        np.frombuffer(parts[0], ">u8").astype(np.uint64),
        np.frombuffer(parts[1], np.uint8).reshape(count, ENTRY_ID_SIZE),
        np.frombuffer(parts[2], np.uint8).reshape(count, label_size),
    )
    return PublishedChunk(
        entries,
        np.frombuffer(parts[3], ">u8").astype(np.uint64),
        np.frombuffer(parts[4], ">u8").astype(np.uint64),
        parts[5],
        tokens,
        undisclosable,
    )
