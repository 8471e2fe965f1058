"""Shamir secret sharing of 32-byte keys over the prime field GF(2^256 + 297).

The holder splits each record's payload key into ``n`` shares with threshold ``t``; the
querier recovers it only from ``t`` distinct shares. The prime is the smallest above 2^256,
so every 32-byte secret is a field element. A share records its threshold, so
reconstruction refuses (rather than silently mis-interpolating) when given too few.

Share encoding (``SHARE_SIZE`` = 35 bytes): threshold (1) || index x (1, 1..255) || y (33, big
endian, < p).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ppmatch.errors import CryptoError

PRIME = 2**256 + 297
SECRET_SIZE = 32
_Y_SIZE = 33
SHARE_SIZE = 2 + _Y_SIZE
MAX_SHARES = 255


@dataclass(frozen=True, slots=True)
class Share:
    """One point ``(index, value)`` of the sharing polynomial, plus the threshold."""

    threshold: int
    index: int
    value: int

    def to_bytes(self) -> bytes:
        return bytes([self.threshold, self.index]) + self.value.to_bytes(_Y_SIZE, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Share:
        if len(data) != SHARE_SIZE:
            raise CryptoError(f"Shamir share must be {SHARE_SIZE} bytes, got {len(data)}")
        threshold, index = data[0], data[1]
        value = int.from_bytes(data[2:], "big")
        if threshold == 0 or index == 0 or value >= PRIME:
            raise CryptoError(
                f"Shamir share is malformed (threshold={threshold}, index={index}, "
                f"value {'>= p' if value >= PRIME else 'ok'})"
            )
        return cls(threshold, index, value)


def split(
    secret: bytes, n: int, t: int, *, randbelow: Callable[[int], int] | None = None
) -> list[Share]:
    """``n`` shares of ``secret``, any ``t`` of which reconstruct it.

    ``randbelow(bound)`` draws the ``t - 1`` random coefficients (default: the OS CSPRNG via
    :func:`secrets.randbelow`); a caller passes a keyed deterministic one to make a publish
    reproducible. It must return values uniform (or negligibly close) in ``[0, bound)``.
    """
    if len(secret) != SECRET_SIZE:
        raise CryptoError(f"Shamir secret must be {SECRET_SIZE} bytes, got {len(secret)}")
    if not 1 <= t <= n <= MAX_SHARES:
        raise CryptoError(f"Shamir needs 1 <= t <= n <= {MAX_SHARES}, got t={t}, n={n}")
    coefficients = [int.from_bytes(secret, "big")]
    draw = secrets.randbelow if randbelow is None else randbelow
    coefficients += [draw(PRIME) for _ in range(t - 1)]
    if any(not 0 <= c < PRIME for c in coefficients[1:]):
        raise CryptoError("Shamir coefficient source returned a value outside the field")
    shares = []
    for x in range(1, n + 1):
        y = 0
        for coefficient in reversed(coefficients):  # Horner; x < 256 keeps y near 2^256 * x^t
            y = y * x + coefficient
        shares.append(Share(t, x, y % PRIME))
    return shares


def reconstruct(shares: Iterable[Share | bytes]) -> bytes:
    """The secret from at least ``t`` shares (extra shares are ignored)."""
    parsed = [s if isinstance(s, Share) else Share.from_bytes(s) for s in shares]
    if not parsed:
        raise CryptoError("Shamir reconstruction needs shares, got none")
    thresholds = {s.threshold for s in parsed}
    if len(thresholds) != 1:
        raise CryptoError(f"Shamir shares disagree on the threshold: {sorted(thresholds)}")
    threshold = thresholds.pop()
    by_index: dict[int, int] = {}
    for share in parsed:
        if by_index.setdefault(share.index, share.value) != share.value:
            raise CryptoError(f"Shamir shares conflict at index {share.index}")
    if len(by_index) < threshold:
        raise CryptoError(
            f"Shamir reconstruction needs {threshold} distinct shares, got {len(by_index)}"
        )
    points = list(by_index.items())[:threshold]
    secret = 0
    for i, (x_i, y_i) in enumerate(points):
        numerator, denominator = 1, 1
        for j, (x_j, _) in enumerate(points):
            if i != j:
                numerator = numerator * x_j % PRIME
                denominator = denominator * (x_j - x_i) % PRIME
        secret = (secret + y_i * numerator * pow(denominator, -1, PRIME)) % PRIME
    if secret >= 1 << (8 * SECRET_SIZE):
        raise CryptoError("Shamir shares are inconsistent (they come from different secrets)")
    return secret.to_bytes(SECRET_SIZE, "big")
