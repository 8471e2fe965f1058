"""What both parties of one screening direction must agree on before any byte is exchanged.

An agreement file (``ppmatch.exchange.agreement``) turns into exactly this object; simulate and
demo build one with :meth:`ScreeningConfig.default`. Every message and the database carry
``agreement_hash``, so bytes produced under another agreement are refused.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ppmatch.encoding import LinkageSchema
from ppmatch.errors import SchemaError

SUITES = ("ristretto255-SHA512", "P256-SHA256")
DEFAULT_SUITE = "ristretto255-SHA512"
DEFAULT_PAYLOAD_FIELDS = ("record_id", "offense_category", "conviction_date")
# The holder's own record reference travels as this payload field (``holder_record_id``).
RECORD_REFERENCE_FIELD = "record_id"


@dataclass(frozen=True)
class ScreeningConfig:
    """One screening direction's parameters (holder and querier must hold identical copies).

    ``tokens_per_record`` is the fixed number of elements every querier record is padded to, so
    the holder cannot tell records apart by token count; it must be at least the schema's
    ``max_tokens_per_record``. ``threshold`` is the number of Shamir shares that rebuild a
    holder record's payload key. ``max_request_elements`` caps what either side parses.
    """

    agreement_id: str
    agreement_hash: bytes
    schema: LinkageSchema
    linkage_secret: bytes = field(repr=False)
    threshold: int
    payload_fields: tuple[str, ...] = DEFAULT_PAYLOAD_FIELDS
    tokens_per_record: int = 0
    suite: str = DEFAULT_SUITE
    epoch: int = 1
    max_request_elements: int = 20_000_000
    max_payload_bytes: int = 4096

    def __post_init__(self) -> None:
        if len(self.agreement_hash) != 32:
            raise SchemaError("agreement_hash: must be 32 bytes (SHA-256 of the agreement)")
        if self.suite not in SUITES:
            raise SchemaError(f"suite: {self.suite!r} is not one of {', '.join(SUITES)}")
        if len(self.linkage_secret) < 16:
            raise SchemaError("linkage_secret: must be at least 16 bytes")
        if not 1 <= self.threshold <= 255:
            raise SchemaError(f"threshold: {self.threshold} is outside 1..255")
        if not 0 <= self.epoch < 2**32:
            raise SchemaError(f"epoch: {self.epoch} is outside 0..2^32-1")
        minimum = self.schema.max_tokens_per_record
        if self.tokens_per_record == 0:
            object.__setattr__(self, "tokens_per_record", minimum)
        elif self.tokens_per_record < minimum:
            raise SchemaError(
                f"tokens_per_record: {self.tokens_per_record} is below the schema's maximum of "
                f"{minimum} tokens per record; records would have to be truncated"
            )
        if len(set(self.payload_fields)) != len(self.payload_fields):
            raise SchemaError("payload_fields: a field is listed twice")

    @property
    def max_share_weight(self) -> int:
        """The largest number of shares one token carries: fixes the label size."""
        weights = [rule.weight for rule in self.schema.rules]
        if self.schema.lsh.bands:
            weights.append(self.schema.lsh.weight)
        return max(weights, default=1)

    @classmethod
    def default(
        cls,
        *,
        linkage_secret: bytes,
        schema: LinkageSchema | None = None,
        payload_fields: tuple[str, ...] = DEFAULT_PAYLOAD_FIELDS,
        suite: str = DEFAULT_SUITE,
        epoch: int = 1,
    ) -> ScreeningConfig:
        """A config without an agreement file: the default schema and its threshold.

        The agreement hash is the SHA-256 of the parameters' canonical JSON, so two parties that
        build the default config the same way agree on it (the secret is not part of it).
        """
        schema = schema or LinkageSchema.default()
        agreement_id = "ppmatch-default"
        canonical = json.dumps(
            {
                "agreement_id": agreement_id,
                "schema_hash": schema.hash(),
                "threshold": schema.disclosure.threshold,
                "payload_fields": list(payload_fields),
                "suite": suite,
                "epoch": epoch,
            },
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return cls(
            agreement_id=agreement_id,
            agreement_hash=hashlib.sha256(canonical).digest(),
            schema=schema,
            linkage_secret=linkage_secret,
            threshold=schema.disclosure.threshold,
            payload_fields=payload_fields,
            suite=suite,
            epoch=epoch,
        )
