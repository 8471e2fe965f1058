"""Fitting the Fellegi-Sunter weights of token patterns.

Two estimators, both over candidate pairs (pairs that share at least one token: the only pairs
the querier ever sees), so u-probabilities describe look-alike non-matches, not random pairs:

* ``fit_labeled``: m/u frequencies from pairs with known truth (synthetic data), Laplace-
  smoothed, and thresholds that maximise F1 after one-to-one resolution;
* ``fit_em``: the classic EM for a two-class latent mixture on unlabeled patterns, for a new
  population where no truth exists.

Band-count weights are forced non-decreasing: sharing more LSH bands must never lower a score,
which keeps the model sane on data unlike what it was fitted on.
"""

from __future__ import annotations

import numpy as np

from ppmatch.encoding.schema import LinkageSchema, RuleWeights, ScoringSpec
from ppmatch.errors import InputError
from ppmatch.match.patterns import PatternTable

_SMOOTHING = 0.5
_CLIP = 1e-4


def _band_buckets(table: PatternTable, bands: int) -> np.ndarray:
    return np.minimum(table.band_count, bands)


def _weights(
    m_rules: np.ndarray,
    u_rules: np.ndarray,
    m_bands: np.ndarray,
    u_bands: np.ndarray,
    rule_ids: tuple[str, ...],
) -> tuple[dict[str, RuleWeights], tuple[float, ...]]:
    m_rules = np.clip(m_rules, _CLIP, 1 - _CLIP)
    u_rules = np.clip(u_rules, _CLIP, 1 - _CLIP)
    rule_weights = {
        rule_id: RuleWeights(
            agree=round(float(np.log2(m / u)), 4),
            disagree=round(float(np.log2((1 - m) / (1 - u))), 4),
        )
        for rule_id, m, u in zip(rule_ids, m_rules, u_rules, strict=True)
    }
    band_weights = np.log2(np.clip(m_bands, _CLIP, None) / np.clip(u_bands, _CLIP, None))
    band_weights = np.maximum.accumulate(band_weights)
    return rule_weights, tuple(round(float(w), 4) for w in band_weights)


def fit_labeled(table: PatternTable, is_match: np.ndarray, schema: LinkageSchema) -> ScoringSpec:
    """m/u weights from labeled candidate pairs; thresholds chosen afterwards."""
    is_match = np.asarray(is_match, dtype=bool)
    if is_match.sum() == 0 or (~is_match).sum() == 0:
        raise InputError("fitting the scorer: need both matching and non-matching candidate pairs")
    bands = schema.lsh.bands
    buckets = _band_buckets(table, bands)
    stats = []
    for mask in (is_match, ~is_match):
        count = mask.sum()
        rules = (table.rules[mask].sum(axis=0) + _SMOOTHING) / (count + 2 * _SMOOTHING)
        histogram = np.bincount(buckets[mask], minlength=bands + 1) + _SMOOTHING
        stats.append((rules, histogram / histogram.sum()))
    (m_rules, m_bands), (u_rules, u_bands) = stats
    rule_weights, band_weights = _weights(m_rules, u_rules, m_bands, u_bands, table.rule_ids)
    return ScoringSpec(rule_weights=rule_weights, band_weights=band_weights)


def fit_em(
    table: PatternTable, schema: LinkageSchema, *, iterations: int = 200
) -> tuple[ScoringSpec, float]:
    """EM on unlabeled candidate patterns; returns the weights and the match proportion.

    Thresholds are set at posterior odds 1:1 (match) and 1:64 (review).
    """
    if len(table) == 0:
        raise InputError("fitting the scorer: no candidate pairs")
    bands = schema.lsh.bands
    buckets = _band_buckets(table, bands)
    x = table.rules.astype(float)
    onehot = np.eye(bands + 1)[buckets]
    prevalence = 0.1
    m_rules = np.full(x.shape[1], 0.8)
    u_rules = np.full(x.shape[1], 0.05)
    ramp = np.arange(bands + 1, dtype=float) + 1.0
    m_bands, u_bands = ramp / ramp.sum(), ramp[::-1] / ramp.sum()
    for _ in range(iterations):
        log_m = x @ np.log(m_rules) + (1 - x) @ np.log(1 - m_rules) + onehot @ np.log(m_bands)
        log_u = x @ np.log(u_rules) + (1 - x) @ np.log(1 - u_rules) + onehot @ np.log(u_bands)
        logit = np.log(prevalence) - np.log(1 - prevalence) + log_m - log_u
        g = 1.0 / (1.0 + np.exp(-np.clip(logit, -60, 60)))
        weight_m, weight_u = g.sum(), (1 - g).sum()
        prevalence = float(np.clip(weight_m / len(g), 1e-6, 1 - 1e-6))
        m_rules = np.clip((g @ x + _SMOOTHING) / (weight_m + 2 * _SMOOTHING), _CLIP, 1 - _CLIP)
        u_rules = np.clip(
            ((1 - g) @ x + _SMOOTHING) / (weight_u + 2 * _SMOOTHING), _CLIP, 1 - _CLIP
        )
        m_bands = (g @ onehot + _SMOOTHING) / (weight_m + (bands + 1) * _SMOOTHING)
        u_bands = ((1 - g) @ onehot + _SMOOTHING) / (weight_u + (bands + 1) * _SMOOTHING)
    rule_weights, band_weights = _weights(m_rules, u_rules, m_bands, u_bands, table.rule_ids)
    prior = float(np.log2(prevalence / (1 - prevalence)))
    return (
        ScoringSpec(
            rule_weights=rule_weights,
            band_weights=band_weights,
            match_threshold=round(-prior, 4),
            review_threshold=round(-prior - 6.0, 4),
            fitted_on="EM on unlabeled candidate patterns",
        ),
        prevalence,
    )


def choose_thresholds(
    scores: np.ndarray, is_match: np.ndarray, total_true: int, *, review_recall: float = 0.995
) -> tuple[float, float]:
    """Match threshold maximising F1 over resolved pairs; review threshold reaching the recall.

    ``scores``/``is_match`` describe the pairs kept by one-to-one resolution; ``total_true`` is
    the number of true pairs overall (recall's denominator).
    """
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    true_positives = np.cumsum(is_match[order])
    kept = np.arange(1, len(order) + 1)
    f1 = 2 * true_positives / (kept + total_true)
    # only cut between distinct scores
    last_of_run = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    best = int(np.argmax(np.where(last_of_run, f1, -1)))
    match_threshold = float(sorted_scores[best])
    reach = np.nonzero(last_of_run & (true_positives >= review_recall * true_positives[-1]))[0]
    review_threshold = (
        float(min(sorted_scores[reach[0]], match_threshold)) if len(reach) else match_threshold
    )
    return round(match_threshold, 4), round(review_threshold, 4)
