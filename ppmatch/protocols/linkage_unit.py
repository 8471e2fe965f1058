"""Linkage-unit mode (DESIGN.md 3.5, the anonlink model): a neutral third party compares CLKs.

Both agencies encode their records as keyed, hardened Bloom filters (the linkage secret they
share never reaches the unit), shuffle them, and send a :class:`ClkSubmission`. The
:class:`LinkageUnit` blocks with bit-sampling LSH under a key of its own, computes the Dice
coefficient of every blocked pair, keeps pairs at or above the threshold, resolves them
one-to-one, and returns to each agency a :class:`MatchReport` of (own index, other index,
similarity). Indices are positions in the submitted, shuffled lists: only the submitting agency
can turn its own index into a record id, and neither learns the other's ids or file order.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ppmatch.encoding import ClkEncoder, Hardening, LinkageSchema, LshSpec
from ppmatch.errors import ProtocolError
from ppmatch.match import Candidate, dice_coefficients, resolve_one_to_one, shared_key_pairs
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.protocols._modes_wire import MAX_SET_SIZE
from ppmatch.protocols.wire import Reader, Writer
from ppmatch.tokens import BandHasher

VERSION = 1
Party = Literal["a", "b"]
PARTIES: tuple[Party, Party] = ("a", "b")
# Balanced filters share their complement bits, which lifts Dice: 0.92 had the best F1 on the
# synthetic benchmark (benchmarks/modes.py; 0.9 let in many hard negatives).
DEFAULT_THRESHOLD = 0.92
# Bit-sampling over balanced filters: MinHash sees the complement half too, so unrelated
# balanced filters have Jaccard ~0.45 and 32x4 MinHash bands pass almost every pair; 48 bands
# of 24 sampled bits keep every pair of Dice >= 0.9 on synthetic data and pass ~3.5% of pairs.
UNIT_BLOCKING = LshSpec(method="hamming", bands=48, rows=24)
_SCORE_SCALE = 65535  # similarities travel as u16 fractions
_MAX_WORDS = 16384 // 64 * 2  # the longest filter a schema allows, balanced


def hardened(schema: LinkageSchema) -> LinkageSchema:
    """The schema as used for published filters: balanced unless it already asks for hardening.

    Filters leave the agency here, so the frequency and pattern attacks on plain CLKs apply;
    balancing gives every filter the same Hamming weight and permutes it under the shared key.
    """
    hardening = schema.clk.hardening
    if hardening.xor_fold or hardening.balance or hardening.blip_epsilon:
        return schema
    clk = schema.clk.model_copy(update={"hardening": Hardening(balance=True)})
    return schema.model_copy(update={"clk": clk})


def _party_code(party: str, reader: Reader | None = None) -> int:
    if party not in PARTIES:
        message = f"party must be 'a' or 'b', got {party!r}"
        raise reader.error(message) if reader else ProtocolError(message)
    return PARTIES.index(party)


def _read_party(reader: Reader) -> Party:
    code = reader.u8("party")
    if code > 1:
        raise reader.error(f"party code {code} is neither 0 (a) nor 1 (b)")
    return PARTIES[code]


@dataclass(frozen=True)
class ClkSubmission:
    """One agency's hardened filters, in an order it shuffled: ``(count, words)`` uint64."""

    schema_hash: bytes
    party: Party
    filters: np.ndarray

    MAGIC = b"LUNITCLK"

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.fixed(self.schema_hash, 32)
        writer.u8(_party_code(self.party))
        writer.u32(self.filters.shape[1] if self.filters.ndim == 2 else 0)
        writer.u64(len(self.filters))
        writer.raw(np.ascontiguousarray(self.filters, dtype="<u8").tobytes())
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ClkSubmission:
        reader = Reader(data, "linkage-unit submission")
        reader.expect_header(cls.MAGIC, (VERSION,))
        schema_hash = reader.take(32, "schema hash")
        party = _read_party(reader)
        words = reader.u32("filter words")
        if not 1 <= words <= _MAX_WORDS:
            raise reader.error(f"filter words {words} outside 1..{_MAX_WORDS}")
        count = reader.count("filter count", MAX_SET_SIZE)
        raw = reader.take(count * words * 8, "filters")
        reader.finish()
        filters = np.frombuffer(raw, dtype="<u8").reshape(count, words).astype(np.uint64)
        return cls(schema_hash, party, filters)


