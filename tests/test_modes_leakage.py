"""Leakage of every mode (the tables in docs/sections/modes.md), checked on generated data.

For each mode, every byte a party sends is scanned for each plaintext and normalized value of its
records and for their MD5/SHA-1/SHA-256/BLAKE2b digests; then the recipient's view is checked
against the table: shuffled lists are really permuted, elements are bound to a per-session key,
ciphertexts are randomized, the holder's decryption is masked, filters are keyed and balanced.
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
import pandas as pd
import pytest

from ppmatch.crypto import get_suite
from ppmatch.crypto.dh import DHKey
from ppmatch.crypto.h2c import XmdExpander
from ppmatch.encoding import ClkEncoder, LinkageSchema
from ppmatch.match import dice_coefficients
from ppmatch.protocols._modes_records import ExactKeyer, LoadedRecords, load_records
from ppmatch.protocols.linkage_unit import LinkageUnit, LinkageUnitParty, hardened
from ppmatch.protocols.mutual_psi import PsiInitiator, PsiResponder
from ppmatch.protocols.psi_sum import SumHolder, SumQuerier
from ppmatch.synth import generate

SUITE = "ristretto255-SHA512"
SCHEMA = LinkageSchema.default()
MIN_PLAIN = 6  # shorter strings would turn up by chance in ~100 kB of random-looking bytes


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("modes_leakage")
    generate(folder, travelers=40, felons=30, overlap=12, seed=21, workers=1)
    felons = pd.read_csv(folder / "felons.csv", dtype=str, keep_default_na=False)
    felons["convictions"] = [str(1 + i % 4) for i in range(len(felons))]
    felons.to_csv(folder / "felons_valued.csv", index=False)
    travelers = pd.read_csv(folder / "travelers.csv", dtype=str, keep_default_na=False)
    held = load_records(folder / "felons_valued.csv", value_column="convictions")
    queried = load_records(folder / "travelers.csv")
    keyer = ExactKeyer(SCHEMA, os.urandom(32), "leakage-test")
    return {
        "felons": (felons, held, keyer.keys(held.records)),
        "travelers": (travelers, queried, keyer.keys(queried.records)),
    }


def secrets_of(raw: pd.DataFrame, loaded: LoadedRecords, keys: list[bytes | None]) -> list[bytes]:
    """Every value an attacker could look for: raw cells, normalized fields, keys, their hashes."""
    texts: set[str] = {cell for row in raw.itertuples(index=False) for cell in row if cell}
    for record in loaded.records:
        for name in (record.given_names, record.surname):
            texts.update(name.tokens)
            texts.add(" ".join(name.tokens))
            texts.add("".join(name.tokens))
        texts.add(" ".join(record.name_tokens))
        if record.date_of_birth is not None:
            texts.add(record.date_of_birth.isoformat())
        for value in (record.document_number, record.nationality, record.place_of_birth):
            if value:
                texts.add(value)
    plain = {text.encode() for text in texts if text} | {key for key in keys if key}
    needles = [p for p in plain if len(p) >= MIN_PLAIN]
    for value in plain:
        for algorithm in ("md5", "sha1", "sha256", "blake2b"):
            digest = hashlib.new(algorithm, value).digest()
            needles += [digest, digest[:8], digest.hex().encode()]
    return needles


def assert_no_leak(sent: list[bytes], needles: list[bytes]) -> None:
    blob = b"\x00".join(sent)
    found = [needle for needle in needles if needle in blob]
    assert not found, f"sent bytes contain {found[:3]!r}"


def unkeyed_hash_to_group(keys: list[bytes]) -> set[bytes]:
    """``H(x)``: what anyone could compute from a guessed key without a party's exponent."""
    suite = get_suite(SUITE)
    expander = XmdExpander(suite.group.hash_name, b"ppmatch-DH-PSI-V1-" + SUITE.encode())
    return {suite.group.encode(suite.group.map_to_group(expander.expand(k, 64))) for k in keys if k}


# ---- statistics (PSI-sum) ------------------------------------------------------------------


def psi_sum_transcript(files):
    felons, held, holder_keys = files["felons"]
    _, _, querier_keys = files["travelers"]
    holder = SumHolder(SUITE, holder_keys, held.values)
    querier = SumQuerier(SUITE, querier_keys)
    request = querier.request()
    response = holder.respond(request)
    masked = querier.mask(response)
    reveal = holder.reveal(masked)
    return holder, querier, request, response, masked, reveal, querier.finish(reveal)


def test_psi_sum_leakage(files):
    holder, querier, request, response, masked, reveal, result = psi_sum_transcript(files)
    raw_f, held, holder_keys = files["felons"]
    raw_t, queried, querier_keys = files["travelers"]
    assert_no_leak(
        [request.to_bytes(), masked.to_bytes()], secrets_of(raw_t, queried, querier_keys)
    )
    assert_no_leak([response.to_bytes(), reveal.to_bytes()], secrets_of(raw_f, held, holder_keys))

    # Querier's view. Its re-blinded keys come back as a fresh permutation, so it learns how
    # many are shared but not which (the in-order list exists only inside the holder).
    in_order = holder._dh.reblind(request.elements)
    assert sorted(response.reblinded) == sorted(in_order)
    assert response.reblinded != in_order
    # Holder elements are bound to the holder's session exponent: not the unkeyed H(w) a
    # dictionary attack would compute, and different in the next session.
    holder_elements = set(response.holder_elements)
    assert not holder_elements & unkeyed_hash_to_group(holder_keys)
    _, _, _, second, _, _, _ = psi_sum_transcript(files)
    assert not holder_elements & set(second.holder_elements)
    # One ciphertext per distinct holder key (the holder's set size is disclosed), randomized:
    # equal values encrypt differently, so values cannot be grouped without the private key.
    distinct = {k for k in holder_keys if k}
    assert len(response.ciphertexts) == len(response.holder_elements) == len(distinct)
    assert len(set(response.ciphertexts)) == len(response.ciphertexts)
    # Holder's view of the one decryption: the sum plus a uniform mask, never the sum.
    assert reveal.value != result.total
    assert second.modulus != response.modulus  # Paillier key generated per session
    # What the querier ends with: exactly the size and the sum.
    assert set(vars(result)) == {"intersection_size", "total"}


