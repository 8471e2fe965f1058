"""Fitting the Fellegi-Sunter weights of token patterns.

A pattern is read as a few categorical comparisons: the level reached in each rule family
(strongest first, or none), agree/disagree of each rule outside a family, and the number of
shared bands. Two estimators, both over candidate pairs (pairs that share at least one token:
the only pairs the querier ever sees), so u-probabilities describe look-alike non-matches:

* ``fit_labeled``: m/u frequencies from pairs with known truth (synthetic data), smoothed;
* ``fit_em``: EM for a two-class latent mixture on unlabeled patterns, for a population where
  no truth exists.

Band-count weights are made non-decreasing (weighted isotonic regression): sharing more LSH
bands must never lower a score, which keeps the model sane on data unlike what it was fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ppmatch.encoding.schema import (
    FamilySpec,
    InteractionWeight,
    LevelWeight,
    LinkageSchema,
    RuleWeights,
    ScoringSpec,
)
from ppmatch.errors import InputError
from ppmatch.match.patterns import PatternTable

_SMOOTHING = 0.5


@dataclass(frozen=True)
class _Comparison:
    kind: str  # "family", "rule" or "bands"
    name: str
    values: np.ndarray  # category per pair
    categories: int


def _comparisons(table: PatternTable, schema: LinkageSchema) -> list[_Comparison]:
    column = {rule_id: i for i, rule_id in enumerate(table.rule_ids)}
    comparisons = []
    in_family: set[str] = set()
    for family in schema.scoring.families:
        level = np.full(len(table), len(family.levels), dtype=np.int64)  # last category: none
        for index in reversed(range(len(family.levels))):
            rules = family.levels[index].rules
            in_family.update(rules)
            level[table.rules[:, [column[r] for r in rules]].all(axis=1)] = index
        comparisons.append(_Comparison("family", family.id, level, len(family.levels) + 1))
    for rule_id in table.rule_ids:
        if rule_id not in in_family:
            # agree 0, disagree 1 (both records emit the rule), missing 2 (when known)
            state = (~table.rules[:, column[rule_id]]).astype(np.int64)
            if table.present is not None:
                state[~table.present[:, column[rule_id]]] = 2
            comparisons.append(_Comparison("rule", rule_id, state, 3))
    bands = schema.lsh.bands
    comparisons.append(
        _Comparison("bands", "bands", np.minimum(table.band_count, bands), bands + 1)
    )
    return comparisons


def _isotonic(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted least-squares non-decreasing fit (pool adjacent violators)."""
    blocks: list[list[float]] = []  # [mean, weight, length]
    for value, weight in zip(values, weights, strict=True):
        blocks.append([float(value), float(weight), 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            mean2, weight2, length2 = blocks.pop()
            mean1, weight1, length1 = blocks.pop()
            total = weight1 + weight2
            blocks.append([(mean1 * weight1 + mean2 * weight2) / total, total, length1 + length2])
    return np.concatenate([np.full(int(length), mean) for mean, _, length in blocks])


def _distribution(values: np.ndarray, weights: np.ndarray, categories: int) -> np.ndarray:
    counts = np.bincount(values, weights=weights, minlength=categories) + _SMOOTHING
    return counts / counts.sum()


def _scoring(
    comparisons: list[_Comparison],
    m: list[np.ndarray],
    u: list[np.ndarray],
    schema: LinkageSchema,
    **settings,
) -> ScoringSpec:
    families = {family.id: family for family in schema.scoring.families}
    fitted_families = []
    rule_weights = {}
    band_weights: tuple[float, ...] = ()
    for comparison, m_dist, u_dist in zip(comparisons, m, u, strict=True):
        weights = np.log2(m_dist / u_dist)
        if comparison.kind == "family":
            family = families[comparison.name]
            levels = tuple(
                LevelWeight(rules=level.rules, weight=round(float(w), 4))
                for level, w in zip(family.levels, weights, strict=False)
            )
            fitted_families.append(
                FamilySpec(id=family.id, levels=levels, none_weight=round(float(weights[-1]), 4))
            )
        elif comparison.kind == "rule":
            counts = np.bincount(comparison.values, minlength=3)
            rule_weights[comparison.name] = RuleWeights(
                agree=round(float(weights[0]), 4),
                disagree=round(float(weights[1]), 4),
                missing=round(float(weights[2]), 4) if counts[2] else None,
            )
        else:
            counts = np.bincount(comparison.values, minlength=comparison.categories)
            band_weights = tuple(round(float(w), 4) for w in _isotonic(weights, counts + 1.0))
    return ScoringSpec(
        families=tuple(fitted_families),
        rule_weights=rule_weights,
        band_weights=band_weights,
        **settings,
    )


def learn_levels(
    table: PatternTable, schema: LinkageSchema, *, min_support: int = 10
) -> LinkageSchema:
    """Replace each family's levels by the rule combinations seen in at least ``min_support`` pairs.

    Each distinct combination of a family's rules becomes a level, so correlated rules are
    scored jointly rather than assuming independence; levels are ordered by size (largest
    first), so a pattern reaches its own level if it has one, else its largest listed subset.
    """
    column = {rule_id: i for i, rule_id in enumerate(table.rule_ids)}
    families = []
    for family in schema.scoring.families:
        rules = sorted(
            {r for level in family.levels for r in level.rules}, key=table.rule_ids.index
        )
        patterns, counts = np.unique(
            table.rules[:, [column[r] for r in rules]], axis=0, return_counts=True
        )
        combos = [
            tuple(r for r, hit in zip(rules, pattern, strict=True) if hit)
            for pattern, count in zip(patterns, counts, strict=True)
            if count >= min_support and pattern.any()
        ]
        combos.sort(key=lambda combo: (-len(combo), [rules.index(r) for r in combo]))
        levels = tuple(LevelWeight(rules=combo) for combo in combos)
        families.append(family.model_copy(update={"levels": levels or family.levels}))
    return schema.with_scoring(schema.scoring.model_copy(update={"families": tuple(families)}))


def fit_labeled(table: PatternTable, is_match: np.ndarray, schema: LinkageSchema) -> ScoringSpec:
    """m/u weights from labeled candidate pairs (thresholds: see ``choose_thresholds``)."""
    is_match = np.asarray(is_match, dtype=bool)
    if is_match.sum() == 0 or (~is_match).sum() == 0:
        raise InputError("fitting the scorer: need both matching and non-matching candidate pairs")
    comparisons = _comparisons(table, schema)
    m = [_distribution(c.values, is_match.astype(float), c.categories) for c in comparisons]
    u = [_distribution(c.values, (~is_match).astype(float), c.categories) for c in comparisons]
    return _scoring(comparisons, m, u, schema)


def fit_em(
    table: PatternTable, schema: LinkageSchema, *, iterations: int = 200
) -> tuple[ScoringSpec, float]:
    """EM on unlabeled candidate patterns; returns the weights and the match proportion.

    Starts from "strong levels and many bands mean match"; thresholds are set at posterior
    odds 1:1 (match) and 1:64 (review).
    """
    if len(table) == 0:
        raise InputError("fitting the scorer: no candidate pairs")
    comparisons = _comparisons(table, schema)
    m, u = [], []
    for comparison in comparisons:
        ramp = np.arange(comparison.categories, dtype=float) + 1.0
        if comparison.kind == "bands":
            ramp = ramp[::-1]  # more bands: more likely a match
        m.append(ramp[::-1] / ramp.sum())
        u.append(ramp / ramp.sum())
    prevalence = 0.1
    for _ in range(iterations):
        log_ratio = np.full(len(table), np.log(prevalence / (1 - prevalence)))
        for comparison, m_dist, u_dist in zip(comparisons, m, u, strict=True):
            log_ratio += np.log(m_dist[comparison.values]) - np.log(u_dist[comparison.values])
        posterior = 1.0 / (1.0 + np.exp(-np.clip(log_ratio, -60, 60)))
        prevalence = float(np.clip(posterior.mean(), 1e-6, 1 - 1e-6))
        m = [_distribution(c.values, posterior, c.categories) for c in comparisons]
        u = [_distribution(c.values, 1 - posterior, c.categories) for c in comparisons]
    prior = float(np.log2(prevalence / (1 - prevalence)))
    scoring = _scoring(
        comparisons,
        m,
        u,
        schema,
        match_threshold=round(-prior, 4),
        review_threshold=round(-prior - 6.0, 4),
        fitted_on="EM on unlabeled candidate patterns",
    )
    return scoring, prevalence


# Cumulative band indicators: "shares at least k bands" for these k (monotone by construction).
BAND_STEPS = (1, 2, 3, 4, 6, 10)


def _logistic_design(
    table: PatternTable, bands: int, interactions: tuple[InteractionWeight, ...] = ()
) -> tuple[np.ndarray, list[int]]:
    """Columns: agree per rule, disagree per rule (both emit, none shared), band steps, then
    one indicator per interaction (all its rule states hold and enough bands are shared)."""
    if table.present is None:
        raise InputError("fitting the scorer: the pattern table has no rule presence")
    steps = [k for k in BAND_STEPS if k <= bands]
    column = {rule_id: i for i, rule_id in enumerate(table.rule_ids)}
    disagree = table.present & ~table.rules
    joint = np.ones((len(table), len(interactions)), dtype=bool)
    for index, interaction in enumerate(interactions):
        joint[:, index] = table.band_count >= interaction.min_bands
        for rule_id, state in interaction.when.items():
            states = table.rules if state == "agree" else disagree
            joint[:, index] &= states[:, column[rule_id]]
    columns = [
        table.rules,
        disagree,
        np.stack([table.band_count >= k for k in steps], axis=1).reshape(len(table), len(steps)),
        joint,
    ]
    return np.concatenate(columns, axis=1).astype(float), steps


def _newton_logistic(
    design: np.ndarray,
    labels: np.ndarray,
    l2: float,
    fixed: np.ndarray,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """L2-regularised logistic regression by Newton steps; ``fixed`` columns stay at zero.

    ``counts``: how many pairs each row stands for (rows of identical patterns pooled).
    """
    x = np.concatenate([np.ones((len(design), 1)), design[:, ~fixed]], axis=1)
    counts = np.ones(len(design)) if counts is None else np.asarray(counts, dtype=float)
    penalty = np.full(x.shape[1], l2)
    penalty[0] = 0.0  # the intercept is not shrunk
    w = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -30.0, 30.0)))
        gradient = x.T @ (counts * (p - labels)) + penalty * w
        hessian = (x * (counts * p * (1.0 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    full = np.zeros(design.shape[1] + 1)
    full[0] = w[0]
    full[1:][~fixed] = w[1:]
    return full


def unique_patterns(
    table: PatternTable, is_match: np.ndarray, bands: int
) -> tuple[PatternTable, np.ndarray, np.ndarray]:
    """Pool pairs of one pattern and label (bands capped at ``bands``): rows and their counts.

    A few hundred distinct patterns stand for ~10^5 candidate pairs, so fits run on those.
    """
    if table.present is None:
        raise InputError("fitting the scorer: the pattern table has no rule presence")
    capped = np.minimum(table.band_count, bands)
    key = np.concatenate(
        [table.rules, table.present, capped[:, None] > np.arange(bands), is_match[:, None]], axis=1
    )
    rows, first, counts = np.unique(key, axis=0, return_index=True, return_counts=True)
    pooled = PatternTable(
        table.querier_index[first],
        table.holder_index[first],
        table.rule_ids,
        table.rules[first],
        capped[first],
        table.shares[first],
        table.present[first],
    )
    return pooled, rows[:, -1].astype(bool), counts.astype(float)


def fit_signed(
    table: PatternTable,
    is_match: np.ndarray,
    counts: np.ndarray,
    bands: int,
    interactions: tuple[InteractionWeight, ...],
    l2: float,
) -> tuple[np.ndarray, list[int]]:
    """Natural-log weights (intercept first) of the design, each column's sign enforced by an
    active set: a weight fitted against its sign is pinned at zero and the rest refitted."""
    design, steps = _logistic_design(table, bands, interactions)
    rules = len(table.rule_ids)
    sign = np.r_[
        np.ones(rules), -np.ones(rules), np.ones(len(steps)), [i.sign for i in interactions]
    ]
    fixed = np.zeros(design.shape[1], dtype=bool)
    while True:
        weights = _newton_logistic(design, is_match.astype(float), l2, fixed, counts)
        wrong = (weights[1:] * sign < 0) & ~fixed
        if not wrong.any():
            return weights, steps
        fixed |= wrong


def fit_logistic(
    table: PatternTable, is_match: np.ndarray, schema: LinkageSchema, *, l2: float = 1.0
) -> ScoringSpec:
    """Per-rule agree/disagree/missing and band weights by monotone logistic regression.

    Discriminative, so correlated rules (a name rule and its phonetic twin) share their
    evidence instead of counting it twice. Signs are constrained to the comparison's meaning
    (agreeing or sharing more bands never lowers a score, a disagreement never raises it,
    ``missing`` is the zero point): a weight fitted against its sign on synthetic data would
    be an artefact of the generator's correlations, not something to carry to real records.
    The schema's ``interactions`` (joint agreement or joint disagreement of a few rules) are
    refitted jointly, with the sign of their direction. Weights are log2 odds; ``offset``
    holds the intercept.
    """
    is_match = np.asarray(is_match, dtype=bool)
    if is_match.sum() == 0 or (~is_match).sum() == 0:
        raise InputError("fitting the scorer: need both matching and non-matching candidate pairs")
    # interactions over rules the table has (a table of a rule subset fits that subset)
    interactions = tuple(
        i for i in schema.scoring.interactions if set(i.when) <= set(table.rule_ids)
    )
    table, is_match, counts = unique_patterns(table, is_match, schema.lsh.bands)
    weights, steps = fit_signed(table, is_match, counts, schema.lsh.bands, interactions, l2)
    rules = len(table.rule_ids)
    bits = weights / np.log(2.0)
    agree, disagree = bits[1 : 1 + rules], bits[1 + rules : 1 + 2 * rules]
    first_joint = 1 + 2 * rules + len(steps)
    step_weights = dict(zip(steps, bits[1 + 2 * rules : first_joint], strict=True))
    band_weights = tuple(
        round(float(sum(w for k, w in step_weights.items() if k <= count)), 4)
        for count in range(schema.lsh.bands + 1)
    )
    return ScoringSpec(
        offset=round(float(bits[0]), 4),
        families=(),
        rule_weights={
            rule_id: RuleWeights(agree=round(float(a), 4), disagree=round(float(d), 4), missing=0.0)
            for rule_id, a, d in zip(table.rule_ids, agree, disagree, strict=True)
        },
        band_weights=band_weights,
        interactions=tuple(
            interaction.model_copy(update={"weight": round(float(w), 4)})
            for interaction, w in zip(interactions, bits[first_joint:], strict=True)
        ),
    )


def choose_thresholds(
    scores: np.ndarray,
    is_match: np.ndarray,
    total_true: int,
    *,
    review_precision: float = 0.2,
    beta: float = 1.0,
) -> tuple[float, float]:
    """Match threshold maximising F-beta over resolved pairs; review threshold below it.

    ``beta < 1`` weighs precision above recall: in screening a false match flags an innocent
    traveler and opens another person's record, while a missed one can still surface as a
    review.

    ``scores``/``is_match`` describe the pairs kept by one-to-one resolution; ``total_true`` is
    the number of true pairs overall (recall's denominator). The review threshold is the lowest score at which at least ``review_precision`` of the pairs
    between it and the match threshold are true: the analyst's workload bound.
    """
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    hits = is_match[order]
    true_positives = np.cumsum(hits)
    kept = np.arange(1, len(order) + 1)
    f_beta = (1 + beta**2) * true_positives / (kept + beta**2 * total_true)
    last_of_run = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]  # cut between scores
    best = int(np.argmax(np.where(last_of_run, f_beta, -1)))
    match_threshold = float(sorted_scores[best])
    below_hits = np.cumsum(hits[best + 1 :])
    below_kept = np.arange(1, len(below_hits) + 1)
    good = np.nonzero(last_of_run[best + 1 :] & (below_hits >= review_precision * below_kept))[0]
    review_threshold = float(sorted_scores[best + 1 + good[-1]]) if len(good) else match_threshold
    return round(match_threshold, 4), round(review_threshold, 4)
