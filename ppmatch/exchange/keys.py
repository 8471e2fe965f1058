"""Party keys on disk: Ed25519 for signing, X25519 for deriving the shared linkage secret,
and the holder's per-epoch OPRF key seeds.

Private keys are written 0600 as PKCS#8 PEM, encrypted with the passphrase when one is given
(``BestAvailableEncryption``). A key file readable by group or others is refused on loading, as
ssh does. Passphrases come from a file or the ``PPMATCH_KEY_PASSPHRASE`` environment variable,
never from the command line (where ``ps`` would show them). Nothing here prints or logs a key.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomli_w
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from ppmatch.errors import InputError, KeyFileError
from ppmatch.exchange.atomic import atomic_write_bytes, atomic_write_text

PASSPHRASE_ENV = "PPMATCH_KEY_PASSPHRASE"
LINKAGE_SECRET_INFO = b"ppmatch linkage secret v1"
_PEM_BLOCK = re.compile(rb"-----BEGIN [A-Z ]+-----.+?-----END [A-Z ]+-----\n?", re.S)


@dataclass(frozen=True)
class PartyKeys:
    """A party's private keys (kept in memory only as long as a command runs)."""

    name: str
    signing: Ed25519PrivateKey
    exchange: X25519PrivateKey

    @property
    def signing_public_hex(self) -> str:
        return self.signing.public_key().public_bytes_raw().hex()

    @property
    def exchange_public_hex(self) -> str:
        return self.exchange.public_key().public_bytes_raw().hex()

    def __repr__(self) -> str:  # never let a key reach a log through repr()
        return f"PartyKeys(name={self.name!r}, signing_public={self.signing_public_hex[:16]}...)"


def generate_party_keys(name: str) -> PartyKeys:
    return PartyKeys(name, Ed25519PrivateKey.generate(), X25519PrivateKey.generate())


def private_key_path(directory: Path, name: str) -> Path:
    return Path(directory) / f"{name}.private.pem"


def public_key_path(directory: Path, name: str) -> Path:
    return Path(directory) / f"{name}.public.toml"


def read_passphrase(passphrase_file: Path | None) -> bytes | None:
    """The key passphrase from a file (first line) or ``$PPMATCH_KEY_PASSPHRASE``, if any."""
    if passphrase_file is not None:
        try:
            text = Path(passphrase_file).read_text(encoding="utf-8").splitlines()
        except OSError as error:
            raise InputError(
                f"{passphrase_file}: cannot read passphrase ({error.strerror})"
            ) from error
        if not text or not text[0]:
            raise InputError(f"{passphrase_file}: passphrase file is empty")
        return text[0].encode("utf-8")
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None


def _encryption(passphrase: bytes | None) -> serialization.KeySerializationEncryption:
    if passphrase:
        return serialization.BestAvailableEncryption(passphrase)
    return serialization.NoEncryption()


def save_party_keys(
    keys: PartyKeys, directory: Path, passphrase: bytes | None
) -> tuple[Path, Path]:
    """Write ``NAME.private.pem`` (0600) and ``NAME.public.toml``; refuse to overwrite."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private_path = private_key_path(directory, keys.name)
    public_path = public_key_path(directory, keys.name)
    if private_path.exists():
        raise KeyFileError(f"{private_path} already exists; refusing to overwrite a private key")
    pem = b"".join(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _encryption(passphrase)
        )
        for key in (keys.signing, keys.exchange)
    )
    atomic_write_bytes(private_path, pem, mode=0o600)
    public = {
        "party": {
            "name": keys.name,
            "signing_key": keys.signing_public_hex,
            "exchange_key": keys.exchange_public_hex,
        }
    }
    atomic_write_text(public_path, tomli_w.dumps(public))
    return private_path, public_path


def _check_private_permissions(path: Path) -> None:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise KeyFileError(
            f"{path}: private key is accessible by other users (mode {oct(mode & 0o777)}); "
            f"run `chmod 600 {path}`"
        )


def load_party_keys(directory: Path, name: str, passphrase: bytes | None) -> PartyKeys:
    """Load and decrypt a party's private keys; a wrong passphrase is a ``KeyFileError``."""
    path = private_key_path(directory, name)
    if not path.exists():
        raise KeyFileError(
            f"{path}: no private key for party {name!r}; run `ppmatch keys generate`"
        )
    _check_private_permissions(path)
    blocks = _PEM_BLOCK.findall(path.read_bytes())
    if len(blocks) != 2:
        raise KeyFileError(f"{path}: expected two PEM keys (Ed25519 and X25519)")
    loaded = []
    for block in blocks:
        try:
            loaded.append(serialization.load_pem_private_key(block, password=passphrase or None))
        except TypeError:
            if passphrase:
                raise KeyFileError(
                    f"{path}: key is not encrypted but a passphrase was given"
                ) from None
            raise KeyFileError(
                f"{path}: key is encrypted; give its passphrase with --passphrase-file or "
                f"${PASSPHRASE_ENV}"
            ) from None
        except ValueError:
            raise KeyFileError(f"{path}: wrong passphrase (or damaged key file)") from None
    signing, exchange = loaded
    if not isinstance(signing, Ed25519PrivateKey) or not isinstance(exchange, X25519PrivateKey):
        raise KeyFileError(f"{path}: expected an Ed25519 key followed by an X25519 key")
    return PartyKeys(name, signing, exchange)


