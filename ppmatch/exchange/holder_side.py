"""The holder's side of the exchange: resumable publish and guarded evaluation.

Both the offline commands and the HTTPS service go through :class:`HolderService`, so a request
is checked the same way whichever channel brought it: container signature and agreement hash,
replay/order, budget, then the protocol's ``Holder.evaluate``; every outcome is audited.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import multiprocessing
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ppmatch.errors import AgreementError, InputError, PpmatchError, ProtocolError
from ppmatch.exchange.atomic import atomic_write_bytes, fsync_directory
from ppmatch.exchange.budget import BudgetLedger
from ppmatch.exchange.checkpoint_format import chunk_from_bytes, chunk_to_bytes
from ppmatch.exchange.config import screening_config
from ppmatch.exchange.container import MessageType, open_envelope, seal
from ppmatch.exchange.jobs import ChunkedJob
from ppmatch.exchange.replay import ReplayGuard
from ppmatch.exchange.roles import RoleContext

if TYPE_CHECKING:  # the protocol layer is imported lazily at run time
    from ppmatch.protocols.database import HolderDatabase
    from ppmatch.protocols.publish import PublishedChunk


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror})") from error
    return digest.hexdigest()


@dataclass
class PublishSummary:
    records: int
    tokens: int
    undisclosable: int
    chunks: int
    resumed_chunks: int
    epoch: int
    database_sha256: str


def _published_chunks(
    config, oprf_key, chunks, job: ChunkedJob, workers: int
) -> Iterator[tuple[bool, PublishedChunk]]:
    """(was resumed, PublishedChunk) in input order; completed chunks come from the checkpoint.

    Every chunk is published under the job's persisted seed, so the chunks computed after a
    resume are the ones the interrupted run would have written.
    """
    from ppmatch.protocols.publish import ChunkPublisher, init_worker, publish_in_worker

    def finished(index, published):
        job.save_chunk(index, chunk_to_bytes(published))
        return False, published

    if workers == 1:
        publisher = ChunkPublisher(config, oprf_key, publish_seed=job.seed)
        for index, chunk in enumerate(chunks):
            if job.is_done(index):
                yield True, chunk_from_bytes(job.load_chunk(index), source=str(job.work_dir))
            else:
                yield finished(index, publisher.publish(chunk))
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_worker, initargs=(config, oprf_key, job.seed)
    ) as pool:
        pending: list[tuple[int, bytes | Future[PublishedChunk]]] = []

        def drain_one():
            index, item = pending.pop(0)
            if isinstance(item, bytes):
                return True, chunk_from_bytes(item, source=str(job.work_dir))
            return finished(index, item.result())

        for index, chunk in enumerate(chunks):
            if job.is_done(index):
                pending.append((index, job.load_chunk(index)))
            else:
                pending.append((index, pool.submit(publish_in_worker, chunk)))
            while len(pending) > 2 * workers:
                yield drain_one()
        while pending:
            yield drain_one()


def publish_database(
    role: RoleContext,
    records: Path,
    out: Path,
    *,
    work_dir: Path,
    resume: bool,
    chunk_rows: int = 1000,
    workers: int = 1,
    epoch: int | None = None,
    spill_limit: int = 512 << 20,
    on_progress: Callable[[int], None] | None = None,
) -> PublishSummary:
    """Publish the holder database from a records file, checkpointing every chunk.

    ``on_progress`` gets the number of records published so far after each chunk.

    A killed run restarted with ``resume=True`` reuses the completed chunks and computes the
    rest; the database file appears (atomically) only once everything is written and signed.
    """
    from ppmatch.crypto import MODE_VOPRF, OPRFServer
    from ppmatch.protocols.database import DatabaseHeader
    from ppmatch.protocols.publish import (
        EntrySorter,
        label_size,
        merge_payloads,
        write_database_file,
    )
    from ppmatch.protocols.records import iter_chunks

    epoch, oprf_key = role.oprf_key(epoch)
    config = screening_config(role.agreement, role.keys, epoch=epoch)
    public_key = OPRFServer(config.suite, oprf_key, mode=MODE_VOPRF).public_key
    job_id = hashlib.sha256(
        b"|".join(
            [
                file_sha256(records).encode(),
                config.agreement_hash,
                str(epoch).encode(),
                str(chunk_rows).encode(),
                public_key,
            ]
        )
    ).hexdigest()
    job = ChunkedJob(work_dir, job_id=job_id, resume=resume)
    chunks = iter_chunks(records, chunk_rows=chunk_rows, extra_fields=config.schema.extra_fields)
    sorter = EntrySorter(label_size(config), spill_limit)
    payload_parts = []
    summary = PublishSummary(0, 0, 0, 0, 0, epoch, "")
    try:
        for was_resumed, published in _published_chunks(config, oprf_key, chunks, job, workers):
            sorter.add(published.entries)
            payload_parts.append(
                (published.handles, published.payload_sizes, published.payload_blob)
            )
            summary.records += len(published.handles)
            summary.tokens += published.token_count
            summary.undisclosable += published.undisclosable
            summary.chunks += 1
            summary.resumed_chunks += was_resumed
            if on_progress is not None:
                on_progress(summary.records)
        payloads = merge_payloads(payload_parts)
        header = DatabaseHeader(
            config.agreement_hash,
            config.suite,
            epoch,
            public_key,
            config.threshold,
            label_size(config),
            0,
        )
        write_database_file(out, header, sorter, payloads, role.keys.signing)
        fsync_directory(out.parent)
    finally:
        sorter.close()
    summary.database_sha256 = file_sha256(out)
    job.finish()
    return summary


def load_database(role: RoleContext, path: Path, *, holder_name: str | None = None):
    """Read a holder database and insist it is the agreed holder's, for this agreement."""
    from ppmatch.protocols.database import HolderDatabase

    holder = role.agreement.party(holder_name) if holder_name else role.partner
    database = HolderDatabase.read(path, expected_signer=holder.signing_public_key)
    if database.agreement_hash != role.agreement_hash:
        raise AgreementError(
            f"{path}: database made under another agreement "
            f"({database.agreement_hash.hex()[:16]}..., expected {role.agreement_hash.hex()[:16]}...)"
        )
    return database


