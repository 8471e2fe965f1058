"""Linkage schema and keyed Bloom-filter (CLK) encoder (DESIGN.md 3.2)."""

from ppmatch.encoding.clk import ClkEncoder, encode_parallel, pack_bits, unpack_bits
from ppmatch.encoding.keys import derive_key
from ppmatch.encoding.schema import (
    IDENTITY_FIELDS,
    ClkSpec,
    DisclosureSpec,
    FamilySpec,
    FieldSpec,
    Hardening,
    LevelWeight,
    LinkageSchema,
    LshSpec,
    RuleSpec,
    RuleWeights,
    ScoringSpec,
)

__all__ = [
    "IDENTITY_FIELDS",
    "ClkEncoder",
    "ClkSpec",
    "DisclosureSpec",
    "FamilySpec",
    "FieldSpec",
    "Hardening",
    "LevelWeight",
    "LinkageSchema",
    "LshSpec",
    "RuleSpec",
    "RuleWeights",
    "ScoringSpec",
    "derive_key",
    "encode_parallel",
    "pack_bits",
    "unpack_bits",
]
