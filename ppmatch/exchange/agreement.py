"""The data-sharing agreement: a signed, versioned TOML document both agencies must hold.

The agreement fixes everything the two sides must agree on byte for byte (parties and their
keys, suite, linkage schema, threshold, disclosed fields, budgets, retention, validity). Its
*canonical hash* — SHA-256 over sorted, compact JSON of the validated content, with the linkage
schema represented by its own canonical hash — is what both parties sign and what every message
and database carries. Reformatting the TOML does not change the hash; changing any value does,
which invalidates both signatures.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import tomli_w
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ppmatch.errors import AgreementError
from ppmatch.exchange.atomic import atomic_write_text

FORMAT_VERSION: Literal[1] = 1
HASH_DOMAIN = b"ppmatch agreement v1\x00"
SIGNATURE_DOMAIN = b"ppmatch agreement signature v1\x00"
_HEX32 = r"^[0-9a-f]{64}$"


class Party(BaseModel):
    """One agency: its name, its public keys, and the TLS certificates it may present."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,62}$")
    signing_key: str = Field(pattern=_HEX32, description="Ed25519 public key, hex")
    exchange_key: str = Field(pattern=_HEX32, description="X25519 public key, hex")
    tls_fingerprints: list[str] = Field(
        default_factory=list, description="SHA-256 (hex) of the DER certificates it may present"
    )

    @field_validator("tls_fingerprints")
    @classmethod
    def _fingerprints_hex(cls, value: list[str]) -> list[str]:
        for fingerprint in value:
            if not re.fullmatch(_HEX32, fingerprint):
                raise ValueError(f"tls fingerprint {fingerprint!r} is not 64 lowercase hex digits")
        return sorted(set(value))

    @property
    def signing_public_key(self) -> Ed25519PublicKey:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(self.signing_key))

    @property
    def exchange_public_key(self) -> X25519PublicKey:
        return X25519PublicKey.from_public_bytes(bytes.fromhex(self.exchange_key))


