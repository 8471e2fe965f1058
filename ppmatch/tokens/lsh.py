"""LSH band keys from keyed Bloom filters.

Default is MinHash over the filter's set bits: ``rows`` keyed permutations of the bit positions
per band, the band key is the tuple of minimum ranks, and two filters agree on a band with
probability Jaccard(set bits)^rows. MinHash looks only at set bits, so two sparse filters do
not collide merely because both are mostly zeros (the weakness of bit sampling on unbalanced
filters). ``hamming`` samples ``rows`` keyed bit positions per band (agreement probability
(1 - Hamming/bits)^rows), over the filter followed by its complement so that ones and zeros
count alike. A filter with no set bits has no bands.
"""

from __future__ import annotations

from typing import cast

import numpy as np

from ppmatch.encoding.clk import keyed_permutation, keyed_stream, unpack_bits
from ppmatch.encoding.keys import derive_key
from ppmatch.encoding.schema import LinkageSchema

_PREFIX = 48


class BandHasher:
    """Computes the band keys of packed filters for one schema and linkage secret."""

    def __init__(self, schema: LinkageSchema, linkage_secret: bytes, *, width: int | None = None):
        """``width``: bits of the filters to band (default: the unhardened filter length)."""
        self.spec = schema.lsh
        self.bits = width or schema.clk.filter_bits
        key = derive_key(linkage_secret, f"lsh/{self.spec.method}")
        hashes = self.spec.bands * self.spec.rows
        if self.spec.method == "minhash":
            # ranks[h, position] = rank of that bit position under keyed permutation h
            values = np.frombuffer(
                keyed_stream(key, "minhash", 8 * hashes * self.bits), dtype="<u8"
            )
            order = np.argsort(values.reshape(hashes, self.bits), axis=1, kind="stable")
            self._rank_order = order  # rank_order[h, r] = bit position with rank r under hash h
        else:
            balanced = 2 * self.bits
            permutations = -(-hashes // balanced)
            sample = np.concatenate(
                [keyed_permutation(key, f"hamming/{i}", balanced) for i in range(permutations)]
            )[:hashes]
            self._sample = sample.reshape(self.spec.bands, self.spec.rows)

    def band_keys(self, filters: np.ndarray) -> list[list[bytes]]:
        """Per filter, its band keys in band order ([] for an empty filter)."""
        keys, nonempty = self.band_key_array(filters)
        width = keys.shape[2] if keys.ndim == 3 else 0
        blob = keys.tobytes()
        bands = self.spec.bands
        result: list[list[bytes]] = []
        for row, filled in enumerate(nonempty.tolist()):
            start = row * bands * width
            result.append(
                [blob[start + b * width : start + (b + 1) * width] for b in range(bands)]
                if filled
                else []
            )
        return result

    def band_key_array(self, filters: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, nonempty)``: keys as a ``(filters, bands, key bytes)`` uint8 array (rows of
        empty filters are meaningless) and which filters have any set bit. The array form lets
        a caller build every band token of a chunk with a few array operations."""
        if self.spec.bands == 0 or len(filters) == 0:
            return np.zeros((len(filters), self.spec.bands, 0), np.uint8), np.zeros(
                len(filters), bool
            )
        bits = unpack_bits(filters)
        nonempty = cast(np.ndarray, bits.any(axis=1))
        keys = self._minhash(bits) if self.spec.method == "minhash" else self._hamming(bits)
        return keys.reshape(len(bits), self.spec.bands, -1), nonempty

    def _minhash(self, bits: np.ndarray) -> np.ndarray:
        minima = np.empty((len(bits), self._rank_order.shape[0]), dtype=np.int64)
        # The minimum rank is the first set bit in rank order; with any realistic fill it lies
        # among the first few ranks, so scan a prefix and fall back to a full scan if needed.
        prefix = bits[:, self._rank_order[:, :_PREFIX]]  # (n, hashes, prefix)
        found = cast(np.ndarray, prefix.any(axis=2))  # an axis reduction of a 3-d array
        minima[:] = prefix.argmax(axis=2)
        for sparse in np.nonzero(~found.all(axis=1))[0]:
            ordered = bits[sparse][self._rank_order]  # (hashes, bits)
            minima[sparse] = np.where(ordered.any(axis=1), ordered.argmax(axis=1), -1)
        keys = np.ascontiguousarray(minima.astype(">u2" if self.bits <= 65536 else ">u4"))
        return keys.view(np.uint8)  # (n, hashes * key size): bands are consecutive runs

    def _hamming(self, bits: np.ndarray) -> np.ndarray:
        sampled = np.concatenate([bits, 1 - bits], axis=1)[:, self._sample]  # (n, bands, rows)
        return np.packbits(sampled, axis=2)
