"""Mutual DH-PSI: both sides' results equal the plaintext intersection; hostile bytes refused."""

from __future__ import annotations

import contextlib
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppmatch.crypto import get_suite
from ppmatch.crypto.dh import MIN_POOL_BATCH
from ppmatch.errors import CryptoError, PpmatchError, ProtocolError
from ppmatch.protocols._modes_simulate import simulate_psi
from ppmatch.protocols.mutual_psi import (
    MutualFinish,
    MutualHello,
    MutualReply,
    PsiInitiator,
    PsiResponder,
)
from ppmatch.synth import generate

SUITE = "ristretto255-SHA512"
SUITE_OBJ = get_suite(SUITE)


def run(a_keys, b_keys, *, cardinality_only=False, suite=SUITE):
    a_ids = [f"A{i}" for i in range(len(a_keys))]
    b_ids = [f"B{i}" for i in range(len(b_keys))]
    a = PsiInitiator(suite, a_ids, a_keys, cardinality_only=cardinality_only)
    b = PsiResponder(suite, b_ids, b_keys, cardinality_only=cardinality_only)
    hello = MutualHello.from_bytes(a.hello().to_bytes())
    reply = MutualReply.from_bytes(b.reply(hello).to_bytes())
    finish, a_result = a.finish(reply)
    b_result = b.finish(MutualFinish.from_bytes(finish.to_bytes()))
    return a_result, b_result


def expected(own, other, prefix):
    """Plaintext: shared distinct keys, and the ids of own records holding one."""
    shared = {k for k in own if k is not None} & {k for k in other if k is not None}
    return len(shared), tuple(sorted(f"{prefix}{i}" for i, k in enumerate(own) if k in shared))


keys = st.lists(st.one_of(st.none(), st.integers(0, 30).map(lambda i: b"k%d" % i)), max_size=20)


@settings(max_examples=15, deadline=None)
@given(a_keys=keys, b_keys=keys)
def test_both_sides_learn_their_matched_records(a_keys, b_keys):
    a_result, b_result = run(a_keys, b_keys)
    count, a_ids = expected(a_keys, b_keys, "A")
    _, b_ids = expected(b_keys, a_keys, "B")
    assert a_result.intersection_size == b_result.intersection_size == count
    assert a_result.matched_record_ids == a_ids
    assert b_result.matched_record_ids == b_ids


@settings(max_examples=8, deadline=None)
@given(a_keys=keys, b_keys=keys)
def test_cardinality_only_gives_counts_and_no_records(a_keys, b_keys):
    a_result, b_result = run(a_keys, b_keys, cardinality_only=True)
    count, _ = expected(a_keys, b_keys, "A")
    assert a_result.intersection_size == b_result.intersection_size == count
    assert a_result.matched_record_ids == b_result.matched_record_ids == ()


def test_p256_suite():
    a_result, b_result = run([b"x", b"y", b"z"], [b"z", b"w", b"x"], suite="P256-SHA256")
    assert a_result.matched_record_ids == ("A0", "A2")
    assert b_result.matched_record_ids == ("B0", "B2")


def test_generated_files(tmp_path):
    generate(tmp_path, travelers=30, felons=25, overlap=10, seed=9, workers=1)
    run_ = simulate_psi(tmp_path / "travelers.csv", tmp_path / "felons.csv")
    truth = (tmp_path / "truth.csv").read_text().splitlines()[1:]
    true_pairs = {tuple(line.replace('"', "").split(",")) for line in truth}
    # exact keys on generated data: only true pairs match, and both sides see the same pairs
    matched_travelers = set(run_.a.matched_record_ids)
    assert matched_travelers <= {t for t, _ in true_pairs}
    partners = {f for t, f in true_pairs if t in matched_travelers}
    assert partners == set(run_.b.matched_record_ids)
    assert len(partners) == run_.a.intersection_size >= 5
    cardinality = simulate_psi(
        tmp_path / "travelers.csv", tmp_path / "felons.csv", cardinality_only=True
    )
    assert cardinality.a.intersection_size == run_.a.intersection_size
    assert cardinality.a.matched_record_ids == ()


