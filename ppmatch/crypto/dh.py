"""Commutative Diffie-Hellman blinding, ``k * HashToGroup(x)``, for the DH-PSI protocol modes.

Two parties holding secret exponents ``a`` and ``b`` reach the same ``ab * H(x)`` in either
order, which is all DH-PSI and PSI-sum need. The exponent stays on the :class:`DHKey` object
(generated per session, never serialized); callers only pass and receive encoded elements.
Hashing uses its own domain-separation tag, so a DH element never equals an OPRF element of
the same input.
"""

from __future__ import annotations

from collections.abc import Sequence

from ppmatch.crypto.group import random_nonzero_scalar
from ppmatch.crypto.h2c import XmdExpander
from ppmatch.crypto.suite import MAX_INPUT_SIZE, Suite, get_suite
from ppmatch.errors import CryptoError

_DST_PREFIX = b"ppmatch-DH-PSI-V1-"


class DHKey:
    """One party's secret exponent for one session, with batch blinding operations."""

    def __init__(self, suite: str | Suite) -> None:
        self.suite = get_suite(suite)
        self._group = self.suite.group
        self._key = random_nonzero_scalar(self._group.order)
        self._expander = XmdExpander(
            self._group.hash_name, _DST_PREFIX + self.suite.name.encode("ascii")
        )

    def blind(self, inputs: Sequence[bytes]) -> list[bytes]:
        """``encode(k * H(x))`` for each input, in order."""
        group, key, expand = self._group, self._key, self._expander.expand
        width = group.uniform_group_bytes
        result = []
        for index, data in enumerate(inputs):
            if len(data) > MAX_INPUT_SIZE:
                raise CryptoError(f"DH input[{index}] is {len(data)} bytes (max {MAX_INPUT_SIZE})")
            point = group.map_to_group(expand(bytes(data), width))
            result.append(group.encode(group.mult(key, point)))
        return result

    def reblind(self, elements: Sequence[bytes], what: str = "element") -> list[bytes]:
        """``encode(k * E)`` for each received element; hostile bytes are refused by position."""
        group, key = self._group, self._key
        result = []
        for index, data in enumerate(elements):
            try:
                result.append(group.encode(group.mult(key, group.operand(data, what, index))))
            except CryptoError as error:
                raise CryptoError(f"{what}[{index}] rejected: {error}") from None
        return result
