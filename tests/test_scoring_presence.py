"""Three-state rule comparisons: agree, disagree (both records emit the rule) and missing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.encoding import LinkageSchema
from ppmatch.encoding.schema import RuleWeights, ScoringSpec
from ppmatch.errors import InputError
from ppmatch.match import PatternScorer, PatternTable, fit_logistic
from ppmatch.normalize import normalize_record
from ppmatch.tokens import Tokenizer
from ppmatch.tokens.components import component_values, rule_presence_mask, rules_in_mask

SECRET = b"presence test secret, 32 bytes.."

_names = st.sampled_from(
    ["", "Anna", "JEAN-PIERRE", "Ольга", "محمد", "O'BRIEN", "van der Berg", "X"]
)
_dates = st.sampled_from(
    ["", "1980", "1980-02", "1980-02-30", "1980-02-29", "29.02.1981", "1975-07-13"]
)
_short = st.sampled_from(["", "F", "male", "DEU", "Berlin", "AB123456", "x"])


@settings(max_examples=150, deadline=None)
@given(_names, _names, _dates, _short, _short, _short, _short)
def test_presence_mask_is_exactly_the_rules_a_record_emits(
    given_names, surname, dob, sex, nationality, place, document
):
    schema = LinkageSchema.default()
    record = normalize_record(
        {
            "given_names": given_names,
            "surname": surname,
            "date_of_birth": dob,
            "sex": sex,
            "nationality": nationality,
            "place_of_birth": place,
            "document_number": document,
        },
        record_id="r1",
    )
    emitted = {t.rule_id for t in Tokenizer(schema, SECRET, "agreement").rule_tokens(record)}
    assert rules_in_mask(rule_presence_mask(record, schema), schema.rule_ids) == emitted


def _scorer() -> PatternScorer:
    weights = {"doc": RuleWeights(agree=10.0, disagree=-4.0, missing=0.0)}
    return PatternScorer(LinkageSchema.default().with_scoring(ScoringSpec(rule_weights=weights)))


def test_unshared_rule_scores_disagree_only_when_both_records_emit_it():
    scorer = _scorer()
    assert scorer.score({"doc"}, 0, present={"doc"}) == 10.0
    assert scorer.score((), 0, present={"doc"}) == -4.0  # both have a document, it differs
    assert scorer.score((), 0, present=()) == 0.0  # one side has none
    assert scorer.score((), 0) == -4.0  # presence unknown: the conservative reading


def _table(rng: np.random.Generator, matches: int, non_matches: int):
    labels = np.r_[np.ones(matches, bool), np.zeros(non_matches, bool)]
    present = rng.random((len(labels), 2)) < 0.7
    agree_p = np.where(labels[:, None], 0.9, 0.02)
    rules = present & (rng.random((len(labels), 2)) < agree_p)
    bands = np.where(labels, rng.integers(0, 4, len(labels)), rng.integers(0, 2, len(labels)))
    index = np.arange(len(labels))
    table = PatternTable(index, index, ("doc", "name_dob"), rules, bands, bands.copy(), present)
    return table, labels


def test_fit_logistic_weights_have_the_comparison_signs_and_separate_the_classes():
    table, labels = _table(np.random.default_rng(3), 400, 4000)
    schema = LinkageSchema.default()
    scoring = fit_logistic(table, labels, schema)
    for rule_id in ("doc", "name_dob"):
        weights = scoring.rule_weights[rule_id]
        assert weights.agree > 2.0 and weights.disagree < 0.0 and weights.missing == 0.0
    assert list(scoring.band_weights) == sorted(scoring.band_weights)
    assert len(scoring.band_weights) == schema.lsh.bands + 1
    scorer = PatternScorer(schema.with_scoring(scoring))
    scores = np.array(
        [
            scorer.score(table.matched_rules(i), int(table.band_count[i]), table.present_rules(i))
            for i in range(len(table))
        ]
    )
    assert scores[labels].mean() > scores[~labels].mean() + 6


def test_fit_logistic_needs_presence_and_both_classes():
    table, labels = _table(np.random.default_rng(4), 50, 500)
    schema = LinkageSchema.default()
    with pytest.raises(InputError, match="both matching and non-matching"):
        fit_logistic(table, np.zeros(len(table), bool), schema)
    without = PatternTable(*[getattr(table, f) for f in table.__dataclass_fields__][:6])
    with pytest.raises(InputError, match="rule presence"):
        fit_logistic(without, labels, schema)


def test_name_prefix_components_survive_late_typos_and_nicknames():
    schema = LinkageSchema.default()

    def prefixes(given: str, surname: str) -> tuple[list[str], list[str]]:
        record = normalize_record({"given_names": given, "surname": surname}, record_id="r")
        return (
            component_values(record, "given_prefix", schema),
            component_values(record, "surname_prefix", schema),
        )

    assert prefixes("Christopher Robert", "Davis")[0] == prefixes("CHRIS", "DAVSI")[0] == ["CHR"]
    assert prefixes("Patricia", "Williams")[1] == prefixes("Paticia", "WILIAMS")[1]
    assert prefixes("Jo", "Li") == (["JO"], ["LI"])  # shorter names count whole
    assert prefixes("", "Li")[0] == []
