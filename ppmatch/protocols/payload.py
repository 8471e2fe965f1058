"""The disclosed payload of one holder record: encoding, padding and sealing under K_j.

Payloads are padded to a multiple of ``PAYLOAD_BLOCK`` so that ciphertext lengths in the
published table reveal little about records the querier cannot open.
"""

from __future__ import annotations

from collections.abc import Mapping

from ppmatch.crypto import aead
from ppmatch.errors import CryptoError, InputError, ProtocolError
from ppmatch.protocols.derive import payload_associated_data
from ppmatch.protocols.wire import Reader, Writer

PAYLOAD_BLOCK = 64
_MAGIC = b"PPMPAYLD"
_ZERO_NONCE = bytes(12)  # K_j is fresh per record and seals exactly one message


def encode_payload(fields: Mapping[str, str], names: tuple[str, ...], *, cap: int) -> bytes:
    """Canonical, padded plaintext of the agreed payload fields, in agreement order."""
    writer = Writer(_MAGIC, 1)
    writer.u16(len(names))
    for name in names:
        writer.text(name)
        writer.text(fields.get(name) or "")
    body = writer.getvalue()
    padded = body + bytes(-len(body) % PAYLOAD_BLOCK)
    if len(padded) > cap:
        raise InputError(
            f"payload of {len(padded)} bytes exceeds the agreed maximum of {cap} bytes; "
            f"shorten the payload fields {', '.join(names)}"
        )
    return padded


def decode_payload(plaintext: bytes) -> dict[str, str]:
    reader = Reader(plaintext, "payload")
    reader.expect_header(_MAGIC, (1,))
    count = reader.u16("field count")
    if count > 256:
        raise reader.error(f"{count} payload fields exceed the limit 256")
    fields = {
        reader.text("field name", 256): reader.text("field value", 65535) for _ in range(count)
    }
    if any(reader.take(reader.remaining, "padding")):
        raise ProtocolError("payload: non-zero padding")
    return fields


def seal_payload(
    key: bytes, plaintext: bytes, agreement_hash: bytes, epoch: int, handle: int
) -> bytes:
    ad = payload_associated_data(agreement_hash, epoch, handle)
    return aead.seal(key, _ZERO_NONCE, plaintext, ad)


def open_payload(
    key: bytes, ciphertext: bytes, agreement_hash: bytes, epoch: int, handle: int
) -> dict[str, str] | None:
    """The payload fields, or ``None`` if the key does not open the ciphertext."""
    ad = payload_associated_data(agreement_hash, epoch, handle)
    try:
        plaintext = aead.open(key, _ZERO_NONCE, ciphertext, ad)
    except CryptoError:
        return None
    return decode_payload(plaintext)
