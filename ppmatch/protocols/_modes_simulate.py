"""Both roles of a mode in one process, exchanging nothing but message bytes.

What the CLI's ``stats``, ``psi`` and ``link-unit`` commands run: each party is its own object
built from its own file, every message goes through ``to_bytes``/``from_bytes``, and the byte
counts each way are reported. The linkage secret and agreement id are drawn per run, standing in
for what an agreement would supply.
"""

from __future__ import annotations

import multiprocessing
import secrets
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass

from ppmatch.crypto.parallel import available_cores
from ppmatch.encoding import LinkageSchema
from ppmatch.protocols._modes_records import (
    DEFAULT_KEY_RULE,
    ExactKeyer,
    RecordSource,
    load_records,
)
from ppmatch.protocols.linkage_unit import (
    DEFAULT_THRESHOLD,
    ClkSubmission,
    LinkageUnit,
    LinkageUnitParty,
    MatchReport,
)
from ppmatch.protocols.mutual_psi import (
    MutualFinish,
    MutualHello,
    MutualReply,
    MutualResult,
    PsiInitiator,
    PsiResponder,
)
from ppmatch.protocols.psi_sum import (
    MaskedSum,
    SumHolder,
    SumQuerier,
    SumRequest,
    SumResponse,
    SumReveal,
)

DEFAULT_SUITE = "ristretto255-SHA512"
# Starting spawned workers costs ~2 s (about 20k elements of serial work); below this, one
# process finishes first.
POOL_MIN_RECORDS = 20_000
_SIMULATED_AGREEMENT = "simulated-modes-run"


@contextmanager
def _pool(records: int, workers: int | None) -> Iterator[Executor | None]:
    """A process pool for the DH operations when there are cores and records enough."""
    cores = workers or available_cores()
    if cores < 2 or records < POOL_MIN_RECORDS:
        yield None
        return
    context = multiprocessing.get_context("spawn")  # safe beside threads
    with ProcessPoolExecutor(max_workers=cores, mp_context=context) as pool:
        yield pool


def _keyer(schema: LinkageSchema, key_rule: str) -> ExactKeyer:
    return ExactKeyer(schema, secrets.token_bytes(32), _SIMULATED_AGREEMENT, rule_id=key_rule)


@dataclass(frozen=True)
class StatsRun:
    intersection_size: int
    total: int
    holder_records: int
    querier_records: int
    unkeyed_records: int
    bytes_querier_to_holder: int
    bytes_holder_to_querier: int


def simulate_stats(
    holder_source: RecordSource,
    querier_source: RecordSource,
    value_column: str,
    *,
    suite: str = DEFAULT_SUITE,
    schema: LinkageSchema | None = None,
    key_rule: str = DEFAULT_KEY_RULE,
    workers: int | None = None,
) -> StatsRun:
    schema = schema or LinkageSchema.default()
    keyer = _keyer(schema, key_rule)
    held = load_records(holder_source, value_column=value_column, extra_fields=schema.extra_fields)
    queried = load_records(querier_source, extra_fields=schema.extra_fields)
    holder_keys, querier_keys = keyer.keys(held.records), keyer.keys(queried.records)
    assert held.values is not None
    with _pool(len(holder_keys) + len(querier_keys), workers) as pool:
        holder = SumHolder(suite, holder_keys, held.values, pool=pool)
        querier = SumQuerier(suite, querier_keys, pool=pool)
        request = querier.request().to_bytes()
        response = holder.respond(SumRequest.from_bytes(request)).to_bytes()
        masked = querier.mask(SumResponse.from_bytes(response)).to_bytes()
        reveal = holder.reveal(MaskedSum.from_bytes(masked)).to_bytes()
        result = querier.finish(SumReveal.from_bytes(reveal))
    return StatsRun(
        result.intersection_size,
        result.total,
        len(held.records),
        len(queried.records),
        sum(key is None for key in holder_keys + querier_keys),
        len(request) + len(masked),
        len(response) + len(reveal),
    )


@dataclass(frozen=True)
class PsiRun:
    a: MutualResult
    b: MutualResult
    bytes_a_to_b: int
    bytes_b_to_a: int


def simulate_psi(
    a_source: RecordSource,
    b_source: RecordSource,
    *,
    cardinality_only: bool = False,
    suite: str = DEFAULT_SUITE,
    schema: LinkageSchema | None = None,
    key_rule: str = DEFAULT_KEY_RULE,
    workers: int | None = None,
) -> PsiRun:
    schema = schema or LinkageSchema.default()
    keyer = _keyer(schema, key_rule)
    a_records = load_records(a_source, extra_fields=schema.extra_fields).records
    b_records = load_records(b_source, extra_fields=schema.extra_fields).records
    with _pool(len(a_records) + len(b_records), workers) as pool:
        a = PsiInitiator(
            suite,
            [r.record_id for r in a_records],
            keyer.keys(a_records),
            cardinality_only=cardinality_only,
            pool=pool,
        )
        b = PsiResponder(
            suite,
            [r.record_id for r in b_records],
            keyer.keys(b_records),
            cardinality_only=cardinality_only,
            pool=pool,
        )
        hello = a.hello().to_bytes()
        reply = b.reply(MutualHello.from_bytes(hello)).to_bytes()
        finish, a_result = a.finish(MutualReply.from_bytes(reply))
        finish_bytes = finish.to_bytes()
        b_result = b.finish(MutualFinish.from_bytes(finish_bytes))
    return PsiRun(a_result, b_result, len(hello) + len(finish_bytes), len(reply))


@dataclass(frozen=True)
class LinkUnitRun:
    pairs: list[tuple[str, str, float]]  # (a record id, b record id, similarity)
    a_records: int
    b_records: int
    bytes_to_unit: int
    bytes_from_unit: int


def simulate_link_unit(
    a_source: RecordSource,
    b_source: RecordSource,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    schema: LinkageSchema | None = None,
) -> LinkUnitRun:
    """Pairs joined from both agencies' reports (only possible here, where one run holds both)."""
    schema = schema or LinkageSchema.default()
    secret = secrets.token_bytes(32)
    a_records = load_records(a_source, extra_fields=schema.extra_fields).records
    b_records = load_records(b_source, extra_fields=schema.extra_fields).records
    a, b = LinkageUnitParty(schema, secret, "a"), LinkageUnitParty(schema, secret, "b")
    unit = LinkageUnit(schema, threshold=threshold)
    submissions = [a.submit(a_records).to_bytes(), b.submit(b_records).to_bytes()]
    for data in submissions:
        unit.receive(ClkSubmission.from_bytes(data))
    reports = [report.to_bytes() for report in unit.link()]
    a_linked = a.resolve(MatchReport.from_bytes(reports[0]))
    b_ids = {
        (row.other_index, row.own_index): row.record_id
        for row in b.resolve(MatchReport.from_bytes(reports[1]))
    }
    pairs = [
        (row.record_id, b_ids[(row.own_index, row.other_index)], row.similarity) for row in a_linked
    ]
    return LinkUnitRun(
        pairs,
        len(a_records),
        len(b_records),
        sum(map(len, submissions)),
        sum(map(len, reports)),
    )
