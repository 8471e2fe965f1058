"""The small prime-order-group interface the (V)OPRF is written against.

Scalars are Python ints in ``[0, order)``; elements are whatever the backend computes on
fastest (canonical bytes for ristretto255, points for P-256). Every element that arrives as
bytes from the other party goes through :meth:`Group.decode` or :meth:`Group.operand`, which
reject non-canonical encodings and the identity with :class:`~ppmatch.errors.CryptoError`.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

Element = Any


class Group(Protocol):
    """A prime-order group with RFC 9380 hashing, as RFC 9497 section 2.1 needs it."""

    name: str
    order: int
    element_size: int
    scalar_size: int
    hash_name: str  # hash used by expand_message_xmd for this group
    uniform_group_bytes: int  # expand_message_xmd output length for HashToGroup
    uniform_scalar_bytes: int  # ... and for HashToScalar

    def map_to_group(self, uniform: bytes) -> Element:
        """Map expand_message_xmd output to an element (hash-to-group minus the expansion)."""
        ...

    def scalar_from_uniform(self, uniform: bytes) -> int:
        """Reduce expand_message_xmd output to a scalar (hash-to-scalar minus the expansion)."""
        ...

    def generator_mult(self, scalar: int) -> Element: ...

    def mult(self, scalar: int, element: Element) -> Element:
        """``scalar * element``; :class:`CryptoError` if the result is the identity."""
        ...

    def operand(self, data: bytes, what: str, index: int) -> Element:
        """Accept hostile bytes as the input of :meth:`mult`.

        P-256 decodes and validates here; ristretto255 checks only the length, because
        libsodium decodes and validates inside every multiplication and refuses identity
        results, so an invalid element can never be used silently (and is not decoded twice).
        """
        ...

    def invert(self, scalar: int) -> int: ...

    def add(self, a: Element, b: Element) -> Element: ...

    def encode(self, element: Element) -> bytes: ...

    def decode(self, data: bytes, what: str = "element") -> Element:
        """Canonical, non-identity elements only; ``what`` names the field in errors."""
        ...

    def encode_scalar(self, scalar: int) -> bytes: ...

    def decode_scalar(self, data: bytes, what: str = "scalar") -> int:
        """Canonical scalars only (``< order``)."""
        ...


def random_nonzero_scalar(order: int) -> int:
    """Uniform scalar in ``[1, order)``; 128 surplus random bits make the bias negligible."""
    return random_nonzero_scalars(order, 1)[0]


def random_nonzero_scalars(order: int, count: int) -> list[int]:
    """``count`` independent :func:`random_nonzero_scalar` draws from one ``os.urandom`` call."""
    width = (order.bit_length() + 128 + 7) // 8
    pool = os.urandom(width * count)
    return [
        int.from_bytes(pool[i : i + width], "big") % (order - 1) + 1
        for i in range(0, width * count, width)
    ]
