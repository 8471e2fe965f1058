"""RFC 9497 ciphersuites: a group, its hash, and the per-mode domain separation.

A :class:`Suite` is what callers name (``get_suite("ristretto255-SHA512")``); the protocol
code asks it for a :class:`ModeContext`, which holds everything derived from the RFC 9497
context string ``"OPRFV1-" || mode || "-" || identifier`` (the DSTs of HashToGroup,
HashToScalar, DeriveKeyPair and the composite seed).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any

from ppmatch.crypto.group import Group
from ppmatch.crypto.h2c import XmdExpander
from ppmatch.errors import CryptoError

MODE_OPRF = 0
MODE_VOPRF = 1
MAX_INPUT_SIZE = 65535  # inputs are length-prefixed with two bytes


def length_prefixed(*parts: bytes) -> bytes:
    """RFC 9497 ``I2OSP(len(x), 2) || x`` for each part."""
    return b"".join(len(part).to_bytes(2, "big") + part for part in parts)


class ModeContext:
    """Everything an OPRF operation needs for one suite in one mode."""

    def __init__(self, suite: Suite, mode: int) -> None:
        self.suite = suite
        self.group: Group = suite.group
        self.mode = mode
        self.context_string = b"OPRFV1-" + bytes([mode]) + b"-" + suite.name.encode("ascii")
        self.hash: Callable[[bytes], Any] = getattr(hashlib, suite.hash_name)
        hash_name = self.group.hash_name
        self._group_expander = XmdExpander(hash_name, b"HashToGroup-" + self.context_string)
        self._scalar_expander = XmdExpander(hash_name, b"HashToScalar-" + self.context_string)
        self.derive_key_dst = b"DeriveKeyPair" + self.context_string
        self.seed_dst = b"Seed-" + self.context_string
        self._group_bytes = self.group.uniform_group_bytes
        self._scalar_bytes = self.group.uniform_scalar_bytes

    @property
    def group_dst(self) -> bytes:
        return self._group_expander.dst

    def hash_to_group(self, message: bytes) -> Any:
        """HashToGroup with this mode's DST (never returns the identity)."""
        return self.group.map_to_group(self._group_expander.expand(message, self._group_bytes))

    def hash_to_scalar(self, message: bytes, dst: bytes | None = None) -> int:
        """HashToScalar with this mode's DST, or ``dst`` (DeriveKeyPair uses its own)."""
        expander = self._scalar_expander if dst is None else XmdExpander(self.group.hash_name, dst)
        return self.group.scalar_from_uniform(expander.expand(message, self._scalar_bytes))

    def finalize_hash(self, oprf_input: bytes, element: bytes) -> bytes:
        """RFC 9497 Finalize/Evaluate output: Hash(len||input||len||element||"Finalize")."""
        return self.hash(length_prefixed(oprf_input, element) + b"Finalize").digest()


class Suite:
    """A named RFC 9497 ciphersuite; sizes are what message formats need to know."""

    def __init__(self, name: str, group: Group, hash_name: str) -> None:
        self.name = name
        self.group = group
        self.hash_name = hash_name
        self.element_size = group.element_size
        self.scalar_size = group.scalar_size
        self.hash_size = hashlib.new(hash_name).digest_size
        self._contexts: dict[int, ModeContext] = {}

    def context(self, mode: int) -> ModeContext:
        """The mode-specific context (modes 0 = OPRF and 1 = VOPRF are supported)."""
        if mode not in (MODE_OPRF, MODE_VOPRF):
            raise CryptoError(f"OPRF mode {mode!r} is not supported (use 0 = OPRF or 1 = VOPRF)")
        context = self._contexts.get(mode)
        if context is None:
            context = self._contexts.setdefault(mode, ModeContext(self, mode))
        return context

    def __repr__(self) -> str:
        return f"Suite({self.name!r})"


def _make_ristretto() -> Suite:
    from ppmatch.crypto.ristretto255 import Ristretto255

    return Suite("ristretto255-SHA512", Ristretto255(), "sha512")


def _make_p256() -> Suite:
    from ppmatch.crypto.p256 import P256

    return Suite("P256-SHA256", P256(), "sha256")


_FACTORIES: dict[str, Callable[[], Suite]] = {
    "ristretto255-SHA512": _make_ristretto,
    "P256-SHA256": _make_p256,
}
SUITE_NAMES = tuple(_FACTORIES)
_suites: dict[str, Suite] = {}
_suites_lock = threading.Lock()


def get_suite(name: str | Suite) -> Suite:
    """The suite called ``name`` (built on first use: ristretto255 loads libsodium)."""
    if isinstance(name, Suite):
        return name
    suite = _suites.get(name)
    if suite is None:
        factory = _FACTORIES.get(name)
        if factory is None:
            raise CryptoError(f"unknown OPRF suite {name!r}; supported: {', '.join(SUITE_NAMES)}")
        with _suites_lock:
            suite = _suites.get(name) or _suites.setdefault(name, factory())
    return suite
