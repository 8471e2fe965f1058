"""LSH band keys from keyed Bloom filters.

Default is MinHash over the filter's set bits: ``rows`` keyed permutations of the bit positions
per band, the band key is the tuple of minimum ranks, and two filters agree on a band with
probability Jaccard(set bits)^rows. MinHash looks only at set bits, so two sparse filters do
not collide merely because both are mostly zeros (the weakness of bit sampling on unbalanced
filters). ``hamming`` samples ``rows`` keyed bit positions per band (agreement probability
(1 - Hamming/bits)^rows); use it with ``clk.hardening.balance``. A filter with no set bits has
no bands.
"""

from __future__ import annotations

import numpy as np

from ppmatch.encoding.clk import keyed_permutation, keyed_stream, unpack_bits
from ppmatch.encoding.keys import derive_key
from ppmatch.encoding.schema import LinkageSchema

_SUBCHUNK = 512


class BandHasher:
    """Computes the band keys of packed filters for one schema and linkage secret."""

    def __init__(self, schema: LinkageSchema, linkage_secret: bytes):
        self.spec = schema.lsh
        self.bits = schema.clk.output_bits
        key = derive_key(linkage_secret, f"lsh/{self.spec.method}")
        hashes = self.spec.bands * self.spec.rows
        if self.spec.method == "minhash":
            # ranks[h, position] = rank of that bit position under keyed permutation h
            values = np.frombuffer(
                keyed_stream(key, "minhash", 8 * hashes * self.bits), dtype="<u8"
            )
            order = np.argsort(values.reshape(hashes, self.bits), axis=1, kind="stable")
            ranks = np.empty_like(order)
            np.put_along_axis(ranks, order, np.arange(self.bits)[None, :], axis=1)
            self._ranks = ranks.astype(np.uint16 if self.bits <= 65536 else np.uint32)
        else:
            permutations = -(-hashes // self.bits)
            sample = np.concatenate(
                [keyed_permutation(key, f"hamming/{i}", self.bits) for i in range(permutations)]
            )[:hashes]
            self._sample = sample.reshape(self.spec.bands, self.spec.rows)

    def band_keys(self, filters: np.ndarray) -> list[list[bytes]]:
        """Per filter, its band keys in band order ([] for an empty filter)."""
        if self.spec.bands == 0 or len(filters) == 0:
            return [[] for _ in range(len(filters))]
        bits = unpack_bits(filters)
        if self.spec.method == "minhash":
            return self._minhash(bits)
        return self._hamming(bits)

    def _minhash(self, bits: np.ndarray) -> list[list[bytes]]:
        rows, bands = self.spec.rows, self.spec.bands
        result: list[list[bytes]] = [[] for _ in range(len(bits))]
        for start in range(0, len(bits), _SUBCHUNK):
            block = bits[start : start + _SUBCHUNK]
            record_index, positions = np.nonzero(block)
            if len(positions) == 0:
                continue
            nonempty, first = np.unique(record_index, return_index=True)
            minima = np.minimum.reduceat(self._ranks[:, positions], first, axis=1)  # (hashes, k)
            keys = minima.T.astype(">u2" if self._ranks.dtype == np.uint16 else ">u4")
            width = rows * keys.itemsize
            for column, record in enumerate(nonempty):
                raw = keys[column].tobytes()
                result[start + int(record)] = [
                    raw[b * width : (b + 1) * width] for b in range(bands)
                ]
        return result

    def _hamming(self, bits: np.ndarray) -> list[list[bytes]]:
        sampled = bits[:, self._sample]  # (n, bands, rows)
        packed = np.packbits(sampled, axis=2)
        nonempty = bits.any(axis=1)
        return [
            [packed[i, b].tobytes() for b in range(self.spec.bands)] if nonempty[i] else []
            for i in range(len(bits))
        ]
