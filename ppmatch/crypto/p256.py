"""NIST P-256 with RFC 9380 ``P256_XMD:SHA-256_SSWU_RO_`` hashing.

Point arithmetic runs in pycryptodome's C code (``EccPoint``); the simplified SWU map and
point decompression are field arithmetic with gmpy2 (GMP), whose square roots are ten times
faster than Python's ``pow`` and keep hashing and decoding small next to a multiplication. Elements are ``EccPoint`` objects and travel as 33-byte SEC1
compressed encodings.
"""

from __future__ import annotations

import gmpy2
from Crypto.PublicKey.ECC import EccPoint

from ppmatch.errors import CryptoError

P = 2**256 - 2**224 + 2**192 + 2**96 - 1
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
A = P - 3
B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
Z = P - 10  # RFC 9380 section 8.2
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
_CURVE = "P-256"
_P = gmpy2.mpz(P)
_SQRT_EXP = gmpy2.mpz((P + 1) // 4)  # P = 3 mod 4
_MINUS_B_OVER_A = (-B * pow(A, -1, P)) % P
_B_OVER_ZA = (B * pow(Z * A, -1, P)) % P


def _curve_rhs(x: gmpy2.mpz) -> gmpy2.mpz:
    return (x * x * x + A * x + B) % _P


def map_to_curve_sswu(u: int) -> tuple[int, int]:
    """RFC 9380 section 6.6.2 simplified SWU map for P-256 (affine x, y)."""
    u = gmpy2.mpz(u)
    z_u2 = Z * u * u % _P
    tv1 = (z_u2 * z_u2 + z_u2) % _P
    x1 = gmpy2.mpz(_B_OVER_ZA) if tv1 == 0 else _MINUS_B_OVER_A * (1 + gmpy2.invert(tv1, _P)) % _P
    gx1 = _curve_rhs(x1)
    y = gmpy2.powmod(gx1, _SQRT_EXP, _P)
    if y * y % _P == gx1:
        x = x1
    else:
        x = z_u2 * x1 % _P
        y = gmpy2.powmod(_curve_rhs(x), _SQRT_EXP, _P)
    if (u & 1) != (y & 1):
        y = _P - y
    return int(x), int(y)


class P256:
    """The P-256 group backend (see :class:`ppmatch.crypto.group.Group`)."""

    name = "P-256"
    order = ORDER
    element_size = 33
    scalar_size = 32
    hash_name = "sha256"
    uniform_group_bytes = 96  # two field elements, L = 48
    uniform_scalar_bytes = 48

    def __init__(self) -> None:
        self._generator = EccPoint(_GX, _GY, _CURVE)
        # EccPoint.is_point_at_infinity() builds a new point per call; compare with one.
        self._identity = EccPoint(0, 0, _CURVE)

    def map_to_group(self, uniform: bytes) -> EccPoint:
        u0 = int.from_bytes(uniform[:48], "big") % P
        u1 = int.from_bytes(uniform[48:], "big") % P
        q0 = EccPoint(*map_to_curve_sswu(u0), _CURVE)
        q1 = EccPoint(*map_to_curve_sswu(u1), _CURVE)
        return q0 + q1  # cofactor 1: no clearing needed

    def scalar_from_uniform(self, uniform: bytes) -> int:
        return int.from_bytes(uniform, "big") % ORDER

    def generator_mult(self, scalar: int) -> EccPoint:
        return self.mult(scalar, self._generator)

    def mult(self, scalar: int, element: EccPoint) -> EccPoint:
        result = element * scalar
        if result == self._identity:
            raise CryptoError("P-256: scalar multiplication gave the identity")
        return result

    def operand(self, data: bytes, what: str, index: int) -> EccPoint:
        return self.decode(data, f"{what}[{index}]")

    def add(self, a: EccPoint, b: EccPoint) -> EccPoint:
        return a + b

    def invert(self, scalar: int) -> int:
        if scalar % ORDER == 0:
            raise CryptoError("P-256: cannot invert the zero scalar")
        return pow(scalar, -1, ORDER)

    def encode(self, element: EccPoint) -> bytes:
        if element == self._identity:
            raise CryptoError("P-256: the identity has no compressed encoding")
        x, y = element.xy
        return (2 + (int(y) & 1)).to_bytes(1, "big") + int(x).to_bytes(32, "big")

    def decode(self, data: bytes, what: str = "element") -> EccPoint:
        if len(data) != 33 or data[0] not in (2, 3):
            raise CryptoError(
                f"P-256: {what} must be a 33-byte compressed point (02/03 prefix), "
                f"got {len(data)} bytes starting {bytes(data[:1]).hex()}"
            )
        x = gmpy2.mpz(int.from_bytes(data[1:], "big"))
        if x >= _P:
            raise CryptoError(f"P-256: {what} has a non-canonical x coordinate (>= p)")
        rhs = _curve_rhs(x)
        y = gmpy2.powmod(rhs, _SQRT_EXP, _P)
        if y * y % _P != rhs:
            raise CryptoError(f"P-256: {what} is not on the curve")
        if (y & 1) != (data[0] & 1):
            y = _P - y
        return EccPoint(int(x), int(y), _CURVE)

    def encode_scalar(self, scalar: int) -> bytes:
        return scalar.to_bytes(32, "big")

    def decode_scalar(self, data: bytes, what: str = "scalar") -> int:
        if len(data) != 32:
            raise CryptoError(f"P-256: {what} must be 32 bytes, got {len(data)}")
        value = int.from_bytes(data, "big")
        if value >= ORDER:
            raise CryptoError(f"P-256: {what} is not a canonical scalar (>= group order)")
        return value
