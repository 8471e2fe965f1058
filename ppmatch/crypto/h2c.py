"""RFC 9380 ``expand_message_xmd``: the uniform-bytes step shared by hash-to-group and
hash-to-scalar in both suites.

An :class:`XmdExpander` is bound to one hash and one domain-separation tag and keeps the
hash state after the zero block, so hashing many short tokens costs two or three compression
calls each.
"""

from __future__ import annotations

import hashlib

from ppmatch.errors import CryptoError

_OVERSIZE_PREFIX = b"H2C-OVERSIZE-DST-"


class XmdExpander:
    """``expand_message_xmd`` for a fixed hash (``"sha256"``/``"sha512"``) and DST."""

    def __init__(self, hash_name: str, dst: bytes) -> None:
        self._new = getattr(hashlib, hash_name)
        probe = self._new()
        self._digest_size = probe.digest_size
        if len(dst) > 255:
            dst = self._new(_OVERSIZE_PREFIX + dst).digest()
        self.dst = dst
        self._dst_prime = dst + bytes([len(dst)])
        self._padded = self._new(bytes(probe.block_size))

    def expand(self, message: bytes, length: int) -> bytes:
        """Return ``length`` uniform bytes derived from ``message`` (RFC 9380 section 5.3.1)."""
        ell = -(-length // self._digest_size)
        if ell > 255 or length > 65535 or length <= 0:
            raise CryptoError(f"expand_message_xmd: output length {length} is out of range")
        state = self._padded.copy()
        state.update(message + length.to_bytes(2, "big") + b"\x00" + self._dst_prime)
        b_0 = state.digest()
        block = self._new(b_0 + b"\x01" + self._dst_prime).digest()
        if ell == 1:
            return block[:length]
        blocks = [block]
        b_0_int = int.from_bytes(b_0, "big")
        for i in range(2, ell + 1):
            chained = (b_0_int ^ int.from_bytes(block, "big")).to_bytes(self._digest_size, "big")
            block = self._new(chained + bytes([i]) + self._dst_prime).digest()
            blocks.append(block)
        return b"".join(blocks)[:length]


def expand_message_xmd(message: bytes, dst: bytes, length: int, hash_name: str) -> bytes:
    """One-shot ``expand_message_xmd`` (use :class:`XmdExpander` in loops)."""
    return XmdExpander(hash_name, dst).expand(message, length)