class Budgets(BaseModel):
    """How many tokens a querier may have evaluated, per UTC day and over the agreement."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    daily_tokens: int = Field(gt=0)
    total_tokens: int = Field(gt=0)


class Agreement(BaseModel):
    """The validated content of an agreement (signatures are kept beside it, not inside)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal[1] = FORMAT_VERSION
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
    purpose: str = Field(min_length=1)
    valid_from: datetime
    valid_until: datetime
    suite: Literal["ristretto255-SHA512", "P256-SHA256"] = "ristretto255-SHA512"
    threshold: int = Field(ge=1, le=255)
    disclosed_fields: list[str]
    budgets: Budgets
    retention_days: int = Field(ge=0)
    parties: list[Party] = Field(min_length=2, max_length=2)
    linkage: dict[str, Any]

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("timestamps need a UTC offset, e.g. 2026-01-01T00:00:00Z")
        return value.astimezone(UTC).replace(microsecond=0)

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        if self.valid_until <= self.valid_from:
            raise ValueError("valid_until must be after valid_from")
        names = [p.name for p in self.parties]
        if len(set(names)) != len(names):
            raise ValueError("the two parties need distinct names")
        if self.parties[0].signing_key == self.parties[1].signing_key:
            raise ValueError("the two parties need distinct signing keys")
        schema_threshold = self.linkage.get("disclosure", {}).get("threshold", self.threshold)
        if schema_threshold != self.threshold:
            raise ValueError(
                f"threshold {self.threshold} differs from linkage.disclosure.threshold "
                f"{schema_threshold}; set both to the same value"
            )
        return self

    def linkage_schema(self) -> Any:
        """The agreed linkage schema as ``ppmatch.encoding.LinkageSchema`` (validated)."""
        from ppmatch.encoding import LinkageSchema
        from ppmatch.errors import SchemaError

        try:
            return LinkageSchema.from_mapping(self.linkage, source="agreement.linkage")
        except SchemaError as error:
            raise AgreementError(f"agreement {self.id}: {error}") from error

    def canonical_bytes(self) -> bytes:
        """Sorted, compact JSON of the content; the linkage schema enters by its own hash."""
        content = self.model_dump(mode="json", exclude={"linkage"})
        content["linkage_schema_hash"] = self.linkage_schema().hash()
        return json.dumps(
            content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    def hash(self) -> bytes:
        """The 32-byte agreement hash both parties sign and every message carries."""
        return hashlib.sha256(HASH_DOMAIN + self.canonical_bytes()).digest()

    def party(self, name: str) -> Party:
        for party in self.parties:
            if party.name == name:
                return party
        names = ", ".join(p.name for p in self.parties)
        raise AgreementError(f"agreement {self.id}: no party named {name!r} (parties: {names})")

    def partner_of(self, name: str) -> Party:
        self.party(name)
        return next(p for p in self.parties if p.name != name)

    def check_valid_at(self, moment: datetime) -> None:
        if moment < self.valid_from:
            raise AgreementError(
                f"agreement {self.id} is not valid before {self.valid_from.isoformat()}"
            )
        if moment >= self.valid_until:
            raise AgreementError(
                f"agreement {self.id} expired on {self.valid_until.isoformat()}; "
                "renew and re-sign it before exchanging data"
            )


class SignedAgreement(BaseModel):
    """An agreement plus the parties' Ed25519 signatures over its hash."""

    model_config = ConfigDict(frozen=True)

    agreement: Agreement
    signatures: dict[str, str] = Field(default_factory=dict)

    def sign(self, party_name: str, signing_key: Ed25519PrivateKey) -> SignedAgreement:
        """Return a copy carrying ``party_name``'s signature; the key must be the listed one."""
        party = self.agreement.party(party_name)
        if signing_key.public_key().public_bytes_raw().hex() != party.signing_key:
            raise AgreementError(
                f"agreement {self.agreement.id}: this signing key is not the one listed for "
                f"party {party_name!r}"
            )
        signature = signing_key.sign(SIGNATURE_DOMAIN + self.agreement.hash())
        return self.model_copy(
            update={"signatures": {**self.signatures, party_name: signature.hex()}}
        )

    def verify(self, *, now: datetime | None = None, source: str = "agreement") -> Agreement:
        """Check both signatures and the validity window; return the agreement or raise."""
        agreement = self.agreement
        digest = agreement.hash()
        for party in agreement.parties:
            signature = self.signatures.get(party.name)
            if signature is None:
                raise AgreementError(
                    f"{source}: not signed by party {party.name!r}; both parties must run "
                    "`ppmatch agreement sign`"
                )
            try:
                party.signing_public_key.verify(bytes.fromhex(signature), SIGNATURE_DOMAIN + digest)
            except (InvalidSignature, ValueError):
                raise AgreementError(
                    f"{source}: signature of {party.name!r} does not match the content; the "
                    "agreement was modified after signing (or signed with another key)"
                ) from None
        unknown = set(self.signatures) - {p.name for p in agreement.parties}
        if unknown:
            raise AgreementError(f"{source}: signatures from non-parties {sorted(unknown)}")
        agreement.check_valid_at(now or datetime.now(UTC))
        return agreement


def _drop_none(value: Any) -> Any:
    # TOML has no null; absent keys take the model's defaults on reading.
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value if v is not None]
    return value


def dump_agreement(signed: SignedAgreement) -> str:
    """TOML text of a (possibly partly signed) agreement."""
    content = signed.agreement.model_dump(mode="python")
    document = {"agreement": _drop_none(content), "signatures": dict(signed.signatures)}
    return tomli_w.dumps(document)


def save_agreement(path: Path, signed: SignedAgreement) -> None:
    atomic_write_text(path, dump_agreement(signed))


def read_agreement(path: Path) -> SignedAgreement:
    """Parse and validate an agreement file (signatures are not checked here)."""
    try:
        document = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise AgreementError(f"{path}: cannot read agreement ({error.strerror})") from error
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise AgreementError(f"{path}: not valid TOML ({error})") from error
    extra = set(document) - {"agreement", "signatures"}
    if extra or "agreement" not in document:
        raise AgreementError(f"{path}: expected [agreement] and [signatures] tables only")
    try:
        return SignedAgreement(
            agreement=Agreement.model_validate(document["agreement"]),
            signatures=document.get("signatures", {}),
        )
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise AgreementError(f"{path}: agreement.{where}: {first['msg']}") from error


def load_agreement(path: Path, *, now: datetime | None = None) -> Agreement:
    """Read an agreement and insist that both parties signed it and it is in force."""
    return read_agreement(path).verify(now=now, source=str(path))
