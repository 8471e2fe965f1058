"""ChaCha20-Poly1305 (RFC 8439, from ``cryptography``) with associated data.

With ``nonce=None`` a random 12-byte nonce is generated and prepended to the ciphertext (the
usual case: keys here are per record or per token, but random nonces stay safe if one is
reused); ``open`` with ``nonce=None`` reads it back from the front.

:class:`FixedSizeSealer` and :class:`FixedSizeOpener` are the same construction for bulk
sealing and opening of many small messages of one size under a fresh key each (the labels of a
holder database), where building a ``cryptography`` cipher object per key costs more than the
encryption itself.
"""

from __future__ import annotations

import ctypes
import os
from typing import NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

from ppmatch.crypto._sodium import libsodium
from ppmatch.errors import CryptoError

KEY_SIZE = 32
NONCE_SIZE = 12
TAG_SIZE = 16


def _cipher(key: bytes) -> ChaCha20Poly1305:
    if len(key) != KEY_SIZE:
        raise CryptoError(f"AEAD key must be {KEY_SIZE} bytes, got {len(key)}")
    return ChaCha20Poly1305(bytes(key))


def _check_nonce(nonce: bytes) -> None:
    if len(nonce) != NONCE_SIZE:
        raise CryptoError(f"AEAD nonce must be {NONCE_SIZE} bytes, got {len(nonce)}")


def seal(key: bytes, nonce: bytes | None, plaintext: bytes, associated_data: bytes) -> bytes:
    """Encrypt and authenticate; ``associated_data`` is bound but not encrypted."""
    cipher = _cipher(key)
    if nonce is None:
        nonce = os.urandom(NONCE_SIZE)
        return nonce + cipher.encrypt(nonce, plaintext, associated_data)
    _check_nonce(nonce)
    return cipher.encrypt(nonce, plaintext, associated_data)


def open(key: bytes, nonce: bytes | None, ciphertext: bytes, associated_data: bytes) -> bytes:  # noqa: A001
    """Decrypt; :class:`CryptoError` if the key, nonce, data or associated data differ."""
    cipher = _cipher(key)
    if nonce is None:
        nonce, ciphertext = ciphertext[:NONCE_SIZE], ciphertext[NONCE_SIZE:]
    _check_nonce(nonce)
    if len(ciphertext) < TAG_SIZE:
        raise CryptoError(f"AEAD ciphertext is {len(ciphertext)} bytes, shorter than its tag")
    try:
        return cipher.decrypt(nonce, ciphertext, associated_data)
    except InvalidTag:
        raise CryptoError(
            "AEAD authentication failed: wrong key, or ciphertext/associated data modified"
        ) from None


class _FixedSizes:
    """The message sizes a bulk sealer or opener is built for, and their C length arguments."""

    def __init__(self, plaintext_size: int, associated_size: int) -> None:
        if plaintext_size < 0 or associated_size < 0:
            raise CryptoError(
                f"AEAD sizes must be non-negative, got plaintext {plaintext_size}, "
                f"associated data {associated_size}"
            )
        self.plaintext_size = plaintext_size
        self.associated_size = associated_size
        self.sealed_size = plaintext_size + TAG_SIZE
        self._plaintext_length = ctypes.c_ulonglong(plaintext_size)
        self._associated_length = ctypes.c_ulonglong(associated_size)


def _raise_size_error(
    role: str,
    what: str,
    sizes: tuple[int, int, int, int],
    key: bytes,
    nonce: bytes,
    data: bytes,
    associated_data: bytes,
) -> NoReturn:
    if len(key) != KEY_SIZE:
        raise CryptoError(f"AEAD key must be {KEY_SIZE} bytes, got {len(key)}")
    _check_nonce(nonce)
    raise CryptoError(
        f"this AEAD {role} {sizes[2]}-byte {what} and {sizes[3]}-byte associated data, "
        f"got {len(data)} and {len(associated_data)}"
    )


class FixedSizeSealer(_FixedSizes):
    """:func:`seal` with an explicit nonce, for many messages of one fixed size.

    Calls libsodium's IETF ChaCha20-Poly1305 (the same RFC 8439 construction, so the output is
    byte for byte that of ``seal(key, nonce, plaintext, associated_data)`` and opens with
    :func:`open`) with the lengths and output buffer type fixed at construction: one sealing
    is one C call and one tuple comparison, whatever the number of distinct keys. Every
    argument must be ``bytes``; each call allocates its own output, so an instance may be
    shared between threads.
    """

    def __init__(self, plaintext_size: int, associated_size: int) -> None:
        super().__init__(plaintext_size, associated_size)
        self._encrypt = libsodium().crypto_aead_chacha20poly1305_ietf_encrypt
        self._sizes = (KEY_SIZE, NONCE_SIZE, plaintext_size, associated_size)
        self._output = ctypes.c_char * self.sealed_size

    def seal(self, key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes) -> bytes:
        """``ciphertext || tag`` of ``plaintext``, bound to ``associated_data``."""
        if (len(key), len(nonce), len(plaintext), len(associated_data)) != self._sizes:
            _raise_size_error(
                "sealer takes", "plaintexts", self._sizes, key, nonce, plaintext, associated_data
            )
        output = self._output()
        self._encrypt(
            output,
            None,
            plaintext,
            self._plaintext_length,
            associated_data,
            self._associated_length,
            None,
            nonce,
            key,
        )
        return output.raw


class FixedSizeOpener(_FixedSizes):
    """:func:`open` with an explicit nonce, for many sealed messages of one fixed size.

    The querier opens one label per tag hit, millions in a large batch; most hits are its own
    tokens, a few are 64-bit tag collisions that must simply not open. So a failure returns
    ``None`` instead of raising, and one opening is one libsodium call (byte for byte the
    RFC 8439 construction of :func:`open`). Every argument must be ``bytes``.
    """

    def __init__(self, plaintext_size: int, associated_size: int) -> None:
        super().__init__(plaintext_size, associated_size)
        self._decrypt = libsodium().crypto_aead_chacha20poly1305_ietf_decrypt
        self._sizes = (KEY_SIZE, NONCE_SIZE, self.sealed_size, associated_size)
        self._sealed_length = ctypes.c_ulonglong(self.sealed_size)
        self._output = ctypes.c_char * max(plaintext_size, 1)

    def open(self, key: bytes, nonce: bytes, sealed: bytes, associated_data: bytes) -> bytes | None:
        """The plaintext, or ``None`` if the key, nonce, data or associated data differ."""
        if (len(key), len(nonce), len(sealed), len(associated_data)) != self._sizes:
            _raise_size_error(
                "opener takes", "sealed messages", self._sizes, key, nonce, sealed, associated_data
            )
        output = self._output()
        failed = self._decrypt(
            output,
            None,
            None,
            sealed,
            self._sealed_length,
            associated_data,
            self._associated_length,
            nonce,
            key,
        )
        return None if failed else output.raw[: self.plaintext_size]