@dataclass(frozen=True)
class Peer:
    """Who sent a request: the agreement party, and the TLS certificate when online."""

    party: str
    channel: str  # "file" or "https"
    certificate_sha256: str | None = None
    certificate_subject: str | None = None

    def audit_fields(self) -> dict:
        fields: dict[str, str | None] = {"peer": self.party, "channel": self.channel}
        if self.certificate_sha256:
            fields["peer_cert_sha256"] = self.certificate_sha256
            fields["peer_cert_subject"] = self.certificate_subject
        return fields


class HolderService:
    """Evaluates querier requests under the agreement; shared by the CLI and the HTTPS service."""

    def __init__(
        self, role: RoleContext, state_dir: Path, *, workers: int = 1, epoch: int | None = None
    ) -> None:
        from ppmatch.protocols.holder import Holder

        self.role = role
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.epoch, oprf_key = role.oprf_key(epoch)
        self.config = screening_config(role.agreement, role.keys, epoch=self.epoch)
        self.holder = Holder(
            self.config, oprf_key=oprf_key, signing_key=role.keys.signing, workers=workers
        )
        self.audit = role.audit_log(self.state_dir / "audit.jsonl")
        self.ledger = BudgetLedger(self.state_dir / "budget.json", role.agreement.budgets)
        self.guard = ReplayGuard(self.state_dir / "replay.json")
        self.responses = self.state_dir / "responses"
        self.responses.mkdir(exist_ok=True)
        self._prune_responses()

    def _prune_responses(self) -> None:
        """Drop stored responses older than the agreement's retention period."""
        cutoff = time.time() - self.role.agreement.retention_days * 86400
        for stored in self.responses.glob("*.bin"):
            if stored.stat().st_mtime < cutoff:
                stored.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the protocol holder's worker processes."""
        self.holder.close()

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        with open(self.state_dir / "holder.lock", "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def evaluate(self, data: bytes, *, peer: Peer, source: str, allow_retry: bool = False) -> bytes:
        """Check and evaluate one request container; return the signed response container.

        ``allow_retry`` (online) answers a byte-identical resend from the same peer with the
        stored response instead of refusing it, so a client whose connection dropped can retry
        without being charged twice. Offline, any resend is refused as a replay.
        """
        from ppmatch.protocols.messages import EvaluationRequest

        request_sha = hashlib.sha256(data).hexdigest()
        cached = self.responses / f"{request_sha}-{peer.party}.bin"
        with self._exclusive():
            try:
                envelope = open_envelope(
                    data,
                    expected_type=MessageType.EVALUATION_REQUEST,
                    agreement_hash=self.role.agreement_hash,
                    senders=self.role.partner_senders,
                    source=source,
                )
                if allow_retry and cached.exists():
                    cached_response = cached.read_bytes()
                    self.audit.append(
                        "evaluate",
                        retry=True,
                        request_sha256=request_sha,
                        response_sha256=hashlib.sha256(cached_response).hexdigest(),
                        **peer.audit_fields(),
                    )
                    return cached_response
                # Another process (a CLI evaluate beside the service) may have accepted
                # messages since: reread the replay memory under the lock.
                self.guard = ReplayGuard(self.state_dir / "replay.json")
                self.guard.check(envelope, source=source)
                request = EvaluationRequest.from_bytes(
                    envelope.body, max_elements=self.config.max_request_elements
                )
                if request.element_count != envelope.element_count:
                    raise ProtocolError(
                        f"{source}: container declares {envelope.element_count} elements, "
                        f"the request holds {request.element_count}"
                    )
                response = self.holder.evaluate(request, budget=self.ledger.for_party(peer.party))
            except PpmatchError as error:
                self.audit.append(
                    "refusal",
                    reason=type(error).__name__,
                    request_sha256=request_sha,
                    **peer.audit_fields(),
                )
                self.audit.checkpoint()
                raise
            body = response.to_bytes()
            sealed = seal(
                MessageType.EVALUATION_RESPONSE,
                body,
                agreement_hash=self.role.agreement_hash,
                session_id=envelope.session_id,
                sequence=envelope.sequence + 1,
                signing_key=self.role.keys.signing,
                reply_to=envelope.digest,
                element_count=response.element_count,
                element_size=int(response.elements.shape[1]) if response.element_count else 0,
            )
            atomic_write_bytes(cached, sealed, mode=0o600)
            self.guard.record(envelope)
            used_today, used_total = self.ledger.usage(peer.party)
            self.audit.append(
                "evaluate",
                session=envelope.session_id.hex(),
                sequence=envelope.sequence,
                elements=request.element_count,
                request_sha256=request_sha,
                response_sha256=hashlib.sha256(sealed).hexdigest(),
                budget_used_today=used_today,
                budget_used_total=used_total,
                epoch=self.epoch,
                **peer.audit_fields(),
            )
            self.audit.checkpoint()
            return sealed


@dataclass
class DeltaSummary:
    base_version: int
    version: int
    added: int
    removed: int
    database_sha256: str


def publish_delta(
    role: RoleContext,
    database_path: Path,
    delta_out: Path,
    database_out: Path,
    *,
    add: Path | None = None,
    remove: list[str] | tuple[str, ...] = (),
    workers: int = 1,
) -> DeltaSummary:
    """Add records and tombstone expunged ones: a signed delta for the querier, and the
    holder's own next database version (byte-identical to the querier's after it applies the
    delta)."""
    from ppmatch.protocols.holder import Holder

    database = load_database(role, database_path, holder_name=role.keys.name)
    epoch, oprf_key = role.oprf_key(database.header.epoch)
    config = screening_config(role.agreement, role.keys, epoch=epoch)
    holder = Holder(
        config, oprf_key=oprf_key, signing_key=role.keys.signing, workers=workers, database=database
    )
    if holder.public_key != database.public_key:
        raise ProtocolError(f"{database_path}: not published with this holder's epoch-{epoch} key")
    with holder:
        delta = holder.delta(add=add, remove=list(remove))
    updated = cast("HolderDatabase", holder.database)  # delta() has just replaced it
    next_version = updated.to_bytes()
    atomic_write_bytes(delta_out, delta.to_bytes())
    atomic_write_bytes(database_out, next_version)
    return DeltaSummary(
        database.version,
        updated.version,
        len(delta.payloads),
        len(delta.removed_handles),
        hashlib.sha256(next_version).hexdigest(),
    )
