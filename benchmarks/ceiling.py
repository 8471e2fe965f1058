"""How much accuracy the synth data allows: a non-private supervised linker as the ceiling.

The synth generator plants hard negatives (same name and place with another birth date; twins
with the same surname and birth date; the locale's most common name) and corrupts or blanks
fields of true pairs. Some true pairs then look exactly like a hard negative, and no linker
can score them apart. The Dice reference linker in ``accuracy.py`` is weak on this data, so
it does not show where that limit is. This benchmark trains gradient-boosted trees
(scikit-learn) on synth seed 2 and tests them on seed 1, over the same candidate pairs the
protocol finds (pairs sharing at least one token). It uses three inputs:

* ``plaintext``: both records in the clear, compared field by field (Jaro-Winkler on given
  names, surnames and the whole name both ways round; shared name tokens and variant groups;
  date parts; place, sex, nationality; document number); no private linker can see this;
* ``tokens``: exactly what the querier sees after the protocol (each rule agree / disagree /
  missing, shared-band count);
* ``plaintext + tokens``.

The default schema's own scorer is reported beside them. For each, after one-to-one
resolution: recall at precision >= 0.99, the best F1, and both again with the disclosure gate
(a pair counts only if it holds t threshold shares).

    .venv/bin/python benchmarks/ceiling.py [--workers N]

Needs scikit-learn (in the ``bench`` extra). Writes ``benchmarks/results/ceiling.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import jellyfish
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _data import LinkageData, synth  # noqa: E402
from accuracy import (  # noqa: E402
    RESULTS,
    pattern_scores,
    resolve_table,
    tokenize,
    truth_mask,
)

from ppmatch.encoding import LinkageSchema  # noqa: E402
from ppmatch.match import PatternScorer, PatternTable, token_patterns  # noqa: E402
from ppmatch.normalize.model import NormalizedRecord, PartialDate  # noqa: E402

TRAIN_SEED, TEST_SEED = 2, 1
MIN_PRECISION = 0.99


def _similarity(a: str, b: str) -> float:
    return jellyfish.jaro_winkler_similarity(a, b) if a and b else -1.0


def _first(tokens: tuple[str, ...]) -> str:
    return tokens[0] if tokens else ""


def _equal(a: str | None, b: str | None) -> float:
    return -1.0 if not a or not b else float(a == b)


def _date_features(a: PartialDate | None, b: PartialDate | None) -> list[float]:
    if a is None or b is None:
        return [-1.0] * 6
    both_full = None not in (a.month, a.day, b.month, b.day)
    unknown = -1.0
    return [
        float(a.year == b.year),
        float(abs(a.year - b.year)),
        float(a.month == b.month) if both_full else unknown,
        float(a.day == b.day) if both_full else unknown,
        float(a.month == b.day and a.day == b.month) if both_full else unknown,
        float(both_full),
    ]


def plaintext_features(q: NormalizedRecord, h: NormalizedRecord) -> list[float]:
    """Field-by-field comparison of two normalized records, as a non-private linker sees them."""
    q_given, h_given = " ".join(q.given_names.tokens), " ".join(h.given_names.tokens)
    q_surname, h_surname = " ".join(q.surname.tokens), " ".join(h.surname.tokens)
    q_tokens = set(q.given_names.tokens) | set(q.surname.tokens)
    h_tokens = set(h.given_names.tokens) | set(h.surname.tokens)
    q_groups = set(q.given_names.groups) | set(q.surname.groups)
    h_groups = set(h.given_names.groups) | set(h.surname.groups)
    return [
        _similarity(q_given, h_given),
        _similarity(q_surname, h_surname),
        _similarity(f"{q_given} {q_surname}", f"{h_surname} {h_given}"),
        _similarity(_first(q.given_names.tokens), _first(h.given_names.tokens)),
        float(len(q_tokens & h_tokens)),
        float(len(q_groups & h_groups)),
        float(len(q_tokens)),
        float(len(h_tokens)),
        *_date_features(q.date_of_birth, h.date_of_birth),
        _equal(q.place_of_birth, h.place_of_birth),
        _similarity(q.place_of_birth or "", h.place_of_birth or ""),
        _equal(q.sex, h.sex),
        _equal(q.nationality, h.nationality),
        _equal(q.document_number, h.document_number),
        _similarity(q.document_number or "", h.document_number or ""),
    ]


def token_features(table: PatternTable, bands: int) -> np.ndarray:
    """Per pair: each rule agrees / disagrees (both emit it), the shared-band count one-hot."""
    agree = table.rules.astype(float)
    present = table.present if table.present is not None else np.ones_like(table.rules)
    disagree = (present & ~table.rules).astype(float)
    band_count = np.minimum(table.band_count, bands)
    return np.hstack([agree, disagree, band_count[:, None], np.eye(bands + 1)[band_count]])


def candidates(data: LinkageData, schema: LinkageSchema, workers: int) -> dict:
    _, q_tokens, _, h_tokens, _ = tokenize(data, schema, workers)
    table = token_patterns(q_tokens, h_tokens, schema.rule_ids)
    q_ids = [r.record_id for r in data.querier]
    h_ids = [r.record_id for r in data.holder]
    plaintext = np.array(
        [
            plaintext_features(data.querier[i], data.holder[j])
            for i, j in zip(table.querier_index, table.holder_index, strict=True)
        ]
    )
    return {
        "table": table,
        "labels": truth_mask(q_ids, h_ids, table.querier_index, table.holder_index, data.truth),
        "plaintext": plaintext,
        "tokens": token_features(table, schema.lsh.bands),
    }


def operating_points(
    data: LinkageData, table: PatternTable, scores: np.ndarray, gate: np.ndarray | None
) -> dict:
    """Recall at precision >= 0.99 and the best F1, over thresholds on the resolved pairs."""
    resolved, rows = resolve_table(data, table, scores, floor=-np.inf)
    keep = np.ones(len(rows), bool) if gate is None else gate[rows]
    ordered = np.argsort(-scores[rows][keep], kind="stable")
    correct = np.array([(c.querier_id, c.holder_ref) in data.truth for c in resolved], dtype=bool)[
        keep
    ][ordered]
    true_positives = np.cumsum(correct)
    precision = true_positives / np.arange(1, len(correct) + 1)
    recall = true_positives / len(data.truth)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    best = int(np.argmax(f1))
    allowed = precision >= MIN_PRECISION
    return {
        "recall_at_precision_0.99": round(float(recall[allowed].max()), 4) if allowed.any() else 0,
        "best_f1": round(float(f1[best]), 4),
        "at_best_f1": {
            "precision": round(float(precision[best]), 4),
            "recall": round(float(recall[best]), 4),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    from sklearn.ensemble import HistGradientBoostingClassifier

    schema = LinkageSchema.default()
    train_data, test_data = synth(seed=TRAIN_SEED), synth(seed=TEST_SEED)
    train = candidates(train_data, schema, args.workers)
    test = candidates(test_data, schema, args.workers)
    table = test["table"]
    gate = table.shares >= schema.disclosure.threshold

    scorer = PatternScorer(schema)
    linkers = {"default schema scorer": scorer.calibrate(pattern_scores(table, scorer))}
    inputs = {
        "tokens": lambda part: part["tokens"],
        "plaintext": lambda part: part["plaintext"],
        "plaintext + tokens": lambda part: np.hstack([part["plaintext"], part["tokens"]]),
    }
    for name, features in inputs.items():
        model = HistGradientBoostingClassifier(
            max_iter=300,
            learning_rate=0.05,
            max_leaf_nodes=15,
            l2_regularization=1.0,
            random_state=0,
        )
        model.fit(features(train), train["labels"])
        linkers[f"gradient boosting on {name}"] = model.decision_function(features(test))

    results = {
        "data": f"synth 10000x50000 overlap 1000: trained on seed {TRAIN_SEED}, tested on "
        f"seed {TEST_SEED}",
        "schema_hash": schema.hash(),
        "candidate_pairs": len(table),
        "true_pairs_among_candidates": int(test["labels"].sum()),
        "true_pairs": len(test_data.truth),
        "linkers": {
            name: {
                "score_only": operating_points(test_data, table, scores, None),
                "with_disclosure_gate": operating_points(test_data, table, scores, gate),
            }
            for name, scores in linkers.items()
        },
    }
    print(
        f"{'linker':44s} {'R@P>=0.99':>10s} {'best F1':>8s} | gated: {'R@P>=0.99':>10s} {'F1':>7s}"
    )
    for name, result in results["linkers"].items():
        plain, gated = result["score_only"], result["with_disclosure_gate"]
        print(
            f"{name:44s} {plain['recall_at_precision_0.99']:10.3f} {plain['best_f1']:8.3f} | "
            f"        {gated['recall_at_precision_0.99']:10.3f} {gated['best_f1']:7.3f}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "ceiling.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
