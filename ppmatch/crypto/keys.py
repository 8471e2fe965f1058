"""OPRF key pairs: fresh random ones per key epoch, or RFC 9497 DeriveKeyPair from a seed."""

from __future__ import annotations

from ppmatch.crypto.group import random_nonzero_scalar
from ppmatch.crypto.suite import MODE_OPRF, Suite, get_suite, length_prefixed
from ppmatch.errors import CryptoError


def generate_key_pair(suite: Suite | str, mode: int = MODE_OPRF) -> tuple[bytes, bytes]:
    """A fresh ``(private_key, public_key)`` (mode is validated; keys are mode-independent)."""
    suite = get_suite(suite)
    suite.context(mode)
    group = suite.group
    key = random_nonzero_scalar(group.order)
    return group.encode_scalar(key), group.encode(group.generator_mult(key))


def derive_key_pair(
    suite: Suite | str, seed: bytes, info: bytes, mode: int = MODE_OPRF
) -> tuple[bytes, bytes]:
    """RFC 9497 DeriveKeyPair: the same seed and info always give the same key pair."""
    suite = get_suite(suite)
    context = suite.context(mode)
    group = suite.group
    if len(seed) != suite.scalar_size:
        raise CryptoError(f"DeriveKeyPair seed must be {suite.scalar_size} bytes, got {len(seed)}")
    if len(info) > 65535:
        raise CryptoError(f"DeriveKeyPair info is {len(info)} bytes (max 65535)")
    derive_input = bytes(seed) + length_prefixed(bytes(info))
    for counter in range(256):
        key = context.hash_to_scalar(derive_input + bytes([counter]), context.derive_key_dst)
        if key:
            return group.encode_scalar(key), group.encode(group.generator_mult(key))
    raise CryptoError("DeriveKeyPair: no non-zero key in 256 attempts")
