"""ppmatch.exchange: signed agreements, keys, the message container, the offline exchange,
budgets, the audit log and crash-safe files (DESIGN.md 4).

Names are imported lazily so that light commands (``keys generate``) do not pay for the
protocol stack.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Agreement": "agreement",
    "SignedAgreement": "agreement",
    "load_agreement": "agreement",
    "read_agreement": "agreement",
    "save_agreement": "agreement",
    "draft_agreement": "config",
    "load_screening_config": "config",
    "screening_config": "config",
    "PartyKeys": "keys",
    "OprfEpochKeys": "keys",
    "generate_party_keys": "keys",
    "save_party_keys": "keys",
    "load_party_keys": "keys",
    "load_public_keys": "keys",
    "derive_linkage_secret": "keys",
    "MessageType": "container",
    "Envelope": "container",
    "seal": "container",
    "open_envelope": "container",
    "ReplayGuard": "replay",
    "AuditLog": "audit",
    "verify_log": "audit",
    "BudgetLedger": "budget",
    "atomic_write_bytes": "atomic",
    "atomic_write_text": "atomic",
    "atomic_writer": "atomic",
    "ChunkedJob": "jobs",
    "RoleContext": "roles",
    "load_role": "roles",
    "HolderService": "holder_side",
    "Peer": "holder_side",
    "publish_database": "holder_side",
    "load_database": "holder_side",
    "QuerierSide": "querier_side",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ppmatch.exchange' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ppmatch.exchange.{module}"), name)
