"""Match-key rule tokens and LSH band tokens, domain-separated and length-prefixed (DESIGN.md 3.3)."""

from ppmatch.tokens.lsh import BandHasher
from ppmatch.tokens.token import (
    Token,
    canonical_value,
    length_prefixed,
    token_prefix,
    token_value,
)
from ppmatch.tokens.tokenizer import BAND_PREFIX, Tokenizer, band_id, tokenize_parallel

__all__ = [
    "BAND_PREFIX",
    "BandHasher",
    "Token",
    "Tokenizer",
    "band_id",
    "canonical_value",
    "length_prefixed",
    "token_prefix",
    "token_value",
    "tokenize_parallel",
]
