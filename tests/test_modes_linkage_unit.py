"""Linkage unit: reported pairs agree with a brute-force Dice computation; hostile bytes refused."""

from __future__ import annotations

import contextlib
import csv
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppmatch.encoding import ClkEncoder, LinkageSchema
from ppmatch.errors import PpmatchError, ProtocolError
from ppmatch.match import dice_coefficients
from ppmatch.protocols._modes_records import load_records
from ppmatch.protocols._modes_simulate import simulate_link_unit
from ppmatch.protocols.linkage_unit import (
    ClkSubmission,
    LinkageUnit,
    LinkageUnitParty,
    MatchReport,
    hardened,
)
from ppmatch.synth import generate

SCHEMA = LinkageSchema.default()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    folder = tmp_path_factory.mktemp("linkage_unit")
    generate(folder, travelers=60, felons=50, overlap=20, seed=11, workers=1)
    a = load_records(folder / "travelers.csv").records
    b = load_records(folder / "felons.csv").records
    with open(folder / "truth.csv", newline="") as handle:
        truth = {(row["traveler_id"], row["felon_id"]) for row in csv.DictReader(handle)}
    return a, b, truth


@pytest.fixture(scope="module")
def linked(scenario):
    a_records, b_records, _ = scenario
    secret = os.urandom(32)
    a = LinkageUnitParty(SCHEMA, secret, "a")
    b = LinkageUnitParty(SCHEMA, secret, "b")
    unit = LinkageUnit(SCHEMA, threshold=0.9)
    submissions = [a.submit(a_records), b.submit(b_records)]
    for submission in submissions:
        unit.receive(ClkSubmission.from_bytes(submission.to_bytes()))
    reports = [MatchReport.from_bytes(r.to_bytes()) for r in unit.link()]
    return {
        "secret": secret,
        "parties": (a, b),
        "submissions": submissions,
        "reports": reports,
        "a_linked": a.resolve(reports[0]),
        "b_linked": b.resolve(reports[1]),
    }


def test_pairs_agree_with_brute_force_dice(scenario, linked):
    a_records, b_records, truth = scenario
    encoder = ClkEncoder(hardened(SCHEMA), linkage_secret=linked["secret"])
    a_by_id = {r.record_id: r for r in a_records}
    b_by_id = {r.record_id: r for r in b_records}
    b_ids = {(row.other_index, row.own_index): row.record_id for row in linked["b_linked"]}
    pairs = [
        (row.record_id, b_ids[(row.own_index, row.other_index)], row.similarity)
        for row in linked["a_linked"]
    ]
    assert len(pairs) == len(linked["b_linked"])
    for a_id, b_id, similarity in pairs:
        plain = dice_coefficients(
            encoder.encode_batch([a_by_id[a_id]]), encoder.encode_batch([b_by_id[b_id]])
        )[0]
        assert similarity == pytest.approx(plain, abs=1 / 65535)
        assert plain >= 0.9
    found = {(a_id, b_id) for a_id, b_id, _ in pairs}
    assert len({a for a, _ in found}) == len(found)  # one-to-one
    assert len(found & truth) >= 0.8 * len(truth)
    assert len(found & truth) >= 0.7 * len(found)


def test_blocking_misses_few_brute_force_pairs(scenario, linked):
    """Every pair a full cross-comparison finds at >= 0.97 is also found through the unit's LSH."""
    a_records, b_records, _ = scenario
    encoder = ClkEncoder(hardened(SCHEMA), linkage_secret=linked["secret"])
    a_filters, b_filters = encoder.encode_batch(a_records), encoder.encode_batch(b_records)
    left = np.repeat(np.arange(len(a_filters)), len(b_filters))
    right = np.tile(np.arange(len(b_filters)), len(a_filters))
    dice = dice_coefficients(a_filters[left], b_filters[right])
    strong = {
        (a_records[i].record_id, b_records[j].record_id)
        for i, j in zip(left[dice >= 0.97], right[dice >= 0.97], strict=True)
    }
    b_ids = {(row.other_index, row.own_index): row.record_id for row in linked["b_linked"]}
    found = {(row.record_id, b_ids[(row.own_index, row.other_index)]) for row in linked["a_linked"]}
    assert strong and strong <= found


def test_filters_are_hardened_and_shuffled(scenario, linked):
    a_records, _, _ = scenario
    filters = linked["submissions"][0].filters
    weights = np.bitwise_count(filters).sum(axis=1)
    assert (weights == SCHEMA.clk.filter_bits).all()  # balanced: every filter half ones
    plain = ClkEncoder(hardened(SCHEMA), linkage_secret=linked["secret"]).encode_batch(a_records)
    assert not np.array_equal(filters, plain)  # submitted in a shuffled order
    assert sorted(map(bytes, filters)) == sorted(map(bytes, plain))


def test_simulation_cli_path(tmp_path):
    generate(tmp_path, travelers=20, felons=20, overlap=8, seed=2, workers=1)
    run = simulate_link_unit(tmp_path / "travelers.csv", tmp_path / "felons.csv")
    assert 5 <= len(run.pairs) <= 20
    assert all(a.startswith("T") and b.startswith("F") for a, b, _ in run.pairs)
    assert run.bytes_to_unit > 40 * SCHEMA.clk.filter_bits * 2 // 8


def test_messages_round_trip(linked):
    for message in [*linked["submissions"], *linked["reports"]]:
        data = message.to_bytes()
        assert type(message).from_bytes(data).to_bytes() == data


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_bytes_are_refused(linked, data):
    message = data.draw(st.sampled_from([linked["submissions"][1], linked["reports"][0]]))
    original = message.to_bytes()
    cls = type(message)
    cut = data.draw(st.integers(0, len(original) - 1))
    with pytest.raises(ProtocolError):
        cls.from_bytes(original[:cut])
    with pytest.raises(ProtocolError, match="trailing"):
        cls.from_bytes(original + b"\x00")
    corrupted = bytearray(original)
    corrupted[data.draw(st.integers(0, 60))] ^= 0xA5
    with contextlib.suppress(PpmatchError):  # anything but our own error fails the test
        cls.from_bytes(bytes(corrupted))


def test_unit_and_parties_refuse_misuse(linked):
    a, _ = linked["parties"]
    unit = LinkageUnit(SCHEMA)
    with pytest.raises(ProtocolError, match="no submission yet from party 'a'"):
        unit.link()
    unit.receive(linked["submissions"][0])
    with pytest.raises(ProtocolError, match="already submitted"):
        unit.receive(linked["submissions"][0])
    fresh = LinkageUnit(SCHEMA)
    wrong_width = ClkSubmission(
        linked["submissions"][1].schema_hash, "b", linked["submissions"][1].filters[:, :3]
    )
    with pytest.raises(ProtocolError, match="64-bit words"):
        fresh.receive(wrong_width)
    forged = ClkSubmission(b"\x00" * 32, "b", linked["submissions"][1].filters)
    with pytest.raises(ProtocolError, match="schema hash differs"):
        unit.receive(forged)
    with pytest.raises(ProtocolError, match="for party 'b'"):
        a.resolve(linked["reports"][1])
    too_far = MatchReport(a.schema_hash, "a", np.array([10**6]), np.array([0]), np.array([1.0]))
    with pytest.raises(ProtocolError, match="beyond"):
        a.resolve(too_far)
