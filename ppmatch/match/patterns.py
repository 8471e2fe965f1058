"""Plaintext token join: the pattern each candidate pair shows the querier.

The private protocol reveals to the querier, per (querier record, holder record) pair sharing
at least one token, which rules hit and how many bands are shared. This module computes the
same patterns in the clear from both parties' tokens: for fitting the scorer, for the accuracy
benchmark and as a test oracle for the protocol.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ppmatch.tokens.token import Token


@dataclass(frozen=True)
class PatternTable:
    """Candidate pairs and their patterns, as aligned arrays."""

    querier_index: np.ndarray  # (pairs,) int64
    holder_index: np.ndarray  # (pairs,) int64
    rule_ids: tuple[str, ...]  # column order of ``rules``
    rules: np.ndarray  # (pairs, len(rule_ids)) bool: rule matched
    band_count: np.ndarray  # (pairs,) int64
    shares: np.ndarray  # (pairs,) int64: threshold shares of the distinct matched tokens
    # (pairs, len(rule_ids)) bool: both records emit the rule (None: not known)
    present: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.querier_index)

    def matched_rules(self, pair: int) -> tuple[str, ...]:
        return tuple(r for r, hit in zip(self.rule_ids, self.rules[pair], strict=True) if hit)

    def present_rules(self, pair: int) -> tuple[str, ...] | None:
        if self.present is None:
            return None
        return tuple(r for r, both in zip(self.rule_ids, self.present[pair], strict=True) if both)

    @classmethod
    def concat(cls, tables: Sequence[PatternTable]) -> PatternTable:
        """Several data sets' candidate pairs as one table (indices stay per data set)."""
        return cls(
            np.concatenate([t.querier_index for t in tables]),
            np.concatenate([t.holder_index for t in tables]),
            tables[0].rule_ids,
            np.concatenate([t.rules for t in tables]),
            np.concatenate([t.band_count for t in tables]),
            np.concatenate([t.shares for t in tables]),
            None
            if any(t.present is None for t in tables)
            else np.concatenate([t.present for t in tables]),
        )

    def subset(self, mask: np.ndarray) -> PatternTable:
        return PatternTable(
            self.querier_index[mask],
            self.holder_index[mask],
            self.rule_ids,
            self.rules[mask],
            self.band_count[mask],
            self.shares[mask],
            None if self.present is None else self.present[mask],
        )


def token_patterns(
    querier_tokens: Sequence[Sequence[Token]],
    holder_tokens: Sequence[Sequence[Token]],
    rule_ids: Sequence[str],
) -> PatternTable:
    """All pairs sharing at least one token, with the rules that hit and the shared band count."""
    column = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    holders_by_value: dict[bytes, list[int]] = defaultdict(list)
    for holder, tokens in enumerate(holder_tokens):
        for value in {t.value for t in tokens}:
            holders_by_value[value].append(holder)
    q_index: list[int] = []
    h_index: list[int] = []
    rule_rows: list[int] = []
    rule_cols: list[int] = []
    bands: list[int] = []
    shares: list[int] = []
    for querier, tokens in enumerate(querier_tokens):
        hits: dict[int, tuple[set[str], set[str], list[int]]] = {}
        for token in {t.value: t for t in tokens}.values():
            for holder in holders_by_value.get(token.value, ()):
                rules, band_ids, weight = hits.setdefault(holder, (set(), set(), [0]))
                (band_ids if token.kind == "band" else rules).add(token.rule_id)
                weight[0] += token.weight
        for holder in sorted(hits):
            rules, band_ids, weight = hits[holder]
            pair = len(q_index)
            q_index.append(querier)
            h_index.append(holder)
            bands.append(len(band_ids))
            shares.append(weight[0])
            for rule_id in rules:
                if rule_id in column:
                    rule_rows.append(pair)
                    rule_cols.append(column[rule_id])
    matrix = np.zeros((len(q_index), len(rule_ids)), dtype=bool)
    matrix[rule_rows, rule_cols] = True
    querier_at = np.asarray(q_index, dtype=np.int64)
    holder_at = np.asarray(h_index, dtype=np.int64)
    present = (
        _emitted(querier_tokens, column)[querier_at] & _emitted(holder_tokens, column)[holder_at]
    )
    return PatternTable(
        querier_at,
        holder_at,
        tuple(rule_ids),
        matrix,
        np.asarray(bands, dtype=np.int64),
        np.asarray(shares, dtype=np.int64),
        present,
    )


def _emitted(tokens: Sequence[Sequence[Token]], column: dict[str, int]) -> np.ndarray:
    """(records, rules) bool: the record has a token of the rule."""
    emitted = np.zeros((len(tokens), len(column)), dtype=bool)
    for record, record_tokens in enumerate(tokens):
        for token in record_tokens:
            if token.kind != "band" and token.rule_id in column:
                emitted[record, column[token.rule_id]] = True
    return emitted
