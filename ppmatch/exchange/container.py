"""The signed message container: the one binary envelope around every exchanged message.

Layout (version 1, all integers big-endian)::

    offset  size  field
         0     8  magic            b"PPMSG\\r\\n\\x1a" (catches text-mode mangling, like PNG)
         8     2  format version   1
        10     2  message type     see MessageType
        12    32  agreement hash   SHA-256 of the signed agreement's canonical form
        44    16  session id       random per query session (per epoch for databases)
        60     8  sequence number  1, 2, ... within a session; replies continue the sequence
        68    32  reply-to         SHA-256 of the message answered, zeros if none
       100     8  sender key id    first 8 bytes of SHA-256 of the sender's Ed25519 public key
       108     4  element count    number of fixed-size elements the body carries
       112     4  element size     bytes per element (0 when the body has no element array)
       116     8  body length      exact number of body bytes that follow
       124     n  body             the protocol message's own ``to_bytes()``
     124+n    64  signature        Ed25519 over DOMAIN || bytes[0 : 124+n]

Parsing never trusts a length: the total size is capped per message type before anything is
read, the body length must account for every byte exactly, and the declared element array must
fit inside the body. Nothing is deserialized beyond fixed-width integers; there is no pickle.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ppmatch.errors import AgreementError, IntegrityError, ProtocolError

MAGIC = b"PPMSG\r\n\x1a"
FORMAT_VERSION = 1
SIGNATURE_DOMAIN = b"ppmatch message container v1\x00"
_HEADER = struct.Struct(">8sHH32s16sQ32s8sIIQ")
HEADER_SIZE = _HEADER.size
SIGNATURE_SIZE = 64
NO_REPLY = bytes(32)


class MessageType(IntEnum):
    """What the body holds; each type has its own size cap."""

    HOLDER_DATABASE = 1
    DATABASE_DELTA = 2
    EVALUATION_REQUEST = 3
    EVALUATION_RESPONSE = 4


# Caps on the whole container. Databases of a million records stay well under 4 GiB; a query
# batch is bounded by the budget long before 1 GiB.
MAX_SIZE: dict[MessageType, int] = {
    MessageType.HOLDER_DATABASE: 4 << 30,
    MessageType.DATABASE_DELTA: 1 << 30,
    MessageType.EVALUATION_REQUEST: 1 << 30,
    MessageType.EVALUATION_RESPONSE: 1 << 30,
}


def key_id(public_key: Ed25519PublicKey) -> bytes:
    """The 8-byte sender id carried in the header (a hint for choosing the verification key)."""
    raw = public_key.public_bytes_raw()
    return hashlib.sha256(raw).digest()[:8]


@dataclass(frozen=True)
class Envelope:
    """A parsed container; ``verified`` only once the signature has been checked."""

    message_type: MessageType
    agreement_hash: bytes
    session_id: bytes
    sequence: int
    reply_to: bytes
    sender: bytes
    element_count: int
    element_size: int
    body: bytes
    signature: bytes
    digest: bytes  # SHA-256 of the complete container bytes

    def describe(self) -> str:
        return (
            f"{self.message_type.name.lower()} session {self.session_id.hex()} seq {self.sequence}"
        )


def seal(
    message_type: MessageType,
    body: bytes,
    *,
    agreement_hash: bytes,
    session_id: bytes,
    sequence: int,
    signing_key: Ed25519PrivateKey,
    reply_to: bytes = NO_REPLY,
    element_count: int = 0,
    element_size: int = 0,
) -> bytes:
    """Wrap protocol message bytes in a signed container."""
    if len(agreement_hash) != 32 or len(session_id) != 16 or len(reply_to) != 32:
        raise ValueError("agreement hash and reply-to are 32 bytes, session id 16 bytes")
    if element_count * element_size > len(body):
        raise ValueError("declared element array does not fit in the body")
    header = _HEADER.pack(
        MAGIC,
        FORMAT_VERSION,
        int(message_type),
        agreement_hash,
        session_id,
        sequence,
        reply_to,
        key_id(signing_key.public_key()),
        element_count,
        element_size,
        len(body),
    )
    signed = header + body
    return signed + signing_key.sign(SIGNATURE_DOMAIN + signed)


def parse(data: bytes, *, source: str = "message") -> Envelope:
    """Parse container bytes with every length checked; the signature is NOT yet verified."""
    if len(data) < HEADER_SIZE + SIGNATURE_SIZE:
        raise ProtocolError(f"{source}: truncated container ({len(data)} bytes)")
    (
        magic,
        version,
        raw_type,
        agreement_hash,
        session_id,
        sequence,
        reply_to,
        sender,
        element_count,
        element_size,
        body_length,
    ) = _HEADER.unpack_from(data, 0)
    if magic != MAGIC:
        raise ProtocolError(f"{source}: not a ppmatch message (bad magic)")
    if version != FORMAT_VERSION:
        raise ProtocolError(f"{source}: container version {version} unsupported (need 1)")
    try:
        message_type = MessageType(raw_type)
    except ValueError:
        raise ProtocolError(f"{source}: unknown message type {raw_type}") from None
    if len(data) > MAX_SIZE[message_type]:
        raise ProtocolError(f"{source}: {len(data)} bytes exceeds the {message_type.name} cap")
    if HEADER_SIZE + body_length + SIGNATURE_SIZE != len(data):
        raise IntegrityError(
            f"{source}: body length {body_length} does not match the {len(data)}-byte "
            "container (truncated or padded)"
        )
    if element_count * element_size > body_length:
        raise ProtocolError(f"{source}: declared element array exceeds the body")
    body_end = HEADER_SIZE + body_length
    return Envelope(
        message_type=message_type,
        agreement_hash=agreement_hash,
        session_id=session_id,
        sequence=sequence,
        reply_to=reply_to,
        sender=sender,
        element_count=element_count,
        element_size=element_size,
        body=data[HEADER_SIZE:body_end],
        signature=data[body_end:],
        digest=hashlib.sha256(data).digest(),
    )


def open_envelope(
    data: bytes,
    *,
    expected_type: MessageType,
    agreement_hash: bytes,
    senders: Mapping[bytes, Ed25519PublicKey],
    source: str = "message",
) -> Envelope:
    """Parse, check type and agreement, and verify the signature of an untrusted container.

    ``senders`` maps key ids to the public keys allowed to have sent this message (from the
    agreement), so a message signed by anyone else is refused.
    """
    envelope = parse(data, source=source)
    if envelope.message_type != expected_type:
        raise ProtocolError(
            f"{source}: expected a {expected_type.name.lower()}, "
            f"got a {envelope.message_type.name.lower()}"
        )
    if envelope.agreement_hash != agreement_hash:
        raise AgreementError(
            f"{source}: made under agreement {envelope.agreement_hash.hex()[:16]}..., "
            f"not this agreement {agreement_hash.hex()[:16]}...; both sides must use the "
            "same signed agreement"
        )
    public_key = senders.get(envelope.sender)
    if public_key is None:
        raise ProtocolError(f"{source}: signed by unknown key {envelope.sender.hex()}")
    try:
        public_key.verify(envelope.signature, SIGNATURE_DOMAIN + data[:-SIGNATURE_SIZE])
    except InvalidSignature:
        raise IntegrityError(f"{source}: signature invalid (message altered or forged)") from None
    return envelope


def read_container(path: Path, message_type: MessageType) -> bytes:
    """Read a container file, refusing oversized files before loading them."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ProtocolError(f"{path}: cannot read ({error.strerror})") from error
    if size > MAX_SIZE[message_type]:
        raise ProtocolError(f"{path}: {size} bytes exceeds the {message_type.name} cap")
    return path.read_bytes()
