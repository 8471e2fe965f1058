"""From a signed agreement and a party's keys to the protocol layer's ``ScreeningConfig``.

This is the one place where agreement terms become protocol parameters, so the CLI, the file
exchange and the online service cannot disagree on them.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from ppmatch.errors import AgreementError
from ppmatch.exchange.agreement import Agreement, Budgets, Party, SignedAgreement, load_agreement
from ppmatch.exchange.keys import (
    PartyKeys,
    PartyPublicKeys,
    derive_linkage_secret,
    load_party_keys,
    read_passphrase,
)


def draft_agreement(
    parties: list[PartyPublicKeys],
    *,
    agreement_id: str | None = None,
    purpose: str = "Reciprocal screening of travelers against felony-conviction records",
    valid_days: int = 365,
    valid_from: datetime | None = None,
    suite: str = "ristretto255-SHA512",
    threshold: int | None = None,
    disclosed_fields: tuple[str, ...] | None = None,
    daily_tokens: int = 10_000_000,
    total_tokens: int = 1_000_000_000,
    retention_days: int = 90,
    tls_fingerprints: dict[str, list[str]] | None = None,
    schema=None,
) -> SignedAgreement:
    """An unsigned agreement on ``schema`` (default: the shipped linkage schema)."""
    from ppmatch.encoding import LinkageSchema
    from ppmatch.protocols.config import DEFAULT_PAYLOAD_FIELDS

    schema = schema or LinkageSchema.default()
    linkage = schema.model_dump(mode="json")
    if threshold is not None:
        linkage["disclosure"] = {**linkage.get("disclosure", {}), "threshold": threshold}
    start = (valid_from or datetime.now(UTC)).replace(microsecond=0)
    fingerprints = tls_fingerprints or {}
    unknown = set(fingerprints) - {p.name for p in parties}
    if unknown:
        raise AgreementError(f"TLS certificates given for non-parties {sorted(unknown)}")
    agreement = Agreement(
        id=agreement_id or f"ppmatch-{start:%Y%m%d}-{secrets.token_hex(4)}",
        purpose=purpose,
        valid_from=start,
        valid_until=start + timedelta(days=valid_days),
        # pydantic validates the suite name at run time; the cast only informs the checker.
        suite=cast(Any, suite),
        threshold=linkage["disclosure"]["threshold"],
        disclosed_fields=list(disclosed_fields or DEFAULT_PAYLOAD_FIELDS),
        budgets=Budgets(daily_tokens=daily_tokens, total_tokens=total_tokens),
        retention_days=retention_days,
        parties=[
            Party(
                name=p.name,
                signing_key=p.signing_key,
                exchange_key=p.exchange_key,
                tls_fingerprints=fingerprints.get(p.name, []),
            )
            for p in parties
        ],
        linkage=linkage,
    )
    return SignedAgreement(agreement=agreement)


def check_own_keys(agreement: Agreement, keys: PartyKeys) -> Party:
    """The agreement's entry for ``keys.name``, insisting the keys are the listed ones."""
    party = agreement.party(keys.name)
    if (
        party.signing_key != keys.signing_public_hex
        or party.exchange_key != keys.exchange_public_hex
    ):
        raise AgreementError(
            f"agreement {agreement.id}: the keys of {keys.name!r} on this machine are not the "
            "ones listed in the agreement"
        )
    return party


def screening_config(agreement: Agreement, keys: PartyKeys, *, epoch: int = 1):
    """The ``ScreeningConfig`` for one party under ``agreement`` (holder or querier alike).

    The linkage secret is derived here from the party's X25519 key and the partner's public
    key; both parties obtain the same secret without sending it.
    """
    from ppmatch.protocols.config import ScreeningConfig

    check_own_keys(agreement, keys)
    partner = agreement.partner_of(keys.name)
    digest = agreement.hash()
    return ScreeningConfig(
        agreement_id=agreement.id,
        agreement_hash=digest,
        schema=agreement.linkage_schema(),
        linkage_secret=derive_linkage_secret(keys, partner.exchange_public_key, digest),
        threshold=agreement.threshold,
        payload_fields=tuple(agreement.disclosed_fields),
        suite=agreement.suite,
        epoch=epoch,
    )


def load_screening_config(
    agreement_path: Path,
    keys_dir: Path,
    party: str,
    passphrase: bytes | None = None,
    *,
    epoch: int = 1,
):
    """Read a signed, valid agreement and a party's keys; return its ``ScreeningConfig``.

    Without ``passphrase``, ``$PPMATCH_KEY_PASSPHRASE`` is used if set.
    """
    agreement = load_agreement(Path(agreement_path))
    keys = load_party_keys(Path(keys_dir), party, passphrase or read_passphrase(None))
    return screening_config(agreement, keys, epoch=epoch)
