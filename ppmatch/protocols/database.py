"""The holder database: the signed, versioned file a holder publishes once per key epoch.

Binary format, version 1 (all integers big-endian; ``text`` = u16 length + UTF-8,
``blob`` = u32 length + bytes)::

    magic             8  b"PPMATCHD"
    format version   u16  1
    agreement hash    32  SHA-256 of the agreement both parties signed
    suite           text  RFC 9497 suite name, e.g. "ristretto255-SHA512"
    epoch            u32  holder key epoch
    epoch public key blob VOPRF (mode 1) public key; evaluation proofs verify against it
    threshold        u16  shares needed to rebuild a record's payload key
    label size       u16  L, bytes per label (fixed: labels are padded)
    db version       u64  0 after publish, +1 for every applied delta
    entry count      u64  E, one entry per (record, token)
    record count     u64  R, rows of the payload table
    retired count    u64  X, handles tombstoned in this epoch (never reused)
    payload bytes    u64  P
    tags           E x 8  trunc(H(OPRF(token))) as big-endian u64, ascending (binary search)
    entry ids     E x 12  keyed PRF of (handle, token index): AEAD nonce and tombstone name
    labels         E x L  AEAD(label key from OPRF output; handle, rule-presence mask u32,
                          share count, shares, padding)
    handles        R x 8  payload-table handles, ascending
    offsets   (R+1) x 8  payload ciphertext offsets into the blob (0 ... P)
    payloads           P  AEAD(K_j; padded payload fields), bound to agreement, epoch, handle
    retired        X x 8  tombstoned handles, ascending
    signer key        32  Ed25519 public key of the holder
    signature         64  Ed25519 over b"ppmatch holder database v1" || SHA-512(all bytes above)

A delta (``PPMDELTA``) adds entries and payload rows and tombstones handles and entry ids; it
carries the holder's signature over the *resulting* database, so a querier's copy after
``apply`` is byte-identical to the holder's and verifies like a fresh publish.
"""

from __future__ import annotations

import hashlib
import mmap
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ppmatch.errors import IntegrityError, ProtocolError
from ppmatch.protocols.derive import ENTRY_ID_SIZE, TAG_SIZE
from ppmatch.protocols.wire import Reader, Writer

DB_MAGIC = b"PPMATCHD"
DELTA_MAGIC = b"PPMDELTA"
FORMAT_VERSION = 1
SIGNATURE_SIZE = 64
SIGNER_KEY_SIZE = 32
_DB_CONTEXT = b"ppmatch holder database v1"
_DELTA_CONTEXT = b"ppmatch holder delta v1"
_MAX_ENTRIES = 2**34
_MAX_PAYLOAD_BYTES = 2**40


@dataclass(frozen=True)
class DatabaseHeader:
    """Everything in the database header except the counts (which follow from the tables)."""

    agreement_hash: bytes
    suite: str
    epoch: int
    public_key: bytes
    threshold: int
    label_size: int
    version: int = 0


@dataclass(frozen=True)
class EntryTable:
    """Token entries: tags (native uint64), entry ids ``(E, 12)`` and labels ``(E, L)``."""

    tags: np.ndarray
    entry_ids: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return len(self.tags)

    def sorted(self) -> EntryTable:
        order = np.argsort(self.tags, kind="stable")
        return EntryTable(self.tags[order], self.entry_ids[order], self.labels[order])

    @staticmethod
    def concat(tables: list[EntryTable], label_size: int) -> EntryTable:
        if not tables:
            return EntryTable(
                np.zeros(0, np.uint64),
                np.zeros((0, ENTRY_ID_SIZE), np.uint8),
                np.zeros((0, label_size), np.uint8),
            )
        return EntryTable(
            np.concatenate([t.tags for t in tables]),
            np.concatenate([t.entry_ids for t in tables]),
            np.concatenate([t.labels for t in tables]),
        )


