"""The screening protocol end to end on small data: matches, threshold disclosure, database
format, deltas, budgets and hostile bytes."""

from __future__ import annotations

import contextlib
import dataclasses
import random

import numpy as np
import pandas as pd
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppmatch.encoding import LinkageSchema
from ppmatch.encoding.schema import DisclosureSpec, LshSpec, RuleSpec, RuleWeights, ScoringSpec
from ppmatch.errors import (
    AgreementError,
    BudgetExceeded,
    CryptoError,
    InputError,
    IntegrityError,
    PpmatchError,
    ProtocolError,
)
from ppmatch.protocols import (
    EvaluationRequest,
    EvaluationResponse,
    Holder,
    HolderDatabase,
    HolderDelta,
    Querier,
    ScreeningConfig,
)

GIVEN = [
    "ANNA",
    "BORIS",
    "CARLA",
    "DMITRI",
    "ELENA",
    "FARID",
    "GRETA",
    "HANS",
    "IRINA",
    "JOSE",
    "KARIM",
    "LENA",
    "MARTA",
    "NIKOLAI",
    "OLGA",
    "PEDRO",
    "RANIA",
    "SVEN",
    "TARIQ",
    "URSULA",
]
SURNAMES = [
    "MUELLER",
    "IVANOV",
    "GARCIA",
    "SMITH",
    "NGUYEN",
    "KOWALSKI",
    "ROSSI",
    "SILVA",
    "KHAN",
    "BROWN",
    "PAPADOPOULOS",
    "OKAFOR",
    "JOHANSSON",
    "HASHEMI",
    "TANAKA",
    "FERREIRA",
    "NOVAK",
    "DUBOIS",
    "YILMAZ",
    "LINDQVIST",
]


def people(count: int, seed: int, prefix: str) -> pd.DataFrame:
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        rows.append(
            {
                "record_id": f"{prefix}{i:05d}",
                "given_names": rng.choice(GIVEN),
                "surname": f"{rng.choice(SURNAMES)} {rng.choice(SURNAMES)}",
                "date_of_birth": f"{rng.randint(1940, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "sex": rng.choice("MF"),
                "nationality": rng.choice(["DEU", "FRA", "GRC", "ESP", "SWE"]),
                "place_of_birth": "",
                "document_number": f"P{rng.randint(10**7, 10**8 - 1)}",
                "offense_category": rng.choice(["fraud", "assault", "smuggling"]),
                "conviction_date": f"{rng.randint(1990, 2024)}-01-01",
            }
        )
    return pd.DataFrame(rows)


def travelers_from(felons: pd.DataFrame, rows: list[int], prefix: str = "T") -> pd.DataFrame:
    copies = felons.iloc[rows].drop(columns=["offense_category", "conviction_date"]).copy()
    copies["record_id"] = [f"{prefix}{i:05d}" for i in range(len(copies))]
    return copies.reset_index(drop=True)


def scored_schema(**changes) -> LinkageSchema:
    """The default schema with explicit scoring weights, so these tests do not depend on a fit."""
    base = LinkageSchema.default()
    weights = {
        rule.id: RuleWeights(agree=8.0 if rule.weight >= 2 else 3.0, disagree=-1.0)
        for rule in base.rules
    }
    bands = tuple([-6.0] + [-6.0 + 1.2 * i for i in range(1, base.lsh.bands + 1)])
    scoring = ScoringSpec(
        offset=0.0,
        rule_weights=weights,
        band_weights=bands,
        match_threshold=8.0,
        review_threshold=3.0,
    )
    return base.model_copy(update={"scoring": scoring, **changes})


SECRET = b"linkage secret for the tests...."


@pytest.fixture(scope="module")
def config() -> ScreeningConfig:
    return ScreeningConfig.default(linkage_secret=SECRET, schema=scored_schema())


@pytest.fixture(scope="module")
def felons() -> pd.DataFrame:
    return people(200, seed=1, prefix="F")


@pytest.fixture(scope="module")
def published(config, felons):
    holder = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1)
    database = holder.publish(felons)
    return holder, database


def run_query(config, holder, database, travelers, workers=1):
    querier = Querier(config, workers=workers)
    request = querier.prepare(travelers).to_bytes()
    response = holder.evaluate(request).to_bytes()
    return querier.finish(response, database)


