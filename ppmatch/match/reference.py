"""Plaintext reference linker: Dice similarity of CLKs with LSH blocking (not private).

The accuracy ceiling the private token scorer is compared against: the same normalization and
the same keyed filters, but every candidate pair's exact Dice coefficient, as a linkage unit
would compute it (anonlink model). Blocking uses its own, more permissive MinHash layout.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from ppmatch.encoding.clk import ClkEncoder
from ppmatch.encoding.schema import LinkageSchema, LshSpec
from ppmatch.match.resolve import resolve_one_to_one
from ppmatch.match.scorer import Candidate
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.tokens.lsh import BandHasher


def dice_coefficients(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Row-wise Dice of two aligned (pairs, words) uint64 filter arrays (0 for two empty filters)."""
    common = np.bitwise_count(left & right).sum(axis=1, dtype=np.int64)
    total = np.bitwise_count(left).sum(axis=1, dtype=np.int64) + np.bitwise_count(right).sum(
        axis=1, dtype=np.int64
    )
    return np.divide(2.0 * common, total, out=np.zeros(len(common)), where=total > 0)


def shared_key_pairs(
    querier_keys: Sequence[Sequence[bytes]], holder_keys: Sequence[Sequence[bytes]]
) -> tuple[np.ndarray, np.ndarray]:
    """Unique (querier, holder) index pairs sharing a key at the same band position."""
    index: dict[tuple[int, bytes], list[int]] = defaultdict(list)
    for holder, keys in enumerate(holder_keys):
        for band, key in enumerate(keys):
            index[(band, key)].append(holder)
    encoded: list[np.ndarray] = []
    width = max(len(holder_keys), 1)
    for querier, keys in enumerate(querier_keys):
        hits = [h for band, key in enumerate(keys) for h in index.get((band, key), ())]
        if hits:
            encoded.append(querier * width + np.unique(np.asarray(hits, dtype=np.int64)))
    if not encoded:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pairs = np.unique(np.concatenate(encoded))
    return pairs // width, pairs % width


DEFAULT_BLOCKING = LshSpec(method="minhash", bands=32, rows=4)


class ReferenceLinker:
    """Links two record lists by Dice on keyed CLKs, LSH-blocked, resolved one-to-one."""

    def __init__(
        self,
        schema: LinkageSchema,
        linkage_secret: bytes,
        *,
        blocking: LshSpec = DEFAULT_BLOCKING,
        threshold: float = 0.8,
    ):
        self.encoder = ClkEncoder(schema, linkage_secret)
        self.blocker = BandHasher(
            schema.model_copy(update={"lsh": blocking}),
            linkage_secret,
            width=schema.clk.output_bits,
        )
        self.threshold = threshold

    def candidate_pairs(
        self, querier_filters: np.ndarray, holder_filters: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Blocked pairs and their Dice coefficients."""
        q, h = shared_key_pairs(
            self.blocker.band_keys(querier_filters), self.blocker.band_keys(holder_filters)
        )
        return q, h, dice_coefficients(querier_filters[q], holder_filters[h])

    def link(
        self, querier: Sequence[NormalizedRecord], holder: Sequence[NormalizedRecord]
    ) -> list[Candidate]:
        """Resolved matches with Dice >= threshold (score = Dice)."""
        q, h, dice = self.candidate_pairs(
            self.encoder.encode_batch(querier), self.encoder.encode_batch(holder)
        )
        keep = dice >= self.threshold
        candidates = (
            Candidate(querier[int(i)].record_id, holder[int(j)].record_id, float(d), (), 0)
            for i, j, d in zip(q[keep], h[keep], dice[keep], strict=True)
        )
        return resolve_one_to_one(candidates)
