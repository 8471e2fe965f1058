"""Token-pattern scoring, EM fitting, one-to-one resolution and the plaintext reference linker."""

from ppmatch.match.fit import choose_thresholds, fit_em, fit_labeled, fit_logistic, learn_levels
from ppmatch.match.interactions import select_interactions
from ppmatch.match.patterns import PatternTable, token_patterns
from ppmatch.match.reference import ReferenceLinker, dice_coefficients, shared_key_pairs
from ppmatch.match.resolve import resolve_one_to_one
from ppmatch.match.scorer import Candidate, Decision, PatternScorer

__all__ = [
    "Candidate",
    "Decision",
    "PatternScorer",
    "PatternTable",
    "ReferenceLinker",
    "choose_thresholds",
    "dice_coefficients",
    "fit_em",
    "fit_labeled",
    "fit_logistic",
    "learn_levels",
    "resolve_one_to_one",
    "select_interactions",
    "shared_key_pairs",
    "token_patterns",
]
