"""What the holder receives reveals nothing about the querier's travelers but counts, and a
holder that cheats on the evaluation is caught by the VOPRF proof."""

from __future__ import annotations

import hashlib
import json
import random

import numpy as np
import pandas as pd
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ppmatch.errors import CryptoError
from ppmatch.normalize import normalize_record
from ppmatch.protocols import EvaluationResponse, Holder, Querier, ScreeningConfig
from ppmatch.protocols.records import iter_chunks, tokenize_chunk
from ppmatch.protocols.simulate import simulate
from ppmatch.tokens import Tokenizer

SECRET = b"leakage test linkage secret 0123"
GIVEN = ["MOHAMMED", "ALEKSANDR", "GIOVANNA", "KONSTANTINOS", "SIOBHAN", "XIAOMING", "BEATRIZ"]
SURNAMES = ["MUELLER", "ABDELRAHMAN", "PAPADOPOULOU", "VAN DER BERG", "KOWALCZYK", "NAKAMURA"]


def records(count: int, seed: int, prefix: str, payload: bool) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        row = {
            "record_id": f"{prefix}-{seed}-{i:04d}",
            "given_names": f"{rng.choice(GIVEN)} {rng.choice(GIVEN)}",
            "surname": rng.choice(SURNAMES),
            "date_of_birth": f"{rng.randint(1950, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "sex": rng.choice("MF"),
            "nationality": rng.choice(["DEU", "GRC", "POL", "JPN"]),
            "place_of_birth": rng.choice(["THESSALONIKI", "KRAKOW", "OSAKA"]),
            "document_number": f"C{rng.randint(10**7, 10**8 - 1)}",
        }
        if payload:
            row |= {"offense_category": "fraud", "conviction_date": "2019-05-01"}
        rows.append(row)
    return pd.DataFrame(rows)


def secrets_of(travelers: pd.DataFrame, config: ScreeningConfig) -> set[bytes]:
    """Every plaintext and normalized value, its common unkeyed hashes, and every raw token."""
    values: set[str] = set()
    for row in travelers.to_dict("records"):
        values.update(str(v) for v in row.values() if v)
        normalized = normalize_record(row, record_id=row["record_id"])
        for name in (normalized.given_names, normalized.surname):
            values.update(name.tokens)
            values.add(" ".join(name.tokens))
        if normalized.date_of_birth:
            values.add(normalized.date_of_birth.isoformat())
        values.update(
            v
            for v in (normalized.document_number, normalized.nationality, normalized.place_of_birth)
            if v
        )
    needles: set[bytes] = set()
    for value in values:
        for encoded in (value.encode("utf-8"), value.lower().encode("utf-8")):
            # A given 4-byte string occurs by chance in 200 kB of random bytes with
            # probability ~5e-5; over ~100 such values the test would be flaky. Short values
            # are still covered by their hashes and inside longer needles (full names).
            if len(encoded) >= 5:
                needles.add(encoded)
            for algorithm in ("md5", "sha1", "sha256", "blake2b"):
                digest = hashlib.new(algorithm, encoded).digest()
                needles.update({digest, digest.hex().encode()})
    tokenizer = Tokenizer(config.schema, config.linkage_secret, config.agreement_id)
    for chunk in iter_chunks(travelers, chunk_rows=1000):
        for tokens in tokenize_chunk(tokenizer, chunk):
            for token in tokens:
                needles.add(token.value)
                needles.add(hashlib.sha256(token.value).digest())
                needles.add(token.value[-12:])  # the canonical value at the end of the token
    return needles


def test_nothing_the_holder_receives_contains_traveler_values(tmp_path):
    config = ScreeningConfig.default(linkage_secret=SECRET)
    felons = records(60, 1, "F", payload=True)
    travelers = pd.concat(
        [records(25, 2, "T", payload=False), felons.iloc[:5, :8]], ignore_index=True
    )
    simulate(felons, travelers, config, workers=1, transcript_dir=tmp_path)
    index = json.loads((tmp_path / "transcript.json").read_text())
    received = [m for m in index if m["direction"] == "querier-to-holder"]
    assert [m["message"] for m in received] == ["evaluation-request"]
    blob = b"".join(path.read_bytes() for path in tmp_path.glob("*-querier-to-holder-*.bin"))
    assert len(blob) == sum(m["bytes"] for m in received) > 0
    needles = secrets_of(travelers, config)
    assert len(needles) > 500
    leaked = [needle for needle in needles if needle in blob]
    assert leaked == []
    # The other direction: the database and the response carry no holder value in the clear
    # either (payloads are sealed; identities exist only as OPRF-derived tags and labels).
    holder_blob = (tmp_path / "holder-database.ppmdb").read_bytes() + b"".join(
        path.read_bytes() for path in tmp_path.glob("*-holder-to-querier-*.bin")
    )
    felon_needles = secrets_of(felons.drop(columns=["offense_category", "conviction_date"]), config)
    felon_needles.update({b"fraud", b"2019-05-01"})
    assert [needle for needle in felon_needles if needle in holder_blob] == []


def test_request_reveals_only_the_padded_count():
    config = ScreeningConfig.default(linkage_secret=SECRET)
    sparse = records(10, 3, "T", payload=False)
    for column in ("place_of_birth", "document_number", "nationality", "sex"):
        sparse[column] = ""
    rich = records(10, 4, "T", payload=False)
    querier = Querier(config, workers=1)
    first, second = querier.prepare(sparse), querier.prepare(rich)
    again = querier.prepare(rich)
    assert first.element_count == second.element_count == 10 * config.tokens_per_record
    a, b = first.to_bytes(), second.to_bytes()
    assert len(a) == len(b)
    header = 8 + 2 + 32 + 2 + len(config.suite) + 4  # everything before the random request id
    assert a[:header] == b[:header]
    # Fresh blinds: the same travelers prepared twice share no element (unlinkable requests).
    assert not set(map(bytes, second.elements)) & set(map(bytes, again.elements))
    # Every element is distinct, dummies included (no visible padding pattern).
    assert len({bytes(e) for e in second.elements}) == second.element_count


@pytest.fixture(scope="module")
def exchange():
    config = ScreeningConfig.default(linkage_secret=SECRET)
    holder = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1)
    database = holder.publish(records(40, 5, "F", payload=True))
    return config, holder, database


def test_evaluation_with_another_key_fails_proof_verification(exchange):
    config, _, database = exchange
    impostor = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1)
    querier = Querier(config, workers=1)
    response = impostor.evaluate(querier.prepare(records(5, 6, "T", payload=False)))
    with pytest.raises(
        CryptoError, match="does not verify against the holder database's public key"
    ):
        querier.finish(response.to_bytes(), database)


def test_tampered_evaluations_fail_proof_verification(exchange):
    config, holder, database = exchange
    querier = Querier(config, workers=1)
    response = holder.evaluate(querier.prepare(records(5, 7, "T", payload=False)))
    swapped = response.elements.copy()
    swapped[[0, 1]] = swapped[[1, 0]]
    forged = EvaluationResponse(
        response.agreement_hash,
        response.suite,
        response.epoch,
        response.request_id,
        response.request_digest,
        response.proof_batch,
        swapped,
        response.proofs,
    )
    with pytest.raises(CryptoError, match="proof 0"):
        querier.finish(forged.to_bytes(), database)
    assert np.any(swapped != response.elements)