def test_copies_of_holder_records_match_with_payload_and_others_do_not(config, felons, published):
    holder, database = published
    strangers = people(20, seed=99, prefix="S")
    strangers["record_id"] = [f"T9{i:04d}" for i in range(20)]
    travelers = pd.concat(
        [
            travelers_from(felons, list(range(0, 30, 3))),
            strangers.drop(columns=["offense_category", "conviction_date"]),
        ],
        ignore_index=True,
    )
    result = run_query(config, holder, HolderDatabase.from_bytes(database.to_bytes()), travelers)
    matches = {row.querier_record_id: row for row in result.matches}
    assert len(matches) == 10
    for index, felon_row in enumerate(range(0, 30, 3)):
        row = matches[f"T{index:05d}"]
        assert row.holder_record_id == felons.record_id[felon_row]
        assert row.payload["offense_category"] == felons.offense_category[felon_row]
        assert row.payload["conviction_date"] == felons.conviction_date[felon_row]
        assert "doc" in row.rule_ids and row.band_count == config.schema.lsh.bands
    frame = result.to_frame()
    assert list(frame.columns[:6]) == [
        "querier_record_id",
        "holder_record_id",
        "holder_handle",
        "score",
        "decision",
        "matched",
    ]
    assert not any(rid.startswith("T9") for rid in matches)


def rules_only_schema(threshold: int) -> LinkageSchema:
    """No LSH bands: the shares a querier record collects are exactly its matching rules' weights."""
    rules = (
        RuleSpec(id="doc", components=("document_number",), weight=3, max_tokens=1),
        RuleSpec(
            id="name_dob", components=("surname", "given_first", "dob"), weight=2, max_tokens=1
        ),
        RuleSpec(
            id="name_year_sex",
            components=("surname", "given_first", "birth_year", "sex"),
            weight=1,
            max_tokens=1,
        ),
    )
    scoring = ScoringSpec(
        rule_weights={
            "doc": RuleWeights(agree=9.0, disagree=-2.0),
            "name_dob": RuleWeights(agree=9.0, disagree=-2.0),
            "name_year_sex": RuleWeights(agree=4.0, disagree=-1.0),
        },
        match_threshold=5.0,
        review_threshold=-10.0,
    )
    return LinkageSchema.default().model_copy(
        update={
            "rules": rules,
            "lsh": LshSpec(bands=0),
            "scoring": scoring,
            "disclosure": DisclosureSpec(threshold=threshold),
        }
    )


def screen_one(threshold: int, traveler: dict, felon: dict):
    schema = rules_only_schema(threshold)
    config = ScreeningConfig.default(linkage_secret=SECRET, schema=schema)
    holder = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1)
    database = holder.publish(pd.DataFrame([felon]))
    return run_query(config, holder, database, pd.DataFrame([traveler]))


FELON = people(1, seed=5, prefix="F").iloc[0].to_dict()
TWIN = {k: v for k, v in FELON.items() if k not in ("offense_category", "conviction_date")} | {
    "record_id": "T1"
}


def test_payload_is_disclosed_with_t_shares_and_not_with_t_minus_one():
    # The identical traveler shares all three rules: 3 + 2 + 1 = 6 shares.
    with_t = screen_one(6, TWIN, FELON)
    assert [row.decision for row in with_t.rows] == ["match"]
    assert with_t.rows[0].payload["offense_category"] == FELON["offense_category"]
    assert with_t.rows[0].holder_record_id == FELON["record_id"]
    short = screen_one(7, TWIN, FELON)  # the same 6 shares are now t - 1
    assert short.rows, "the candidate is still reported"
    assert all(
        row.decision != "match" and not row.payload and not row.holder_record_id
        for row in short.rows
    )


def test_weak_tokens_alone_never_disclose():
    # Same name, birth year and sex, another day of birth and passport: only name_year_sex (1 share).
    weak = TWIN | {"date_of_birth": FELON["date_of_birth"][:4] + "-12-31", "document_number": "Q1"}
    result = screen_one(4, weak, FELON)
    assert [row.rule_ids for row in result.rows] == [("name_year_sex",)]
    assert all(not row.payload and not row.holder_record_id for row in result.rows)