# ---- mutual DH-PSI -------------------------------------------------------------------------


@pytest.mark.parametrize("cardinality_only", [False, True])
def test_mutual_psi_leakage(files, cardinality_only):
    raw_a, loaded_a, keys_a = files["travelers"]
    raw_b, loaded_b, keys_b = files["felons"]
    a = PsiInitiator(
        SUITE, [r.record_id for r in loaded_a.records], keys_a, cardinality_only=cardinality_only
    )
    b = PsiResponder(
        SUITE, [r.record_id for r in loaded_b.records], keys_b, cardinality_only=cardinality_only
    )
    hello = a.hello()
    reply = b.reply(hello)
    finish, a_result = a.finish(reply)
    b_result = b.finish(finish)
    assert_no_leak([hello.to_bytes(), finish.to_bytes()], secrets_of(raw_a, loaded_a, keys_a))
    assert_no_leak([reply.to_bytes()], secrets_of(raw_b, loaded_b, keys_b))
    # Sent lists are in a private random order, so positions say nothing about file order.
    file_order = list(dict.fromkeys(k for k in keys_b if k))
    assert b._keys != file_order and sorted(b._keys) == sorted(file_order)
    assert not set(hello.elements) & unkeyed_hash_to_group(keys_a)
    assert not set(reply.elements) & unkeyed_hash_to_group(keys_b)
    in_order_for_a = b._dh.reblind(hello.elements)
    in_order_for_b = a._dh.reblind(reply.elements)
    if cardinality_only:
        # Both returned lists are permuted: each side can count hits but not locate them.
        assert reply.reblinded != in_order_for_a and sorted(reply.reblinded) == sorted(
            in_order_for_a
        )
        assert finish.reblinded != in_order_for_b and sorted(finish.reblinded) == sorted(
            in_order_for_b
        )
        assert a_result.matched_record_ids == b_result.matched_record_ids == ()
    else:
        assert reply.reblinded == in_order_for_a and finish.reblinded == in_order_for_b
        assert len(a_result.matched_record_ids) >= a_result.intersection_size > 0
    assert a_result.intersection_size == b_result.intersection_size


# ---- linkage unit --------------------------------------------------------------------------


def test_linkage_unit_leakage(files):
    raw_a, loaded_a, keys_a = files["travelers"]
    raw_b, loaded_b, keys_b = files["felons"]
    secret = os.urandom(32)
    a = LinkageUnitParty(SCHEMA, secret, "a")
    b = LinkageUnitParty(SCHEMA, secret, "b")
    unit = LinkageUnit(SCHEMA)
    submission_a, submission_b = a.submit(loaded_a.records), b.submit(loaded_b.records)
    unit.receive(submission_a)
    unit.receive(submission_b)
    report_a, report_b = unit.link()
    assert_no_leak([submission_a.to_bytes()], secrets_of(raw_a, loaded_a, keys_a))
    assert_no_leak([submission_b.to_bytes()], secrets_of(raw_b, loaded_b, keys_b))
    # Reports carry indices and similarities only: no record id of either agency.
    ids = [r.record_id.encode() for r in loaded_a.records + loaded_b.records]
    assert_no_leak([report_a.to_bytes(), report_b.to_bytes()], ids)
    # The unit sees balanced filters (every one the same weight: no name-length signal) ...
    for submission in (submission_a, submission_b):
        weights = np.bitwise_count(submission.filters).sum(axis=1)
        assert len(set(weights.tolist())) == 1
    # ... keyed by a secret it never gets: the same records under another key look unrelated,
    # so the unit cannot build a dictionary of filters for guessed identities.
    guessed = ClkEncoder(hardened(SCHEMA), os.urandom(32)).encode_batch(loaded_a.records)
    real = ClkEncoder(hardened(SCHEMA), secret).encode_batch(loaded_a.records)
    assert dice_coefficients(guessed, real).max() < 0.7
    # Indices are positions in a shuffled list: index i is not the i-th record of the file.
    positions = [a._record_ids.index(r.record_id) for r in loaded_a.records]
    assert positions != list(range(len(positions)))
    assert len(report_a.own_indices) == len(report_b.own_indices) > 0


def test_the_checks_above_can_fail(files):
    """The scanner finds planted values, and ``unkeyed_hash_to_group`` is the H the modes use."""
    raw, loaded, keys = files["travelers"]
    needles = secrets_of(raw, loaded, keys)
    name = " ".join(loaded.records[0].surname.tokens).encode()
    for planted in (raw.iloc[0]["record_id"].encode(), hashlib.sha256(name).digest()):
        with pytest.raises(AssertionError, match="contain"):
            assert_no_leak([os.urandom(64) + planted + os.urandom(64)], needles)
    dh = DHKey(SUITE)
    group = get_suite(SUITE).group
    (hashed,) = unkeyed_hash_to_group([b"probe"])
    assert dh.blind([b"probe"]) == [group.encode(group.mult(group.decode_scalar(dh._key), hashed))]