@dataclass(frozen=True)
class PayloadTable:
    """Encrypted payloads by handle: ``handles`` ascending, ``offsets`` into ``blob``."""

    handles: np.ndarray
    offsets: np.ndarray
    blob: np.ndarray

    def __len__(self) -> int:
        return len(self.handles)

    @staticmethod
    def build(rows: list[tuple[int, bytes]]) -> PayloadTable:
        rows = sorted(rows)
        handles = np.array([h for h, _ in rows], dtype=np.uint64)
        if len(np.unique(handles)) != len(handles):
            raise ProtocolError("payload table: duplicate handle (two records with one id?)")
        sizes = np.array([len(c) for _, c in rows], dtype=np.uint64)
        offsets = np.zeros(len(rows) + 1, dtype=np.uint64)
        np.cumsum(sizes, out=offsets[1:])
        blob = np.frombuffer(b"".join(c for _, c in rows), dtype=np.uint8)
        return PayloadTable(handles, offsets, blob)

    def rows(self) -> list[tuple[int, bytes]]:
        return [(int(h), self.ciphertext_at(i)) for i, h in enumerate(self.handles)]

    def ciphertext_at(self, index: int) -> bytes:
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.blob[start:end].tobytes()

    def ciphertext(self, handle: int) -> bytes | None:
        index = int(np.searchsorted(self.handles, np.uint64(handle)))
        if index < len(self.handles) and int(self.handles[index]) == handle:
            return self.ciphertext_at(index)
        return None


def header_writer(
    header: DatabaseHeader,
    *,
    entry_count: int,
    record_count: int,
    retired_count: int,
    payload_bytes: int,
) -> Writer:
    """A writer holding the database header; the tables follow in the documented order."""
    writer = Writer(DB_MAGIC, FORMAT_VERSION)
    writer.fixed(header.agreement_hash, 32)
    writer.text(header.suite)
    writer.u32(header.epoch)
    writer.blob(header.public_key)
    writer.u16(header.threshold)
    writer.u16(header.label_size)
    writer.u64(header.version)
    writer.u64(entry_count)
    writer.u64(record_count)
    writer.u64(retired_count)
    writer.u64(payload_bytes)
    return writer


def _write_tables(writer: Writer, entries: EntryTable, payloads: PayloadTable) -> None:
    writer.raw(entries.tags.astype(">u8").tobytes())
    writer.raw(np.ascontiguousarray(entries.entry_ids).tobytes())
    writer.raw(np.ascontiguousarray(entries.labels).tobytes())
    writer.raw(payloads.handles.astype(">u8").tobytes())
    writer.raw(payloads.offsets.astype(">u8").tobytes())
    writer.raw(np.ascontiguousarray(payloads.blob).tobytes())


def _read_u64(reader: Reader, count: int, field: str) -> np.ndarray:
    return np.frombuffer(reader.view(count * 8, field), dtype=">u8").astype(np.uint64)


def _read_tables(
    reader: Reader, entry_count: int, record_count: int, payload_bytes: int, label_size: int
) -> tuple[EntryTable, PayloadTable]:
    tags = _read_u64(reader, entry_count, "tags")
    entry_ids = reader.array(entry_count, ENTRY_ID_SIZE, "entry ids")
    labels = reader.array(entry_count, label_size, "labels")
    handles = _read_u64(reader, record_count, "handles")
    offsets = _read_u64(reader, record_count + 1, "payload offsets")
    blob = np.frombuffer(reader.view(payload_bytes, "payloads"), dtype=np.uint8)
    if offsets[0] != 0 or offsets[-1] != payload_bytes or np.any(np.diff(offsets) > 2**20):
        raise reader.error("payload offsets do not describe the payload section")
    if np.any(offsets[1:] < offsets[:-1]):
        raise reader.error("payload offsets are not ascending")
    if np.any(handles[1:] <= handles[:-1]):
        raise reader.error("handles are not strictly ascending")
    if np.any(tags[1:] < tags[:-1]):
        raise reader.error("tags are not sorted")
    return EntryTable(tags, entry_ids, labels), PayloadTable(handles, offsets, blob)


def _sign(signing_key: Ed25519PrivateKey, context: bytes, body: bytes) -> bytes:
    return signing_key.sign(context + hashlib.sha512(body).digest())


def _verify(public_key: bytes, signature: bytes, context: bytes, digest: bytes, what: str) -> None:
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, context + digest)
    except (InvalidSignature, ValueError) as error:
        raise IntegrityError(
            f"{what}: Ed25519 signature does not verify; the file was modified or not signed "
            "by the holder"
        ) from error


def _check_signer(found: bytes, expected: Ed25519PublicKey | bytes | None, what: str) -> None:
    if expected is None:
        return
    if isinstance(expected, Ed25519PublicKey):
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        expected = expected.public_bytes(Encoding.Raw, PublicFormat.Raw)
    if found != expected:
        raise IntegrityError(f"{what}: signed by another key than the holder's agreed key")


