"""Holder publish: records -> token entries and encrypted payloads, streamed in bounded memory.

Per record j: a random payload key K_j (derived from a secret publish seed when one is given,
see :mod:`ppmatch.protocols.publish_seed`) seals the agreed payload fields; K_j is Shamir-split into
``n = sum of token weights`` shares with threshold t (at least t shares are made, so a record
with few tokens still exists as a candidate even though it can never disclose). Per token:
``y = OPRF(token)``, ``tag, label_key = H(y)``, and the label seals
``(handle, rule-presence mask, share count, shares, zero padding)`` so every label has the same
size. The mask (which rules the record emits tokens for) lets the querier score a rule both
records have but do not share as a disagreement rather than a missing field.

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
    EntrySecretDeriver,
    HolderSecrets,
    label_associated_prefix,
    tags_as_uint64,
)
from ppmatch.protocols.payload import encode_payload, seal_payload
from ppmatch.protocols.publish_seed import PublishRandomness
from ppmatch.protocols.records import RecordChunk, normalize_chunk
from ppmatch.tokens import Tokenizer

# handle, the record's rule-presence mask (bit i: it emits rule i), number of shares in this label
LABEL_HEADER = struct.Struct(">QIB")
AEAD_OVERHEAD = aead.TAG_SIZE


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
    # OPRF evaluations done (token values not in the worker's cache; 0 when reloaded from a
    # checkpoint, whose format does not record them)
    evaluations: int = 0


class EntrySecretCache:
    """Entry secrets (``tag || label_key``) of the token values this process has published.

    A token value shared by many holder records (a common first name with a birth year, the
    band keys of sparse filters) has one OPRF output, so it is evaluated once per worker
    instead of once per record: each repeat saves a hash-to-group and a scalar multiplication
    (about one token in eight at 100k synth records). Memory is bounded by two generations of
    at most ``capacity`` entries: when the current one fills up it becomes the previous one,
    and values found there move back, so frequent values stay while one-offs age out.
    """

    def __init__(
        self, server: OPRFServer, deriver: EntrySecretDeriver, capacity: int = 200_000
    ) -> None:
        self._server = server
        self._deriver = deriver
        self._capacity = capacity
        self._current: dict[bytes, bytes] = {}
        self._previous: dict[bytes, bytes] = {}
        self.evaluations = 0

    def digests(self, values: list[bytes]) -> list[bytes]:
        """Per value its ``tag || label_key``, evaluating only values not seen lately."""
        current, previous = self._current, self._previous
        missing = []
        for value in dict.fromkeys(values):
            if value not in current:
                found = previous.get(value)
                if found is None:
                    missing.append(value)
                else:
                    current[value] = found
        if missing:
            fresh = self._deriver.digests(self._server.evaluate_batch(missing))
            current.update(zip(missing, fresh, strict=True))
            self.evaluations += len(missing)
        result = [current[value] for value in values]
        if len(current) >= self._capacity:
            self._previous, self._current = current, {}
        return result


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
        self.entry_secrets = EntrySecretCache(
            self.server, EntrySecretDeriver(config.agreement_hash)
        )
        self.label_ad_prefix = label_associated_prefix(config.agreement_hash, config.epoch)
        plaintext_size = label_size(config) - AEAD_OVERHEAD
        self.label_sealer = aead.FixedSizeSealer(
            plaintext_size, len(self.label_ad_prefix) + TAG_SIZE
        )
        # zero padding after a label's header and its ``k`` shares, so all labels are one size
        self.label_padding = [
            bytes(plaintext_size - LABEL_HEADER.size - k * shamir.SHARE_SIZE)
            for k in range(config.max_share_weight + 1)
        ]

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

    def token_values(
        self, chunk: RecordChunk
    ) -> tuple[list[bytes], list[int], list[int], list[int]]:
        """Flat token values and weights of the chunk, each record's token count and its
        rule-presence mask.

        The same tokens as :func:`ppmatch.protocols.records.tokenize_chunk` (normalize,
        tokenize, drop repeated values within a record), without per-token objects. The mask
        is the set of rules that emitted a token, known from tokenizing (the same as
        :func:`ppmatch.tokens.components.rule_presence_mask`, and what the querier derives
        from its own tokens).
        """
        normalized = normalize_chunk(chunk, self.config.schema.extra_fields)
        values: list[bytes] = []
        weights: list[int] = []
        counts: list[int] = []
        masks: list[int] = []
        for record_values, record_weights, mask in self.tokenizer.token_values(normalized):
            if len(set(record_values)) != len(record_values):
                first = dict(zip(reversed(record_values), reversed(record_weights), strict=True))
                kept = dict.fromkeys(record_values)
                record_values = list(kept)
                record_weights = [first[value] for value in record_values]
            values += record_values
            weights += record_weights
            counts.append(len(record_values))
            masks.append(mask)
        return values, weights, counts, masks

    def publish(self, chunk: RecordChunk) -> PublishedChunk:
        config = self.config
        values, weights, counts, masks = self.token_values(chunk)
        evaluations = self.entry_secrets.evaluations
        digests = self.entry_secrets.digests(values)
        tags = [digest[:TAG_SIZE] for digest in digests]
        label_keys = [digest[TAG_SIZE:] for digest in digests]
        ad_prefix = self.label_ad_prefix
        pads = self.label_padding
        threshold, epoch, agreement_hash = config.threshold, config.epoch, config.agreement_hash
        header = LABEL_HEADER.pack
        seal = self.label_sealer.seal
        entry_ids: list[bytes] = []
        labels: list[bytes] = []
        handles: list[int] = []
        payloads: list[bytes] = []
        undisclosable = 0
        position = 0
        for row, count in enumerate(counts):
            end = position + count
            handle = self.secrets.handle(chunk.record_ids[row])
            plaintext = encode_payload(
                self.payload_fields(chunk, row), config.payload_fields, cap=config.max_payload_bytes
            )
            record_weights = weights[position:end]
            total_weight = sum(record_weights)
            undisclosable += total_weight < threshold
            share_count = max(total_weight, threshold)
            payload_key, randbelow = self.randomness.for_record(
                handle, plaintext, tags[position:end], record_weights, share_count
            )
            handles.append(handle)
            payloads.append(seal_payload(payload_key, plaintext, agreement_hash, epoch, handle))
            shares = [
                share.to_bytes()
                for share in shamir.split(payload_key, share_count, threshold, randbelow=randbelow)
            ]
            record_ids = self.secrets.entry_ids(handle, count)
            entry_ids += record_ids
            mask = masks[row]
            shareless = header(handle, mask, 0) + pads[0]  # every weight-0 token's label plaintext
            next_share = 0
            for index, weight in enumerate(record_weights):
                if weight:
                    body = (
                        header(handle, mask, weight)
                        + b"".join(shares[next_share : next_share + weight])
                        + pads[weight]
                    )
                    next_share += weight
                else:
                    body = shareless
                token = position + index
                labels.append(
                    seal(label_keys[token], record_ids[index], body, ad_prefix + tags[token])
                )
            position = end
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
            self.entry_secrets.evaluations - evaluations,
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
        # Rows are assembled directly in bucket order, so each bucket's share is one
        # contiguous slice written without a further copy (this runs in the main process,
        # next to the workers).
        buckets = (table.tags >> np.uint64(64 - self.BUCKET_BITS)).astype(np.int64)
        order = np.argsort(buckets, kind="stable")
        rows = np.empty((len(table), self.row_size), dtype=np.uint8)
        rows[:, :TAG_SIZE] = table.tags[order].astype(">u8").view(np.uint8).reshape(-1, TAG_SIZE)
        rows[:, TAG_SIZE : TAG_SIZE + ENTRY_ID_SIZE] = table.entry_ids[order]
        rows[:, TAG_SIZE + ENTRY_ID_SIZE :] = table.labels[order]
        bounds = np.searchsorted(buckets[order], np.arange((1 << self.BUCKET_BITS) + 1))
        for bucket in range(1 << self.BUCKET_BITS):
            start, end = bounds[bucket], bounds[bucket + 1]
            if end > start:
                self._bucket_files[bucket].write(rows[start:end])

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
            # contiguous arrays go to pwrite as buffers, without a bytes copy
            os.pwrite(descriptor, part.tags.astype(">u8").data, tag_offset + done * TAG_SIZE)
            os.pwrite(
                descriptor,
                np.ascontiguousarray(part.entry_ids).data,
                id_offset + done * ENTRY_ID_SIZE,
            )
            os.pwrite(
                descriptor,
                np.ascontiguousarray(part.labels).data,
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