def test_database_roundtrip_file_and_tamper_detection(tmp_path, published):
    holder, database = published
    data = database.to_bytes()
    again = HolderDatabase.from_bytes(data)
    assert again.to_bytes() == data
    path = tmp_path / "db.ppmdb"
    database.write(path)
    assert HolderDatabase.read(path).to_bytes() == data
    tampered = bytearray(data)
    tampered[len(data) // 2] ^= 1
    with pytest.raises(IntegrityError, match="signature"):
        HolderDatabase.from_bytes(bytes(tampered))
    with pytest.raises(ProtocolError):
        HolderDatabase.from_bytes(data[:-100])
    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(IntegrityError, match="another key"):
        HolderDatabase.from_bytes(data, expected_signer=other)


def test_spilled_publish_equals_in_memory_publish(tmp_path, config, felons):
    key = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1).oprf_key
    signing = Ed25519PrivateKey.generate()
    few = felons.iloc[:80]
    memory = Holder(config, oprf_key=key, signing_key=signing, workers=1).publish(few)
    spilled_holder = Holder(
        config, oprf_key=key, signing_key=signing, workers=1, spill_limit=20_000
    )
    spilled = spilled_holder.publish(few, out=tmp_path / "db.ppmdb")
    assert spilled_holder.publish_stats.spilled
    assert np.array_equal(memory.entries.tags, spilled.entries.tags)
    assert np.array_equal(memory.entries.entry_ids, spilled.entries.entry_ids)
    assert np.array_equal(memory.payloads.handles, spilled.payloads.handles)
    travelers = travelers_from(felons, [4, 8, 15])
    assert len(run_query(config, spilled_holder, spilled, travelers).matches) == 3


def test_delta_adds_and_tombstones_and_the_copy_stays_identical(config, felons):
    holder = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1)
    querier_copy = holder.publish(felons.iloc[:100])
    delta_bytes = holder.delta(add=felons.iloc[100:110], remove=["F00003", "F00007"]).to_bytes()
    querier_copy = querier_copy.apply(HolderDelta.from_bytes(delta_bytes))
    assert querier_copy.to_bytes() == holder.database.to_bytes()
    assert querier_copy.version == 1 and querier_copy.record_count == 108
    travelers = travelers_from(felons, [3, 7, 50, 105])
    result = run_query(config, holder, querier_copy, travelers)
    assert sorted(row.holder_record_id for row in result.matches) == ["F00050", "F00105"]
    with pytest.raises(ProtocolError, match="version"):
        querier_copy.apply(HolderDelta.from_bytes(delta_bytes))
    with pytest.raises(InputError, match="already published"):
        holder.delta(add=felons.iloc[3:4])


class CountingBudget:
    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0

    def charge(self, elements: int) -> None:
        if self.used + elements > self.limit:
            raise BudgetExceeded(f"daily budget of {self.limit} elements exceeded")
        self.used += elements


def test_budget_is_charged_with_the_padded_element_count(config, felons, published):
    holder, _ = published
    querier = Querier(config, workers=1)
    request = querier.prepare(travelers_from(felons, [1, 2, 3]))
    budget = CountingBudget(limit=4 * config.tokens_per_record)
    holder.evaluate(request, budget=budget)
    assert budget.used == 3 * config.tokens_per_record
    with pytest.raises(BudgetExceeded):
        holder.evaluate(request, budget=budget)


def test_messages_from_another_agreement_are_refused(config, felons, published):
    holder, _ = published
    other = dataclasses.replace(config, epoch=2)
    request = Querier(other, workers=1).prepare(travelers_from(felons, [1]))
    with pytest.raises(ProtocolError, match="epoch"):
        holder.evaluate(request)
    foreign = EvaluationRequest(
        b"\x01" * 32,
        request.suite,
        config.epoch,
        request.request_id,
        request.tokens_per_record,
        request.elements,
    )
    with pytest.raises(AgreementError, match="agreement hash"):
        holder.evaluate(foreign.to_bytes())


