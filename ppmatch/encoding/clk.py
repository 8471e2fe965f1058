"""Keyed Bloom-filter (CLK) encoder: vectorized, chunked, optionally over a process pool.

Each feature of a field sets ``hashes`` bit positions drawn from a keyed hash of the feature
under that field's key (independent positions, not double hashing, which published attacks
exploit). Token -> positions is memoised per encoder instance: common names recur, so most
tokens of a chunk are hashed once. Filters are packed little-endian into uint64 words (bit
``i`` is bit ``i % 64`` of word ``i // 64``), the layout the LSH and the reference linker read.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice

import numpy as np

from ppmatch.encoding.features import (
    FieldUnit,
    FieldValue,
    field_value,
    unit_features,
    value_units,
)
from ppmatch.encoding.keys import derive_key
from ppmatch.encoding.schema import LinkageSchema
from ppmatch.normalize.model import NormalizedRecord

DEFAULT_CHUNK = 4096


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
        self._caches: list[dict[FieldUnit, tuple[int, ...]]] = [{} for _ in self._fields]
        names = [spec.name for spec in self._fields]
        lsh_names = schema.lsh.fields or tuple(names)
        self._lsh_fields: list[int] | None = [names.index(name) for name in lsh_names]
        if self._lsh_fields == list(range(len(names))):
            self._lsh_fields = None  # the LSH reads every field: reuse the full filter
        self._feature_caches: list[dict[str, tuple[int, ...]]] = [{} for _ in self._fields]
        self._value_caches: list[dict[FieldValue, np.ndarray]] = [{} for _ in self._fields]
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

    def _unit_positions(self, field_index: int, unit: FieldUnit) -> tuple[int, ...]:
        cache = self._caches[field_index]
        positions = cache.get(unit)
        if positions is None:
            spec = self._fields[field_index]
            features = self._feature_caches[field_index]
            found: set[int] = set()
            for feature in unit_features(unit, spec):
                values = features.get(feature)
                if values is None:
                    raw = self._keyed_values(
                        self._field_keys[field_index], feature.encode(), spec.hashes
                    )
                    values = features[feature] = tuple(v % self.filter_bits for v in raw)
                found.update(values)
            positions = tuple(sorted(found))
            if len(cache) >= self._cache_size or len(features) >= self._cache_size:
                cache.clear()
                features.clear()
            cache[unit] = positions
        return positions

    def _keyed_values(self, key: bytes, data: bytes, count: int) -> tuple[int, ...]:
        """``count`` little-endian uint32 values of the keyed hash of one feature."""
        if self.schema.clk.hash == "blake2b":
            blocks = [
                hashlib.blake2b(
                    data, key=key, digest_size=64, person=block.to_bytes(16, "big")
                ).digest()
                for block in range((count + 15) // 16)
            ]
        else:
            blocks = [
                hmac.digest(key, block.to_bytes(4, "big") + data, "sha256")
                for block in range((count + 7) // 8)
            ]
        digest = b"".join(blocks) if len(blocks) > 1 else blocks[0]
        return struct.unpack_from(f"<{count}I", digest)

    def _value_positions(self, field_index: int, value: FieldValue) -> np.ndarray:
        """Positions a whole field value sets (memoised: values recur, and so do their tokens)."""
        cache = self._value_caches[field_index]
        positions = cache.get(value)
        if positions is None:
            fold = self.schema.document_ocr_folding
            found: set[int] = set()
            for unit in value_units(self._fields[field_index], value, fold_ocr=fold):
                found.update(self._unit_positions(field_index, unit))
            positions = np.fromiter(sorted(found), dtype=np.int64, count=len(found))
            if len(cache) >= self._cache_size:
                cache.clear()
            cache[value] = positions
        return positions

    def _field_bits(
        self, records: Sequence[NormalizedRecord], field_index: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, columns) of the bits one field sets in a chunk, vectorized per distinct value."""
        name = self._fields[field_index].name
        ids: dict[FieldValue, int] = {}
        record_ids = np.full(len(records), -1, dtype=np.int64)
        for row, record in enumerate(records):
            value = field_value(record, name)
            if value is not None:
                record_ids[row] = ids.setdefault(value, len(ids))
        present = np.flatnonzero(record_ids >= 0)
        if len(present) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        arrays = [self._value_positions(field_index, value) for value in ids]
        lengths = np.array([len(a) for a in arrays], dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        flat = np.concatenate(arrays)
        chosen = record_ids[present]
        counts = lengths[chosen]
        rows = np.repeat(present, counts)
        offsets = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        return rows, flat[np.repeat(starts[chosen], counts) + offsets]

    def _raw_bits(self, records: Sequence[NormalizedRecord]) -> tuple[np.ndarray, np.ndarray]:
        """Unhardened filters of all fields and of the LSH fields, (records, filter_bits) 0/1."""
        shape = (len(records), self.filter_bits)
        full = np.zeros(shape, dtype=np.uint8)
        lsh = full if self._lsh_fields is None else np.zeros(shape, dtype=np.uint8)
        for index in range(len(self._fields)):
            rows, columns = self._field_bits(records, index)
            full[rows, columns] = 1
            if self._lsh_fields is not None and index in self._lsh_fields:
                lsh[rows, columns] = 1
        return full, lsh

    def encode_bits(self, records: Sequence[NormalizedRecord]) -> np.ndarray:
        """Hardened filters as a (records, output_bits) uint8 0/1 matrix."""
        return self._harden(self._raw_bits(records)[0])

    def encode_with_lsh(self, records: Sequence[NormalizedRecord]) -> tuple[np.ndarray, np.ndarray]:
        """Packed hardened filters and packed unhardened LSH-field filters (what bands read)."""
        full, lsh = self._raw_bits(records)
        return pack_bits(self._harden(full)), pack_bits(lsh)

    def _harden(self, bits: np.ndarray) -> np.ndarray:
        hardening = self.schema.clk.hardening
        if hardening.xor_fold:
            half = bits.shape[1] // 2
            bits = bits[:, :half] ^ bits[:, half:]
        if hardening.balance:
            bits = np.concatenate([bits, 1 - bits], axis=1)[:, self._balance_permutation]
        if self._blip_key is not None:
            bits = self._blip(bits, self._blip_key)
        return np.ascontiguousarray(bits)

    def _blip(self, bits: np.ndarray, key: bytes) -> np.ndarray:
        width = bits.shape[1]
        noise = np.empty(bits.shape, dtype="<u2")
        for row in range(bits.shape[0]):
            seed = key + np.packbits(bits[row]).tobytes()
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
