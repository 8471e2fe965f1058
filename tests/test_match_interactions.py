"""Interaction weights: a joint state of correlated rules scored once, fitted jointly."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.encoding import LinkageSchema
from ppmatch.encoding.schema import InteractionWeight, RuleWeights, ScoringSpec
from ppmatch.errors import InputError, SchemaError
from ppmatch.match import PatternScorer, PatternTable, fit_logistic, select_interactions


def _scorer(*interactions: InteractionWeight) -> PatternScorer:
    weights = {
        "doc": RuleWeights(agree=10.0, disagree=-4.0, missing=0.0),
        "name_dob": RuleWeights(agree=3.0, disagree=-2.0, missing=0.0),
    }
    scoring = ScoringSpec(rule_weights=weights, interactions=interactions)
    return PatternScorer(LinkageSchema.default().with_scoring(scoring))


def test_interaction_adds_its_weight_only_in_its_joint_state():
    scorer = _scorer(
        InteractionWeight(when={"doc": "disagree", "name_dob": "disagree"}, weight=-1.5),
        InteractionWeight(when={"doc": "agree", "name_dob": "agree"}, min_bands=2, weight=0.25),
    )
    both = {"doc", "name_dob"}
    assert scorer.score((), 0, present=both) == -4.0 - 2.0 - 1.5
    # name_dob missing on one side: not the joint disagreement
    assert scorer.score((), 0, present={"doc"}) == -4.0
    # presence unknown: an unshared rule reads as disagree, as for single rules
    assert scorer.score((), 0) == -4.0 - 2.0 - 1.5
    assert scorer.score(both, 1, present=both) == 13.0
    assert scorer.score(both, 2, present=both) == 13.25


def test_schema_rejects_an_interaction_on_an_unknown_rule():
    document = LinkageSchema.default().model_dump(mode="json")
    document["scoring"]["interactions"] = [{"when": {"no_such_rule": "agree"}, "weight": 1.0}]
    with pytest.raises(SchemaError, match="interactions.0.when"):
        LinkageSchema.from_mapping(document)
    document["scoring"]["interactions"] = [{"when": {"doc": "maybe"}, "weight": 1.0}]
    with pytest.raises(SchemaError, match="interactions"):
        LinkageSchema.from_mapping(document)


def test_default_schema_round_trips_its_interactions():
    schema = LinkageSchema.default()
    assert LinkageSchema.from_json(schema.canonical_json()) == schema


def test_fit_logistic_recovers_a_joint_state_the_sum_misses():
    """True pairs lose one of two rules to a typo now and then but never both; non-matches
    lose both. Each disagreement alone is weak evidence, both together are strong: per-rule
    weights cannot say that, the joint-disagreement interaction can."""
    rng = np.random.default_rng(7)
    labels = np.r_[np.ones(3000, bool), np.zeros(30000, bool)]
    agree = np.zeros((len(labels), 2), dtype=bool)
    one_lost = rng.random(len(labels)) < 0.4
    lost = rng.integers(0, 2, len(labels))
    agree[labels] = True
    agree[labels & one_lost, lost[labels & one_lost]] = False
    stray = ~labels & (rng.random(len(labels)) < 0.1)  # a non-match agreeing on one rule
    agree[stray, lost[stray]] = True
    present = np.ones_like(agree)
    bands = rng.integers(0, 2, len(labels))  # no band evidence: the rules must carry it
    index = np.arange(len(labels))
    table = PatternTable(index, index, ("doc", "name_dob"), agree, bands, bands.copy(), present)
    joint = InteractionWeight(when={"doc": "disagree", "name_dob": "disagree"})
    schema = LinkageSchema.default()
    schema = schema.with_scoring(schema.scoring.model_copy(update={"interactions": (joint,)}))
    scoring = fit_logistic(table, labels, schema)
    assert scoring.interactions[0].when == joint.when
    assert scoring.interactions[0].weight < -2.0
    assert scoring.rule_weights["doc"].disagree <= 0.0
    # of the default schema's interactions, only those over this table's rules are fitted
    plain = fit_logistic(table, labels, LinkageSchema.default())
    assert plain.interactions
    assert all(set(i.when) <= {"doc", "name_dob"} for i in plain.interactions)


def test_schema_rejects_an_interaction_against_its_direction():
    document = LinkageSchema.default().model_dump(mode="json")
    for bad in (
        {"when": {"doc": "agree", "name_dob": "disagree"}, "weight": 1.0},
        {"when": {"doc": "agree"}, "weight": -0.5},
        {"when": {"doc": "disagree"}, "weight": 0.5},
        {"when": {"doc": "disagree"}, "min_bands": 1, "weight": -0.5},
    ):
        document["scoring"]["interactions"] = [bad]
        with pytest.raises(SchemaError, match="interactions"):
            LinkageSchema.from_mapping(document)


_RULES = LinkageSchema.default().rule_ids


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(["agree", "disagree", "missing"]),
        min_size=len(_RULES),
        max_size=len(_RULES),
    ),
    st.integers(0, 9),
    st.integers(0, len(_RULES) - 1),
)
def test_default_scoring_is_monotone_in_every_rule_and_in_bands(states, bands, flipped):
    """Agreeing never lowers the shipped score, a disagreement never raises it, a band never
    lowers it: whatever the interaction weights, as the schema's sign rules promise."""
    scorer = PatternScorer(LinkageSchema.default())

    def score(states, bands):
        matched = {r for r, s in zip(_RULES, states, strict=True) if s == "agree"}
        present = {r for r, s in zip(_RULES, states, strict=True) if s != "missing"}
        return scorer.score(matched, bands, present)

    by_state = {}
    for state in ("agree", "missing", "disagree"):
        changed = list(states)
        changed[flipped] = state
        by_state[state] = score(changed, bands)
    slack = 1e-9  # the same weights summed in another order
    assert by_state["agree"] >= by_state["missing"] - slack
    assert by_state["missing"] >= by_state["disagree"] - slack
    assert score(states, bands + 1) >= score(states, bands) - slack


