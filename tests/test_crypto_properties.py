"""Hypothesis properties of the (V)OPRF: correctness, soundness of proofs, hostile bytes."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppmatch.crypto import OPRFClient, OPRFServer, generate_key_pair, get_suite
from ppmatch.errors import CryptoError

SUITES = ("ristretto255-SHA512", "P256-SHA256")
EXAMPLES = {"ristretto255-SHA512": 25, "P256-SHA256": 8}
inputs_strategy = st.lists(st.binary(max_size=40), min_size=1, max_size=4)
seeds = st.binary(min_size=32, max_size=32)


def _pair(name: str, mode: int, seed: bytes) -> tuple[OPRFServer, OPRFClient]:
    from ppmatch.crypto import derive_key_pair

    private_key, public_key = derive_key_pair(name, seed, b"property", mode)
    server = OPRFServer(name, private_key, mode=mode)
    return server, OPRFClient(name, mode=mode, server_public_key=public_key)


@pytest.mark.parametrize("name", SUITES)
@pytest.mark.parametrize("mode", [0, 1])
def test_blind_evaluate_finalize_equals_direct_evaluate(name: str, mode: int) -> None:
    @settings(max_examples=EXAMPLES[name], deadline=None)
    @given(inputs=inputs_strategy, seed=seeds)
    def check(inputs: list[bytes], seed: bytes) -> None:
        server, client = _pair(name, mode, seed)
        blinds, blinded = client.blind_batch(inputs)
        evaluated, proof = server.blind_evaluate_batch(blinded)
        outputs = client.finalize_batch(inputs, blinds, evaluated, blinded, proof)
        assert outputs == server.evaluate_batch(inputs)
        assert len(set(outputs)) == len(set(inputs))
        assert all(len(o) == get_suite(name).hash_size for o in outputs)

    check()


@pytest.mark.parametrize("name", SUITES)
def test_proof_made_with_another_key_fails(name: str) -> None:
    @settings(max_examples=EXAMPLES[name] // 2, deadline=None)
    @given(inputs=inputs_strategy, seed=seeds)
    def check(inputs: list[bytes], seed: bytes) -> None:
        _, client = _pair(name, 1, seed)
        impostor = OPRFServer(name, generate_key_pair(name, 1)[0], mode=1)
        blinds, blinded = client.blind_batch(inputs)
        evaluated, proof = impostor.blind_evaluate_batch(blinded)
        with pytest.raises(CryptoError, match="proof"):
            client.finalize_batch(inputs, blinds, evaluated, blinded, proof)

    check()


@pytest.mark.parametrize("name", SUITES)
def test_tampered_evaluation_or_proof_is_rejected(name: str) -> None:
    @settings(
        max_examples=EXAMPLES[name],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        inputs=inputs_strategy,
        seed=seeds,
        target=st.sampled_from(["evaluated", "proof", "blinded"]),
        position=st.integers(min_value=0),
        flip=st.integers(min_value=1, max_value=255),
    )
    def check(inputs: list[bytes], seed: bytes, target: str, position: int, flip: int) -> None:
        server, client = _pair(name, 1, seed)
        blinds, blinded = client.blind_batch(inputs)
        evaluated, proof = server.blind_evaluate_batch(blinded)
        assert proof is not None
        fields = {"evaluated": list(evaluated), "blinded": list(blinded), "proof": [proof]}
        column = fields[target]
        row = position % len(column)
        data = bytearray(column[row])
        data[position % len(data)] ^= flip
        column[row] = bytes(data)
        with pytest.raises(CryptoError):
            client.finalize_batch(
                inputs, blinds, fields["evaluated"], fields["blinded"], fields["proof"][0]
            )

    check()


def _non_canonical(name: str) -> list[bytes]:
    if name == "ristretto255-SHA512":
        field = 2**255 - 19
        return [
            bytes(32),  # identity
            (field).to_bytes(32, "little"),  # p itself: non-canonical zero
            (field + 2).to_bytes(32, "little"),  # field element >= p
            (2**255 + 2).to_bytes(32, "little"),  # high bit set
            (1).to_bytes(32, "little"),  # odd ("negative") s
            bytes(31),  # wrong length
            b"\xff" * 32,
        ]
    field = 2**256 - 2**224 + 2**192 + 2**96 - 1
    generator_x = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
    return [
        b"\x00",  # SEC1 identity
        bytes(33),
        b"\x04" + generator_x.to_bytes(32, "big"),  # wrong prefix for compressed form
        b"\x02" + field.to_bytes(32, "big"),  # x = p
        b"\x02" + (field + 5).to_bytes(32, "big"),  # x >= p (x = 5, on the curve, if reduced)
        b"\x02" + (1).to_bytes(32, "big"),  # x with no point on the curve
        b"\x02" + generator_x.to_bytes(32, "big")[:-1],  # truncated
    ]


@pytest.mark.parametrize("name", SUITES)
def test_non_canonical_and_identity_elements_are_rejected(name: str) -> None:
    group = get_suite(name).group
    server = OPRFServer(name, generate_key_pair(name)[0], mode=0)
    for bad in _non_canonical(name):
        with pytest.raises(CryptoError):
            group.decode(bad)
        with pytest.raises(CryptoError, match=r"blinded element\[1\]"):
            server.blind_evaluate_batch([client_blinded(name), bad])
        with pytest.raises(CryptoError):
            OPRFClient(name, mode=1, server_public_key=bad)


def client_blinded(name: str) -> bytes:
    return OPRFClient(name, mode=0).blind_batch([b"valid"])[1][0]


@pytest.mark.parametrize("name", SUITES)
def test_non_canonical_scalars_are_rejected(name: str) -> None:
    suite = get_suite(name)
    order = suite.group.order
    too_big = (
        suite.group.encode_scalar(order) if name == "P256-SHA256" else order.to_bytes(32, "little")
    )
    with pytest.raises(CryptoError):
        OPRFServer(name, too_big, mode=0)
    with pytest.raises(CryptoError, match="zero"):
        OPRFServer(name, bytes(32), mode=0)
    client = OPRFClient(name, mode=0)
    with pytest.raises(CryptoError, match=r"blind\[0\]"):
        client.blind_batch([b"x"], blinds=[too_big])
    server, verifier = _pair(name, 1, b"\x07" * 32)
    blinds, blinded = verifier.blind_batch([b"x"])
    evaluated, proof = server.blind_evaluate_batch(blinded)
    assert proof is not None
    forged = proof[: suite.scalar_size] + too_big
    with pytest.raises(CryptoError, match="proof"):
        verifier.finalize_batch([b"x"], blinds, evaluated, blinded, forged)


def test_mode_one_requires_key_and_proof() -> None:
    name = "ristretto255-SHA512"
    with pytest.raises(CryptoError, match="public key"):
        OPRFClient(name, mode=1)
    with pytest.raises(CryptoError, match="mode"):
        OPRFClient(name, mode=2)
    server, client = _pair(name, 1, b"\x01" * 32)
    blinds, blinded = client.blind_batch([b"a", b"b"])
    evaluated, _ = server.blind_evaluate_batch(blinded)
    with pytest.raises(CryptoError, match="no proof"):
        client.finalize_batch([b"a", b"b"], blinds, evaluated, blinded, None)
    with pytest.raises(CryptoError, match="differ"):
        client.finalize_batch([b"a"], blinds, evaluated, blinded, b"")
    # Reordering evaluations between inputs breaks the batch proof.
    _, proof = server.blind_evaluate_batch(blinded)
    with pytest.raises(CryptoError, match="proof"):
        client.finalize_batch([b"a", b"b"], blinds, evaluated[::-1], blinded, proof)


def test_unknown_suite_and_oversized_input() -> None:
    with pytest.raises(CryptoError, match="unknown OPRF suite"):
        get_suite("decaf448-SHAKE256")
    client = OPRFClient("ristretto255-SHA512", mode=0)
    with pytest.raises(CryptoError, match=r"input\[1\]"):
        client.blind_batch([b"ok", bytes(65536)])
    assert client.blind_batch([]) == ([], [])


@pytest.mark.parametrize("name", SUITES)
def test_fresh_blinds_are_distinct_canonical_and_non_zero(name: str) -> None:
    group = get_suite(name).group
    blinds, blinded = OPRFClient(name, mode=0).blind_batch([b"same"] * 40)
    scalars = [group.decode_scalar(blind) for blind in blinds]
    assert len(set(scalars)) == 40 and 0 not in scalars
    assert len(set(blinded)) == 40  # same input, different blinds: unlinkable elements


@pytest.mark.parametrize("name", SUITES)
def test_identity_products_are_refused(name: str) -> None:
    group = get_suite(name).group
    point = get_suite(name).context(0).hash_to_group(b"x")
    with pytest.raises(CryptoError):
        group.mult(0, point)
    with pytest.raises(CryptoError):
        group.mult(group.order, point)
    with pytest.raises(CryptoError):
        group.generator_mult(0)
    assert group.decode(group.encode(group.mult(5, point))) is not None
