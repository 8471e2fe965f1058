"""Holder publish: records -> token entries and encrypted payloads, streamed in bounded memory.

Per record j: a random payload key K_j (derived from a secret publish seed when one is given,
see :mod:`ppmatch.protocols.publish_seed`) seals the agreed payload fields; K_j is Shamir-split into
``n = sum of token weights`` shares with threshold t (at least t shares are made, so a record
with few tokens still exists as a candidate even though it can never disclose). Per token:
``y = OPRF(token)``, ``tag, label_key = H(y)``, and the label seals
``(handle, share count, shares, zero padding)`` so every label has the same size.

Chunks run in worker processes; their entries go to an :class:`EntrySorter` that keeps them in
memory while small and otherwise spills them into tag-range buckets on disk (tags are uniform,
so the buckets are balanced), then writes the sorted database file bucket by bucket.
"""

from __future__ import annotations

import hashlib
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ppmatch.crypto import MODE_VOPRF, OPRFServer, aead, shamir
from ppmatch.errors import InputError
from ppmatch.protocols.config import RECORD_REFERENCE_FIELD, ScreeningConfig
from ppmatch.protocols.database import (
    _DB_CONTEXT,
    DatabaseHeader,
    EntryTable,
    PayloadTable,
    header_writer,
)
from ppmatch.protocols.derive import (
    ENTRY_ID_SIZE,
    TAG_SIZE,
    HolderSecrets,
    entry_secrets,
    label_associated_data,
    tags_as_uint64,
)
from ppmatch.protocols.payload import encode_payload, seal_payload
from ppmatch.protocols.publish_seed import PublishRandomness
from ppmatch.protocols.records import RecordChunk, tokenize_chunk
from ppmatch.tokens import Tokenizer

LABEL_HEADER = struct.Struct(">QB")  # handle, number of shares in this label
AEAD_OVERHEAD = 16


def label_size(config: ScreeningConfig) -> int:
    return LABEL_HEADER.size + config.max_share_weight * shamir.SHARE_SIZE + AEAD_OVERHEAD


@dataclass
class PublishedChunk:
    """A chunk's unsorted entries and payload rows, plus counts for the summary."""

    entries: EntryTable
    handles: np.ndarray
    payload_sizes: np.ndarray
    payload_blob: bytes
    token_count: int
    undisclosable: int  # records whose shares can never reach the threshold


class ChunkPublisher:
    """Everything a worker needs to publish chunks (built once per process)."""

    def __init__(
        self,
        config: ScreeningConfig,
        oprf_private_key: bytes,
        *,
        publish_seed: bytes | None = None,
    ) -> None:
        self.config = config
        self.randomness = PublishRandomness(publish_seed)
        self.server = OPRFServer(config.suite, oprf_private_key, mode=MODE_VOPRF)
        self.secrets = HolderSecrets(oprf_private_key, config.agreement_hash, config.epoch)
        self.tokenizer = Tokenizer(config.schema, config.linkage_secret, config.agreement_id)
        self.label_plaintext_size = label_size(config) - AEAD_OVERHEAD

    def payload_fields(self, chunk: RecordChunk, row: int) -> dict[str, str]:
        fields: dict[str, str] = {}
        for name in self.config.payload_fields:
            if name == RECORD_REFERENCE_FIELD:
                fields[name] = chunk.record_ids[row]
            elif name in chunk.payload:
                fields[name] = chunk.payload[name][row] or ""
            else:
                raise InputError(
                    f"{chunk.source}: payload column {name!r} named in the agreement is missing "
                    f"(columns present: {', '.join(chunk.payload) or 'none'})"
                )
        return fields

    def publish(self, chunk: RecordChunk) -> PublishedChunk:
        config = self.config
        token_lists = tokenize_chunk(self.tokenizer, chunk)
        outputs = self.server.evaluate_batch([t.value for tokens in token_lists for t in tokens])
        tags: list[bytes] = []
        entry_ids: list[bytes] = []
        labels: list[bytes] = []
        handles: list[int] = []
        payloads: list[bytes] = []
        undisclosable = 0
        position = 0
        for row, tokens in enumerate(token_lists):
            handle = self.secrets.handle(chunk.record_ids[row])
            plaintext = encode_payload(
                self.payload_fields(chunk, row), config.payload_fields, cap=config.max_payload_bytes
            )
            token_secrets = [
                entry_secrets(outputs[position + i], config.agreement_hash)
                for i in range(len(tokens))
            ]
            position += len(tokens)
            total_weight = sum(token.weight for token in tokens)
            undisclosable += total_weight < config.threshold
            share_count = max(total_weight, config.threshold)
            payload_key, randbelow = self.randomness.for_record(
                handle,
                plaintext,
                [tag for tag, _ in token_secrets],
                [token.weight for token in tokens],
                share_count,
            )
            handles.append(handle)
            payloads.append(
                seal_payload(payload_key, plaintext, config.agreement_hash, config.epoch, handle)
            )
            shares = shamir.split(payload_key, share_count, config.threshold, randbelow=randbelow)
            next_share = 0
            for index, (token, (tag, label_key)) in enumerate(
                zip(tokens, token_secrets, strict=True)
            ):
                entry_id = self.secrets.entry_id(handle, index)
                mine = shares[next_share : next_share + token.weight]
                next_share += token.weight
                body = LABEL_HEADER.pack(handle, len(mine)) + b"".join(s.to_bytes() for s in mine)
                body += bytes(self.label_plaintext_size - len(body))
                ad = label_associated_data(config.agreement_hash, config.epoch, tag)
                tags.append(tag)
                entry_ids.append(entry_id)
                labels.append(aead.seal(label_key, entry_id, body, ad))
        size = label_size(config)
        entries = EntryTable(
            tags_as_uint64(tags),
            np.frombuffer(b"".join(entry_ids), np.uint8).reshape(-1, ENTRY_ID_SIZE),
            np.frombuffer(b"".join(labels), np.uint8).reshape(-1, size),
        )
        return PublishedChunk(
            entries,
            np.array(handles, dtype=np.uint64),
            np.array([len(p) for p in payloads], dtype=np.uint64),
            b"".join(payloads),
            len(tags),
            undisclosable,
        )


