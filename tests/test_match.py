import random

import numpy as np
import pytest
from _linkage_records import person

from ppmatch.encoding import FamilySpec, LevelWeight, LinkageSchema, RuleWeights, ScoringSpec
from ppmatch.errors import InputError
from ppmatch.match import (
    Candidate,
    PatternScorer,
    PatternTable,
    ReferenceLinker,
    choose_thresholds,
    dice_coefficients,
    fit_em,
    fit_labeled,
    learn_levels,
    resolve_one_to_one,
    token_patterns,
)
from ppmatch.match.scorer import CALIBRATION_PSEUDO_CANDIDATES, MAX_CALIBRATION_SHIFT
from ppmatch.normalize.model import PartialDate
from ppmatch.tokens import Tokenizer

SECRET = b"linkage-secret-0123456789abcdef"


def _schema(**scoring) -> LinkageSchema:
    base = dict(
        rule_weights={
            "doc": RuleWeights(agree=8, disagree=-1),
            "name_dob": RuleWeights(agree=6, disagree=-3),
        },
        band_weights=(-4.0, -1.0, 2.0, 5.0),
        match_threshold=8.0,
        review_threshold=3.0,
    )
    base.update(scoring)
    return LinkageSchema.default().with_scoring(ScoringSpec(**base))


def test_score_adds_agree_and_disagree_weights_and_band_weight():
    scorer = PatternScorer(_schema())
    assert scorer.score(["doc", "name_dob"], 3) == pytest.approx(8 + 6 + 5)
    assert scorer.score(["doc"], 1) == pytest.approx(8 - 3 - 1)
    assert scorer.score([], 0) == pytest.approx(-1 - 3 - 4)
    assert scorer.score([], 40) == pytest.approx(-1 - 3 + 5)  # last band weight covers "or more"
    assert scorer.score(["doc", "doc", "unknown_rule"], 1) == scorer.score(["doc"], 1)


def test_decide_needs_payload_for_a_match():
    scorer = PatternScorer(_schema())
    assert scorer.decide(9.0, payload_available=True) == "match"
    assert scorer.decide(9.0, payload_available=False) == "review"
    assert scorer.decide(3.0, payload_available=True) == "review"
    assert scorer.decide(2.9, payload_available=True) == "none"


def test_default_scorer_ranks_strong_patterns_above_weak_ones():
    scorer = PatternScorer(LinkageSchema.default())
    schema = LinkageSchema.default()
    strong = scorer.score(schema.rule_ids, schema.lsh.bands)  # the same person, every field
    weak = scorer.score([], 1)
    assert strong > scorer.match_threshold > weak
    assert scorer.decide(weak, payload_available=False) == "none"


def test_resolution_keeps_best_per_querier_and_holder_and_ignores_order():
    candidates = [
        Candidate("q1", "h1", 10.0, ("doc",), 4),
        Candidate("q1", "h2", 12.0, ("doc",), 4),
        Candidate("q2", "h2", 11.0, ("doc",), 4),
        Candidate("q2", "h3", 5.0, (), 2),
        Candidate("q3", "h4", 1.0, (), 1),
    ]
    expected = [("q1", "h2"), ("q2", "h3"), ("q3", "h4")]
    for seed in range(5):
        shuffled = candidates[:]
        random.Random(seed).shuffle(shuffled)
        chosen = resolve_one_to_one(shuffled)
        assert sorted((c.querier_id, c.holder_ref) for c in chosen) == expected
    assert [c.holder_ref for c in resolve_one_to_one(candidates, min_score=6.0)] == ["h2"]
    many = resolve_one_to_one(candidates, holder_unique=False)
    assert sorted((c.querier_id, c.holder_ref) for c in many) == [
        ("q1", "h2"),
        ("q2", "h2"),
        ("q3", "h4"),
    ]


