"""A seeded publish is reproducible byte for byte and still discloses correctly; an unseeded
or differently seeded one draws other payload keys and Shamir coefficients."""

from __future__ import annotations

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from test_screening import people, run_query, scored_schema, travelers_from

from ppmatch.crypto import shamir
from ppmatch.errors import CryptoError
from ppmatch.protocols import Holder, ScreeningConfig
from ppmatch.protocols.publish_seed import PublishRandomness

SEED = bytes(range(32))
OTHER_SEED = bytes(range(1, 33))


@pytest.fixture(scope="module")
def setting():
    # Bands and every rule carry at least one share here (the default gives bands and the
    # partial-date/place rules none), so every label holds shares and must change with the seed.
    schema = scored_schema()
    rules = tuple(r.model_copy(update={"weight": max(r.weight, 1)}) for r in schema.rules)
    lsh = schema.lsh.model_copy(update={"weight": 1})
    schema = schema.model_copy(update={"lsh": lsh, "rules": rules})
    config = ScreeningConfig.default(
        linkage_secret=b"linkage secret for the tests....", schema=schema
    )
    felons = people(40, seed=7, prefix="F")
    key = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1).oprf_key
    return config, felons, key, Ed25519PrivateKey.generate()


def publish(setting, seed, **options):
    config, felons, key, signing = setting
    out = options.pop("out", None)
    holder = Holder(config, oprf_key=key, signing_key=signing, workers=1, **options)
    return holder, holder.publish(felons, out=out, publish_seed=seed)


def test_same_seed_gives_identical_bytes_whatever_the_chunking(setting, tmp_path):
    _, in_memory = publish(setting, SEED)
    _, streamed = publish(setting, SEED, chunk_rows=7, spill_limit=20_000, out=tmp_path / "d")
    assert in_memory.to_bytes() == streamed.to_bytes() == (tmp_path / "d").read_bytes()


def test_other_or_no_seed_changes_every_ciphertext_but_nothing_key_derived(setting):
    _, seeded = publish(setting, SEED)
    variants = [publish(setting, s)[1] for s in (OTHER_SEED, None, None)]
    for database in variants:
        assert database.to_bytes() != seeded.to_bytes()
        assert np.array_equal(database.entries.tags, seeded.entries.tags)
        assert np.array_equal(database.entries.entry_ids, seeded.entries.entry_ids)
        assert np.array_equal(database.payloads.handles, seeded.payloads.handles)
        # every label carries shares of another key; every payload is sealed under another key
        assert not np.any(np.all(database.entries.labels == seeded.entries.labels, axis=1))
        for row in range(len(seeded.payloads.handles)):
            assert database.payloads.ciphertext_at(row) != seeded.payloads.ciphertext_at(row)
    assert variants[1].to_bytes() != variants[2].to_bytes()


def test_seeded_database_matches_and_discloses(setting):
    config, felons, _, _ = setting
    holder, database = publish(setting, SEED)
    rows = [0, 5, 17, 33]
    result = run_query(config, holder, database, travelers_from(felons, rows))
    matches = {m.querier_record_id: m for m in result.matches}
    assert len(matches) == len(rows)
    for index, row in enumerate(rows):
        match = matches[f"T{index:05d}"]
        assert match.holder_record_id == felons.record_id[row]
        assert match.payload["offense_category"] == felons.offense_category[row]


def test_seeded_randomness_is_bound_to_the_record_content():
    randomness = PublishRandomness(SEED)
    base = (5, b"payload", [b"tag00001"], [3], 3)
    key, _ = randomness.for_record(*base)
    assert randomness.for_record(*base)[0] == key
    assert randomness.for_record(6, *base[1:])[0] != key  # another record id
    assert randomness.for_record(5, b"payloae", *base[2:])[0] != key  # changed payload
    assert randomness.for_record(5, b"payload", [b"tag00002"], [3], 3)[0] != key  # tokens
    assert PublishRandomness(OTHER_SEED).for_record(*base)[0] != key
    unseeded = PublishRandomness(None)
    assert unseeded.for_record(*base)[1] is None
    assert unseeded.for_record(*base)[0] != unseeded.for_record(*base)[0]
    with pytest.raises(CryptoError, match="32 bytes"):
        PublishRandomness(b"short")


def test_shamir_split_with_a_coefficient_source():
    secret = bytes(range(32))
    first = shamir.split(
        secret, 5, 3, randbelow=PublishRandomness(SEED).for_record(1, b"", [], [], 5)[1]
    )
    again = shamir.split(
        secret, 5, 3, randbelow=PublishRandomness(SEED).for_record(1, b"", [], [], 5)[1]
    )
    assert first == again
    assert shamir.reconstruct(first[2:]) == secret
    assert shamir.split(secret, 5, 3) != shamir.split(secret, 5, 3)  # default: fresh
    with pytest.raises(CryptoError, match="outside the field"):
        shamir.split(secret, 5, 3, randbelow=lambda bound: bound)
