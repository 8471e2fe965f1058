"""Scoring token patterns: the querier's view after the private protocol.

After the protocol the querier knows, per pair (its record, a holder record handle), only which
of its rule tokens hit that holder record and how many LSH bands they share. The score is a
Fellegi-Sunter log2 likelihood ratio over that pattern: one agree/disagree weight per rule plus
a weight for the number of shared bands, all stored in the schema so both parties can audit
them.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from ppmatch.encoding.schema import LinkageSchema

Decision = Literal["match", "review", "none"]


@dataclass(frozen=True, slots=True)
class Candidate:
    """One (querier record, holder record) pair that shares at least one token."""

    querier_id: str
    holder_ref: str
    score: float
    rule_ids: tuple[str, ...]
    band_count: int


class PatternScorer:
    """Fellegi-Sunter score and decision of a matched-token pattern under a schema."""

    def __init__(self, schema: LinkageSchema):
        scoring = schema.scoring
        self.schema = schema
        self.offset = scoring.offset
        self.match_threshold = scoring.match_threshold
        self.review_threshold = scoring.review_threshold
        self._agree = {rule_id: w.agree for rule_id, w in scoring.rule_weights.items()}
        self._disagree_total = sum(w.disagree for w in scoring.rule_weights.values())
        self._delta = {rule_id: w.agree - w.disagree for rule_id, w in scoring.rule_weights.items()}
        self._band_weights = scoring.band_weights

    def band_weight(self, band_count: int) -> float:
        if not self._band_weights:
            return 0.0
        return self._band_weights[min(max(band_count, 0), len(self._band_weights) - 1)]

    def score(self, rule_ids: Collection[str], band_count: int) -> float:
        """log2 likelihood ratio (plus offset) of the pattern; unknown rule ids add nothing."""
        total = self.offset + self._disagree_total + self.band_weight(band_count)
        for rule_id in set(rule_ids):
            total += self._delta.get(rule_id, 0.0)
        return total

    def decide(self, score: float, payload_available: bool) -> Decision:
        """``match`` needs the score and the reconstructed payload key; else ``review``/``none``."""
        if score >= self.match_threshold and payload_available:
            return "match"
        if score >= self.review_threshold:
            return "review"
        return "none"

    def candidate(
        self, querier_id: str, holder_ref: str, rule_ids: Collection[str], band_count: int
    ) -> Candidate:
        return Candidate(
            querier_id,
            holder_ref,
            self.score(rule_ids, band_count),
            tuple(sorted(set(rule_ids))),
            band_count,
        )
