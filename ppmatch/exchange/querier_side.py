"""The querier's side of the exchange: prepare a signed request, finish from a signed response.

The querier first receives the holder's signed database (it fixes the key epoch and the public
key the holder's proofs must verify against), prepares a request bundle plus a sealed local
state, and later turns the holder's response bundle into results. A response is accepted only
if it is signed by the holder, made under this agreement, continues this session with the next
sequence number, and names the exact request sent (``reply-to``); a query finishes once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from pathlib import Path

from ppmatch.errors import ProtocolError
from ppmatch.exchange.atomic import atomic_write_bytes
from ppmatch.exchange.config import screening_config
from ppmatch.exchange.container import MessageType, open_envelope, read_container, seal
from ppmatch.exchange.holder_side import file_sha256, load_database
from ppmatch.exchange.querier_state import QuerierState, load_state, save_state
from ppmatch.exchange.roles import RoleContext


def state_path(state_dir: Path, session_id: bytes) -> Path:
    return Path(state_dir) / f"query-{session_id.hex()}.state"


@dataclass
class PrepareSummary:
    records: int
    tokens: int
    elements: int
    request_bytes: int
    session: str


@dataclass
class FinishSummary:
    records: int
    matches: int
    reviews: int
    disclosed: int
    candidates: int


class QuerierSide:
    """Querier operations for one agreement; ``audit`` is the querier's own log."""

    def __init__(self, role: RoleContext, audit_path: Path, *, workers: int = 1) -> None:
        self.role = role
        self.workers = workers
        self.audit = role.audit_log(audit_path)

    def _querier(self, database):
        from ppmatch.protocols.querier import Querier

        config = screening_config(self.role.agreement, self.role.keys, epoch=database.header.epoch)
        return Querier(config, workers=self.workers)

    def prepare(
        self, travelers, database_path: Path, request_out: Path, state_dir: Path
    ) -> PrepareSummary:
        """Blind the travelers' tokens into a signed request bundle; keep the secrets local.

        ``travelers`` is anything the protocol's ``Querier.prepare`` reads: a CSV/Parquet
        path, a DataFrame or ``RecordBatch`` chunks.

        The secrets go to ``state_dir/query-<session>.state``, where ``finish`` finds them by
        the session id the holder's response carries.
        """
        database = load_database(self.role, database_path)
        with self._querier(database) as querier:
            request = querier.prepare(travelers)
        pending = querier._pending[request.request_id]  # the protocol keeps it per request id
        session_id = secrets.token_bytes(16)
        sealed = seal(
            MessageType.EVALUATION_REQUEST,
            request.to_bytes(),
            agreement_hash=self.role.agreement_hash,
            session_id=session_id,
            sequence=1,
            signing_key=self.role.keys.signing,
            element_count=request.element_count,
            element_size=int(request.elements.shape[1]),
        )
        digest = hashlib.sha256(sealed).digest()
        state = QuerierState(
            session_id, 1, digest, bytes.fromhex(file_sha256(database_path)), False, pending
        )
        Path(state_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
        save_state(state_path(state_dir, session_id), state, self.role.keys)
        atomic_write_bytes(request_out, sealed)
        stats = querier.stats
        self.audit.append(
            "query",
            records=stats.records,
            tokens=stats.tokens,
            elements=stats.elements,
            session=session_id.hex(),
            request_sha256=digest.hex(),
            database_sha256=state.database_sha256.hex(),
        )
        self.audit.checkpoint()
        return PrepareSummary(
            stats.records, stats.tokens, stats.elements, len(sealed), session_id.hex()
        )

    def finish(
        self, response_path: Path, state_dir: Path, database_path: Path, results_out: Path
    ) -> FinishSummary:
        """Verify the holder's response against the pending request and write the results."""
        from ppmatch.protocols.messages import EvaluationResponse

        data = read_container(response_path, MessageType.EVALUATION_RESPONSE)
        envelope = open_envelope(
            data,
            expected_type=MessageType.EVALUATION_RESPONSE,
            agreement_hash=self.role.agreement_hash,
            senders=self.role.partner_senders,
            source=str(response_path),
        )
        state_file = state_path(state_dir, envelope.session_id)
        if not state_file.exists():
            raise ProtocolError(
                f"{response_path}: answers session {envelope.session_id.hex()}, for which "
                f"{state_dir} holds no prepared query"
            )
        state = load_state(state_file, self.role.keys)
        if state.finished or state.pending is None:
            raise ProtocolError(
                f"{response_path}: the query of session {state.session_id.hex()} was already "
                "finished; a response is used once (replayed response?)"
            )
        if envelope.reply_to != state.request_digest:
            raise ProtocolError(
                f"{response_path}: answers another request (session "
                f"{envelope.session_id.hex()}, expected {state.session_id.hex()})"
            )
        if envelope.sequence != state.sequence + 1:
            raise ProtocolError(
                f"{response_path}: out-of-order response (seq {envelope.sequence}, "
                f"expected {state.sequence + 1})"
            )
        database = load_database(self.role, database_path)
        querier = self._querier(database)
        response = EvaluationResponse.from_bytes(
            envelope.body, max_elements=querier.config.max_request_elements
        )
        querier._pending[state.pending.request_id] = state.pending  # restore, as prepare left it
        with querier:
            result = querier.finish(response, database)
        frame = result.to_frame()
        atomic_write_bytes(results_out, frame.to_csv(index=False).encode("utf-8"))
        save_state(
            state_file,
            QuerierState(
                state.session_id,
                state.sequence,
                state.request_digest,
                state.database_sha256,
                True,
                None,
            ),
            self.role.keys,
        )
        summary = FinishSummary(
            result.records,
            len(result.matches),
            len(result.reviews),
            querier.stats.payloads_disclosed,
            result.candidates,
        )
        self.audit.append(
            "disclosure",
            records=summary.records,
            matches=summary.matches,
            reviews=summary.reviews,
            payloads_disclosed=summary.disclosed,
            candidates=summary.candidates,
            session=state.session_id.hex(),
            response_sha256=hashlib.sha256(data).hexdigest(),
            database_sha256=file_sha256(database_path),
            results_sha256=hashlib.sha256(results_out.read_bytes()).hexdigest(),
        )
        self.audit.checkpoint()
        return summary


def apply_delta(role: RoleContext, database_path: Path, delta_path: Path, out: Path) -> dict:
    """The querier's copy of the next database version: verified against the holder's
    signature over the result, then written atomically."""
    from ppmatch.protocols.database import HolderDelta

    database = load_database(role, database_path)
    try:
        data = Path(delta_path).read_bytes()
    except OSError as error:
        raise ProtocolError(f"{delta_path}: cannot read delta ({error.strerror})") from error
    delta = HolderDelta.from_bytes(data, expected_signer=role.partner.signing_public_key)
    updated = database.apply(delta)
    content = updated.to_bytes()
    atomic_write_bytes(out, content)
    return {
        "version": updated.version,
        "records": updated.record_count,
        "database_sha256": hashlib.sha256(content).hexdigest(),
    }
