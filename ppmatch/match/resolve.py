"""One-to-one resolution: each querier record keeps at most one holder record.

Greedy by descending score (ties: more shared bands, then references in order, so the result
does not depend on input order). With ``holder_unique`` a holder record is also given to at
most one querier record, the usual assumption when neither side holds duplicates; turn it off
when the querier's file may list the same traveler twice.
"""

from __future__ import annotations

from collections.abc import Iterable

from ppmatch.match.scorer import Candidate


def resolve_one_to_one(
    candidates: Iterable[Candidate], *, min_score: float | None = None, holder_unique: bool = True
) -> list[Candidate]:
    ordered = sorted(
        candidates, key=lambda c: (-c.score, -c.band_count, c.querier_id, c.holder_ref)
    )
    taken_queriers: set[str] = set()
    taken_holders: set[str] = set()
    chosen: list[Candidate] = []
    for candidate in ordered:
        if min_score is not None and candidate.score < min_score:
            break
        if candidate.querier_id in taken_queriers:
            continue
        if holder_unique and candidate.holder_ref in taken_holders:
            continue
        taken_queriers.add(candidate.querier_id)
        taken_holders.add(candidate.holder_ref)
        chosen.append(candidate)
    return chosen
