"""The two query messages: blinded elements to the holder, evaluated elements and proofs back.

EvaluationRequest, version 1 (big-endian)::

    magic 8 b"PPMEVREQ" | version u16 | agreement hash 32 | suite text | epoch u32
    request id 16 | tokens per record u16 | element size u16 | element count u64
    elements (count x element size)

EvaluationResponse, version 1::

    magic 8 b"PPMEVRSP" | version u16 | agreement hash 32 | suite text | epoch u32
    request id 16 | request digest 32 (SHA-256 of the request bytes)
    element size u16 | element count u64 | proof batch u32 | proof size u16 | proof count u32
    elements (count x element size) | proofs (proof count x proof size)

Proof ``i`` is one batched DLEQ proof over elements ``[i*batch, (i+1)*batch)``: RFC 9497 encodes
composite indices in two bytes, so one proof covers at most 65,536 elements.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from ppmatch.protocols.wire import Reader, Writer

REQUEST_MAGIC = b"PPMEVREQ"
RESPONSE_MAGIC = b"PPMEVRSP"
VERSION = 1
REQUEST_ID_SIZE = 16
MAX_ELEMENT_SIZE = 133
MAX_PROOF_SIZE = 128
DEFAULT_MAX_ELEMENTS = 20_000_000


@dataclass(frozen=True)
class EvaluationRequest:
    """Blinded token elements of a batch of querier records (padded and shuffled)."""

    agreement_hash: bytes
    suite: str
    epoch: int
    request_id: bytes
    tokens_per_record: int
    elements: np.ndarray  # (count, element size) uint8

    @property
    def element_count(self) -> int:
        return len(self.elements)

    def to_bytes(self) -> bytes:
        writer = Writer(REQUEST_MAGIC, VERSION)
        writer.fixed(self.agreement_hash, 32)
        writer.text(self.suite)
        writer.u32(self.epoch)
        writer.fixed(self.request_id, REQUEST_ID_SIZE)
        writer.u16(self.tokens_per_record)
        writer.u16(self.elements.shape[1])
        writer.u64(len(self.elements))
        writer.raw(np.ascontiguousarray(self.elements).tobytes())
        return writer.getvalue()

    @classmethod
    def from_bytes(
        cls, data: bytes, *, max_elements: int = DEFAULT_MAX_ELEMENTS
    ) -> EvaluationRequest:
        reader = Reader(data, "evaluation request")
        reader.expect_header(REQUEST_MAGIC, (VERSION,))
        agreement_hash = reader.take(32, "agreement hash")
        suite = reader.text("suite", 64)
        epoch = reader.u32("epoch")
        request_id = reader.take(REQUEST_ID_SIZE, "request id")
        tokens_per_record = reader.u16("tokens per record")
        element_size = reader.u16("element size")
        if not 1 <= element_size <= MAX_ELEMENT_SIZE:
            raise reader.error(f"element size {element_size} is outside 1..{MAX_ELEMENT_SIZE}")
        count = reader.count("element count", max_elements)
        if tokens_per_record == 0 or count % tokens_per_record:
            raise reader.error(
                f"element count {count} is not a multiple of tokens per record {tokens_per_record}"
            )
        elements = reader.array(count, element_size, "elements")
        reader.finish()
        return cls(agreement_hash, suite, epoch, request_id, tokens_per_record, elements)


@dataclass(frozen=True)
class EvaluationResponse:
    """The holder's evaluations of a request, with one DLEQ proof per proof batch."""

    agreement_hash: bytes
    suite: str
    epoch: int
    request_id: bytes
    request_digest: bytes
    proof_batch: int
    elements: np.ndarray  # (count, element size) uint8
    proofs: tuple[bytes, ...]

    @property
    def element_count(self) -> int:
        return len(self.elements)

    def to_bytes(self) -> bytes:
        writer = Writer(RESPONSE_MAGIC, VERSION)
        writer.fixed(self.agreement_hash, 32)
        writer.text(self.suite)
        writer.u32(self.epoch)
        writer.fixed(self.request_id, REQUEST_ID_SIZE)
        writer.fixed(self.request_digest, 32)
        writer.u16(self.elements.shape[1])
        writer.u64(len(self.elements))
        writer.u32(self.proof_batch)
        proof_size = len(self.proofs[0]) if self.proofs else 0
        writer.u16(proof_size)
        writer.u32(len(self.proofs))
        writer.raw(np.ascontiguousarray(self.elements).tobytes())
        for proof in self.proofs:
            writer.fixed(proof, proof_size)
        return writer.getvalue()

    @classmethod
    def from_bytes(
        cls, data: bytes, *, max_elements: int = DEFAULT_MAX_ELEMENTS
    ) -> EvaluationResponse:
        reader = Reader(data, "evaluation response")
        reader.expect_header(RESPONSE_MAGIC, (VERSION,))
        agreement_hash = reader.take(32, "agreement hash")
        suite = reader.text("suite", 64)
        epoch = reader.u32("epoch")
        request_id = reader.take(REQUEST_ID_SIZE, "request id")
        request_digest = reader.take(32, "request digest")
        element_size = reader.u16("element size")
        if not 1 <= element_size <= MAX_ELEMENT_SIZE:
            raise reader.error(f"element size {element_size} is outside 1..{MAX_ELEMENT_SIZE}")
        count = reader.count("element count", max_elements)
        proof_batch = reader.u32("proof batch")
        proof_size = reader.u16("proof size")
        proof_count = reader.u32("proof count")
        if proof_size > MAX_PROOF_SIZE:
            raise reader.error(f"proof size {proof_size} exceeds {MAX_PROOF_SIZE}")
        if count and (proof_batch == 0 or proof_count != -(-count // proof_batch)):
            raise reader.error(
                f"{proof_count} proofs do not cover {count} elements in batches of {proof_batch}"
            )
        elements = reader.array(count, element_size, "elements")
        proofs = tuple(reader.take(proof_size, "proof") for _ in range(proof_count))
        reader.finish()
        return cls(
            agreement_hash, suite, epoch, request_id, request_digest, proof_batch, elements, proofs
        )


def request_digest(request_bytes: bytes) -> bytes:
    """Binds a response to the exact request it answers."""
    return hashlib.sha256(request_bytes).digest()
