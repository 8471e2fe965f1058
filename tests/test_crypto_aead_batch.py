"""aead.FixedSizeSealer / FixedSizeOpener: the bulk sealer and opener are aead.seal and aead.open
byte for byte, the opener answers None where open raises, and both refuse wrong sizes."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.crypto import aead
from ppmatch.errors import CryptoError


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=aead.KEY_SIZE, max_size=aead.KEY_SIZE),
    nonce=st.binary(min_size=aead.NONCE_SIZE, max_size=aead.NONCE_SIZE),
    plaintext=st.binary(max_size=300),
    associated_data=st.binary(max_size=100),
)
def test_fixed_size_sealer_is_aead_seal(
    key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes
) -> None:
    sealer = aead.FixedSizeSealer(len(plaintext), len(associated_data))
    sealed = sealer.seal(key, nonce, plaintext, associated_data)
    assert len(sealed) == sealer.sealed_size == len(plaintext) + aead.TAG_SIZE
    assert sealed == aead.seal(key, nonce, plaintext, associated_data)
    assert aead.open(key, nonce, sealed, associated_data) == plaintext


def test_one_sealer_serves_many_keys_and_outputs_are_independent() -> None:
    sealer = aead.FixedSizeSealer(153, 60)
    inputs = [(os.urandom(32), os.urandom(12), os.urandom(153), os.urandom(60)) for _ in range(50)]
    sealed = [sealer.seal(*args) for args in inputs]
    # each call returns its own bytes: earlier results are not overwritten by later calls
    assert sealed == [aead.seal(*args) for args in inputs]
    assert len(set(sealed)) == len(sealed)


def test_tampered_associated_data_does_not_open() -> None:
    sealer = aead.FixedSizeSealer(40, 20)
    key, nonce, body, ad = os.urandom(32), os.urandom(12), os.urandom(40), os.urandom(20)
    sealed = sealer.seal(key, nonce, body, ad)
    with pytest.raises(CryptoError, match="authentication failed"):
        aead.open(key, nonce, sealed, bytes([ad[0] ^ 1]) + ad[1:])


@pytest.mark.parametrize(
    ("key_size", "nonce_size", "plaintext_size", "associated_size", "message"),
    [
        (31, 12, 40, 20, "key must be 32 bytes, got 31"),
        (33, 12, 40, 20, "key must be 32 bytes, got 33"),
        (32, 8, 40, 20, "nonce must be 12 bytes, got 8"),
        (32, 24, 40, 20, "nonce must be 12 bytes, got 24"),
        (32, 12, 39, 20, "40-byte plaintexts and 20-byte associated data, got 39 and 20"),
        (32, 12, 40, 21, "40-byte plaintexts and 20-byte associated data, got 40 and 21"),
    ],
)
def test_wrong_sizes_raise_crypto_error(
    key_size: int, nonce_size: int, plaintext_size: int, associated_size: int, message: str
) -> None:
    sealer = aead.FixedSizeSealer(40, 20)
    with pytest.raises(CryptoError, match=message):
        sealer.seal(
            bytes(key_size), bytes(nonce_size), bytes(plaintext_size), bytes(associated_size)
        )


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(CryptoError, match="non-negative"):
        aead.FixedSizeSealer(-1, 0)


@settings(max_examples=60, deadline=None)
@given(
    key=st.binary(min_size=aead.KEY_SIZE, max_size=aead.KEY_SIZE),
    nonce=st.binary(min_size=aead.NONCE_SIZE, max_size=aead.NONCE_SIZE),
    plaintext=st.binary(max_size=300),
    associated_data=st.binary(max_size=100),
    flip=st.integers(min_value=0),
)
def test_fixed_size_opener_is_aead_open(
    key: bytes, nonce: bytes, plaintext: bytes, associated_data: bytes, flip: int
) -> None:
    sealed = aead.seal(key, nonce, plaintext, associated_data)
    opener = aead.FixedSizeOpener(len(plaintext), len(associated_data))
    assert opener.sealed_size == len(sealed)
    assert opener.open(key, nonce, sealed, associated_data) == plaintext
    # any one flipped bit of the sealed message or the key: aead.open raises, the opener says None
    position = flip % (len(sealed) * 8)
    tampered = bytearray(sealed)
    tampered[position // 8] ^= 1 << (position % 8)
    assert opener.open(key, nonce, bytes(tampered), associated_data) is None
    with pytest.raises(CryptoError):
        aead.open(key, nonce, bytes(tampered), associated_data)
    other_key = bytes([key[0] ^ 1]) + key[1:]
    assert opener.open(other_key, nonce, sealed, associated_data) is None


def test_opener_refuses_wrong_sizes() -> None:
    opener = aead.FixedSizeOpener(40, 20)
    with pytest.raises(CryptoError, match="56-byte sealed messages and 20-byte associated data"):
        opener.open(bytes(32), bytes(12), bytes(55), bytes(20))
    with pytest.raises(CryptoError, match="key must be 32 bytes, got 16"):
        opener.open(bytes(16), bytes(12), bytes(56), bytes(20))
    with pytest.raises(CryptoError, match="non-negative"):
        aead.FixedSizeOpener(0, -1)


def test_publish_reaches_libsodium_only_through_the_crypto_layer() -> None:
    from ppmatch.protocols import publish

    assert not hasattr(publish, "libsodium") and not hasattr(publish, "ctypes")