@dataclass(frozen=True)
class HolderDatabase:
    """A published holder database (immutable; ``apply`` returns the next version)."""

    header: DatabaseHeader
    entries: EntryTable
    payloads: PayloadTable
    retired: np.ndarray
    signer_key: bytes = b""
    signature: bytes = b""

    # ---- convenience ------------------------------------------------------------------------

    @property
    def agreement_hash(self) -> bytes:
        return self.header.agreement_hash

    @property
    def public_key(self) -> bytes:
        return self.header.public_key

    @property
    def version(self) -> int:
        return self.header.version

    @property
    def record_count(self) -> int:
        return len(self.payloads)

    @property
    def entry_count(self) -> int:
        return len(self.entries)

    def lookup(self, tags: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """All ``(query position, entry position)`` pairs whose tags are equal."""
        table = self.entries.tags
        tags = np.asarray(tags, dtype=np.uint64)
        left = np.searchsorted(table, tags, side="left")
        right = np.searchsorted(table, tags, side="right")
        counts = right - left
        query_positions = np.repeat(np.arange(len(tags)), counts)
        starts = np.repeat(left - np.concatenate(([0], np.cumsum(counts)[:-1])), counts)
        entry_positions = starts + np.arange(len(query_positions))
        return query_positions, entry_positions

    # ---- serialization ----------------------------------------------------------------------

    def _body(self) -> bytes:
        writer = header_writer(
            self.header,
            entry_count=len(self.entries),
            record_count=len(self.payloads),
            retired_count=len(self.retired),
            payload_bytes=len(self.payloads.blob),
        )
        _write_tables(writer, self.entries, self.payloads)
        writer.raw(self.retired.astype(">u8").tobytes())
        writer.fixed(self.signer_key, SIGNER_KEY_SIZE)
        return writer.getvalue()

    def signed(self, signing_key: Ed25519PrivateKey) -> HolderDatabase:
        """This database signed by the holder (the signer key becomes part of the body)."""
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        signer = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        unsigned = replace(self, signer_key=signer, signature=b"")
        return replace(unsigned, signature=_sign(signing_key, _DB_CONTEXT, unsigned._body()))

    def to_bytes(self) -> bytes:
        if len(self.signature) != SIGNATURE_SIZE:
            raise ProtocolError("holder database: sign the database before serializing it")
        return self._body() + self.signature

    def write(self, path: str | Path) -> None:
        """Write atomically (temp file + rename), so a partial file is never taken for a database."""
        path = Path(path)
        temporary = path.with_name(path.name + ".partial")
        with open(temporary, "wb") as handle:
            handle.write(self.to_bytes())
            handle.flush()
            import os

            os.fsync(handle.fileno())
        temporary.replace(path)

    @classmethod
    def from_bytes(
        cls,
        data: bytes | memoryview,
        *,
        expected_signer: Ed25519PublicKey | bytes | None = None,
        what: str = "holder database",
        body_digest: bytes | None = None,
    ) -> HolderDatabase:
        """Parse and verify untrusted bytes (bounds-checked; signature checked before use).

        ``body_digest`` (SHA-512 of everything before the signature) lets :meth:`read` hash a
        file with buffered reads instead of touching every page of its mapping.
        """
        view = memoryview(data)
        if len(view) < SIGNATURE_SIZE + SIGNER_KEY_SIZE:
            raise ProtocolError(f"{what}: {len(view)} bytes is too short to be a database")
        body, signature = view[:-SIGNATURE_SIZE], view[-SIGNATURE_SIZE:].tobytes()
        reader = Reader(body, what)
        reader.expect_header(DB_MAGIC, (FORMAT_VERSION,))
        agreement_hash = reader.take(32, "agreement hash")
        suite = reader.text("suite", 64)
        epoch = reader.u32("epoch")
        public_key = reader.blob("epoch public key", 256)
        threshold = reader.u16("threshold")
        label_size = reader.u16("label size")
        version = reader.u64("database version")
        entry_count = reader.count("entry count", _MAX_ENTRIES)
        record_count = reader.count("record count", _MAX_ENTRIES)
        retired_count = reader.count("retired count", _MAX_ENTRIES)
        payload_bytes = reader.count("payload bytes", _MAX_PAYLOAD_BYTES)
        expected = (
            entry_count * (TAG_SIZE + ENTRY_ID_SIZE + label_size)
            + (2 * record_count + 1 + retired_count) * 8
            + payload_bytes
            + SIGNER_KEY_SIZE
        )
        if expected != reader.remaining:
            raise reader.error(
                f"counts describe {expected} bytes of tables but {reader.remaining} are present "
                "(truncated or padded file)"
            )
        signer_key = body[-SIGNER_KEY_SIZE:].tobytes()
        _check_signer(signer_key, expected_signer, what)
        digest = body_digest if body_digest is not None else hashlib.sha512(body).digest()
        _verify(signer_key, signature, _DB_CONTEXT, digest, what)
        entries, payloads = _read_tables(
            reader, entry_count, record_count, payload_bytes, label_size
        )
        retired = _read_u64(reader, retired_count, "retired handles")
        reader.take(SIGNER_KEY_SIZE, "signer key")
        reader.finish()
        header = DatabaseHeader(
            agreement_hash, suite, epoch, public_key, threshold, label_size, version
        )
        return cls(header, entries, payloads, retired, signer_key, signature)

    @classmethod
    def read(
        cls, path: str | Path, *, expected_signer: Ed25519PublicKey | bytes | None = None
    ) -> HolderDatabase:
        """Map a database file and verify it; only the tag table is copied into memory, labels
        and payloads are paged in on lookup."""
        path = Path(path)
        try:
            with open(path, "rb") as handle:
                mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
                digest = hashlib.sha512()
                remaining = max(len(mapped) - SIGNATURE_SIZE, 0)
                while remaining:
                    block = handle.read(min(remaining, 8 << 20))
                    if not block:
                        break
                    digest.update(block)
                    remaining -= len(block)
        except (OSError, ValueError) as error:
            raise IntegrityError(f"{path}: cannot read holder database ({error})") from error
        return cls.from_bytes(
            memoryview(mapped),
            expected_signer=expected_signer,
            what=str(path),
            body_digest=digest.digest(),
        )

    # ---- deltas -----------------------------------------------------------------------------

    def apply(self, delta: HolderDelta) -> HolderDatabase:
        """The next database version: tombstoned records and entries removed, new ones merged.

        The result must carry the holder's signature from the delta; a copy that diverged from
        the holder's in any byte fails here with ``IntegrityError``.
        """
        merged = self._merge(delta)
        _check_signer(delta.signer_key, self.signer_key, "holder delta")
        result = replace(merged, signer_key=self.signer_key, signature=delta.result_signature)
        _verify(
            self.signer_key,
            delta.result_signature,
            _DB_CONTEXT,
            hashlib.sha512(result._body()).digest(),
            f"database version {result.version} after applying the delta",
        )
        return result

    def _merge(self, delta: HolderDelta) -> HolderDatabase:
        h = self.header
        if delta.agreement_hash != h.agreement_hash or delta.epoch != h.epoch:
            raise ProtocolError("holder delta: made for another agreement or key epoch")
        if delta.base_version != h.version:
            raise ProtocolError(
                f"holder delta: applies to database version {delta.base_version}, this copy is "
                f"version {h.version}; apply the deltas in order"
            )
        if delta.entries.labels.shape[1] != h.label_size:
            raise ProtocolError("holder delta: label size differs from the database's")
        removed_ids = np.ascontiguousarray(delta.removed_entry_ids).view(f"S{ENTRY_ID_SIZE}")
        current_ids = np.ascontiguousarray(self.entries.entry_ids).view(f"S{ENTRY_ID_SIZE}")
        keep = ~np.isin(current_ids.ravel(), removed_ids.ravel())
        kept = EntryTable(
            self.entries.tags[keep], self.entries.entry_ids[keep], self.entries.labels[keep]
        )
        entries = EntryTable.concat([kept, delta.entries], h.label_size).sorted()
        removed = set(int(x) for x in delta.removed_handles)
        rows = [row for row in self.payloads.rows() if row[0] not in removed]
        rows.extend(delta.payloads.rows())
        retired = np.union1d(self.retired, delta.removed_handles.astype(np.uint64))
        return HolderDatabase(
            replace(h, version=h.version + 1), entries, PayloadTable.build(rows), retired
        )


@dataclass(frozen=True)
class HolderDelta:
    """Changes from database version ``base_version`` to ``base_version + 1``."""

    agreement_hash: bytes
    suite: str
    epoch: int
    base_version: int
    removed_handles: np.ndarray
    removed_entry_ids: np.ndarray
    entries: EntryTable
    payloads: PayloadTable
    result_signature: bytes = b""
    signer_key: bytes = b""
    signature: bytes = b""

    def _body(self) -> bytes:
        writer = Writer(DELTA_MAGIC, FORMAT_VERSION)
        writer.fixed(self.agreement_hash, 32)
        writer.text(self.suite)
        writer.u32(self.epoch)
        writer.u64(self.base_version)
        writer.u16(self.entries.labels.shape[1])
        writer.u64(len(self.removed_handles))
        writer.u64(len(self.removed_entry_ids))
        writer.u64(len(self.entries))
        writer.u64(len(self.payloads))
        writer.u64(len(self.payloads.blob))
        writer.raw(self.removed_handles.astype(">u8").tobytes())
        writer.raw(np.ascontiguousarray(self.removed_entry_ids).tobytes())
        _write_tables(writer, self.entries, self.payloads)
        writer.fixed(self.result_signature, SIGNATURE_SIZE)
        writer.fixed(self.signer_key, SIGNER_KEY_SIZE)
        return writer.getvalue()

    def signed(self, signing_key: Ed25519PrivateKey, result_signature: bytes) -> HolderDelta:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        signer = signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        unsigned = replace(self, result_signature=result_signature, signer_key=signer)
        return replace(unsigned, signature=_sign(signing_key, _DELTA_CONTEXT, unsigned._body()))

    def to_bytes(self) -> bytes:
        if len(self.signature) != SIGNATURE_SIZE:
            raise ProtocolError("holder delta: sign the delta before serializing it")
        return self._body() + self.signature

    @classmethod
    def from_bytes(
        cls, data: bytes, *, expected_signer: Ed25519PublicKey | bytes | None = None
    ) -> HolderDelta:
        what = "holder delta"
        view = memoryview(data)
        if len(view) < SIGNATURE_SIZE * 2 + SIGNER_KEY_SIZE:
            raise ProtocolError(f"{what}: {len(view)} bytes is too short to be a delta")
        body, signature = view[:-SIGNATURE_SIZE], view[-SIGNATURE_SIZE:].tobytes()
        reader = Reader(body, what)
        reader.expect_header(DELTA_MAGIC, (FORMAT_VERSION,))
        agreement_hash = reader.take(32, "agreement hash")
        suite = reader.text("suite", 64)
        epoch = reader.u32("epoch")
        base_version = reader.u64("base version")
        label_size = reader.u16("label size")
        removed_count = reader.count("removed handle count", _MAX_ENTRIES)
        removed_entries = reader.count("removed entry count", _MAX_ENTRIES)
        entry_count = reader.count("entry count", _MAX_ENTRIES)
        record_count = reader.count("record count", _MAX_ENTRIES)
        payload_bytes = reader.count("payload bytes", _MAX_PAYLOAD_BYTES)
        expected = (
            removed_count * 8
            + removed_entries * ENTRY_ID_SIZE
            + entry_count * (TAG_SIZE + ENTRY_ID_SIZE + label_size)
            + (2 * record_count + 1) * 8
            + payload_bytes
            + SIGNATURE_SIZE
            + SIGNER_KEY_SIZE
        )
        if expected != reader.remaining:
            raise reader.error(
                f"counts describe {expected} bytes but {reader.remaining} are present"
            )
        signer_key = body[-SIGNER_KEY_SIZE:].tobytes()
        _check_signer(signer_key, expected_signer, what)
        _verify(signer_key, signature, _DELTA_CONTEXT, hashlib.sha512(body).digest(), what)
        removed_handles = _read_u64(reader, removed_count, "removed handles")
        removed_entry_ids = reader.array(removed_entries, ENTRY_ID_SIZE, "removed entry ids")
        entries, payloads = _read_tables(
            reader, entry_count, record_count, payload_bytes, label_size
        )
        result_signature = reader.take(SIGNATURE_SIZE, "result signature")
        reader.take(SIGNER_KEY_SIZE, "signer key")
        reader.finish()
        return cls(
            agreement_hash,
            suite,
            epoch,
            base_version,
            removed_handles,
            removed_entry_ids,
            entries,
            payloads,
            result_signature,
            signer_key,
            signature,
        )
