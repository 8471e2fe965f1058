"""ristretto255 (RFC 9496) on libsodium: the default, fastest suite.

Elements are kept as their canonical 32-byte encodings because that is what libsodium's
ristretto255 functions take and return; decoding is therefore validation only. libsodium's
scalar multiplication decodes its input (rejecting non-canonical encodings) and refuses to
return the identity, so hostile elements are validated by the operation itself.
"""

from __future__ import annotations

import ctypes

from ppmatch.crypto._sodium import libsodium
from ppmatch.errors import CryptoError

ORDER = 2**252 + 27742317777372353535851937790883648493
_IDENTITY = bytes(32)
_Buffer = ctypes.c_char * 32  # instantiating this beats ctypes.create_string_buffer


class Ristretto255:
    """The ristretto255 group backend (see :class:`ppmatch.crypto.group.Group`)."""

    name = "ristretto255"
    order = ORDER
    element_size = 32
    scalar_size = 32
    hash_name = "sha512"
    uniform_group_bytes = 64
    uniform_scalar_bytes = 64

    def __init__(self) -> None:
        lib = libsodium()
        self._scalarmult = lib.crypto_scalarmult_ristretto255
        self._scalarmult_base = lib.crypto_scalarmult_ristretto255_base
        self._from_hash = lib.crypto_core_ristretto255_from_hash
        self._add = lib.crypto_core_ristretto255_add
        self._is_valid_point = lib.crypto_core_ristretto255_is_valid_point
        self._invert = lib.crypto_core_ristretto255_scalar_invert

    def map_to_group(self, uniform: bytes) -> bytes:
        out = _Buffer()
        self._from_hash(out, uniform)
        return out.raw

    def scalar_from_uniform(self, uniform: bytes) -> int:
        return int.from_bytes(uniform, "little") % ORDER

    def generator_mult(self, scalar: int) -> bytes:
        out = _Buffer()
        if self._scalarmult_base(out, scalar.to_bytes(32, "little")) != 0:
            raise CryptoError("ristretto255: scalar multiple of the generator is the identity")
        return out.raw

    def mult(self, scalar: int, element: bytes) -> bytes:
        out = _Buffer()
        if self._scalarmult(out, scalar.to_bytes(32, "little"), element) != 0:
            raise CryptoError("ristretto255: not a valid element, or the product is the identity")
        return out.raw

    def operand(self, data: bytes, what: str, index: int) -> bytes:
        if len(data) != 32:
            raise CryptoError(_bad_element(what, index, data))
        return bytes(data)

    def add(self, a: bytes, b: bytes) -> bytes:
        out = _Buffer()
        if self._add(out, a, b) != 0:
            raise CryptoError("ristretto255: invalid element in addition")
        return out.raw

    def invert(self, scalar: int) -> int:
        """Constant-time inverse (libsodium), used once per batch."""
        out = _Buffer()
        if self._invert(out, scalar.to_bytes(32, "little")) != 0:
            raise CryptoError("ristretto255: cannot invert the zero scalar")
        return int.from_bytes(out.raw, "little")

    def encode(self, element: bytes) -> bytes:
        return element

    def decode(self, data: bytes, what: str = "element") -> bytes:
        data = bytes(data)
        if len(data) != 32 or data == _IDENTITY or self._is_valid_point(data) != 1:
            raise CryptoError(_bad_element(what, None, data))
        return data

    def encode_scalar(self, scalar: int) -> bytes:
        return scalar.to_bytes(32, "little")

    def decode_scalar(self, data: bytes, what: str = "scalar") -> int:
        if len(data) != 32:
            raise CryptoError(f"ristretto255: {what} must be 32 bytes, got {len(data)}")
        value = int.from_bytes(data, "little")
        if value >= ORDER:
            raise CryptoError(f"ristretto255: {what} is not a canonical scalar (>= group order)")
        return value


def _bad_element(what: str, index: int | None, data: bytes) -> str:
    where = f"{what}[{index}]" if index is not None else what
    return (
        f"ristretto255: {where} is not a canonical non-identity element "
        f"({len(data)} bytes, starts {bytes(data[:4]).hex()})"
    )
