"""Choosing which joint rule states get an interaction weight, on labeled fitting data only.

Rules built from the same fields agree and disagree together, so a per-rule sum misjudges some
joint states; the schema can weight a few of them (``scoring.interactions``). Which ones is a
model choice made here, by greedy forward selection, and written into the schema, where
``fit_logistic`` refits their weights with the rest. Candidates join evidence of one direction
only (two rules agreeing, a rule agreeing with at least k shared bands, two rules disagreeing),
so every candidate keeps the score monotone. Each step shortlists candidates by the score test
at the current fit, refits each shortlisted one on every fitting data set but one and measures
the log-loss on the one left out, and keeps the best; it stops when the held-out log-loss
improves by less than ``min_gain`` nats. The held-out criterion is what keeps the generator's
quirks of one data set out of the schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np

from ppmatch.encoding.schema import InteractionWeight, LinkageSchema
from ppmatch.errors import InputError
from ppmatch.match.fit import BAND_STEPS, _logistic_design, fit_signed, unique_patterns
from ppmatch.match.patterns import PatternTable

_Fold = tuple[PatternTable, np.ndarray, np.ndarray]  # pooled patterns, labels, counts


def _candidates(
    table: PatternTable, counts: np.ndarray, bands: int, min_support: int
) -> list[InteractionWeight]:
    agree = table.rules
    disagree = table.present & ~table.rules
    found = []
    for i, j in combinations(range(len(table.rule_ids)), 2):
        a, b = table.rule_ids[i], table.rule_ids[j]
        if counts[agree[:, i] & agree[:, j]].sum() >= min_support:
            found.append(InteractionWeight(when={a: "agree", b: "agree"}))
        if counts[disagree[:, i] & disagree[:, j]].sum() >= min_support:
            found.append(InteractionWeight(when={a: "disagree", b: "disagree"}))
    for i, rule_id in enumerate(table.rule_ids):
        for k in (k for k in BAND_STEPS if k <= bands):
            if counts[agree[:, i] & (table.band_count >= k)].sum() >= min_support:
                found.append(InteractionWeight(when={rule_id: "agree"}, min_bands=k))
    return found


def _log_loss(
    weights: np.ndarray, fold: _Fold, bands: int, terms: tuple[InteractionWeight, ...]
) -> float:
    table, labels, counts = fold
    design, _ = _logistic_design(table, bands, terms)
    z = weights[0] + design @ weights[1:]
    return float(np.sum(counts * np.where(labels, np.logaddexp(0.0, -z), np.logaddexp(0.0, z))))


def _pool(folds: Sequence[_Fold]) -> _Fold:
    table = PatternTable.concat([f[0] for f in folds])
    return table, np.concatenate([f[1] for f in folds]), np.concatenate([f[2] for f in folds])


def select_interactions(
    tables: Sequence[PatternTable],
    labels: Sequence[np.ndarray],
    schema: LinkageSchema,
    *,
    max_terms: int = 16,
    shortlist: int = 25,
    min_gain: float = 1.0,
    min_support: int = 20,
    l2: float = 1.0,
) -> tuple[InteractionWeight, ...]:
    """Interaction terms (weights 0, for ``fit_logistic`` to fill) chosen on >= 2 labeled data
    sets, each held out in turn; the schema's own interactions are ignored."""
    if len(tables) < 2 or len(tables) != len(labels):
        raise InputError("selecting interactions: need two or more labeled pattern tables")
    if len({t.rule_ids for t in tables}) != 1:
        raise InputError("selecting interactions: the pattern tables list different rules")
    bands = schema.lsh.bands
    folds = [
        unique_patterns(t, np.asarray(y, dtype=bool), bands)
        for t, y in zip(tables, labels, strict=True)
    ]
    pooled = _pool(folds)
    candidates = _candidates(pooled[0], pooled[2], bands, min_support)

    def held_out(terms: tuple[InteractionWeight, ...]) -> float:
        total = 0.0
        for index, fold in enumerate(folds):
            train = _pool([f for i, f in enumerate(folds) if i != index])
            weights, _ = fit_signed(*train, bands, terms, l2)
            total += _log_loss(weights, fold, bands, terms)
        return total

    chosen: tuple[InteractionWeight, ...] = ()
    current = held_out(chosen)
    while len(chosen) < max_terms:
        weights, _ = fit_signed(*pooled, bands, chosen, l2)
        table, y, counts = pooled
        design, _ = _logistic_design(table, bands, chosen)
        p = 1.0 / (1.0 + np.exp(-np.clip(weights[0] + design @ weights[1:], -30.0, 30.0)))
        residual, variance = counts * (y - p), counts * p * (1.0 - p)
        remaining = [c for c in candidates if c not in chosen]
        if not remaining:
            break
        columns, _ = _logistic_design(table, bands, tuple(remaining))
        columns = columns[:, -len(remaining) :]
        gradient = columns.T @ residual
        statistic = gradient**2 / (columns.T @ variance + 1e-9)
        # only candidates whose fitted weight would take their allowed sign
        signs = np.array([c.sign for c in remaining])
        statistic[gradient * signs <= 0] = -1.0
        ranked = [remaining[i] for i in np.argsort(-statistic)[:shortlist] if statistic[i] > 0]
        if not ranked:
            break
        losses = [held_out((*chosen, candidate)) for candidate in ranked]
        best = int(np.argmin(losses))
        if current - losses[best] < min_gain:
            break
        chosen, current = (*chosen, ranked[best]), losses[best]
    return chosen
