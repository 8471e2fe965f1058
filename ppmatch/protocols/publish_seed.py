"""Per-record publish randomness: fresh from the OS, or derived from a secret publish seed.

A record's payload key and its Shamir coefficients are publish's only random values (handles,
entry ids, tags, label keys and nonces are PRFs of the keys and records; padding is zeros).
With a 32-byte ``publish_seed`` they are derived instead, so publishing the same records under
the same keys and seed yields the same bytes: a killed, resumed publish can then reproduce the
uninterrupted run exactly.

Derivation (keyed BLAKE2b, every input length-prefixed, one personalization per purpose):

* ``record_key = BLAKE2b(key=seed, person="ppm-pub-record1", binding)``, where ``binding`` is
  the record's handle (a PRF of its id), share count, the SHA-512 of its payload plaintext and
  its token tags and weights. Binding the content, not just the id, means a changed record under
  a reused seed gets an unrelated payload key: the payload AEAD's fixed nonce is never reused
  with another plaintext, and no two sharings of one key leak extra points.
* ``payload_key = BLAKE2b(key=record_key, person="ppm-pub-paykey1")``;
  coefficient ``i = BLAKE2b-512(key=record_key, person="ppm-pub-shamir1", i) mod bound``
  (bias below 2^-250 for the 257-bit field).

The seed determines every payload key, so it is as secret as they are.
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Callable, Sequence

from ppmatch.crypto import shamir
from ppmatch.errors import CryptoError

SEED_SIZE = 32
_RECORD_PERSON = b"ppm-pub-record1"
_PAYLOAD_KEY_PERSON = b"ppm-pub-paykey1"
_SHAMIR_PERSON = b"ppm-pub-shamir1"
_DRAW_SIZE = 64


def _framed(*parts: bytes) -> bytes:
    return b"".join(struct.pack(">I", len(part)) + part for part in parts)


class PublishRandomness:
    """Source of each record's payload key and Shamir coefficient draws."""

    def __init__(self, publish_seed: bytes | None) -> None:
        if publish_seed is not None and len(publish_seed) != SEED_SIZE:
            raise CryptoError(f"publish seed must be {SEED_SIZE} bytes, got {len(publish_seed)}")
        self._seed = publish_seed

    @property
    def seeded(self) -> bool:
        return self._seed is not None

    def for_record(
        self,
        handle: int,
        plaintext: bytes,
        tags: Sequence[bytes],
        weights: Sequence[int],
        share_count: int,
    ) -> tuple[bytes, Callable[[int], int] | None]:
        """``(payload_key, randbelow)`` for one record; ``randbelow`` is None when unseeded."""
        if self._seed is None:
            return os.urandom(shamir.SECRET_SIZE), None
        binding = _framed(
            struct.pack(">QH", handle, share_count),
            hashlib.sha512(plaintext).digest(),
            b"".join(tags),
            bytes(weights),
        )
        record_key = hashlib.blake2b(
            binding, digest_size=32, key=self._seed, person=_RECORD_PERSON
        ).digest()
        payload_key = hashlib.blake2b(
            b"", digest_size=shamir.SECRET_SIZE, key=record_key, person=_PAYLOAD_KEY_PERSON
        ).digest()
        counter = 0

        def randbelow(bound: int) -> int:
            nonlocal counter
            if not 0 < bound < 1 << (8 * _DRAW_SIZE - 128):
                raise CryptoError(f"seeded draw bound out of range: {bound.bit_length()} bits")
            draw = hashlib.blake2b(
                struct.pack(">Q", counter),
                digest_size=_DRAW_SIZE,
                key=record_key,
                person=_SHAMIR_PERSON,
            ).digest()
            counter += 1
            return int.from_bytes(draw, "big") % bound

        return payload_key, randbelow
