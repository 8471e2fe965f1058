"""RFC 9497 section 2.2 batched DLEQ proofs (VOPRF mode).

The server proves that every evaluated element ``D_i`` equals ``k * C_i`` for the same ``k``
as its public key ``B = k * G``, with one proof for the whole batch: both sides fold the batch
into composites ``M = sum(d_i * C_i)`` and ``Z = sum(d_i * D_i)`` (the server computes
``Z = k * M``), where ``d_i`` are hashed from the whole batch and the public key. The
composites are sums, so chunks of the batch can be folded in separate processes.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from typing import Any

from ppmatch.crypto.group import Group, random_nonzero_scalar
from ppmatch.crypto.suite import ModeContext, length_prefixed
from ppmatch.errors import CryptoError

MAX_BATCH = 65536  # composite indices are encoded in two bytes


def composite_seed(context: ModeContext, public_key: bytes) -> bytes:
    """Seed binding the composite weights to the server's public key and the mode."""
    return context.hash(length_prefixed(public_key, context.seed_dst)).digest()


def composite_weights(
    context: ModeContext,
    seed: bytes,
    start: int,
    blinded: Sequence[bytes],
    evaluated: Sequence[bytes],
) -> list[int]:
    """The ``d_i`` for batch positions ``start .. start + len(blinded) - 1``."""
    if start + len(blinded) > MAX_BATCH:
        raise CryptoError(f"VOPRF batch of {start + len(blinded)} exceeds {MAX_BATCH} elements")
    prefix = length_prefixed(seed)
    hash_to_scalar = context.hash_to_scalar
    return [
        hash_to_scalar(prefix + index.to_bytes(2, "big") + length_prefixed(c, d) + b"Composite")
        for index, c, d in zip(range(start, start + len(blinded)), blinded, evaluated, strict=True)
    ]


def weighted_sum(group: Group, weights: Sequence[int], elements: Sequence[Any]) -> Any:
    """``sum(w_i * e_i)`` over a non-empty chunk."""
    mult, add = group.mult, group.add
    total = mult(weights[0], elements[0])
    for weight, element in zip(weights[1:], elements[1:], strict=True):
        total = add(total, mult(weight, element))
    return total


def combine(group: Group, partials: Sequence[bytes], what: str) -> Any:
    """Add the encoded per-chunk composites into one element."""
    total = group.decode(partials[0], what)
    for partial in partials[1:]:
        total = group.add(total, group.decode(partial, what))
    return total


def _challenge(context: ModeContext, public_key: bytes, *elements: Any) -> int:
    encode = context.group.encode
    transcript = length_prefixed(public_key, *(encode(e) for e in elements)) + b"Challenge"
    return context.hash_to_scalar(transcript)


def generate_proof(
    context: ModeContext,
    key: int,
    public_key: bytes,
    composite_m: Any,
    nonce: int | None = None,
) -> bytes:
    """Prove ``Z = key * M`` and ``B = key * G``; ``nonce`` is injectable for test vectors."""
    group = context.group
    r = random_nonzero_scalar(group.order) if nonce is None else nonce
    composite_z = group.mult(key, composite_m)
    t2 = group.generator_mult(r)
    t3 = group.mult(r, composite_m)
    c = _challenge(context, public_key, composite_m, composite_z, t2, t3)
    s = (r - c * key) % group.order
    return group.encode_scalar(c) + group.encode_scalar(s)


def verify_proof(
    context: ModeContext,
    public_element: Any,
    public_key: bytes,
    composite_m: Any,
    composite_z: Any,
    proof: bytes,
) -> None:
    """Raise :class:`CryptoError` unless ``proof`` is valid for these composites."""
    group = context.group
    size = group.scalar_size
    if len(proof) != 2 * size:
        raise CryptoError(f"VOPRF proof must be {2 * size} bytes, got {len(proof)}")
    try:
        c = group.decode_scalar(proof[:size], "proof challenge")
        s = group.decode_scalar(proof[size:], "proof response")
        t2 = group.add(group.generator_mult(s), group.mult(c, public_element))
        t3 = group.add(group.mult(s, composite_m), group.mult(c, composite_z))
        expected = group.encode_scalar(
            _challenge(context, public_key, composite_m, composite_z, t2, t3)
        )
    except CryptoError as error:
        raise CryptoError(f"VOPRF proof verification failed: {error}") from None
    if not hmac.compare_digest(expected, bytes(proof[:size])):
        raise CryptoError(
            "VOPRF proof verification failed: the evaluations were not made with the key "
            "committed in the server public key"
        )