_worker: ChunkPublisher | None = None


def init_worker(
    config: ScreeningConfig, oprf_private_key: bytes, publish_seed: bytes | None = None
) -> None:
    global _worker
    _worker = ChunkPublisher(config, oprf_private_key, publish_seed=publish_seed)


def publish_in_worker(chunk: RecordChunk) -> PublishedChunk:
    assert _worker is not None, "init_worker was not called in this process"
    return _worker.publish(chunk)


class EntrySorter:
    """Collects unsorted entries; sorts in memory when small, via tag-range buckets when not."""

    BUCKET_BITS = 8

    def __init__(self, label_size: int, memory_limit: int, workdir: Path | None = None) -> None:
        self.label_size = label_size
        self.row_size = TAG_SIZE + ENTRY_ID_SIZE + label_size
        self.memory_limit = memory_limit
        self._tables: list[EntryTable] = []
        self._held = 0
        self._count = 0
        self._workdir = workdir
        self._spill_dir: tempfile.TemporaryDirectory | None = None
        self._bucket_files: list = []

    def __len__(self) -> int:
        return self._count

    @property
    def spilled(self) -> bool:
        return self._spill_dir is not None

    def add(self, table: EntryTable) -> None:
        self._count += len(table)
        if self.spilled:
            self._spill(table)
            return
        self._tables.append(table)
        self._held += len(table) * self.row_size
        if self._held > self.memory_limit:
            self._spill_dir = tempfile.TemporaryDirectory(
                prefix="ppmatch-publish-", dir=self._workdir
            )
            self._bucket_files = [
                open(Path(self._spill_dir.name) / f"bucket-{b:03d}", "wb")  # noqa: SIM115
                for b in range(1 << self.BUCKET_BITS)
            ]
            for held in self._tables:
                self._spill(held)
            self._tables, self._held = [], 0

    def _spill(self, table: EntryTable) -> None:
        rows = np.empty((len(table), self.row_size), dtype=np.uint8)
        rows[:, :TAG_SIZE] = table.tags.astype(">u8").view(np.uint8).reshape(-1, TAG_SIZE)
        rows[:, TAG_SIZE : TAG_SIZE + ENTRY_ID_SIZE] = table.entry_ids
        rows[:, TAG_SIZE + ENTRY_ID_SIZE :] = table.labels
        buckets = (table.tags >> np.uint64(64 - self.BUCKET_BITS)).astype(np.int64)
        order = np.argsort(buckets, kind="stable")
        bounds = np.searchsorted(buckets[order], np.arange((1 << self.BUCKET_BITS) + 1))
        for bucket in range(1 << self.BUCKET_BITS):
            start, end = bounds[bucket], bounds[bucket + 1]
            if end > start:
                self._bucket_files[bucket].write(rows[order[start:end]].tobytes())

    def sorted_parts(self):
        """Sorted entry tables in ascending tag order (one per bucket once spilled)."""
        spill_dir = self._spill_dir
        if spill_dir is None:  # not spilled
            yield EntryTable.concat(self._tables, self.label_size).sorted()
            self._tables = []
            return
        for handle in self._bucket_files:
            handle.close()
        for bucket in range(1 << self.BUCKET_BITS):
            path = Path(spill_dir.name) / f"bucket-{bucket:03d}"
            rows = np.fromfile(path, dtype=np.uint8).reshape(-1, self.row_size)
            path.unlink()
            tags = rows[:, :TAG_SIZE].copy().view(">u8").ravel().astype(np.uint64)
            yield EntryTable(
                tags,
                rows[:, TAG_SIZE : TAG_SIZE + ENTRY_ID_SIZE],
                rows[:, TAG_SIZE + ENTRY_ID_SIZE :],
            ).sorted()
        spill_dir.cleanup()

    def close(self) -> None:
        if self._spill_dir is not None:
            for handle in self._bucket_files:
                handle.close()
            self._spill_dir.cleanup()