@pytest.fixture(scope="module")
def valid_messages(config, felons, published):
    holder, database = published
    request = Querier(config, workers=1).prepare(travelers_from(felons, [1, 2]))
    response = holder.evaluate(request)
    delta = holder.delta(remove=["F00001"])
    return {
        "request": (request.to_bytes(), EvaluationRequest.from_bytes),
        "response": (response.to_bytes(), EvaluationResponse.from_bytes),
        "database": (database.to_bytes(), HolderDatabase.from_bytes),
        "delta": (delta.to_bytes(), HolderDelta.from_bytes),
    }


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["request", "response", "database", "delta"]),
    cut=st.integers(min_value=0, max_value=10**9),
    flips=st.lists(st.tuples(st.integers(0, 10**9), st.integers(1, 255)), max_size=4),
    junk=st.binary(max_size=64),
)
def test_hostile_bytes_raise_only_protocol_errors(valid_messages, kind, cut, flips, junk):
    data, parse = valid_messages[kind]
    mutated = bytearray(data[: cut % (len(data) + 1)] + junk)
    for position, mask in flips:
        if mutated:
            mutated[position % len(mutated)] ^= mask
    # ProtocolError / IntegrityError: refused with a message, never another exception.
    with contextlib.suppress(PpmatchError):
        parse(bytes(mutated))


def test_oversized_counts_are_refused_before_allocation(config, felons, published):
    holder, _ = published
    request = Querier(config, workers=1).prepare(travelers_from(felons, [1])).to_bytes()
    with pytest.raises(ProtocolError, match="exceeds the limit"):
        EvaluationRequest.from_bytes(request, max_elements=5)


def test_protocol_patterns_equal_the_plaintext_token_join(config, felons, published):
    """The private protocol must show the querier exactly what a plaintext join would."""
    from ppmatch.match import PatternScorer, resolve_one_to_one, token_patterns
    from ppmatch.protocols.records import iter_chunks, tokenize_chunk
    from ppmatch.tokens import Tokenizer

    holder, database = published
    travelers = travelers_from(felons, list(range(0, 60, 2)))
    travelers.loc[::3, "date_of_birth"] = "1999-09-09"  # some lose their date rules
    travelers.loc[1::3, "document_number"] = ""  # some lose the document rule
    travelers.loc[2::4, "given_names"] = "ZZTOP"  # some keep only surname-based evidence
    result = run_query(config, holder, database, travelers)

    tokenizer = Tokenizer(config.schema, config.linkage_secret, config.agreement_id)

    def tokens_of(frame):
        return [
            t
            for chunk in iter_chunks(frame, chunk_rows=500)
            for t in tokenize_chunk(tokenizer, chunk)
        ]

    table = token_patterns(tokens_of(travelers), tokens_of(felons), config.schema.rule_ids)
    scorer = PatternScorer(config.schema)
    candidates = [
        scorer.candidate(
            travelers.record_id[table.querier_index[i]],
            felons.record_id[table.holder_index[i]],
            table.matched_rules(i),
            int(table.band_count[i]),
            table.present_rules(i),  # the holder's side comes from the masks in its labels
        )
        for i in range(len(table))
    ]
    calibrated = scorer.calibrate(np.array([c.score for c in candidates]))
    candidates = [
        dataclasses.replace(c, score=float(s)) for c, s in zip(candidates, calibrated, strict=True)
    ]
    assert result.candidates == len(candidates)
    expected = sorted(
        (c.querier_id, round(c.score, 6), c.rule_ids, c.band_count)
        for c in resolve_one_to_one(candidates)
        if scorer.decide(c.score, True) != "none"
    )
    found = sorted(
        (r.querier_record_id, round(r.score, 6), r.rule_ids, r.band_count) for r in result.rows
    )
    assert found == expected and len(found) >= 10


