"""Paillier (via ``phe``) on raw integers, as PSI-sum moves them: fixed-width big-endian bytes.

``phe`` supplies key generation and decryption; the key owner encrypts through the CRT
(``r^n mod p^2`` and ``mod q^2``, about 3x faster than ``mod n^2``), and the other party's
public operations (homomorphic sum, masking, re-randomization) are three lines of modular
arithmetic here. Every ciphertext or modulus that arrives from the other party is checked
before use.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterable, Sequence

from phe import paillier
from phe.util import invert, mulmod, powmod

from ppmatch.errors import CryptoError

KEY_BITS = (2048, 3072)
DEFAULT_KEY_BITS = 2048


def modulus_width(modulus: int) -> int:
    """Bytes of ``n``; ciphertexts (mod ``n^2``) take twice as many."""
    return (modulus.bit_length() + 7) // 8


def check_modulus(modulus: int, what: str) -> None:
    if modulus.bit_length() not in KEY_BITS or modulus % 2 == 0:
        raise CryptoError(
            f"{what}: Paillier modulus must be an odd {' or '.join(map(str, KEY_BITS))}-bit integer"
        )


def check_ciphertext(modulus: int, ciphertext: int, what: str) -> None:
    """A ciphertext must be a unit mod ``n^2`` (else it is not an encryption of anything)."""
    if not 0 < ciphertext < modulus * modulus or math.gcd(ciphertext, modulus) != 1:
        raise CryptoError(f"{what}: not a valid Paillier ciphertext for this key")


def _random_unit(modulus: int) -> int:
    while True:
        value = secrets.randbelow(modulus - 1) + 1
        if math.gcd(value, modulus) == 1:
            return value


def encrypt(modulus: int, plaintext: int) -> int:
    """Public-key encryption ``(1 + n)^m * s^n mod n^2`` with fresh randomness ``s``."""
    square = modulus * modulus
    return mulmod(
        (modulus * plaintext + 1) % square, powmod(_random_unit(modulus), modulus, square), square
    )


def add_all(modulus: int, ciphertexts: Iterable[int]) -> int:
    """Encryption of the sum of the plaintexts (the product of the ciphertexts)."""
    square = modulus * modulus
    total = 1  # an encryption of 0 with randomness 1; callers re-randomize before sending
    for ciphertext in ciphertexts:
        total = mulmod(total, ciphertext, square)
    return total


def add(modulus: int, first: int, second: int) -> int:
    return mulmod(first, second, modulus * modulus)


class PaillierKey:
    """A per-session Paillier key pair; the private half never leaves this object."""

    def __init__(self, bits: int = DEFAULT_KEY_BITS) -> None:
        if bits not in KEY_BITS:
            raise CryptoError(f"Paillier key size {bits} is not supported (use {KEY_BITS})")
        public, self._private = paillier.generate_paillier_keypair(n_length=bits)
        self.modulus: int = public.n
        p, q = self._private.p, self._private.q
        self._p2, self._q2 = p * p, q * q
        self._exp_p = self.modulus % (p * (p - 1))  # r^n mod p^2 = r^(n mod phi(p^2)) mod p^2
        self._exp_q = self.modulus % (q * (q - 1))
        self._p2_inverse = invert(self._p2, self._q2)

    def encrypt_many(self, plaintexts: Sequence[int]) -> list[int]:
        square = self.modulus * self.modulus
        result = []
        for plaintext in plaintexts:
            if not 0 <= plaintext < self.modulus:
                raise CryptoError("Paillier plaintext out of range")
            r = _random_unit(self.modulus)
            on_p = powmod(r, self._exp_p, self._p2)
            on_q = powmod(r, self._exp_q, self._q2)
            obfuscator = on_p + self._p2 * ((on_q - on_p) * self._p2_inverse % self._q2)
            result.append(mulmod((self.modulus * plaintext + 1) % square, obfuscator, square))
        return result

    def decrypt(self, ciphertext: int, what: str) -> int:
        check_ciphertext(self.modulus, ciphertext, what)
        return self._private.raw_decrypt(ciphertext)