def _joint_disagreement_table(seed: int, matches: int = 1500, non_matches: int = 15000):
    """Three rules; true pairs lose one of ``doc``/``name_dob`` now and then but never both,
    non-matches lose both. ``place`` is independent evidence with no joint effect."""
    rng = np.random.default_rng(seed)
    labels = np.r_[np.ones(matches, bool), np.zeros(non_matches, bool)]
    agree = np.zeros((len(labels), 3), dtype=bool)
    agree[labels, :2] = True
    one_lost = labels & (rng.random(len(labels)) < 0.4)
    lost = rng.integers(0, 2, len(labels))
    agree[one_lost, lost[one_lost]] = False
    stray = ~labels & (rng.random(len(labels)) < 0.1)
    agree[stray, lost[stray]] = True
    agree[:, 2] = rng.random(len(labels)) < np.where(labels, 0.8, 0.1)
    bands = rng.integers(0, 2, len(labels))
    index = np.arange(len(labels))
    rules = ("doc", "name_dob", "dob_place")
    table = PatternTable(index, index, rules, agree, bands, bands.copy(), np.ones_like(agree))
    return table, labels


def test_select_interactions_finds_the_joint_disagreement_on_held_out_data():
    folds = [_joint_disagreement_table(seed) for seed in (11, 12)]
    terms = select_interactions(
        [t for t, _ in folds], [y for _, y in folds], LinkageSchema.default(), max_terms=3
    )
    assert terms[0].when == {"doc": "disagree", "name_dob": "disagree"}
    assert all(term.weight == 0.0 for term in terms)  # weights are fit_logistic's job
    assert len(terms) <= 3


def test_select_interactions_needs_two_data_sets_with_the_same_rules():
    table, labels = _joint_disagreement_table(13, 200, 2000)
    schema = LinkageSchema.default()
    with pytest.raises(InputError, match="two or more"):
        select_interactions([table], [labels], schema)
    other = PatternTable(
        table.querier_index,
        table.holder_index,
        ("doc", "name_dob", "first_names_place"),
        table.rules,
        table.band_count,
        table.shares,
        table.present,
    )
    with pytest.raises(InputError, match="different rules"):
        select_interactions([table, other], [labels, labels], schema)


def test_a_schema_without_interactions_keeps_the_hash_it_had_before_they_existed():
    """Agreements and databases sign the schema hash: adding the (empty) setting must not
    change the canonical JSON of a schema written before it, while a schema that uses it
    hashes it like every other setting."""
    scoring = ScoringSpec(rule_weights={"doc": RuleWeights(agree=10.0, disagree=-4.0)})
    plain = LinkageSchema.default().with_scoring(scoring)
    assert b"interactions" not in plain.canonical_json()
    assert LinkageSchema.from_json(plain.canonical_json()) == plain
    joint = InteractionWeight(when={"doc": "agree", "name_dob": "agree"}, weight=1.0)
    used = LinkageSchema.default().with_scoring(
        scoring.model_copy(update={"interactions": (joint,)})
    )
    assert b'"interactions":[{' in used.canonical_json()
    assert used.hash() != plain.hash()
    assert LinkageSchema.from_json(used.canonical_json()) == used