def merge_payloads(parts: list[tuple[np.ndarray, np.ndarray, bytes]]) -> PayloadTable:
    """Payload rows of all chunks as one table sorted by handle."""
    if not parts:
        return PayloadTable.build([])
    handles = np.concatenate([p[0] for p in parts])
    sizes = np.concatenate([p[1] for p in parts])
    blob = np.frombuffer(b"".join(p[2] for p in parts), dtype=np.uint8)
    starts = np.zeros(len(sizes), dtype=np.uint64)
    np.cumsum(sizes[:-1], out=starts[1:])
    order = np.argsort(handles, kind="stable")
    if len(handles) and np.any(np.diff(handles[order]) == 0):
        raise InputError(
            "two holder records share a record id (or a handle); record ids must be unique"
        )
    sorted_sizes = sizes[order]
    offsets = np.zeros(len(handles) + 1, dtype=np.uint64)
    np.cumsum(sorted_sizes, out=offsets[1:])
    pieces = [blob[int(starts[i]) : int(starts[i] + sizes[i])] for i in order]
    merged = np.concatenate(pieces) if pieces else np.zeros(0, np.uint8)
    return PayloadTable(handles[order], offsets, merged)


def write_database_file(
    path: Path,
    header: DatabaseHeader,
    sorter: EntrySorter,
    payloads: PayloadTable,
    signing_key: Ed25519PrivateKey,
) -> None:
    """Stream the sorted database to ``path`` (atomically) and sign it."""
    entry_count = len(sorter)
    prefix = header_writer(
        header,
        entry_count=entry_count,
        record_count=len(payloads),
        retired_count=0,
        payload_bytes=len(payloads.blob),
    ).getvalue()
    tag_offset = len(prefix)
    id_offset = tag_offset + entry_count * TAG_SIZE
    label_offset = id_offset + entry_count * ENTRY_ID_SIZE
    tail_offset = label_offset + entry_count * header.label_size
    temporary = path.with_name(path.name + ".partial")
    with open(temporary, "w+b") as handle:
        descriptor = handle.fileno()
        os.pwrite(descriptor, prefix, 0)
        done = 0
        for part in sorter.sorted_parts():
            count = len(part)
            os.pwrite(descriptor, part.tags.astype(">u8").tobytes(), tag_offset + done * TAG_SIZE)
            os.pwrite(
                descriptor,
                np.ascontiguousarray(part.entry_ids).tobytes(),
                id_offset + done * ENTRY_ID_SIZE,
            )
            os.pwrite(
                descriptor,
                np.ascontiguousarray(part.labels).tobytes(),
                label_offset + done * header.label_size,
            )
            done += count
        signer = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        tail = (
            payloads.handles.astype(">u8").tobytes()
            + payloads.offsets.astype(">u8").tobytes()
            + payloads.blob.tobytes()
            + signer
        )
        os.pwrite(descriptor, tail, tail_offset)
        handle.seek(0)
        digest = hashlib.sha512()
        while block := handle.read(8 << 20):
            digest.update(block)
        handle.seek(0, os.SEEK_END)
        handle.write(signing_key.sign(_DB_CONTEXT + digest.digest()))
        handle.flush()
        os.fsync(descriptor)
    temporary.replace(path)