def test_token_patterns_report_rules_and_band_counts():
    tokenizer = Tokenizer(LinkageSchema.default(), SECRET, "agr")
    holders = [
        person("h0"),
        person(
            "h1",
            given=("PIOTR",),
            surname=("NOWAK",),
            dob=PartialDate(1961, 9, 30),
            document_number=None,
        ),
    ]
    queriers = [
        person("q0", surname=("SCHMITT",)),
        person(
            "q1",
            given=("PIOTR",),
            surname=("NOWAK",),
            dob=PartialDate(1961, 9, 30),
            document_number=None,
        ),
    ]
    table = token_patterns(
        tokenizer.tokenize_many(queriers),
        tokenizer.tokenize_many(holders),
        LinkageSchema.default().rule_ids,
    )
    pairs = {
        (int(q), int(h)): i
        for i, (q, h) in enumerate(zip(table.querier_index, table.holder_index, strict=True))
    }
    assert (0, 0) in pairs and (1, 1) in pairs
    typo = pairs[(0, 0)]
    assert "doc" in table.matched_rules(typo) and "surname_phonetic_dob" in table.matched_rules(
        typo
    )
    assert "name_dob" not in table.matched_rules(typo)
    bands = LinkageSchema.default().lsh.bands
    assert 0 < table.band_count[typo] < bands
    assert table.band_count[pairs[(1, 1)]] == bands
    same = pairs[(1, 1)]
    weights = {t.value: t.weight for t in tokenizer.tokenize(holders[1])}
    assert table.shares[same] == sum(weights.values())  # every token of the record matched


def _synthetic_table(
    rng: np.random.Generator, matches: int, non_matches: int
) -> tuple[PatternTable, np.ndarray]:
    labels = np.r_[np.ones(matches, bool), np.zeros(non_matches, bool)]
    rules = np.column_stack(
        [
            rng.random(len(labels)) < np.where(labels, 0.9, 0.01),
            rng.random(len(labels)) < np.where(labels, 0.8, 0.05),
        ]
    )
    bands = np.where(labels, rng.integers(5, 17, len(labels)), rng.integers(0, 3, len(labels)))
    index = np.arange(len(labels))
    return PatternTable(index, index, ("doc", "name_dob"), rules, bands, bands.copy()), labels


def _two_rule_schema(families: bool) -> LinkageSchema:
    scoring = ScoringSpec(
        families=(
            FamilySpec(
                id="identity",
                levels=(
                    LevelWeight(rules=("doc", "name_dob")),
                    LevelWeight(rules=("doc",)),
                    LevelWeight(rules=("name_dob",)),
                ),
            ),
        )
        if families
        else ()
    )
    return LinkageSchema.default().with_scoring(scoring)


def test_fit_labeled_gives_positive_agree_and_negative_disagree_weights():
    table, labels = _synthetic_table(np.random.default_rng(1), 300, 3000)
    scoring = fit_labeled(table, labels, _two_rule_schema(families=False))
    assert scoring.rule_weights["doc"].agree > 5 > 0 > scoring.rule_weights["doc"].disagree
    assert list(scoring.band_weights) == sorted(scoring.band_weights)  # non-decreasing
    assert scoring.band_weights[-1] > 0 > scoring.band_weights[0]
    with pytest.raises(InputError):
        fit_labeled(table, np.zeros(len(labels), bool), LinkageSchema.default())


def test_family_levels_take_the_strongest_level_only():
    table, labels = _synthetic_table(np.random.default_rng(1), 300, 3000)
    schema = _two_rule_schema(families=True)
    scoring = fit_labeled(table, labels, schema)
    (family,) = scoring.families
    both, doc_only, name_only = (level.weight for level in family.levels)
    assert both > doc_only > 0 > family.none_weight
    assert both > name_only
    scorer = PatternScorer(schema.with_scoring(scoring))
    assert scorer.score(["doc", "name_dob"], 0) == pytest.approx(both + scoring.band_weights[0])
    assert scorer.score([], 0) == pytest.approx(family.none_weight + scoring.band_weights[0])


def test_fit_em_separates_an_unlabeled_mixture():
    table, labels = _synthetic_table(np.random.default_rng(2), 300, 3000)
    schema = _two_rule_schema(families=False)
    scoring, prevalence = fit_em(table, schema)
    assert 0.05 < prevalence < 0.15
    scorer = PatternScorer(schema.with_scoring(scoring))
    scores = np.array(
        [scorer.score(table.matched_rules(i), int(table.band_count[i])) for i in range(len(table))]
    )
    predicted = scores >= scorer.match_threshold
    assert (predicted == labels).mean() > 0.97


def test_choose_thresholds_picks_the_best_f1_cut():
    scores = np.array([9.0, 8.0, 7.0, 2.0, 1.0])
    is_match = np.array([True, True, False, True, False])
    match_threshold, review_threshold = choose_thresholds(scores, is_match, total_true=3)
    assert match_threshold == 2.0  # F1 6/7, against 4/5 at 8.0 and 6/8 at 1.0
    assert review_threshold == 2.0  # nothing true below
    match_threshold, review_threshold = choose_thresholds(
        scores, np.array([True, True, False, False, True]), total_true=4, review_precision=0.3
    )
    assert match_threshold == 8.0
    assert review_threshold == 1.0  # 1 true in the 3 pairs below 8.0


