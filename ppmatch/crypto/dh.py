"""Commutative Diffie-Hellman blinding, ``k * HashToGroup(x)``, for the DH-PSI protocol modes.

Two parties holding secret exponents ``a`` and ``b`` reach the same ``ab * H(x)`` in either
order, which is all DH-PSI and PSI-sum need. The exponent stays on the :class:`DHKey` object
(generated per session, never serialized into a message); callers only pass and receive
encoded elements. Hashing uses its own domain-separation tag, so a DH element never equals an
OPRF element of the same input.

With a process pool, large batches are split into chunks run by the module-level ``*_chunk``
functions; the exponent travels to the workers over the pool's local pipe, a same-machine,
same-user channel (as in :mod:`ppmatch.crypto.parallel`), not a trust boundary.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor

from ppmatch.crypto.group import random_nonzero_scalar
from ppmatch.crypto.h2c import XmdExpander
from ppmatch.crypto.suite import MAX_INPUT_SIZE, Suite, get_suite
from ppmatch.errors import CryptoError

_DST_PREFIX = b"ppmatch-DH-PSI-V1-"
MIN_POOL_BATCH = 512  # below this, handing chunks to processes costs more than it saves
POOL_CHUNK = 512


def _expander(suite: Suite) -> XmdExpander:
    return XmdExpander(suite.group.hash_name, _DST_PREFIX + suite.name.encode("ascii"))


def blind_chunk(suite_name: str, key: bytes, inputs: Sequence[bytes], start: int) -> list[bytes]:
    """``encode(k * H(x))`` for a slice whose first input is at batch position ``start``."""
    suite = get_suite(suite_name)
    group, expand = suite.group, _expander(suite).expand
    scalar = group.decode_scalar(key, "DH key")
    width = group.uniform_group_bytes
    result = []
    for index, data in enumerate(inputs, start):
        if len(data) > MAX_INPUT_SIZE:
            raise CryptoError(f"DH input[{index}] is {len(data)} bytes (max {MAX_INPUT_SIZE})")
        result.append(group.encode(group.mult(scalar, group.map_to_group(expand(data, width)))))
    return result


def reblind_chunk(
    suite_name: str, key: bytes, elements: Sequence[bytes], what: str, start: int
) -> list[bytes]:
    """``encode(k * E)`` for a slice of received elements; a bad one is named by position."""
    group = get_suite(suite_name).group
    scalar = group.decode_scalar(key, "DH key")
    result = []
    for index, data in enumerate(elements, start):
        try:
            result.append(group.encode(group.mult(scalar, group.operand(data, what, index))))
        except CryptoError as error:
            raise CryptoError(f"{what}[{index}] rejected: {error}") from None
    return result


class DHKey:
    """One party's secret exponent for one session, with batch blinding operations."""

    def __init__(self, suite: str | Suite, *, pool: Executor | None = None) -> None:
        """``pool``: an optional process pool for large batches (the caller owns and closes it)."""
        self.suite = get_suite(suite)
        self._key = self.suite.group.encode_scalar(random_nonzero_scalar(self.suite.group.order))
        self._pool = pool

    def blind(self, inputs: Sequence[bytes]) -> list[bytes]:
        """``encode(k * H(x))`` for each input, in order."""
        return self._run(blind_chunk, list(inputs))

    def reblind(self, elements: Sequence[bytes], what: str = "element") -> list[bytes]:
        """``encode(k * E)`` for each received element; hostile bytes are refused by position."""
        return self._run(reblind_chunk, list(elements), what)

    def _run(
        self, task: Callable[..., list[bytes]], items: list[bytes], *extra: str
    ) -> list[bytes]:
        name = self.suite.name
        if self._pool is None or len(items) < MIN_POOL_BATCH:
            return task(name, self._key, items, *extra, 0)
        futures = [
            self._pool.submit(
                task, name, self._key, items[begin : begin + POOL_CHUNK], *extra, begin
            )
            for begin in range(0, len(items), POOL_CHUNK)
        ]
        return [element for future in futures for element in future.result()]