@dataclass(frozen=True)
class MatchReport:
    """The unit's answer to one agency: matched (own index, other index, similarity)."""

    schema_hash: bytes
    party: Party
    own_indices: np.ndarray
    other_indices: np.ndarray
    similarities: np.ndarray  # float64 in [0, 1], u16 precision

    MAGIC = b"LUNITRPT"

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.fixed(self.schema_hash, 32)
        writer.u8(_party_code(self.party))
        writer.u64(len(self.own_indices))
        writer.raw(np.asarray(self.own_indices, dtype=">u8").tobytes())
        writer.raw(np.asarray(self.other_indices, dtype=">u8").tobytes())
        scores = np.rint(np.asarray(self.similarities) * _SCORE_SCALE).astype(">u2")
        writer.raw(scores.tobytes())
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> MatchReport:
        reader = Reader(data, "linkage-unit report")
        reader.expect_header(cls.MAGIC, (VERSION,))
        schema_hash = reader.take(32, "schema hash")
        party = _read_party(reader)
        count = reader.count("pair count", MAX_SET_SIZE)
        own = np.frombuffer(reader.take(8 * count, "own indices"), dtype=">u8").astype(np.int64)
        other = np.frombuffer(reader.take(8 * count, "other indices"), dtype=">u8").astype(np.int64)
        scores = np.frombuffer(reader.take(2 * count, "similarities"), dtype=">u2")
        reader.finish()
        if count and (own.min() < 0 or other.min() < 0):
            raise reader.error("index out of range")
        return cls(schema_hash, party, own, other, scores.astype(np.float64) / _SCORE_SCALE)


@dataclass(frozen=True)
class LinkedRecord:
    """One agency's view of a match: its record and index, the other side's opaque index."""

    own_index: int
    record_id: str
    other_index: int
    similarity: float


class LinkageUnitParty:
    """An agency in linkage-unit mode: encodes, shuffles, submits, and reads its report."""

    def __init__(self, schema: LinkageSchema, linkage_secret: bytes, party: Party) -> None:
        _party_code(party)
        self.schema = hardened(schema)
        self.party = party
        self.schema_hash = bytes.fromhex(self.schema.hash())
        self._encoder = ClkEncoder(self.schema, linkage_secret)
        self._record_ids: list[str] = []

    def submit(self, records: Sequence[NormalizedRecord]) -> ClkSubmission:
        order = np.argsort(np.frombuffer(os.urandom(8 * len(records)), dtype="<u8"))
        self._record_ids = [records[int(i)].record_id for i in order]
        filters = self._encoder.encode_batch([records[int(i)] for i in order])
        return ClkSubmission(self.schema_hash, self.party, filters)

    def resolve(self, report: MatchReport) -> list[LinkedRecord]:
        if report.party != self.party or report.schema_hash != self.schema_hash:
            raise ProtocolError(
                f"linkage-unit report is for party {report.party!r} under another schema or "
                f"party (this is party {self.party!r})"
            )
        size = len(self._record_ids)
        if len(report.own_indices) and int(report.own_indices.max()) >= size:
            raise ProtocolError(f"linkage-unit report: own index beyond the {size} submitted")
        return [
            LinkedRecord(int(own), self._record_ids[int(own)], int(other), float(score))
            for own, other, score in zip(
                report.own_indices, report.other_indices, report.similarities, strict=True
            )
        ]


class LinkageUnit:
    """The neutral party: sees only hardened filters, never a linkage secret or a record id."""

    def __init__(
        self,
        schema: LinkageSchema,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        blocking: LshSpec = UNIT_BLOCKING,
    ) -> None:
        self.schema = hardened(schema)
        self.schema_hash = bytes.fromhex(self.schema.hash())
        self.threshold = threshold
        self._words = self.schema.clk.output_bits // 64
        # The unit's blocking key is its own random secret: blocking needs no shared key.
        self._blocker = BandHasher(
            self.schema.model_copy(update={"lsh": blocking}),
            secrets.token_bytes(32),
            width=self.schema.clk.output_bits,
        )
        self._filters: dict[Party, np.ndarray] = {}

    def receive(self, submission: ClkSubmission) -> None:
        if submission.schema_hash != self.schema_hash:
            raise ProtocolError(
                f"linkage-unit submission from party {submission.party!r}: schema hash differs "
                "from the agreed (hardened) schema"
            )
        if submission.party in self._filters:
            raise ProtocolError(f"linkage unit: party {submission.party!r} already submitted")
        if submission.filters.ndim != 2 or submission.filters.shape[1] != self._words:
            raise ProtocolError(
                f"linkage-unit submission from party {submission.party!r}: filters must have "
                f"{self._words} 64-bit words"
            )
        self._filters[submission.party] = submission.filters

    def link(self) -> tuple[MatchReport, MatchReport]:
        missing = [party for party in PARTIES if party not in self._filters]
        if missing:
            raise ProtocolError(f"linkage unit: no submission yet from party {missing[0]!r}")
        left, right = self._filters["a"], self._filters["b"]
        a, b = shared_key_pairs(self._blocker.band_keys(left), self._blocker.band_keys(right))
        dice = dice_coefficients(left[a], right[b])
        keep = dice >= self.threshold
        chosen = resolve_one_to_one(
            Candidate(str(i), str(j), float(d), (), 0)
            for i, j, d in zip(a[keep], b[keep], dice[keep], strict=True)
        )
        own_a = np.array([int(c.querier_id) for c in chosen], dtype=np.int64)
        own_b = np.array([int(c.holder_ref) for c in chosen], dtype=np.int64)
        scores = np.array([c.score for c in chosen], dtype=np.float64)
        return (
            MatchReport(self.schema_hash, "a", own_a, own_b, scores),
            MatchReport(self.schema_hash, "b", own_b, own_a, scores),
        )
