"""ChaCha20-Poly1305 (RFC 8439, from ``cryptography``) with associated data.

With ``nonce=None`` a random 12-byte nonce is generated and prepended to the ciphertext (the
usual case: keys here are per record or per token, but random nonces stay safe if one is
reused); ``open`` with ``nonce=None`` reads it back from the front.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305

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
