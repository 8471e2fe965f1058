import contextlib
import os

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.errors import AgreementError, IntegrityError, ProtocolError
from ppmatch.exchange import container
from ppmatch.exchange.container import MessageType, key_id, open_envelope, parse, seal
from ppmatch.exchange.replay import ReplayGuard

KEY = Ed25519PrivateKey.generate()
SENDERS = {key_id(KEY.public_key()): KEY.public_key()}
AGREEMENT = bytes(range(32))
SESSION = bytes(16)


def make(body=b"\x01" * 64, sequence=1, message_type=MessageType.EVALUATION_REQUEST, key=KEY):
    return seal(
        message_type,
        body,
        agreement_hash=AGREEMENT,
        session_id=SESSION,
        sequence=sequence,
        signing_key=key,
        element_count=2,
        element_size=32,
    )


def open_request(data):
    return open_envelope(
        data,
        expected_type=MessageType.EVALUATION_REQUEST,
        agreement_hash=AGREEMENT,
        senders=SENDERS,
    )


def test_round_trip_keeps_every_field():
    envelope = open_request(make(sequence=7))
    assert envelope.body == b"\x01" * 64
    assert (envelope.sequence, envelope.element_count, envelope.element_size) == (7, 2, 32)
    assert envelope.session_id == SESSION and envelope.agreement_hash == AGREEMENT


def test_truncated_and_padded_containers_are_refused():
    data = make()
    for damaged in (data[:-1], data[:50], data + b"\x00"):
        with pytest.raises((ProtocolError, IntegrityError)):
            open_request(damaged)


def test_any_flipped_bit_is_detected():
    data = bytearray(make())
    for position in (0, 9, 13, 50, 70, 110, 130, len(data) - 1):
        flipped = bytearray(data)
        flipped[position] ^= 0x04
        with pytest.raises((ProtocolError, IntegrityError, AgreementError)):
            open_request(bytes(flipped))


def test_wrong_agreement_wrong_type_unknown_signer():
    with pytest.raises(AgreementError, match="agreement"):
        open_envelope(
            make(),
            expected_type=MessageType.EVALUATION_REQUEST,
            agreement_hash=bytes(32),
            senders=SENDERS,
        )
    with pytest.raises(ProtocolError, match="expected a evaluation_response"):
        open_envelope(
            make(),
            expected_type=MessageType.EVALUATION_RESPONSE,
            agreement_hash=AGREEMENT,
            senders=SENDERS,
        )
    with pytest.raises(ProtocolError, match="unknown key"):
        open_request(make(key=Ed25519PrivateKey.generate()))


def test_oversized_message_refused_before_use(monkeypatch):
    monkeypatch.setitem(container.MAX_SIZE, MessageType.EVALUATION_REQUEST, 200)
    with pytest.raises(ProtocolError, match="cap"):
        open_request(make(body=b"\x00" * 300))


def test_replay_and_out_of_order_refused(tmp_path):
    guard = ReplayGuard(tmp_path / "seen.json")
    first = open_request(make(sequence=1))
    guard.check(first)
    guard.record(first)
    reloaded = ReplayGuard(tmp_path / "seen.json")  # survives a restart
    with pytest.raises(ProtocolError, match="replayed"):
        reloaded.check(first)
    with pytest.raises(ProtocolError, match="out-of-order"):
        reloaded.check(open_request(make(sequence=3)))
    reloaded.check(open_request(make(sequence=2)))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_parser_fuzz_random_bytes(data, with_magic):
    # Half the inputs start with the magic and a valid version so the parser gets past them.
    if with_magic:
        data = container.MAGIC + b"\x00\x01" + data
    with contextlib.suppress(ProtocolError, IntegrityError):
        parse(data)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_parser_fuzz_mutated_containers(data):
    authentic = make(body=os.urandom(80))
    mutated = bytearray(authentic)
    edits = data.draw(
        st.lists(st.tuples(st.integers(0, len(mutated) - 1), st.integers(0, 255)), max_size=6)
    )
    for position, value in edits:
        mutated[position] = value
    mutated = bytes(mutated[: data.draw(st.integers(0, len(mutated)))])
    try:
        open_request(mutated)
    except (ProtocolError, IntegrityError, AgreementError):
        return
    assert mutated == authentic  # only an unaltered message is ever accepted