def test_publisher_tokens_equal_the_shared_chunk_tokenizer(config, felons):
    """Publish skips Token objects; its OPRF inputs must still be the querier's tokens,
    including the rule that a value repeated within a record keeps its first weight."""
    from ppmatch.crypto import MODE_VOPRF, generate_key_pair
    from ppmatch.normalize import normalize_record
    from ppmatch.protocols.publish import ChunkPublisher
    from ppmatch.protocols.records import iter_chunks, tokenize_chunk
    from ppmatch.tokens import Token, Tokenizer
    from ppmatch.tokens.components import rule_presence_mask

    class Repeating(Tokenizer):  # appends the record's first token again, heavier
        def encode_and_tokenize(self, records):
            filters, tokens = super().encode_and_tokenize(records)
            return filters, [t + [Token(t[0].kind, t[0].rule_id, t[0].value, 9)] for t in tokens]

        def token_values(self, records):
            return [(v + v[:1], w + [9], m) for v, w, m in super().token_values(records)]

    publisher = ChunkPublisher(config, generate_key_pair(config.suite, MODE_VOPRF)[0])
    for tokenizer in (publisher.tokenizer, Repeating(config.schema, SECRET, config.agreement_id)):
        publisher.tokenizer = tokenizer
        for chunk in iter_chunks(felons.iloc[:40], chunk_rows=15):
            values, weights, counts, masks = publisher.token_values(chunk)
            expected = tokenize_chunk(tokenizer, chunk)
            normalized = [
                normalize_record(raw, record_id=r)
                for r, raw in zip(chunk.record_ids, chunk.identity, strict=True)
            ]
            assert masks == [rule_presence_mask(record, config.schema) for record in normalized]
            assert counts == [len(tokens) for tokens in expected]
            assert values == [t.value for tokens in expected for t in tokens]
            assert weights == [t.weight for tokens in expected for t in tokens]
            assert 9 not in weights


def test_batched_derivations_equal_the_single_ones(config):
    from ppmatch.protocols.derive import EntrySecretDeriver, HolderSecrets, entry_secrets

    outputs = [bytes([i]) * 64 for i in range(5)]
    digests = EntrySecretDeriver(config.agreement_hash).digests(outputs)
    assert [(d[:8], d[8:]) for d in digests] == [
        entry_secrets(y, config.agreement_hash) for y in outputs
    ]
    secrets = HolderSecrets(bytes(range(32)), config.agreement_hash, config.epoch)
    handle = secrets.handle("F00001")
    ids = secrets.entry_ids(handle, 4)
    assert ids == [secrets.entry_id(handle, i) for i in range(4)] and len(set(ids)) == 4
    other = HolderSecrets(bytes(range(1, 33)), config.agreement_hash, config.epoch)
    assert other.entry_ids(handle, 4) != ids


def test_entry_secret_cache_evaluates_each_recent_value_once(config):
    from ppmatch.crypto import MODE_VOPRF, OPRFServer, generate_key_pair
    from ppmatch.protocols.derive import EntrySecretDeriver
    from ppmatch.protocols.publish import EntrySecretCache

    server = OPRFServer(config.suite, generate_key_pair(config.suite, MODE_VOPRF)[0], mode=1)
    deriver = EntrySecretDeriver(config.agreement_hash)
    cache = EntrySecretCache(server, deriver, capacity=3)
    batches = [[b"a", b"b", b"a"], [b"b", b"c", b"d"], [b"e", b"a", b"f"], [b"a", b"e"]]
    evaluated = []
    for values in batches:
        before = cache.evaluations
        assert cache.digests(values) == deriver.digests(server.evaluate_batch(values))
        evaluated.append(cache.evaluations - before)
    # a and b; then c and d (b is cached; the generation fills and rotates); then e and f
    # (a moves back from the previous generation; rotates again); then nothing (a and e move
    # back again)
    assert evaluated == [2, 2, 2, 0]


