"""Key and identifier derivations of the holder database (one place, so both roles agree).

* From each OPRF output ``y`` one keyed BLAKE2b call gives the 8-byte lookup tag and the 32-byte
  label key. The tag is public inside the database; the label key never is.
* Handles and entry ids are keyed PRFs of the record id under keys derived from the holder's
  epoch OPRF key, so the holder can name a record's entries again (for tombstones) without
  keeping state, and nobody else learns anything from them.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable

import numpy as np

from ppmatch.crypto.kdf import hkdf

TAG_SIZE = 8
ENTRY_ID_SIZE = 12
HANDLE_SIZE = 8
LABEL_KEY_SIZE = 32
_ENTRY_PERSON = b"ppm-entry-v1"
_ENTRY_INDEX = struct.Struct(">QI")


def entry_secrets(y: bytes, agreement_hash: bytes) -> tuple[bytes, bytes]:
    """``(tag, label_key)`` of one OPRF output, bound to the agreement."""
    digest = hashlib.blake2b(
        y, digest_size=TAG_SIZE + LABEL_KEY_SIZE, key=agreement_hash, person=_ENTRY_PERSON
    ).digest()
    return digest[:TAG_SIZE], digest[TAG_SIZE:]


class EntrySecretDeriver:
    """:func:`entry_secrets` for a whole batch of OPRF outputs.

    The keyed BLAKE2b state is set up once and copied per output (keying costs a compression
    of its own), and the result is one flat ``(tag || label_key)`` byte string per output.
    """

    def __init__(self, agreement_hash: bytes) -> None:
        self._keyed = hashlib.blake2b(
            digest_size=TAG_SIZE + LABEL_KEY_SIZE, key=agreement_hash, person=_ENTRY_PERSON
        )

    def digests(self, outputs: Iterable[bytes]) -> list[bytes]:
        """Per output ``tag || label_key`` (``TAG_SIZE + LABEL_KEY_SIZE`` bytes)."""
        keyed = self._keyed
        result = []
        for y in outputs:
            state = keyed.copy()
            state.update(y)
            result.append(state.digest())
        return result


def tags_as_uint64(tags: list[bytes]) -> np.ndarray:
    """Big-endian 8-byte tags as native uint64 values (the sort and search key)."""
    return np.frombuffer(b"".join(tags), dtype=">u8").astype(np.uint64)


class HolderSecrets:
    """Per-epoch holder-only keys for handles and entry ids, derived from the OPRF key."""

    def __init__(self, oprf_private_key: bytes, agreement_hash: bytes, epoch: int) -> None:
        info = struct.pack(">I", epoch)
        self._handle_key = hkdf(
            oprf_private_key, salt=agreement_hash, info=b"ppmatch handle key" + info, length=32
        )
        entry_key = hkdf(
            oprf_private_key, salt=agreement_hash, info=b"ppmatch entry id key" + info, length=32
        )
        self._keyed_entry = hashlib.blake2b(digest_size=ENTRY_ID_SIZE, key=entry_key)

    def handle(self, record_id: str) -> int:
        """The record's opaque per-epoch handle (64-bit, never 0)."""
        digest = hashlib.blake2b(
            record_id.encode("utf-8"), digest_size=HANDLE_SIZE, key=self._handle_key
        ).digest()
        return int.from_bytes(digest, "big") or 1

    def entry_id(self, handle: int, index: int) -> bytes:
        """Identifier (and AEAD nonce) of the record's ``index``-th token entry."""
        state = self._keyed_entry.copy()
        state.update(_ENTRY_INDEX.pack(handle, index))
        return state.digest()

    def entry_ids(self, handle: int, count: int) -> list[bytes]:
        """``entry_id(handle, i)`` for ``i < count``, from one copied keyed state."""
        keyed, pack = self._keyed_entry, _ENTRY_INDEX.pack
        result = []
        for index in range(count):
            state = keyed.copy()
            state.update(pack(handle, index))
            result.append(state.digest())
        return result


def label_associated_prefix(agreement_hash: bytes, epoch: int) -> bytes:
    """A label's associated data is this prefix (fixed per database) followed by its tag."""
    return b"ppmatch label v1" + agreement_hash + struct.pack(">I", epoch)


def payload_associated_data(agreement_hash: bytes, epoch: int, handle: int) -> bytes:
    return b"ppmatch payload v1" + agreement_hash + struct.pack(">IQ", epoch, handle)
