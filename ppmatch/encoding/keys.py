"""Per-purpose keys derived from the one linkage secret the two agencies share.

Every field hash, the hardening permutation, the BLIP noise and every LSH layout get their own
key, derived by HKDF-SHA256 from the linkage secret with a distinct ``info`` label, so that no
two uses of the secret ever hash the same input under the same key. Keys live on the encoder
object that needs them, never in a module-level cache.
"""

from __future__ import annotations

from ppmatch.crypto.kdf import hkdf
from ppmatch.errors import SchemaError

_SALT = b"ppmatch/linkage/v1"
MIN_SECRET_BYTES = 16


def derive_key(linkage_secret: bytes, purpose: str, *, length: int = 32) -> bytes:
    """HKDF-SHA256(secret, salt="ppmatch/linkage/v1", info=purpose) -> ``length`` bytes."""
    if not isinstance(linkage_secret, bytes | bytearray) or len(linkage_secret) < MIN_SECRET_BYTES:
        raise SchemaError(
            f"linkage secret: need at least {MIN_SECRET_BYTES} bytes of key material "
            "(derive it from the agreement's key exchange)"
        )
    return hkdf(bytes(linkage_secret), salt=_SALT, info=purpose.encode(), length=length)