def test_pipelined_proof_batches_give_the_same_rows_and_name_a_bad_batch(
    config, felons, published, monkeypatch
):
    """With small proof batches the querier opens one batch's labels while the workers
    finalize the next: the rows equal the single-batch run, and a corrupted proof in a middle
    batch stops the query with that batch named (no result from the verified batches)."""
    from ppmatch.protocols import holder as holder_module
    from ppmatch.protocols import querier as querier_module

    holder, database = published
    travelers = travelers_from(felons, list(range(0, 40, 2)))
    single = run_query(config, holder, database, travelers).to_frame()
    batch = 96  # 20 travelers x 32 padded elements: 7 proof batches
    monkeypatch.setattr(holder_module, "PROOF_BATCH", batch)
    monkeypatch.setattr(querier_module, "PROOF_BATCH", batch)
    pipelined = run_query(config, holder, database, travelers, workers=2)
    pd.testing.assert_frame_equal(
        single.drop(columns="score"), pipelined.to_frame().drop(columns="score")
    )
    assert np.allclose(single.score, pipelined.to_frame().score)

    querier = Querier(config, workers=2)
    request = querier.prepare(travelers)
    response = holder.evaluate(request.to_bytes())
    assert len(response.proofs) == 7
    proofs = list(response.proofs)
    proofs[3] = bytes([proofs[3][0] ^ 1]) + proofs[3][1:]
    forged = dataclasses.replace(response, proofs=tuple(proofs))
    with pytest.raises(CryptoError, match=r"proof 3 \(elements 288\.\.383\) does not verify"):
        querier.finish(forged.to_bytes(), database)

    # a holder with workers queues each proof batch before waiting on the one before it
    parallel_holder = Holder(
        config, oprf_key=holder.oprf_key, signing_key=Ed25519PrivateKey.generate(), workers=2
    )
    parallel = parallel_holder.evaluate(request.to_bytes())
    parallel_holder.close()
    assert np.array_equal(parallel.elements, response.elements) and len(parallel.proofs) == 7
    rows = querier.finish(parallel.to_bytes(), database).to_frame()
    querier.close()
    pd.testing.assert_frame_equal(single.drop(columns="score"), rows.drop(columns="score"))


def test_chunked_prepare_blinds_while_tokenizing_and_keeps_the_rows(config, felons, published):
    """Chunks of 7 travelers are blinded in the workers while the next is tokenized, then
    shuffled: the same rows as one in-process chunk, every blinded element distinct, and a
    request over the agreed element cap is refused before it is sent."""
    holder, database = published
    travelers = travelers_from(felons, list(range(1, 60, 3)))
    single = run_query(config, holder, database, travelers).to_frame()
    querier = Querier(config, workers=2, chunk_rows=7)
    request = querier.prepare(travelers)
    rows = querier.finish(holder.evaluate(request.to_bytes()).to_bytes(), database).to_frame()
    querier.close()
    pd.testing.assert_frame_equal(single.drop(columns="score"), rows.drop(columns="score"))
    assert len({bytes(row) for row in request.elements}) == len(request.elements)

    capped = dataclasses.replace(config, max_request_elements=10 * config.tokens_per_record)
    with pytest.raises(ProtocolError, match=r"more than 320 elements .* after 14 travelers"):
        Querier(capped, workers=1, chunk_rows=7).prepare(travelers)


def test_a_us_dated_traveler_file_matches_an_iso_dated_register(config, felons, published):
    """Tried as a partner agency would send it: MM/DD/YYYY dates. The file's unambiguous
    dates (day > 12) show the order, so 04/01/1990 is read as 1 April and the copies of
    holder records with a day <= 12 still match on their birth date."""
    holder, database = published
    rows = list(range(40, 80, 2))
    travelers = travelers_from(felons, rows)
    iso = pd.to_datetime(travelers.date_of_birth)
    travelers["date_of_birth"] = iso.dt.strftime("%m/%d/%Y")
    ambiguous = [f"T{i:05d}" for i in range(len(rows)) if iso[i].day <= 12]
    assert ambiguous and (iso.dt.day > 12).any()
    travelers["document_number"] = ""  # so a match needs the date
    result = run_query(config, holder, database, travelers)
    matched = {row.querier_record_id: row for row in result.matches}
    for record_id in ambiguous:
        assert "name_dob" in matched[record_id].rule_ids, record_id


def test_publish_and_simulate_report_their_progress(config, felons):
    """What the command line's progress line is drawn from: records published after each
    chunk, then each phase of a screening as it starts."""
    from ppmatch.protocols.simulate import simulate

    published: list[int] = []
    holder = Holder(config, signing_key=Ed25519PrivateKey.generate(), workers=1, chunk_rows=64)
    holder.publish(felons, on_progress=published.append)
    assert published == [64, 128, 192, 200]

    phases: list[tuple[str, int]] = []
    simulate(
        felons,
        travelers_from(felons, [1, 2]),
        config,
        workers=1,
        on_progress=lambda *p: phases.append(p),
    )
    assert [phase for phase, _ in phases] == ["publish", "publish", "prepare", "evaluate", "finish"]
    assert phases[1] == ("publish", 200)
