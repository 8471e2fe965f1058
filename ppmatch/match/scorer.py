"""Scoring token patterns: the querier's view after the private protocol.

After the protocol the querier knows, per pair (its record, a holder record handle), only which
of its rule tokens hit that holder record and how many LSH bands they share. The score is a
Fellegi-Sunter log2 likelihood ratio over that pattern: a multi-level weight per family of
correlated rules (the strongest level reached), agree/disagree weights for single rules and a
weight for the number of shared bands, plus interaction weights for a few joint rule states,
all stored in the schema so both parties can audit them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ppmatch.encoding.schema import LinkageSchema

# log2: a batch can hold from ~1 true pair in 10,000 candidates (a watch list against a
# manifest) to nearly all (two registers of the same people): about 20 bits either side of
# the fitting data; never trust an estimate beyond 2^16 times the fitted odds.
MAX_CALIBRATION_SHIFT = 16.0
# Weight of the fitted prior in a batch's estimate, in candidates: a batch of thousands moves
# freely, a batch of a handful barely moves.
CALIBRATION_PSEUDO_CANDIDATES = 50.0

Decision = Literal["match", "review", "none"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One (querier record, holder record) pair that shares at least one token."""

    querier_id: str
    holder_ref: str
    score: float
    rule_ids: tuple[str, ...]
    band_count: int


def _state(rule_id: str, matched: frozenset[str], both: frozenset[str] | None) -> str:
    """``agree``, ``disagree`` (both emit it, none shared; or presence unknown) or ``missing``."""
    if rule_id in matched:
        return "agree"
    return "disagree" if both is None or rule_id in both else "missing"


class PatternScorer:
    """Fellegi-Sunter score and decision of a matched-token pattern under a schema."""

    def __init__(self, schema: LinkageSchema):
        scoring = schema.scoring
        self.schema = schema
        self.offset = scoring.offset
        self.match_threshold = scoring.match_threshold
        self.review_threshold = scoring.review_threshold
        self._disagree_total = sum(w.disagree for w in scoring.rule_weights.values())
        self._delta = {rule_id: w.agree - w.disagree for rule_id, w in scoring.rule_weights.items()}
        # moving an unshared rule from ``disagree`` to ``missing`` when a side lacks it
        self._missing_delta = {
            rule_id: w.missing - w.disagree
            for rule_id, w in scoring.rule_weights.items()
            if w.missing is not None
        }
        self._families = [
            (
                [(frozenset(level.rules), level.weight) for level in family.levels],
                family.none_weight,
            )
            for family in scoring.families
        ]
        self._band_weights = scoring.band_weights
        self._interactions = [
            (tuple(interaction.when.items()), interaction.min_bands, interaction.weight)
            for interaction in scoring.interactions
        ]

    def band_weight(self, band_count: int) -> float:
        if not self._band_weights:
            return 0.0
        return self._band_weights[min(max(band_count, 0), len(self._band_weights) - 1)]

    def score(
        self,
        rule_ids: Collection[str],
        band_count: int,
        present: Collection[str] | None = None,
    ) -> float:
        """log2 likelihood ratio (plus offset) of the pattern; unknown rule ids add nothing.

        ``present``: the rules both records emit tokens for (``None``: unknown). A rule that
        is not shared scores ``disagree`` if both emit it and ``missing`` otherwise.
        """
        matched = frozenset(rule_ids)
        both = None if present is None else frozenset(present)
        total = self.offset + self._disagree_total + self.band_weight(band_count)
        for rule_id in matched:
            total += self._delta.get(rule_id, 0.0)
        if both is not None:
            for rule_id, delta in self._missing_delta.items():
                if rule_id not in matched and rule_id not in both:
                    total += delta
        for levels, none_weight in self._families:
            total += next((w for rules, w in levels if rules <= matched), none_weight)
        for when, min_bands, weight in self._interactions:
            if band_count >= min_bands and all(
                _state(rule_id, matched, both) == state for rule_id, state in when
            ):
                total += weight
        return total

    def batch_prior_log2_odds(
        self,
        scores: np.ndarray,
        *,
        iterations: int = 200,
        pseudo_candidates: float = 0.0,
        pseudo_log2_odds: float = 0.0,
    ) -> float:
        """EM estimate of the match:non-match odds among a batch's candidates, weights fixed.

        ``pseudo_candidates`` candidates at ``pseudo_log2_odds`` are added to the batch, so a
        batch of a few candidates stays near that prior instead of running to either end.
        """
        # scores come from a few distinct patterns: iterate over distinct values and counts
        values, counts = np.unique(np.asarray(scores, dtype=float), return_counts=True)
        log_ratio = np.clip(values - self.offset, -60.0, 60.0) * np.log(2.0)
        pseudo_matches = pseudo_candidates / (1.0 + 2.0**-pseudo_log2_odds)
        prevalence = 0.01
        for _ in range(iterations):
            odds = np.log(prevalence / (1.0 - prevalence))
            posterior = 1.0 / (1.0 + np.exp(-np.clip(log_ratio + odds, -60.0, 60.0)))
            share = (posterior @ counts + pseudo_matches) / (counts.sum() + pseudo_candidates)
            prevalence = float(np.clip(share, 1e-9, 1 - 1e-9))
        return float(np.log2(prevalence / (1.0 - prevalence)))

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        """Scores of all candidate pairs of one batch, shifted to the batch's own match prior.

        The weights are likelihood ratios and carry over between data sets; the share of true
        matches among candidates does not (a watch list screened against a manifest vs. two
        registers of the same people). With the weights fixed, the batch's prior odds are the
        one-parameter EM estimate from its candidate scores, shrunk towards the fitted prior by
        ``CALIBRATION_PSEUDO_CANDIDATES`` (one traveler's single weak candidate must not move
        the prior by 16 bits and become a match); the returned scores move by its difference
        to the fitted prior (capped at +-16 bits), so that thresholds keep their meaning.
        Without a fitted prior, or without candidates, scores are returned unchanged.
        """
        scores = np.asarray(scores, dtype=float)
        fitted = self.schema.scoring.prior_log2_odds
        if fitted is None or len(scores) == 0:
            return scores
        estimate = self.batch_prior_log2_odds(
            scores, pseudo_candidates=CALIBRATION_PSEUDO_CANDIDATES, pseudo_log2_odds=fitted
        )
        shift = estimate - fitted
        return scores + float(np.clip(shift, -MAX_CALIBRATION_SHIFT, MAX_CALIBRATION_SHIFT))

    def decide(self, score: float, payload_available: bool) -> Decision:
        """``match`` needs the score and the reconstructed payload key; else ``review``/``none``."""
        if score >= self.match_threshold and payload_available:
            return "match"
        if score >= self.review_threshold:
            return "review"
        return "none"

    def candidate(
        self,
        querier_id: str,
        holder_ref: str,
        rule_ids: Collection[str],
        band_count: int,
        present: Collection[str] | None = None,
    ) -> Candidate:
        return Candidate(
            querier_id,
            holder_ref,
            self.score(rule_ids, band_count, present),
            tuple(sorted(set(rule_ids))),
            band_count,
        )
