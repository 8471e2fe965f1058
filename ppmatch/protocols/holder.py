"""The holder role: publish the database, issue deltas, evaluate querier requests.

Message in, message out: the holder never opens a socket or a file unless asked to write its
database to a path. It owns the epoch OPRF key and never sends it; what it learns from a query
is the element count (and so the number of padded records), which it charges to a budget.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ppmatch.crypto import MODE_VOPRF, OPRFServer, generate_key_pair
from ppmatch.crypto.parallel import EvaluateJob, available_cores
from ppmatch.errors import AgreementError, InputError, ProtocolError
from ppmatch.protocols.config import ScreeningConfig
from ppmatch.protocols.database import (
    DatabaseHeader,
    EntryTable,
    HolderDatabase,
    HolderDelta,
)
from ppmatch.protocols.derive import HolderSecrets
from ppmatch.protocols.messages import EvaluationRequest, EvaluationResponse, request_digest
from ppmatch.protocols.pooled import PooledParty
from ppmatch.protocols.publish import (
    ChunkPublisher,
    EntrySorter,
    PublishedChunk,
    init_worker,
    label_size,
    merge_payloads,
    publish_in_worker,
    write_database_file,
)
from ppmatch.protocols.records import RecordSource, iter_chunks
from ppmatch.protocols.wire import list_to_rows, rows_to_list

PROOF_BATCH = 65536  # RFC 9497 batched proofs index elements with two bytes


class Budget(Protocol):
    """What ``Holder.evaluate`` charges; ``charge`` raises ``BudgetExceeded`` to refuse."""

    def charge(self, elements: int) -> None: ...


@dataclass
class PublishStats:
    records: int = 0
    tokens: int = 0
    evaluations: int = 0  # OPRF evaluations: tokens minus repeats served by worker caches
    undisclosable: int = 0  # records with fewer shares than the threshold: candidates only
    seconds: float = 0.0
    spilled: bool = False


@dataclass
class EvaluationStats:
    requests: int = 0
    elements: int = 0
    seconds: float = 0.0


def check_binding(
    config: ScreeningConfig, agreement_hash: bytes, suite: str, epoch: int, what: str
) -> None:
    """Refuse bytes made under another agreement, suite or key epoch."""
    if agreement_hash != config.agreement_hash:
        raise AgreementError(
            f"{what}: agreement hash {agreement_hash.hex()[:16]}... does not match this "
            f"agreement ({config.agreement_hash.hex()[:16]}...)"
        )
    if suite != config.suite:
        raise ProtocolError(f"{what}: suite {suite!r} differs from the agreed {config.suite!r}")
    if epoch != config.epoch:
        raise ProtocolError(
            f"{what}: key epoch {epoch} differs from the current epoch {config.epoch}"
        )


class Holder(PooledParty):
    """One agency's holder side for one agreement and key epoch.

    ``oprf_key`` is the epoch's VOPRF private key (a fresh one is generated if omitted; read it
    back from ``oprf_key`` to keep it). ``database`` resumes a holder whose database was
    published earlier (needed for deltas).
    """

    def __init__(
        self,
        config: ScreeningConfig,
        *,
        oprf_key: bytes | None = None,
        signing_key: Ed25519PrivateKey,
        workers: int | None = None,
        chunk_rows: int = 2_000,
        database: HolderDatabase | None = None,
        spill_limit: int = 256 << 20,
    ) -> None:
        self.config = config
        if oprf_key is None:
            oprf_key, _ = generate_key_pair(config.suite, MODE_VOPRF)
        self.oprf_key = oprf_key
        self._server = OPRFServer(config.suite, oprf_key, mode=MODE_VOPRF)
        self._secrets = HolderSecrets(oprf_key, config.agreement_hash, config.epoch)
        self._signing_key = signing_key
        self.workers = workers or available_cores()
        self.chunk_rows = chunk_rows
        self.spill_limit = spill_limit
        if database is not None and database.public_key != self.public_key:
            raise ProtocolError(
                "holder database: published under another OPRF key than this holder's"
            )
        self.database = database
        self.publish_stats = PublishStats()
        self.evaluation_stats = EvaluationStats()
        self._runner = None

    @property
    def public_key(self) -> bytes:
        """The epoch's VOPRF public key (published in the database header)."""
        return self._server.public_key

    # ---- publish ------------------------------------------------------------------------------

    def _header(self, version: int = 0) -> DatabaseHeader:
        c = self.config
        return DatabaseHeader(
            c.agreement_hash, c.suite, c.epoch, self.public_key, c.threshold, label_size(c), version
        )

    def _published_chunks(
        self, records: RecordSource, publish_seed: bytes | None = None
    ) -> Iterable[PublishedChunk]:
        chunks = iter_chunks(
            records, chunk_rows=self.chunk_rows, extra_fields=self.config.schema.extra_fields
        )
        if self.workers == 1:
            publisher = ChunkPublisher(self.config, self.oprf_key, publish_seed=publish_seed)
            yield from (publisher.publish(chunk) for chunk in chunks)
            return
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(self.config, self.oprf_key, publish_seed),
        ) as pool:
            pending = []
            for chunk in chunks:
                pending.append(pool.submit(publish_in_worker, chunk))
                if len(pending) >= 2 * self.workers:
                    yield pending.pop(0).result()
            for future in pending:
                yield future.result()

    def publish(
        self,
        records: RecordSource,
        *,
        out: str | Path | None = None,
        publish_seed: bytes | None = None,
        on_progress: Callable[[int], None] | None = None,
    ) -> HolderDatabase:
        """Publish a signed database of ``records`` (a file path, DataFrame or RecordBatches).

        ``on_progress`` is called with the number of records published so far after each
        chunk (a 1M-record publish takes half an hour on two cores).

        ``publish_seed`` (32 secret bytes) makes the output reproducible: every payload key and
        Shamir coefficient is derived from it per record, so the same records, keys and seed
        give the same bytes (a resumed publish matches an uninterrupted one). Without it they
        come fresh from the OS. The seed decides the payload keys: keep it as secret as they are.

        With ``out`` the database is always streamed to that file (sorted bucket by bucket,
        never assembled in memory) and mapped back;
        without it, a database too large for memory is streamed to an unlinked temporary
        file and mapped.
        """
        started = time.perf_counter()
        stats = PublishStats()
        sorter = EntrySorter(label_size(self.config), self.spill_limit)
        payload_parts = []
        try:
            for published in self._published_chunks(records, publish_seed):
                sorter.add(published.entries)
                payload_parts.append(
                    (published.handles, published.payload_sizes, published.payload_blob)
                )
                stats.records += len(published.handles)
                stats.tokens += published.token_count
                stats.evaluations += published.evaluations
                stats.undisclosable += published.undisclosable
                if on_progress is not None:
                    on_progress(stats.records)
            payloads = merge_payloads(payload_parts)
            del payload_parts
            stats.spilled = sorter.spilled
            if out is None and not sorter.spilled:  # small and wanted in memory
                entries = next(iter(sorter.sorted_parts()))
                database = HolderDatabase(self._header(), entries, payloads, np.zeros(0, np.uint64))
                database = database.signed(self._signing_key)
            else:
                path = Path(out) if out is not None else _temporary_path()
                write_database_file(path, self._header(), sorter, payloads, self._signing_key)
                database = HolderDatabase.read(path)
                if out is None:
                    path.unlink()  # the mapping stays valid; the space is freed with it
        finally:
            sorter.close()
        stats.seconds = time.perf_counter() - started
        self.publish_stats = stats
        self.database = database
        return database

    # ---- deltas -------------------------------------------------------------------------------

    def delta(self, *, add: RecordSource | None = None, remove: Sequence[str] = ()) -> HolderDelta:
        """Add records and tombstone removed ones; the holder's own copy moves to the new version.

        A record id is published at most once per key epoch (re-adding would reuse AEAD nonces):
        a changed record is removed now and re-published at the next epoch.
        """
        if self.database is None:
            raise ProtocolError("holder delta: publish (or load) the database first")
        current = self.database
        removed_handles = []
        for record_id in remove:
            handle = self._secrets.handle(record_id)
            if current.payloads.ciphertext(handle) is None:
                raise InputError(
                    f"holder delta: record {record_id!r} is not in database version {current.version}"
                )
            removed_handles.append(handle)
        cap = self.config.tokens_per_record
        removed_ids = [
            entry_id for h in removed_handles for entry_id in self._secrets.entry_ids(h, cap)
        ]
        tables, payload_parts = [], []
        if add is not None:
            publisher = ChunkPublisher(self.config, self.oprf_key)
            for chunk in iter_chunks(
                add, chunk_rows=self.chunk_rows, extra_fields=self.config.schema.extra_fields
            ):
                published = publisher.publish(chunk)
                tables.append(published.entries)
                payload_parts.append(
                    (published.handles, published.payload_sizes, published.payload_blob)
                )
        payloads = merge_payloads(payload_parts)
        known = np.union1d(current.payloads.handles, current.retired)
        reused = np.intersect1d(payloads.handles, known)
        if len(reused):
            raise InputError(
                f"holder delta: {len(reused)} added record id(s) were already published in epoch "
                f"{self.config.epoch}; remove them and re-publish at the next key epoch"
            )
        delta = HolderDelta(
            self.config.agreement_hash,
            self.config.suite,
            self.config.epoch,
            current.version,
            np.array(sorted(removed_handles), dtype=np.uint64),
            np.frombuffer(b"".join(removed_ids), np.uint8).reshape(-1, 12),
            EntryTable.concat(tables, label_size(self.config)).sorted(),
            payloads,
        )
        next_version = current._merge(delta).signed(self._signing_key)
        self.database = next_version
        return delta.signed(self._signing_key, next_version.signature)

    # ---- evaluate -----------------------------------------------------------------------------

    def evaluate(
        self, request: EvaluationRequest | bytes, budget: Budget | None = None
    ) -> EvaluationResponse:
        """Evaluate blinded elements with the epoch key; one DLEQ proof per proof batch.

        The element count is charged to ``budget`` before any work is done.
        """
        started = time.perf_counter()
        if isinstance(request, bytes | bytearray | memoryview):
            request = EvaluationRequest.from_bytes(
                bytes(request), max_elements=self.config.max_request_elements
            )
        check_binding(
            self.config, request.agreement_hash, request.suite, request.epoch, "evaluation request"
        )
        count = request.element_count
        if count > self.config.max_request_elements:
            raise ProtocolError(f"evaluation request: {count} elements exceed the agreed cap")
        if budget is not None:
            budget.charge(count)
        blinded = rows_to_list(request.elements)
        runner = self._batch_runner()
        batches: list[tuple[list[bytes], bytes | None]] = []
        running: deque[EvaluateJob] = deque()
        for start in range(0, count, PROOF_BATCH):
            # the next batch is queued before waiting on this one: no core idles at its tail
            running.append(
                runner.submit_blind_evaluate(self._server, blinded[start : start + PROOF_BATCH])
            )
            if len(running) > 1:
                batches.append(running.popleft().result())
        batches.extend(job.result() for job in running)
        evaluated = [element for part, _ in batches for element in part]
        proofs = [proof or b"" for _, proof in batches]
        element_size = request.elements.shape[1]
        response = EvaluationResponse(
            self.config.agreement_hash,
            self.config.suite,
            self.config.epoch,
            request.request_id,
            request_digest(request.to_bytes()),
            PROOF_BATCH,
            list_to_rows(evaluated, element_size, "evaluated elements")
            if evaluated
            else request.elements[:0],
            tuple(proofs),
        )
        stats = self.evaluation_stats
        stats.requests += 1
        stats.elements += count
        stats.seconds += time.perf_counter() - started
        return response


def _temporary_path() -> Path:
    descriptor, name = tempfile.mkstemp(prefix="ppmatch-", suffix=".ppmdb")
    os.close(descriptor)
    return Path(name)
