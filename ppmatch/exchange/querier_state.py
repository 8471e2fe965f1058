"""The querier's secret state between ``query prepare`` and ``query finish``, on disk.

Between the two commands (hours or days apart in an air-gapped exchange) the querier must keep
its blinds and token inputs; they never leave its machine. The file is written 0600 and sealed
with the crypto layer's AEAD (ChaCha20-Poly1305) under a key derived from the querier's own X25519 private key, so a copied state
file is useless without the key. The header (session id, sequence, request digest) stays in
the clear so operators can see which request a state file belongs to.

Layout: magic ``PPMQSTAT`` | version u16 | session id 16 | sequence u64 | request container
digest 32 | database sha256 32 | finished u8 | nonce 12 | sealed pending-query body.
"""

from __future__ import annotations

import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from cryptography.hazmat.primitives import serialization

from ppmatch.errors import IntegrityError
from ppmatch.exchange.atomic import atomic_write_bytes
from ppmatch.exchange.keys import PartyKeys

if TYPE_CHECKING:  # imported lazily at run time
    from ppmatch.protocols.querier import PendingQuery

_MAGIC = b"PPMQSTAT"
_HEADER = struct.Struct(">8sH16sQ32s32sB12s")
_BODY_MAGIC = b"PPMQPEND"
_STATE_INFO = b"ppmatch querier state key v1"
_MAX_ITEMS = 100_000_000
# Every field of ppmatch.protocols.querier.PendingQuery this format stores (a test keeps the two
# in step, so a new protocol field cannot be silently dropped from the saved state).
STORED_FIELDS = frozenset(
    {
        "request_id",
        "request_digest",
        "record_ids",
        "rule_ids",
        "inputs",
        "blinds",
        "blinded",
        "owner",
        "rule",
        "is_band",
        "real_tokens",
    }
)


@dataclass
class QuerierState:
    session_id: bytes
    sequence: int
    request_digest: bytes  # SHA-256 of the request container sent
    database_sha256: bytes
    finished: bool
    pending: PendingQuery | None  # while unfinished


def _state_key(keys: PartyKeys, header: bytes) -> bytes:
    from ppmatch.crypto.kdf import hkdf

    raw = keys.exchange.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    return hkdf(raw, salt=header[:56], info=_STATE_INFO, length=32)


def _pack_strings(writer, items: list[bytes]) -> None:
    # count, then all lengths as one u32 array, then the bytes: no per-item framing to parse
    writer.u64(len(items))
    writer.raw(np.array([len(item) for item in items], dtype=">u4").tobytes())
    writer.raw(b"".join(items))


def _unpack_strings(reader, field: str) -> list[bytes]:
    count = reader.count(field, _MAX_ITEMS)
    lengths = np.frombuffer(reader.take(count * 4, f"{field} lengths"), ">u4").astype(np.int64)
    blob = reader.take(int(lengths.sum()), field)
    ends = np.cumsum(lengths).tolist()
    starts = [0, *ends[:-1]]
    return [blob[a:b] for a, b in zip(starts, ends, strict=True)]


def _pending_to_bytes(pending) -> bytes:
    from ppmatch.protocols.wire import Writer

    writer = Writer(_BODY_MAGIC, 1)
    writer.fixed(pending.request_id, 16)
    writer.fixed(pending.request_digest, 32)
    writer.u64(pending.real_tokens)
    for strings in (pending.record_ids, pending.rule_ids):
        _pack_strings(writer, [value.encode("utf-8") for value in strings])
    for items in (pending.inputs, pending.blinds):
        _pack_strings(writer, items)
    count, width = pending.blinded.shape
    writer.u64(count)
    writer.u16(width)
    writer.raw(np.ascontiguousarray(pending.blinded).tobytes())
    writer.raw(pending.owner.astype(">i8").tobytes())
    writer.raw(pending.rule.astype(">i8").tobytes())
    writer.raw(pending.is_band.astype(np.uint8).tobytes())
    return writer.getvalue()


def _pending_from_bytes(data: bytes):
    from ppmatch.protocols.querier import PendingQuery
    from ppmatch.protocols.wire import Reader

    reader = Reader(data, "querier state")
    reader.expect_header(_BODY_MAGIC, (1,))
    request_id = reader.take(16, "request id")
    request_digest = reader.take(32, "request digest")
    real_tokens = reader.u64("real tokens")
    record_ids, rule_ids = (
        [value.decode("utf-8") for value in _unpack_strings(reader, field)]
        for field in ("record ids", "rule ids")
    )
    inputs = _unpack_strings(reader, "inputs")
    blinds = _unpack_strings(reader, "blinds")
    count = reader.count("elements", _MAX_ITEMS)
    width = reader.u16("element size")
    blinded = reader.array(count, width, "blinded elements")
    owner = np.frombuffer(reader.take(count * 8, "owners"), ">i8").astype(np.int64)
    rule = np.frombuffer(reader.take(count * 8, "rules"), ">i8").astype(np.int64)
    is_band = np.frombuffer(reader.take(count, "band flags"), np.uint8).astype(bool)
    reader.finish()
    return PendingQuery(
        request_id=request_id,
        request_digest=request_digest,
        record_ids=record_ids,
        rule_ids=rule_ids,
        inputs=inputs,
        blinds=blinds,
        blinded=blinded,
        owner=owner,
        rule=rule,
        is_band=is_band,
        real_tokens=real_tokens,
    )


def save_state(path: Path, state: QuerierState, keys: PartyKeys) -> None:
    from ppmatch.crypto import aead

    nonce = secrets.token_bytes(12)
    header = _HEADER.pack(
        _MAGIC,
        1,
        state.session_id,
        state.sequence,
        state.request_digest,
        state.database_sha256,
        int(state.finished),
        nonce,
    )
    body = b"" if state.pending is None else _pending_to_bytes(state.pending)
    sealed = aead.seal(_state_key(keys, header), nonce, body, header)
    atomic_write_bytes(path, header + sealed, mode=0o600)


def load_state(path: Path, keys: PartyKeys) -> QuerierState:
    from ppmatch.crypto import aead
    from ppmatch.errors import CryptoError

    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise IntegrityError(f"{path}: cannot read querier state ({error.strerror})") from error
    if len(data) < _HEADER.size or data[:8] != _MAGIC:
        raise IntegrityError(f"{path}: not a ppmatch querier state file")
    header = data[: _HEADER.size]
    magic, version, session, sequence, digest, database_sha, finished, nonce = _HEADER.unpack(
        header
    )
    if version != 1:
        raise IntegrityError(f"{path}: querier state version {version} unsupported")
    try:
        body = aead.open(_state_key(keys, header), nonce, data[_HEADER.size :], header)
    except CryptoError:
        raise IntegrityError(
            f"{path}: querier state does not decrypt (altered, or made with other keys)"
        ) from None
    pending = _pending_from_bytes(body) if body else None
    return QuerierState(session, sequence, digest, database_sha, bool(finished), pending)
