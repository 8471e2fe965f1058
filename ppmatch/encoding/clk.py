"""Keyed Bloom-filter (CLK) encoder: vectorized, chunked, optionally over a process pool.

Each feature of a field sets ``hashes`` bit positions drawn from a keyed hash of the feature
under that field's key (independent positions, not double hashing, which published attacks
exploit). Feature -> positions is memoised per encoder instance: common names recur, so most
features of a chunk are hashed once. Filters are packed little-endian into uint64 words (bit
``i`` is bit ``i % 64`` of word ``i // 64``), the layout the LSH and the reference linker read.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice

import numpy as np

from ppmatch.encoding.features import field_features
from ppmatch.encoding.keys import derive_key
from ppmatch.encoding.schema import LinkageSchema
from ppmatch.normalize.model import NormalizedRecord

DEFAULT_CHUNK = 4096
_VALUES_PER_BLOCK = {"blake2b": 16, "hmac-sha256": 8}  # uint32 positions per keyed-hash call


def keyed_stream(key: bytes, label: str, nbytes: int) -> bytes:
    """Deterministic pseudo-random bytes from a key (SHAKE-256): permutations, LSH, BLIP."""
    return hashlib.shake_256(key + b"\x00" + label.encode()).digest(nbytes)


def keyed_permutation(key: bytes, label: str, size: int) -> np.ndarray:
    """A permutation of ``range(size)`` fixed by the key (argsort of keyed 64-bit values)."""
    values = np.frombuffer(keyed_stream(key, label, 8 * size), dtype="<u8")
    return np.argsort(values, kind="stable")


class ClkEncoder:
    """Encodes normalized records into keyed, hardened Bloom filters of one schema."""

    def __init__(self, schema: LinkageSchema, linkage_secret: bytes, *, cache_size: int = 400_000):
        self.schema = schema
        clk = schema.clk
        self.filter_bits = clk.filter_bits
        self.output_bits = clk.output_bits
        self.words = self.output_bits // 64
        self._fields = [spec for spec in clk.fields if spec.hashes > 0]
        self._field_keys = [
            derive_key(linkage_secret, f"clk/field/{spec.name}") for spec in self._fields
        ]
        self._caches: list[dict[str, tuple[int, ...]]] = [{} for _ in self._fields]
        self._cache_size = cache_size
        hardening = clk.hardening
        hardening_key = derive_key(linkage_secret, "clk/hardening")
        self._balance_permutation = (
            keyed_permutation(hardening_key, "balance", self.output_bits)
            if hardening.balance
            else None
        )
        self._blip_key = derive_key(linkage_secret, "clk/blip") if hardening.blip_epsilon else None
        self._blip_flip_threshold = (
            int(65536 / (1.0 + np.exp(hardening.blip_epsilon))) if hardening.blip_epsilon else 0
        )

    # ---- positions -----------------------------------------------------------------------

    def _positions(self, field_index: int, feature: str) -> tuple[int, ...]:
        cache = self._caches[field_index]
        positions = cache.get(feature)
        if positions is None:
            spec = self._fields[field_index]
            positions = tuple(
                int(v) % self.filter_bits
                for v in self._keyed_values(
                    self._field_keys[field_index], feature.encode(), spec.hashes
                )
            )
            if len(cache) >= self._cache_size:
                cache.clear()
            cache[feature] = positions
        return positions

    def _keyed_values(self, key: bytes, data: bytes, count: int) -> np.ndarray:
        method = self.schema.clk.hash
        per_block = _VALUES_PER_BLOCK[method]
        blocks = []
        for block in range((count + per_block - 1) // per_block):
            if method == "blake2b":
                blocks.append(
                    hashlib.blake2b(
                        data, key=key, digest_size=64, person=block.to_bytes(16, "big")
                    ).digest()
                )
            else:
                blocks.append(hmac.digest(key, block.to_bytes(4, "big") + data, "sha256"))
        return np.frombuffer(b"".join(blocks), dtype="<u4")[:count]

    def record_positions(self, record: NormalizedRecord) -> list[int]:
        """Bit positions a record sets before hardening (repeats allowed)."""
        fold = self.schema.document_ocr_folding
        positions: list[int] = []
        for index, spec in enumerate(self._fields):
            for feature in field_features(record, spec, fold_ocr=fold):
                positions.extend(self._positions(index, feature))
        return positions

    # ---- encoding ------------------------------------------------------------------------

    def encode_bits(self, records: Sequence[NormalizedRecord]) -> np.ndarray:
        """Hardened filters as a (records, output_bits) uint8 0/1 matrix."""
        count = len(records)
        lengths = np.zeros(count, dtype=np.int64)
        columns: list[int] = []
        for row, record in enumerate(records):
            positions = self.record_positions(record)
            lengths[row] = len(positions)
            columns.extend(positions)
        bits = np.zeros((count, self.filter_bits), dtype=np.uint8)
        if columns:
            rows = np.repeat(np.arange(count), lengths)
            bits[rows, np.asarray(columns, dtype=np.int64)] = 1
        return self._harden(bits)

    def _harden(self, bits: np.ndarray) -> np.ndarray:
        hardening = self.schema.clk.hardening
        if hardening.xor_fold:
            half = bits.shape[1] // 2
            bits = bits[:, :half] ^ bits[:, half:]
        if hardening.balance:
            bits = np.concatenate([bits, 1 - bits], axis=1)[:, self._balance_permutation]
        if self._blip_key is not None:
            bits = self._blip(bits)
        return np.ascontiguousarray(bits)

    def _blip(self, bits: np.ndarray) -> np.ndarray:
        width = bits.shape[1]
        noise = np.empty(bits.shape, dtype="<u2")
        for row in range(bits.shape[0]):
            seed = self._blip_key + np.packbits(bits[row]).tobytes()
            noise[row] = np.frombuffer(hashlib.shake_256(seed).digest(2 * width), dtype="<u2")
        return bits ^ (noise < self._blip_flip_threshold).astype(np.uint8)

    def encode_batch(self, records: Sequence[NormalizedRecord]) -> np.ndarray:
        """Packed filters, shape (records, words), dtype uint64."""
        return pack_bits(self.encode_bits(records))

    def encode(self, record: NormalizedRecord) -> np.ndarray:
        return self.encode_batch([record])[0]

    def encode_stream(
        self, records: Iterable[NormalizedRecord], *, chunk_size: int = DEFAULT_CHUNK
    ) -> Iterator[np.ndarray]:
        """Packed filters chunk by chunk: memory stays bounded by the chunk size."""
        iterator = iter(records)
        while chunk := list(islice(iterator, chunk_size)):
            yield self.encode_batch(chunk)


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(n, bits) 0/1 uint8 -> (n, bits/64) uint64, bit i in word i//64 at bit i%64."""
    packed = np.packbits(bits, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8")


def unpack_bits(words: np.ndarray) -> np.ndarray:
    """Inverse of ``pack_bits``."""
    words = np.ascontiguousarray(words, dtype="<u8")
    return np.unpackbits(words.view(np.uint8), axis=-1, bitorder="little")


# ---- process pool ----------------------------------------------------------------------------

_worker_encoder: ClkEncoder | None = None


def _init_worker(schema_json: bytes, linkage_secret: bytes) -> None:
    global _worker_encoder
    _worker_encoder = ClkEncoder(LinkageSchema.from_json(schema_json), linkage_secret)


def _encode_chunk(records: list[NormalizedRecord]) -> np.ndarray:
    assert _worker_encoder is not None
    return _worker_encoder.encode_batch(records)


def encode_parallel(
    schema: LinkageSchema,
    linkage_secret: bytes,
    records: Iterable[NormalizedRecord],
    *,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> np.ndarray:
    """Encode over a process pool, chunk by chunk; identical output to the serial encoder.

    Each worker builds its own encoder (keys derived once per process); chunks come back
    in input order.
    """
    iterator = iter(records)
    chunks = iter(lambda: list(islice(iterator, chunk_size)), [])
    if workers == 1:
        encoder = ClkEncoder(schema, linkage_secret)
        parts = [encoder.encode_batch(chunk) for chunk in chunks]
    else:
        with ProcessPoolExecutor(
            max_workers=workers,
            initializer=_init_worker,
            initargs=(schema.canonical_json(), bytes(linkage_secret)),
        ) as pool:
            parts = list(pool.map(_encode_chunk, chunks))
    words = schema.clk.output_bits // 64
    return np.concatenate(parts) if parts else np.zeros((0, words), dtype="<u8")