@pytest.fixture(scope="module")
def transcript():
    a = PsiInitiator(SUITE, ["a1", "a2"], [b"x", b"y"])
    b = PsiResponder(SUITE, ["b1", "b2", "b3"], [b"y", b"z", b"w"])
    hello = a.hello()
    reply = b.reply(hello)
    finish, _ = a.finish(reply)
    return {
        MutualHello: hello.to_bytes(),
        MutualReply: reply.to_bytes(),
        MutualFinish: finish.to_bytes(),
    }


def test_messages_round_trip(transcript):
    for cls, data in transcript.items():
        assert cls.from_bytes(data).to_bytes() == data


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_bytes_are_refused(transcript, data):
    cls = data.draw(st.sampled_from(list(transcript)))
    original = transcript[cls]
    cut = data.draw(st.integers(0, len(original) - 1))
    with pytest.raises(ProtocolError):
        cls.from_bytes(original[:cut])
    with pytest.raises(ProtocolError, match="trailing"):
        cls.from_bytes(original + b"\x01")
    corrupted = bytearray(original)
    corrupted[data.draw(st.integers(0, len(original) - 1))] ^= 0x5A
    with contextlib.suppress(PpmatchError):  # anything but our own error fails the test
        cls.from_bytes(bytes(corrupted))


def test_protocol_misuse_is_refused(transcript):
    hello = MutualHello.from_bytes(transcript[MutualHello])
    responder = PsiResponder(SUITE, ["b"], [b"x"], cardinality_only=True)
    with pytest.raises(ProtocolError, match="cardinality-only"):
        responder.reply(hello)
    responder = PsiResponder(SUITE, ["b"], [b"x"])
    forged = MutualHello(hello.suite, hello.session_id, False, [b"\x00" * 32])
    with pytest.raises(CryptoError, match=r"hello element\[0\]"):
        responder.reply(forged)
    initiator = PsiInitiator(SUITE, ["a"], [b"x"])
    reply = MutualReply.from_bytes(transcript[MutualReply])
    with pytest.raises(ProtocolError, match="another session"):
        initiator.finish(reply)
    with pytest.raises(ProtocolError, match="finish before any hello"):
        PsiResponder(SUITE, ["b"], [b"x"]).finish(MutualFinish.from_bytes(transcript[MutualFinish]))
    with pytest.raises(ProtocolError, match="record ids but"):
        PsiInitiator(SUITE, ["a"], [b"x", b"y"])
    with pytest.raises(ProtocolError, match="unknown suite"):
        MutualHello.from_bytes(
            transcript[MutualHello].replace(b"ristretto255-SHA512", b"ristretto255-SHA999")
        )


def test_process_pool_gives_the_same_intersection():
    """Batches above the pool threshold are split across processes, in order."""
    size = MIN_POOL_BATCH + 300
    a_keys = [b"a%d" % i for i in range(size)]
    b_keys = [b"a%d" % i for i in range(0, 2 * size, 2)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        a = PsiInitiator(SUITE, [f"A{i}" for i in range(size)], a_keys, pool=pool)
        b = PsiResponder(SUITE, [f"B{i}" for i in range(size)], b_keys, pool=pool)
        reply = b.reply(a.hello())
        finish, a_result = a.finish(reply)
        b_result = b.finish(finish)
        bad = list(a.hello().elements)
        bad[MIN_POOL_BATCH + 5] = b"\xff" * 32
        with pytest.raises(CryptoError, match=rf"hello element\[{MIN_POOL_BATCH + 5}\]"):
            PsiResponder(SUITE, ["b"], [b"x"], pool=pool).reply(
                MutualHello(SUITE_OBJ, a.hello().session_id, False, bad)
            )
    assert a_result.intersection_size == b_result.intersection_size == (size + 1) // 2
    assert a_result.matched_record_ids == tuple(sorted(f"A{i}" for i in range(0, size, 2)))
