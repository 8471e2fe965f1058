"""What each role loads before it may send or accept a byte: the signed agreement, its own
keys (checked against the agreement), its partner's entry, and its audit log."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ppmatch.exchange.agreement import Agreement, Party, load_agreement
from ppmatch.exchange.audit import AuditLog
from ppmatch.exchange.config import check_own_keys
from ppmatch.exchange.container import key_id
from ppmatch.exchange.keys import OprfEpochKeys, PartyKeys, load_party_keys

OPRF_KEY_INFO = b"ppmatch holder oprf key v1"


@dataclass
class RoleContext:
    agreement: Agreement
    keys: PartyKeys
    partner: Party
    keys_dir: Path
    passphrase: bytes | None

    @property
    def agreement_hash(self) -> bytes:
        return self.agreement.hash()

    @property
    def partner_senders(self) -> dict[bytes, Ed25519PublicKey]:
        """Key ids accepted as senders of incoming messages: the partner only."""
        public = self.partner.signing_public_key
        return {key_id(public): public}

    def audit_log(self, path: Path) -> AuditLog:
        return AuditLog(path, self.keys.signing)

    def oprf_key(self, epoch: int | None = None) -> tuple[int, bytes]:
        """(epoch, VOPRF private key) of the holder's current or given epoch."""
        from ppmatch.crypto import MODE_VOPRF, derive_key_pair

        epochs = OprfEpochKeys(self.keys_dir, self.keys.name)
        epoch = epoch or epochs.current_epoch()
        seed = epochs.seed(epoch, self.passphrase)
        info = OPRF_KEY_INFO + self.agreement_hash + struct.pack(">I", epoch)
        private_key, _ = derive_key_pair(self.agreement.suite, seed, info, MODE_VOPRF)
        return epoch, private_key


def load_role(
    agreement_path: Path, keys_dir: Path, party: str, passphrase: bytes | None
) -> RoleContext:
    """Load and check everything a party needs; any mismatch is an ``AgreementError``."""
    agreement = load_agreement(Path(agreement_path))
    keys = load_party_keys(Path(keys_dir), party, passphrase)
    check_own_keys(agreement, keys)
    return RoleContext(agreement, keys, agreement.partner_of(party), Path(keys_dir), passphrase)
