"""The querier role: blind its travelers' tokens, then turn the holder's answer into results.

``prepare`` pads every record to ``tokens_per_record`` elements with blinded random dummies and
shuffles the whole batch, so the holder sees only a count. ``finish`` verifies the holder's
DLEQ proofs against the public key committed in the signed database, finalizes, looks tags up,
opens labels, pools shares per holder record over the batch, rebuilds payload keys only where
at least t distinct shares arrived, scores and resolves one-to-one.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from ppmatch.crypto import MODE_VOPRF, OPRFClient, aead, get_suite, shamir
from ppmatch.crypto.parallel import BlindJob, FinalizeJob, available_cores
from ppmatch.errors import CryptoError, ProtocolError
from ppmatch.match import Candidate, PatternScorer, resolve_one_to_one
from ppmatch.protocols.config import RECORD_REFERENCE_FIELD, ScreeningConfig
from ppmatch.protocols.database import HolderDatabase
from ppmatch.protocols.derive import (
    TAG_SIZE,
    EntrySecretDeriver,
    label_associated_prefix,
    tags_as_uint64,
)
from ppmatch.protocols.holder import PROOF_BATCH, check_binding
from ppmatch.protocols.messages import (
    REQUEST_ID_SIZE,
    EvaluationRequest,
    EvaluationResponse,
    request_digest,
)
from ppmatch.protocols.payload import open_payload
from ppmatch.protocols.pooled import PooledParty
from ppmatch.protocols.publish import LABEL_HEADER
from ppmatch.protocols.records import RecordSource, iter_chunks, tokenize_records
from ppmatch.protocols.result import ScreeningResult, ScreeningRow
from ppmatch.protocols.wire import list_to_rows, rows_to_list
from ppmatch.tokens.components import rules_in_mask

DUMMY = -1
# label hits gathered and opened per block (bounds the copy of the mapped label table)
OPEN_BLOCK = 65_536


@dataclass
class PendingQuery:
    """Querier-only state between ``prepare`` and ``finish`` (contains the secret blinds)."""

    request_id: bytes
    request_digest: bytes
    record_ids: list[str]
    rule_ids: list[str]  # vocabulary of rule/band ids seen in this batch
    inputs: list[bytes]  # in request order
    blinds: list[bytes]
    blinded: np.ndarray
    owner: np.ndarray  # record index per element, DUMMY for padding
    rule: np.ndarray  # index into rule_ids per element, DUMMY for padding
    is_band: np.ndarray
    real_tokens: int = 0


@dataclass
class QueryStats:
    records: int = 0
    tokens: int = 0
    elements: int = 0
    prepare_seconds: float = 0.0
    finish_seconds: float = 0.0
    tag_hits: int = 0
    labels_opened: int = 0
    payloads_disclosed: int = 0


class Querier(PooledParty):
    """One agency's querier side for one agreement."""

    def __init__(
        self, config: ScreeningConfig, *, workers: int | None = None, chunk_rows: int = 2_000
    ):
        self.config = config
        self.workers = workers or available_cores()
        self.chunk_rows = chunk_rows
        self.scorer = PatternScorer(config.schema)
        self._pending: dict[bytes, PendingQuery] = {}
        self.stats = QueryStats()
        self._runner = None

    # ---- prepare ------------------------------------------------------------------------------

    def prepare(self, travelers: RecordSource) -> EvaluationRequest:
        """Tokenize, pad, blind and shuffle; the request holds nothing but random-looking
        elements.

        Each chunk is blinded in the workers while the next is tokenized; the shuffle comes
        after blinding, which is the same as before it, because every element gets its own
        fresh blind."""
        started = time.perf_counter()
        config = self.config
        per_record = config.tokens_per_record
        record_ids: list[str] = []
        vocabulary: dict[str, int] = {}
        inputs: list[bytes] = []
        owner: list[int] = []
        rule: list[int] = []
        is_band: list[bool] = []
        jobs: list[BlindJob] = []
        real = 0
        chunks = iter_chunks(
            travelers, chunk_rows=self.chunk_rows, extra_fields=config.schema.extra_fields
        )
        tokenized = tokenize_records(
            config.schema, config.linkage_secret, config.agreement_id, chunks, workers=self.workers
        )
        for chunk_ids, chunk_tokens in tokenized:
            first = len(inputs)
            for record_id, tokens in zip(chunk_ids, chunk_tokens, strict=True):
                index = len(record_ids)
                record_ids.append(record_id)
                tokens = tokens[:per_record]  # the schema bounds this; config enforces >= bound
                real += len(tokens)
                for token in tokens:
                    inputs.append(token.value)
                    owner.append(index)
                    rule.append(vocabulary.setdefault(token.rule_id, len(vocabulary)))
                    is_band.append(token.kind == "band")
                padding = per_record - len(tokens)
                inputs.extend(os.urandom(32) for _ in range(padding))
                owner.extend([DUMMY] * padding)
                rule.extend([DUMMY] * padding)
                is_band.extend([False] * padding)
            if len(inputs) > config.max_request_elements:
                raise ProtocolError(
                    f"evaluation request: more than {config.max_request_elements} elements "
                    f"(the agreed cap) after {len(record_ids)} travelers; screen the travelers "
                    "in smaller batches"
                )
            jobs.extend(self._submit_blind(inputs, first))
        order = _secure_permutation(len(inputs))
        blinds: list[bytes] = []
        blinded: list[bytes] = []
        for job in jobs:
            part_blinds, part_blinded = job.result()
            blinds.extend(part_blinds)
            blinded.extend(part_blinded)
        inputs = [inputs[i] for i in order]
        blinds = [blinds[i] for i in order]
        blinded = [blinded[i] for i in order]
        element_size = get_suite(config.suite).element_size
        blinded_rows = (
            list_to_rows(blinded, element_size, "blinded elements")
            if blinded
            else np.zeros((0, element_size), np.uint8)
        )
        request = EvaluationRequest(
            config.agreement_hash,
            config.suite,
            config.epoch,
            secrets.token_bytes(REQUEST_ID_SIZE),
            per_record,
            blinded_rows,
        )
        self._pending[request.request_id] = PendingQuery(
            request.request_id,
            request_digest(request.to_bytes()),
            record_ids,
            list(vocabulary),
            inputs,
            blinds,
            blinded_rows,
            np.asarray(owner, dtype=np.int64)[order],
            np.asarray(rule, dtype=np.int64)[order],
            np.asarray(is_band, dtype=bool)[order],
            real,
        )
        self.stats = QueryStats(
            records=len(record_ids),
            tokens=real,
            elements=len(inputs),
            prepare_seconds=time.perf_counter() - started,
        )
        return request

    def _submit_blind(self, inputs: list[bytes], first: int) -> list[BlindJob]:
        """Blind jobs for ``inputs[first:]``, at most one proof batch each."""
        runner = self._batch_runner()
        return [
            runner.submit_blind(
                self.config.suite,
                MODE_VOPRF,
                inputs[begin : min(begin + PROOF_BATCH, len(inputs))],
                start=begin,
            )
            for begin in range(first, len(inputs), PROOF_BATCH)
        ]

    # ---- finish -------------------------------------------------------------------------------

    def finish(
        self, response: EvaluationResponse | bytes, database: HolderDatabase
    ) -> ScreeningResult:
        """Verify, finalize, look up, disclose where the threshold is reached, score, resolve."""
        started = time.perf_counter()
        config = self.config
        if isinstance(response, bytes | bytearray | memoryview):
            response = EvaluationResponse.from_bytes(
                bytes(response), max_elements=config.max_request_elements
            )
        check_binding(
            config, response.agreement_hash, response.suite, response.epoch, "evaluation response"
        )
        check_binding(
            config,
            database.agreement_hash,
            database.header.suite,
            database.header.epoch,
            "holder database",
        )
        pending = self._pending.get(response.request_id)
        if pending is None:
            raise ProtocolError(
                "evaluation response: answers no pending request (unknown or already finished request id)"
            )
        if response.request_digest != pending.request_digest:
            raise ProtocolError(
                "evaluation response: bound to a different request than the one sent"
            )
        if response.element_count != len(pending.inputs):
            raise ProtocolError(
                f"evaluation response: {response.element_count} elements for a request of {len(pending.inputs)}"
            )
        if response.proof_batch != PROOF_BATCH:
            raise ProtocolError(
                f"evaluation response: proof batch {response.proof_batch} is not {PROOF_BATCH}"
            )
        elements, bodies = self._finalize_and_open(pending, response, database)
        del self._pending[response.request_id]
        result = self._screen(pending, elements, bodies, database)
        self.stats.finish_seconds = time.perf_counter() - started
        return result

    def _finalize_and_open(
        self, pending: PendingQuery, response: EvaluationResponse, database: HolderDatabase
    ) -> tuple[np.ndarray, np.ndarray]:
        """Request positions of the labels that open and their plaintexts, proof batch by
        proof batch: while the workers finalize one batch, this process looks up and opens
        the labels of the batch before it (whose proof has verified)."""
        client = OPRFClient(
            self.config.suite, mode=MODE_VOPRF, server_public_key=database.public_key
        )
        evaluated = rows_to_list(response.elements)
        blinded = rows_to_list(pending.blinded)
        runner = self._batch_runner()
        self.stats.tag_hits = self.stats.labels_opened = 0
        positions: list[np.ndarray] = []
        bodies: list[np.ndarray] = []

        def proof_error(batch: int, start: int, end: int, error: CryptoError) -> CryptoError:
            return CryptoError(
                f"evaluation response: proof {batch} (elements {start}..{end - 1}) "
                f"does not verify against the holder database's public key: {error}"
            )

        def open_finished(batch: int, start: int, end: int, job: FinalizeJob) -> None:
            try:
                outputs = job.result()
            except CryptoError as error:
                raise proof_error(batch, start, end, error) from None
            opened, rows = self._open_batch(pending, start, outputs, database)
            positions.append(opened)
            bodies.append(rows)

        running: deque[tuple[int, int, int, FinalizeJob]] = deque()
        for batch, start in enumerate(range(0, len(evaluated), PROOF_BATCH)):
            end = min(start + PROOF_BATCH, len(evaluated))
            try:
                job = runner.submit_finalize(
                    client,
                    pending.inputs[start:end],
                    pending.blinds[start:end],
                    evaluated[start:end],
                    blinded[start:end],
                    response.proofs[batch],
                )
            except CryptoError as error:
                raise proof_error(batch, start, end, error) from None
            running.append((batch, start, end, job))
            if len(running) > 1:
                open_finished(*running.popleft())
        while running:
            open_finished(*running.popleft())
        plaintext_size = database.entries.labels.shape[1] - aead.TAG_SIZE
        return (
            np.concatenate(positions) if positions else np.zeros(0, np.int64),
            np.concatenate(bodies) if bodies else np.zeros((0, plaintext_size), np.uint8),
        )

    def _open_batch(
        self, pending: PendingQuery, start: int, outputs: list[bytes], database: HolderDatabase
    ) -> tuple[np.ndarray, np.ndarray]:
        """Look up the tags of one batch's real elements and open the labels they hit."""
        real = np.flatnonzero(pending.owner[start : start + len(outputs)] != DUMMY)
        digests = EntrySecretDeriver(self.config.agreement_hash).digests(
            outputs[i] for i in real.tolist()
        )
        secrets_of = [(digest[:TAG_SIZE], digest[TAG_SIZE:]) for digest in digests]
        query_positions, entry_positions = database.lookup(
            tags_as_uint64([tag for tag, _ in secrets_of])
        )
        self.stats.tag_hits += len(query_positions)
        opened, rows = self._open_labels(secrets_of, query_positions, entry_positions, database)
        self.stats.labels_opened += len(opened)
        return start + real[opened], rows

    def _screen(
        self,
        pending: PendingQuery,
        elements: np.ndarray,
        bodies: np.ndarray,
        database: HolderDatabase,
    ) -> ScreeningResult:
        """Columnar from opened labels to candidates: a batch can hit millions of holder
        entries (common LSH bands), so per-hit Python objects are avoided."""
        config = self.config
        handles = np.ascontiguousarray(bodies[:, :8]).view(">u8").ravel().astype(np.uint64)
        handle_values, handle_index = np.unique(handles, return_inverse=True)
        payloads = self._disclose(bodies, handle_values, handle_index, database)
        self.stats.payloads_disclosed = len(payloads)

        owner = pending.owner[elements]
        rule = pending.rule[elements]
        is_band = pending.is_band[elements]
        pair_keys, pair_index = np.unique(
            owner * len(handle_values) + handle_index, return_inverse=True
        )
        vocabulary = max(len(pending.rule_ids), 1)
        band_hits = np.unique(pair_index[is_band] * vocabulary + rule[is_band]) // vocabulary
        band_count = np.bincount(band_hits, minlength=len(pair_keys))
        rule_masks = self._rule_masks(pending, pair_index, rule, is_band, len(pair_keys))
        present = self._present_masks(pending, bodies, pair_index, pair_keys, len(handle_values))
        scores = self._pattern_scores(rule_masks, band_count, present)
        # The weights carry over between data sets, the share of true matches among candidates
        # does not: shift the batch's scores to its own estimated prior (capped).
        scores = self.scorer.calibrate(scores)
        # Candidates below the review threshold are never reported, and one-to-one resolution is
        # greedy by score, so dropping them first cannot change the reported rows.
        floor = min(self.scorer.review_threshold, self.scorer.match_threshold)
        schema_rules = config.schema.rule_ids
        kept = np.flatnonzero(scores >= floor)
        pair_owner, pair_handle = np.divmod(pair_keys[kept], len(handle_values))
        candidates = [
            Candidate(
                pending.record_ids[record],
                f"{int(handle_values[handle]):016x}",
                float(scores[pair]),
                tuple(sorted(rules_in_mask(int(rule_masks[pair]), schema_rules))),
                int(band_count[pair]),
            )
            for pair, record, handle in zip(
                kept.tolist(), pair_owner.tolist(), pair_handle.tolist(), strict=True
            )
        ]
        rows = []
        for candidate in resolve_one_to_one(candidates):
            payload = payloads.get(int(candidate.holder_ref, 16))
            decision = self.scorer.decide(candidate.score, payload is not None)
            if decision == "none":
                continue
            # decide() returns "match" only when the payload was reconstructed
            disclosed = payload if decision == "match" and payload is not None else {}
            rows.append(
                ScreeningRow(
                    querier_record_id=candidate.querier_id,
                    holder_record_id=disclosed.get(RECORD_REFERENCE_FIELD, ""),
                    holder_handle=candidate.holder_ref,
                    score=candidate.score,
                    decision=decision,
                    rule_ids=candidate.rule_ids,
                    band_count=candidate.band_count,
                    payload={k: v for k, v in disclosed.items() if k != RECORD_REFERENCE_FIELD},
                )
            )
        rows.sort(key=lambda row: row.querier_record_id)
        return ScreeningResult(
            rows=rows,
            payload_fields=tuple(f for f in config.payload_fields if f != RECORD_REFERENCE_FIELD),
            candidates=len(pair_keys),
            records=len(pending.record_ids),
        )

    def _vocabulary_bits(self, pending: PendingQuery) -> np.ndarray:
        """Per entry of the batch's rule vocabulary its schema-order bit (0 for bands)."""
        bit = {rule_id: 1 << i for i, rule_id in enumerate(self.config.schema.rule_ids)}
        return np.array([bit.get(r, 0) for r in pending.rule_ids] or [0], np.int64)

    def _rule_masks(
        self,
        pending: PendingQuery,
        pair_index: np.ndarray,
        rule: np.ndarray,
        is_band: np.ndarray,
        pair_count: int,
    ) -> np.ndarray:
        """Per candidate pair, the rules whose tokens it shares, as a schema-order bit mask."""
        masks = np.zeros(pair_count, dtype=np.int64)
        np.bitwise_or.at(
            masks, pair_index[~is_band], self._vocabulary_bits(pending)[rule[~is_band]]
        )
        return masks

    def _pattern_scores(
        self, rule_masks: np.ndarray, band_count: np.ndarray, present: np.ndarray
    ) -> np.ndarray:
        """Scores of all pairs, each distinct pattern (shared rules, bands, rules both
        records emit) scored once: a large batch has millions of pairs but few patterns."""
        if len(rule_masks) == 0:
            return np.empty(0, dtype=float)
        # both masks fit 32 bits (the schema allows at most 32 rules): one 64-bit key for the
        # rule part, then the band count on top of the distinct rule parts
        rule_keys, rule_inverse = np.unique(
            rule_masks.astype(np.uint64) << np.uint64(32) | present.astype(np.uint64),
            return_inverse=True,
        )
        counts = band_count.astype(np.int64)
        width = int(counts.max()) + 1
        patterns, inverse = np.unique(rule_inverse.ravel() * width + counts, return_inverse=True)
        schema_rules = self.config.schema.rule_ids
        pattern_scores = []
        for pattern in patterns.tolist():
            rule_key, count = divmod(pattern, width)
            shared, both = divmod(int(rule_keys[rule_key]), 1 << 32)
            pattern_scores.append(
                self.scorer.score(
                    rules_in_mask(shared, schema_rules), count, rules_in_mask(both, schema_rules)
                )
            )
        return np.array(pattern_scores)[inverse.ravel()]

    def _present_masks(
        self,
        pending: PendingQuery,
        bodies: np.ndarray,
        pair_index: np.ndarray,
        pair_keys: np.ndarray,
        handle_count: int,
    ) -> np.ndarray:
        """Per candidate pair, the rules both records emit, as a schema-order bit mask: the
        traveler's from its own tokens, the holder record's from the mask in its labels."""
        vocabulary_bits = self._vocabulary_bits(pending)
        own = np.flatnonzero((pending.owner != DUMMY) & ~pending.is_band)
        querier_masks = np.zeros(len(pending.record_ids), dtype=np.int64)
        np.bitwise_or.at(querier_masks, pending.owner[own], vocabulary_bits[pending.rule[own]])
        label_masks = np.ascontiguousarray(bodies[:, 8:12]).view(">u4").ravel().astype(np.int64)
        holder_masks = np.zeros(len(pair_keys), dtype=np.int64)
        holder_masks[pair_index] = label_masks
        return querier_masks[pair_keys // handle_count] & holder_masks

    def _open_labels(
        self,
        secrets_of: list[tuple[bytes, bytes]],
        query_positions: np.ndarray,
        entry_positions: np.ndarray,
        database: HolderDatabase,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions (into the real elements) of the labels that open, and their plaintexts
        as rows ``(handle u64 | rule-presence mask u32 | share count u8 | shares)``."""
        config = self.config
        labels = database.entries.labels
        entry_ids = database.entries.entry_ids
        sealed_size, id_size = labels.shape[1], entry_ids.shape[1]
        prefix = label_associated_prefix(config.agreement_hash, config.epoch)
        open_label = aead.FixedSizeOpener(sealed_size - aead.TAG_SIZE, len(prefix) + TAG_SIZE).open
        keys = [key for _, key in secrets_of]
        associated = [prefix + tag for tag, _ in secrets_of]
        opened: list[int] = []
        bodies: list[bytes] = []
        # gathered from the (memory-mapped) tables a block at a time: one copy per block
        # instead of two array views per hit, and bounded memory however many hits there are
        for start in range(0, len(query_positions), OPEN_BLOCK):
            block = entry_positions[start : start + OPEN_BLOCK]
            ids = entry_ids[block].tobytes()
            sealed = labels[block].tobytes()
            for offset, q in enumerate(query_positions[start : start + OPEN_BLOCK].tolist()):
                body = open_label(
                    keys[q],
                    ids[offset * id_size : (offset + 1) * id_size],
                    sealed[offset * sealed_size : (offset + 1) * sealed_size],
                    associated[q],
                )
                if body is not None:  # None: a 64-bit tag collision with another token
                    opened.append(q)
                    bodies.append(body)
        plaintext_size = sealed_size - aead.TAG_SIZE
        rows = np.frombuffer(b"".join(bodies), dtype=np.uint8).reshape(len(bodies), plaintext_size)
        return np.asarray(opened, dtype=np.int64), rows

    def _disclose(
        self,
        bodies: np.ndarray,
        handle_values: np.ndarray,
        handle_index: np.ndarray,
        database: HolderDatabase,
    ) -> dict[int, dict[str, str]]:
        """Payload fields of every holder record whose pooled distinct shares reach t."""
        size = shamir.SHARE_SIZE
        share_count = np.minimum(bodies[:, LABEL_HEADER.size - 1], self.config.max_share_weight)
        found_handles, found_rows, found_slots = [], [], []
        for slot in range(self.config.max_share_weight):
            present = np.flatnonzero(share_count > slot)
            found_handles.append(handle_index[present])
            found_rows.append(present)
            found_slots.append(np.full(len(present), slot))
        handle_of = np.concatenate(found_handles)
        row_of = np.concatenate(found_rows)
        slot_of = np.concatenate(found_slots)
        share_x = bodies[row_of, LABEL_HEADER.size + slot_of * size + 1].astype(np.int64)
        _, first = np.unique(handle_of * 256 + share_x, return_index=True)  # grouped by handle
        first_handle = handle_of[first]
        distinct = np.bincount(first_handle, minlength=len(handle_values))
        disclosed = {}
        for handle_position in np.flatnonzero(distinct >= self.config.threshold).tolist():
            handle = int(handle_values[handle_position])
            ciphertext = database.payloads.ciphertext(handle)
            if ciphertext is None:
                continue  # tombstoned
            begin, end = np.searchsorted(first_handle, [handle_position, handle_position + 1])
            mine = first[begin:end]
            shares = [
                bodies[
                    row, LABEL_HEADER.size + slot * size : LABEL_HEADER.size + (slot + 1) * size
                ].tobytes()
                for row, slot in zip(row_of[mine].tolist(), slot_of[mine].tolist(), strict=True)
            ]
            try:
                payload_key = shamir.reconstruct(shares)
            except CryptoError:
                continue
            fields = open_payload(
                payload_key, ciphertext, self.config.agreement_hash, self.config.epoch, handle
            )
            if fields is not None:
                disclosed[handle] = fields
        return disclosed


def _secure_permutation(count: int) -> np.ndarray:
    """A uniformly random permutation seeded from the OS CSPRNG (the holder must not guess it)."""
    seed = int.from_bytes(hashlib.sha256(os.urandom(32)).digest(), "big")
    return np.random.default_rng(seed).permutation(count)
