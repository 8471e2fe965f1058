"""The official RFC 9497 / RFC 9380 / RFC 5869 vectors, reproduced byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ppmatch.crypto import OPRFClient, OPRFServer, derive_key_pair, get_suite, kdf
from ppmatch.crypto.h2c import expand_message_xmd

REPO_ROOT = Path(__file__).resolve().parents[1]
SUITES = ("ristretto255-SHA512", "P256-SHA256")


def load_vectors(name: str) -> object:
    """Prefer ../shared/vectors (CI), fall back to the copy in tests/vectors."""
    for directory in (REPO_ROOT.parent / "shared" / "vectors", REPO_ROOT / "tests" / "vectors"):
        path = directory / name
        if path.exists():
            return json.loads(path.read_text())
    raise FileNotFoundError(name)


def _oprf_cases() -> list[tuple[dict, dict]]:
    cases = []
    for suite in load_vectors("rfc9497-oprf-vectors.json"):
        if suite["identifier"] in SUITES and suite["mode"] in (0, 1):
            cases += [(suite, vector) for vector in suite["vectors"]]
    return cases


OPRF_CASES = _oprf_cases()


def test_every_supported_suite_and_mode_has_vectors() -> None:
    seen = {(s["identifier"], s["mode"], v["Batch"]) for s, v in OPRF_CASES}
    batches = {0: (1,), 1: (1, 2)}  # the RFC has batch-2 vectors for VOPRF only
    assert seen == {(n, m, b) for n in SUITES for m in (0, 1) for b in batches[m]}
    assert len(OPRF_CASES) == 10


def _split(vector: dict, key: str) -> list[bytes]:
    return [bytes.fromhex(item) for item in vector[key].split(",")]


@pytest.mark.parametrize(
    ("suite_vectors", "vector"),
    OPRF_CASES,
    ids=[f"{s['identifier']}-mode{s['mode']}-{i}" for i, (s, _) in enumerate(OPRF_CASES)],
)
def test_rfc9497_vector(suite_vectors: dict, vector: dict) -> None:
    name, mode = suite_vectors["identifier"], suite_vectors["mode"]
    context = get_suite(name).context(mode)
    assert context.group_dst.hex() == suite_vectors["groupDST"]
    private_key, public_key = derive_key_pair(
        name, bytes.fromhex(suite_vectors["seed"]), bytes.fromhex(suite_vectors["keyInfo"]), mode
    )
    assert private_key.hex() == suite_vectors["skSm"]
    if mode == 1:
        assert public_key.hex() == suite_vectors["pkSm"]

    inputs = _split(vector, "Input")
    assert len(inputs) == vector["Batch"]
    server = OPRFServer(name, private_key, mode=mode)
    client = OPRFClient(name, mode=mode, server_public_key=public_key if mode else None)

    blinds, blinded = client.blind_batch(inputs, blinds=_split(vector, "Blind"))
    assert blinds == _split(vector, "Blind")
    assert blinded == _split(vector, "BlindedElement")

    nonce = bytes.fromhex(vector["Proof"]["r"]) if mode == 1 else None
    evaluated, proof = server.blind_evaluate_batch(blinded, proof_nonce=nonce)
    assert evaluated == _split(vector, "EvaluationElement")
    if mode == 1:
        assert proof is not None and proof.hex() == vector["Proof"]["proof"]
    else:
        assert proof is None

    outputs = client.finalize_batch(inputs, blinds, evaluated, blinded, proof)
    assert outputs == _split(vector, "Output")
    assert server.evaluate_batch(inputs) == outputs


@pytest.mark.parametrize(
    ("file_name", "hash_name"),
    [
        ("rfc9380-expand_message_xmd_SHA256_38.json", "sha256"),
        ("rfc9380-expand_message_xmd_SHA512_38.json", "sha512"),
    ],
)
def test_rfc9380_expand_message_xmd(file_name: str, hash_name: str) -> None:
    vectors = load_vectors(file_name)
    assert len(vectors["tests"]) >= 10
    for case in vectors["tests"]:
        uniform = expand_message_xmd(
            case["msg"].encode(), vectors["DST"].encode(), int(case["len_in_bytes"], 16), hash_name
        )
        assert uniform.hex() == case["uniform_bytes"], case["msg"]


def test_rfc9380_p256_hash_to_curve() -> None:
    vectors = load_vectors("rfc9380-P256_XMD-SHA-256_SSWU_RO_.json")
    group = get_suite("P256-SHA256").group
    field = int(vectors["field"]["p"], 16)
    for case in vectors["vectors"]:
        uniform = expand_message_xmd(case["msg"].encode(), vectors["dst"].encode(), 96, "sha256")
        assert [int.from_bytes(uniform[i : i + 48], "big") % field for i in (0, 48)] == [
            int(u, 16) for u in case["u"]
        ]
        x, y = group.map_to_group(uniform).xy
        assert (int(x), int(y)) == (int(case["P"]["x"], 16), int(case["P"]["y"], 16)), case["msg"]


def test_rfc5869_hkdf_sha256_case_1() -> None:
    okm = kdf.hkdf(
        bytes.fromhex("0b" * 22),
        salt=bytes.fromhex("000102030405060708090a0b0c"),
        info=bytes.fromhex("f0f1f2f3f4f5f6f7f8f9"),
        length=42,
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )
