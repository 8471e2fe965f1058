"""Shamir threshold sharing, AEAD and HKDF behaviour."""

from __future__ import annotations

import contextlib
import itertools
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.crypto import aead, kdf, shamir
from ppmatch.errors import CryptoError


@settings(max_examples=30, deadline=None)
@given(
    secret=st.binary(min_size=32, max_size=32),
    n=st.integers(min_value=1, max_value=7),
    data=st.data(),
)
def test_any_t_of_n_reconstructs_and_t_minus_one_never(secret: bytes, n: int, data) -> None:
    t = data.draw(st.integers(min_value=1, max_value=n))
    shares = shamir.split(secret, n, t)
    assert len(shares) == n
    encoded = [share.to_bytes() for share in shares]
    assert all(len(e) == shamir.SHARE_SIZE for e in encoded)
    for subset in itertools.combinations(encoded, t):
        assert shamir.reconstruct(subset) == secret
    for subset in itertools.combinations(encoded, t - 1):
        with pytest.raises(CryptoError, match="needs"):
            shamir.reconstruct(subset)


def test_duplicate_shares_do_not_count_twice() -> None:
    shares = shamir.split(os.urandom(32), 5, 3)
    with pytest.raises(CryptoError, match="needs 3 distinct"):
        shamir.reconstruct([shares[0], shares[0], shares[1]])


def test_fewer_shares_of_a_lower_threshold_claim_are_refused() -> None:
    secret = os.urandom(32)
    shares = shamir.split(secret, 5, 3)
    forged = shamir.Share(2, shares[0].index, shares[0].value)
    with pytest.raises(CryptoError, match="disagree on the threshold"):
        shamir.reconstruct([forged, shares[1], shares[2]])
    # Two shares relabelled as threshold 2 interpolate a line: never the secret.
    relabelled = [shamir.Share(2, s.index, s.value) for s in shares[:2]]
    # (or the interpolation leaves the 32-byte range and is reported as inconsistent)
    with contextlib.suppress(CryptoError):
        assert shamir.reconstruct(relabelled) != secret


def test_share_parsing_rejects_malformed_bytes() -> None:
    good = shamir.split(os.urandom(32), 3, 2)[0].to_bytes()
    for bad in (
        good[:-1],
        b"\x00" + good[1:],
        good[:1] + b"\x00" + good[2:],
        good[:2] + b"\xff" * 33,
    ):
        with pytest.raises(CryptoError):
            shamir.Share.from_bytes(bad)
    with pytest.raises(CryptoError):
        shamir.split(b"short", 3, 2)
    with pytest.raises(CryptoError):
        shamir.split(os.urandom(32), 3, 4)
    with pytest.raises(CryptoError):
        shamir.split(os.urandom(32), 256, 2)


def test_aead_round_trip_and_tamper_detection() -> None:
    key = os.urandom(32)
    sealed = aead.seal(key, None, b"payload", b"agreement|epoch|handle")
    assert len(sealed) == aead.NONCE_SIZE + len(b"payload") + aead.TAG_SIZE
    assert aead.open(key, None, sealed, b"agreement|epoch|handle") == b"payload"
    assert aead.seal(key, None, b"payload", b"") != aead.seal(key, None, b"payload", b"")
    nonce = os.urandom(12)
    fixed = aead.seal(key, nonce, b"payload", b"ad")
    assert aead.open(key, nonce, fixed, b"ad") == b"payload"
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    for args in (
        (key, None, bytes(tampered), b"agreement|epoch|handle"),
        (key, None, sealed, b"agreement|epoch|other"),
        (os.urandom(32), None, sealed, b"agreement|epoch|handle"),
        (key, None, sealed[:20], b"agreement|epoch|handle"),
    ):
        with pytest.raises(CryptoError):
            aead.open(*args)
    with pytest.raises(CryptoError, match="key must be 32"):
        aead.seal(b"short", None, b"x", b"")
    with pytest.raises(CryptoError, match="nonce must be 12"):
        aead.seal(key, b"n", b"x", b"")


def test_hkdf_separates_purposes_and_checks_length() -> None:
    first = kdf.hkdf(b"secret", salt=None, info=b"label-key", length=32)
    assert first == kdf.hkdf(b"secret", salt=None, info=b"label-key", length=32)
    assert first != kdf.hkdf(b"secret", salt=None, info=b"tag", length=32)
    with pytest.raises(CryptoError):
        kdf.hkdf(b"secret", salt=None, info=b"", length=0)