def test_dice_matches_a_direct_computation():
    rng = np.random.default_rng(3)
    a, b = (
        rng.integers(0, 2**63, (20, 4), dtype=np.uint64),
        rng.integers(0, 2**63, (20, 4), dtype=np.uint64),
    )
    expected = [
        2
        * sum(bin(int(x) & int(y)).count("1") for x, y in zip(ra, rb, strict=True))
        / sum(bin(int(x)).count("1") + bin(int(y)).count("1") for x, y in zip(ra, rb, strict=True))
        for ra, rb in zip(a, b, strict=True)
    ]
    assert np.allclose(dice_coefficients(a, b), expected)
    zero = np.zeros((1, 4), np.uint64)
    assert dice_coefficients(zero, zero)[0] == 0.0


def test_reference_linker_links_the_typo_and_not_the_stranger():
    linker = ReferenceLinker(LinkageSchema.default(), SECRET, threshold=0.75)
    holders = [
        person("h0"),
        person(
            "h1",
            given=("PIOTR",),
            surname=("NOWAK",),
            dob=PartialDate(1961, 9, 30),
            document_number="X",
        ),
    ]
    queriers = [
        person("q0", surname=("SCHMITT",)),
        person(
            "q1",
            given=("JANE",),
            surname=("DOE",),
            dob=PartialDate(1990, 1, 1),
            document_number="Y",
        ),
    ]
    links = linker.link(queriers, holders)
    assert [(c.querier_id, c.holder_ref) for c in links] == [("q0", "h0")]
    assert links[0].score > 0.75


def test_calibrate_moves_scores_by_the_batch_prior_and_is_capped():
    schema = _schema(prior_log2_odds=-7.0)
    scorer = PatternScorer(schema)
    rng = np.random.default_rng(4)
    mostly_matches = np.r_[rng.normal(15, 2, 900), rng.normal(-10, 2, 100)]
    shifted = scorer.calibrate(mostly_matches)
    shift = shifted[0] - mostly_matches[0]
    assert np.allclose(shifted - mostly_matches, shift)
    # 900 of 1,000 are matches, plus CALIBRATION_PSEUDO_CANDIDATES at the fitted odds 1:128
    share = (900 + CALIBRATION_PSEUDO_CANDIDATES / 129) / (1000 + CALIBRATION_PSEUDO_CANDIDATES)
    assert shift == pytest.approx(np.log2(share / (1 - share)) + 7.0, abs=0.3)
    capped = PatternScorer(_schema(prior_log2_odds=-30.0)).calibrate(mostly_matches)
    assert capped[0] - mostly_matches[0] == pytest.approx(MAX_CALIBRATION_SHIFT)
    rare = np.r_[rng.normal(15, 2, 10), rng.normal(-10, 2, 1270)]
    assert abs(scorer.calibrate(rare)[0] - rare[0]) < 1.0  # same prior as the fit: ~no shift
    uncalibrated = PatternScorer(_schema())
    assert np.array_equal(uncalibrated.calibrate(mostly_matches), mostly_matches)


def test_a_small_batch_barely_moves_the_prior():
    """One traveler with one weak candidate must not calibrate itself into a match."""
    scorer = PatternScorer(LinkageSchema.default())
    weak = np.array([scorer.match_threshold - 3.0])
    assert scorer.calibrate(weak)[0] < scorer.match_threshold
    assert abs(scorer.calibrate(weak)[0] - weak[0]) < 2.0


def test_learn_levels_keeps_supported_combinations_largest_first():
    table, _ = _synthetic_table(np.random.default_rng(1), 300, 3000)
    learned = learn_levels(table, _two_rule_schema(families=True), min_support=10)
    (family,) = learned.scoring.families
    assert [level.rules for level in family.levels] == [
        ("doc", "name_dob"),
        ("doc",),
        ("name_dob",),
    ]
    rare = learn_levels(table, _two_rule_schema(families=True), min_support=10_000)
    assert (
        rare.scoring.families[0].levels
        == _two_rule_schema(families=True).scoring.families[0].levels
    )