@dataclass(frozen=True)
class PartyPublicKeys:
    name: str
    signing_key: str
    exchange_key: str


def load_public_keys(path: Path) -> PartyPublicKeys:
    """Read a ``NAME.public.toml`` file as handed over by the partner."""
    try:
        party = tomllib.loads(Path(path).read_text(encoding="utf-8"))["party"]
        result = PartyPublicKeys(party["name"], party["signing_key"], party["exchange_key"])
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(result.signing_key))
        X25519PublicKey.from_public_bytes(bytes.fromhex(result.exchange_key))
    except OSError as error:
        raise KeyFileError(f"{path}: cannot read public keys ({error.strerror})") from error
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as error:
        raise KeyFileError(f"{path}: not a ppmatch public key file ({error})") from error
    return result


def derive_linkage_secret(
    own: PartyKeys, partner_exchange_key: X25519PublicKey, agreement_hash: bytes
) -> bytes:
    """The 32-byte secret both agencies derive alone: HKDF over their X25519 shared secret.

    The agreement hash is the salt, so each agreement yields an unrelated secret, and the secret
    never crosses the wire.
    """
    from ppmatch.crypto.kdf import hkdf

    shared = own.exchange.exchange(partner_exchange_key)
    return hkdf(shared, salt=agreement_hash, info=LINKAGE_SECRET_INFO, length=32)


# --- holder OPRF key seeds, one per epoch --------------------------------------------------
#
# The OPRF private key of an epoch is derived from a 32-byte seed (RFC 9497 DeriveKeyPair), so
# only the seed is stored. Seeds are sealed with scrypt + AES-GCM under the passphrase, or
# stored plain (0600) without one.

_SEED_MAGIC = b"PPMSEED1"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


def _seal_seed(seed: bytes, passphrase: bytes | None) -> bytes:
    if not passphrase:
        return _SEED_MAGIC + b"\x00" + seed
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    key = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(passphrase)
    return _SEED_MAGIC + b"\x01" + salt + nonce + AESGCM(key).encrypt(nonce, seed, _SEED_MAGIC)


def _open_seed(blob: bytes, passphrase: bytes | None, path: Path) -> bytes:
    if blob[:8] != _SEED_MAGIC or len(blob) < 9:
        raise KeyFileError(f"{path}: not a ppmatch OPRF key file")
    if blob[8] == 0:
        if len(blob) != 41:
            raise KeyFileError(f"{path}: damaged OPRF key file")
        return blob[9:]
    if not passphrase:
        raise KeyFileError(f"{path}: key is encrypted; give its passphrase")
    salt, nonce, sealed = blob[9:25], blob[25:37], blob[37:]
    key = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P).derive(passphrase)
    try:
        return AESGCM(key).decrypt(nonce, sealed, _SEED_MAGIC)
    except Exception:
        raise KeyFileError(f"{path}: wrong passphrase (or damaged key file)") from None


class OprfEpochKeys:
    """The holder's OPRF key seeds in ``DIR/NAME.oprf/epoch-NNNNNN.key``; rotation adds one."""

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = Path(directory) / f"{name}.oprf"

    def epochs(self) -> list[int]:
        if not self.directory.is_dir():
            return []
        found = (re.fullmatch(r"epoch-(\d{6})\.key", p.name) for p in self.directory.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def current_epoch(self) -> int:
        epochs = self.epochs()
        if not epochs:
            raise KeyFileError(
                f"{self.directory}: no OPRF epoch key; run `ppmatch keys rotate-oprf`"
            )
        return epochs[-1]

    def _path(self, epoch: int) -> Path:
        return self.directory / f"epoch-{epoch:06d}.key"

    def rotate(self, passphrase: bytes | None) -> int:
        """Create the next epoch's seed and return its number (old epochs stay readable)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        epoch = (self.epochs() or [0])[-1] + 1
        atomic_write_bytes(
            self._path(epoch), _seal_seed(secrets.token_bytes(32), passphrase), mode=0o600
        )
        return epoch

    def seed(self, epoch: int, passphrase: bytes | None) -> bytes:
        path = self._path(epoch)
        if not path.exists():
            raise KeyFileError(f"{path}: no OPRF key for epoch {epoch}")
        _check_private_permissions(path)
        return _open_seed(path.read_bytes(), passphrase, path)
