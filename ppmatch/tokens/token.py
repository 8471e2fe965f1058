"""The token: one OPRF input, domain-separated and length-prefixed.

A token's ``value`` binds the agreement id, the token kind, the rule or band id and the
canonical value, each prefixed by its 4-byte big-endian length, behind a version label. Two
tokens are equal only if all four parts are equal, and no concatenation of parts can be
confused with another (``"AB" + "C"`` never equals ``"A" + "BC"``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TOKEN_LABEL = b"ppmatch/token/v1"
TokenKind = Literal["rule", "band"]


@dataclass(frozen=True, slots=True)
class Token:
    """One match token of a record; ``weight`` is its number of threshold shares."""

    kind: str
    rule_id: str
    value: bytes
    weight: int

    def __reduce__(self) -> tuple:
        # plain-tuple pickling: tokens cross the process pool in bulk (never a trust boundary)
        return (Token, (self.kind, self.rule_id, self.value, self.weight))


def length_prefixed(*parts: bytes) -> bytes:
    """Concatenate parts, each behind its 4-byte big-endian length."""
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def token_prefix(agreement_id: str, kind: str, rule_id: str) -> bytes:
    """Everything of a token value before its canonical value (computed once per rule)."""
    return TOKEN_LABEL + length_prefixed(
        agreement_id.encode("utf-8"), kind.encode("ascii"), rule_id.encode("ascii")
    )


def token_value(agreement_id: str, kind: str, rule_id: str, canonical: bytes) -> bytes:
    """The OPRF input of a token (see module docstring)."""
    return token_prefix(agreement_id, kind, rule_id) + length_prefixed(canonical)


def canonical_value(components: tuple[str, ...]) -> bytes:
    """A rule's canonical value: its component strings, each length-prefixed."""
    return length_prefixed(*(c.encode("utf-8") for c in components))
