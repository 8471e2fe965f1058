"""Offline (air-gapped) exchange through the Python API: publish, prepare, evaluate, finish."""

import csv

import pytest
from test_exchange_helpers import setup_two_agencies

from ppmatch.errors import AgreementError, BudgetExceeded, IntegrityError, ProtocolError
from ppmatch.exchange.audit import verify_log
from ppmatch.exchange.holder_side import HolderService, Peer, publish_database
from ppmatch.exchange.querier_side import QuerierSide
from ppmatch.exchange.roles import load_role


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    setup = setup_two_agencies(tmp_path_factory.mktemp("agencies"))
    holder = load_role(setup.agreement, setup.alpha_keys, "alpha", None)
    querier = load_role(setup.agreement, setup.beta_keys, "beta", None)
    database = setup.root / "alpha.ppmdb"
    summary = publish_database(
        holder,
        setup.felons,
        database,
        work_dir=setup.root / "publish-work",
        resume=False,
        chunk_rows=8,
    )
    return setup, holder, querier, database, summary


def test_full_offline_round_finds_the_true_matches(world, tmp_path):
    setup, holder, querier, database, summary = world
    assert summary.records == 30 and summary.chunks == 4
    side = QuerierSide(querier, tmp_path / "beta-audit.jsonl")
    request, state = tmp_path / "request.ppm", tmp_path / "querier-work"
    prepared = side.prepare(setup.travelers, database, request, state)
    assert prepared.records == 16
    service = HolderService(holder, tmp_path / "alpha-state")
    response = tmp_path / "response.ppm"
    response.write_bytes(
        service.evaluate(request.read_bytes(), peer=Peer("beta", "file"), source=str(request))
    )
    results = tmp_path / "matches.csv"
    finished = side.finish(response, state, database, results)
    with open(results, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    found = {
        (r["querier_record_id"], r["holder_record_id"]) for r in rows if r["decision"] == "match"
    }
    assert found == setup.truth
    assert finished.matches == len(setup.truth)
    # replays are refused on both sides
    with pytest.raises(ProtocolError, match="replayed"):
        service.evaluate(request.read_bytes(), peer=Peer("beta", "file"), source=str(request))
    with pytest.raises(ProtocolError, match="already finished"):
        side.finish(response, state, database, tmp_path / "again.csv")
    assert not (tmp_path / "again.csv").exists()
    holder_saw = request.read_bytes() + (tmp_path / "alpha-state" / "audit.jsonl").read_bytes()
    assert_no_traveler_values(setup.travelers, holder_saw)
    report = verify_log(tmp_path / "alpha-state" / "audit.jsonl", holder.keys.signing.public_key())
    assert report.events["evaluate"] == 1 and report.events["refusal"] == 1
    verify_log(tmp_path / "beta-audit.jsonl", querier.keys.signing.public_key())


def test_tampered_database_and_foreign_response_are_refused(world, tmp_path):
    setup, holder, querier, database, _ = world
    tampered = tmp_path / "tampered.ppmdb"
    data = bytearray(database.read_bytes())
    data[len(data) // 2] ^= 1
    tampered.write_bytes(bytes(data))
    side = QuerierSide(querier, tmp_path / "audit.jsonl")
    with pytest.raises(IntegrityError):
        side.prepare(setup.travelers, tampered, tmp_path / "r.ppm", tmp_path / "s")
    assert not (tmp_path / "r.ppm").exists() and not (tmp_path / "s").exists()

    # a request sealed under another agreement hash is refused by the holder
    request, state = tmp_path / "request.ppm", tmp_path / "querier-work"
    side.prepare(setup.travelers, database, request, state)
    forged = bytearray(request.read_bytes())
    forged[12] ^= 0xFF  # first byte of the agreement hash in the container header
    service = HolderService(holder, tmp_path / "alpha-state")
    with pytest.raises(AgreementError, match="another agreement|not this agreement"):
        service.evaluate(bytes(forged), peer=Peer("beta", "file"), source="forged")


def test_budget_exceeded_is_refused_before_work(tmp_path):
    setup = setup_two_agencies(tmp_path / "agencies", daily_tokens=50)
    holder = load_role(setup.agreement, setup.alpha_keys, "alpha", None)
    querier = load_role(setup.agreement, setup.beta_keys, "beta", None)
    database = tmp_path / "db.ppmdb"
    publish_database(holder, setup.felons, database, work_dir=tmp_path / "w", resume=False)
    side = QuerierSide(querier, tmp_path / "audit.jsonl")
    side.prepare(setup.travelers, database, tmp_path / "req.ppm", tmp_path / "q")
    service = HolderService(holder, tmp_path / "alpha-state")
    with pytest.raises(BudgetExceeded, match="daily budget of 50"):
        service.evaluate(
            (tmp_path / "req.ppm").read_bytes(), peer=Peer("beta", "file"), source="req"
        )
    assert not list((tmp_path / "alpha-state" / "responses").iterdir())


def test_rotated_epoch_refuses_requests_for_the_old_database(tmp_path):
    from ppmatch.exchange.keys import OprfEpochKeys

    setup = setup_two_agencies(tmp_path / "agencies")
    holder = load_role(setup.agreement, setup.alpha_keys, "alpha", None)
    querier = load_role(setup.agreement, setup.beta_keys, "beta", None)
    old_db, new_db = tmp_path / "epoch1.ppmdb", tmp_path / "epoch2.ppmdb"
    publish_database(holder, setup.felons, old_db, work_dir=tmp_path / "w1", resume=False)
    assert OprfEpochKeys(setup.alpha_keys, "alpha").rotate(None) == 2
    summary = publish_database(holder, setup.felons, new_db, work_dir=tmp_path / "w2", resume=False)
    assert summary.epoch == 2
    side = QuerierSide(querier, tmp_path / "audit.jsonl")
    side.prepare(setup.travelers, old_db, tmp_path / "old.ppm", tmp_path / "q")
    service = HolderService(holder, tmp_path / "alpha-state")  # current epoch: 2
    with pytest.raises(ProtocolError, match="key epoch 1 differs from the current epoch 2"):
        service.evaluate(
            (tmp_path / "old.ppm").read_bytes(), peer=Peer("beta", "file"), source="old.ppm"
        )
    side.prepare(setup.travelers, new_db, tmp_path / "new.ppm", tmp_path / "q")
    (tmp_path / "new-resp.ppm").write_bytes(
        service.evaluate(
            (tmp_path / "new.ppm").read_bytes(), peer=Peer("beta", "file"), source="new.ppm"
        )
    )
    result = side.finish(tmp_path / "new-resp.ppm", tmp_path / "q", new_db, tmp_path / "m.csv")
    assert result.matches == len(setup.truth)


def assert_no_traveler_values(travelers_csv, data: bytes) -> None:
    """No traveler value (as typed, upper-cased) nor its SHA-256/MD5 appears in ``data``."""
    import hashlib

    with open(travelers_csv, encoding="utf-8") as handle:
        values = {v for row in csv.DictReader(handle) for v in row.values() if len(v) >= 4}
    for value in values:
        for form in {value, value.upper()}:
            raw = form.encode("utf-8")
            for needle in (
                raw,
                hashlib.sha256(raw).digest(),
                hashlib.sha256(raw).hexdigest().encode(),
                hashlib.md5(raw).digest(),
            ):
                assert needle not in data, f"traveler value {form!r} visible to the holder"


def test_querier_state_is_sealed_to_the_querier(world, tmp_path):
    from ppmatch.exchange.keys import generate_party_keys
    from ppmatch.exchange.querier_state import load_state

    setup, holder, querier, database, _ = world
    side = QuerierSide(querier, tmp_path / "audit.jsonl")
    side.prepare(setup.travelers, database, tmp_path / "request.ppm", tmp_path / "work")
    (state_file,) = (tmp_path / "work").glob("query-*.state")
    assert state_file.stat().st_mode & 0o077 == 0
    state = load_state(state_file, querier.keys)
    assert len(state.pending.record_ids) == 16 and not state.finished
    assert len(state.pending.blinds) == len(state.pending.inputs) == len(state.pending.blinded)
    with pytest.raises(IntegrityError, match="other keys"):
        load_state(state_file, generate_party_keys("beta"))
    data = bytearray(state_file.read_bytes())
    data[-5] ^= 1
    state_file.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="altered"):
        load_state(state_file, querier.keys)


def test_querier_state_format_covers_every_pending_query_field():
    from dataclasses import fields

    from ppmatch.exchange.querier_state import STORED_FIELDS
    from ppmatch.protocols.querier import PendingQuery

    assert {f.name for f in fields(PendingQuery)} == STORED_FIELDS


def test_parallel_publish_matches_serial_publish(world, tmp_path):
    from ppmatch.protocols.database import HolderDatabase

    setup, holder, _, database, _ = world
    parallel = tmp_path / "parallel.ppmdb"
    summary = publish_database(
        holder,
        setup.felons,
        parallel,
        work_dir=tmp_path / "w",
        resume=False,
        chunk_rows=8,
        workers=2,
    )
    assert summary.chunks == 4 and summary.records == 30
    a, b = HolderDatabase.read(parallel), HolderDatabase.read(database)
    assert (a.entries.tags == b.entries.tags).all()
    assert (a.payloads.handles == b.payloads.handles).all()
