"""HKDF-SHA256 (RFC 5869) from ``cryptography``: derives per-purpose keys (label keys from
OPRF outputs, agreement secrets from X25519) so one secret never serves two roles."""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ppmatch.errors import CryptoError

MAX_LENGTH = 255 * 32


def hkdf(ikm: bytes, *, salt: bytes | None, info: bytes, length: int) -> bytes:
    """``length`` bytes of HKDF-SHA256 output; ``info`` separates the purposes."""
    if not 1 <= length <= MAX_LENGTH:
        raise CryptoError(f"HKDF output length must be 1..{MAX_LENGTH}, got {length}")
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)
