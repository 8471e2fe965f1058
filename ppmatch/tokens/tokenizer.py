"""Records -> tokens: match-key rule tokens plus LSH band tokens of the keyed CLK.

The tokenizer is what both parties run on their own records before the private protocol. The
number of tokens per record is bounded by ``schema.max_tokens_per_record`` (each rule emits at
most ``max_tokens`` combinations, plus one token per band), which the protocol uses to pad.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import islice, product

import numpy as np

from ppmatch.encoding.clk import DEFAULT_CHUNK, ClkEncoder
from ppmatch.encoding.schema import LinkageSchema, RuleSpec
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.tokens.components import component_values
from ppmatch.tokens.lsh import BandHasher
from ppmatch.tokens.token import Token, length_prefixed, token_prefix

BAND_PREFIX = "band"


def band_id(index: int) -> str:
    return f"{BAND_PREFIX}{index:02d}"


class Tokenizer:
    """Tokenizes normalized records under one schema, linkage secret and agreement."""

    def __init__(self, schema: LinkageSchema, linkage_secret: bytes, agreement_id: str):
        self.schema = schema
        self.agreement_id = agreement_id
        self.encoder = ClkEncoder(schema, linkage_secret)
        self.band_hasher = BandHasher(schema, linkage_secret)
        self._band_ids = [band_id(i) for i in range(schema.lsh.bands)]
        self._band_prefixes = [token_prefix(agreement_id, "band", b) for b in self._band_ids]
        self._rule_prefixes = {r.id: token_prefix(agreement_id, "rule", r.id) for r in schema.rules}
        self._rules = [
            (rule, self._rule_prefixes[rule.id], 1 << index)
            for index, rule in enumerate(schema.rules)
        ]

    def rule_tokens(self, record: NormalizedRecord) -> list[Token]:
        values: list[bytes] = []
        rules: list[RuleSpec] = []
        self._rule_values(record, values, rules)
        return [
            Token("rule", rule.id, value, rule.weight)
            for value, rule in zip(values, rules, strict=True)
        ]

    def _rule_values(
        self, record: NormalizedRecord, values: list[bytes], rules: list[RuleSpec]
    ) -> int:
        """Append the record's rule token values (and their rules) in schema order; return
        the mask of the rules that emitted (bit i: ``schema.rules[i]``).

        Each component is computed and encoded once per record, and a rule stops at its
        first missing component; the value is ``token_prefix + length_prefixed(canonical)``
        with ``canonical = canonical_value(combination)``, built from pre-encoded parts.
        """
        encoded: dict[str, list[bytes]] = {}
        schema = self.schema
        emitted = 0
        for rule, prefix, bit in self._rules:
            parts = []
            for component in rule.components:
                framed = encoded.get(component)
                if framed is None:
                    utf8 = [
                        value.encode("utf-8")
                        for value in component_values(record, component, schema)
                    ]
                    framed = encoded[component] = [
                        len(value).to_bytes(4, "big") + value for value in utf8
                    ]
                if not framed:
                    break
                parts.append(framed)
            else:
                for combination in islice(product(*parts), rule.max_tokens):
                    canonical = b"".join(combination)
                    values.append(prefix + len(canonical).to_bytes(4, "big") + canonical)
                    rules.append(rule)
                emitted |= bit
        return emitted

    def band_tokens(self, band_keys: Sequence[bytes]) -> list[Token]:
        weight = self.schema.lsh.weight
        return [
            Token(
                "band",
                self._band_ids[i],
                self._band_prefixes[i] + length_prefixed(key),
                weight,
            )
            for i, key in enumerate(band_keys)
        ]

    def _band_values(self, lsh_filters: np.ndarray) -> list[list[bytes]]:
        """Per record its band token values, built for the whole chunk with array operations
        (the same bytes as :meth:`band_tokens`: band prefix, 4-byte key length, key)."""
        keys, nonempty = self.band_hasher.band_key_array(lsh_filters)
        count, bands, width = keys.shape
        if bands == 0 or count == 0:
            return [[] for _ in range(count)]
        heads = np.frombuffer(
            b"".join(p + width.to_bytes(4, "big") for p in self._band_prefixes), np.uint8
        ).reshape(bands, -1)
        size = heads.shape[1] + width
        table = np.empty((count, bands, size), np.uint8)
        table[:, :, : heads.shape[1]] = heads
        table[:, :, heads.shape[1] :] = keys
        blob = table.tobytes()
        per_record = bands * size
        return [
            [blob[first + b * size : first + (b + 1) * size] for b in range(bands)]
            if filled
            else []
            for first, filled in zip(
                range(0, count * per_record, per_record), nonempty.tolist(), strict=True
            )
        ]

    def encode_and_tokenize(
        self, records: Sequence[NormalizedRecord]
    ) -> tuple[np.ndarray, list[list[Token]]]:
        """Packed CLKs and tokens of a chunk (the CLKs feed the reference linker)."""
        filters, lsh_filters = self.encoder.encode_with_lsh(records)
        band_values = self._band_values(lsh_filters)
        band_weight = self.schema.lsh.weight
        band_ids = self._band_ids
        tokens = []
        for record, bands in zip(records, band_values, strict=True):
            values: list[bytes] = []
            rules: list[RuleSpec] = []
            self._rule_values(record, values, rules)
            record_tokens = [
                Token("rule", rule.id, value, rule.weight)
                for value, rule in zip(values, rules, strict=True)
            ]
            record_tokens += [
                Token("band", band_ids[i], value, band_weight) for i, value in enumerate(bands)
            ]
            tokens.append(record_tokens)
        return filters, tokens

    def token_values(
        self, records: Sequence[NormalizedRecord]
    ) -> list[tuple[list[bytes], list[int], int]]:
        """Per record ``(values, weights, rule_mask)``: its tokens' values and weights in the
        order of :meth:`tokenize`, and which schema rules emitted (bit i: ``schema.rules[i]``).

        The holder's publish hot path: the same OPRF inputs without building ``Token`` objects.
        """
        _, lsh_filters = self.encoder.encode_with_lsh(records)
        band_values = self._band_values(lsh_filters)
        band_weight = self.schema.lsh.weight
        result = []
        for record, bands in zip(records, band_values, strict=True):
            values: list[bytes] = []
            rules: list[RuleSpec] = []
            rule_mask = self._rule_values(record, values, rules)
            weights = [rule.weight for rule in rules]
            values += bands
            weights += [band_weight] * len(bands)
            result.append((values, weights, rule_mask))
        return result

    def tokenize_many(
        self, records: Iterable[NormalizedRecord], *, chunk_size: int = DEFAULT_CHUNK
    ) -> list[list[Token]]:
        result: list[list[Token]] = []
        iterator = iter(records)
        while chunk := list(islice(iterator, chunk_size)):
            result.extend(self.encode_and_tokenize(chunk)[1])
        return result

    def tokenize(self, record: NormalizedRecord) -> list[Token]:
        return self.encode_and_tokenize([record])[1][0]


_worker_tokenizer: Tokenizer | None = None


def _init_worker(schema_json: bytes, linkage_secret: bytes, agreement_id: str) -> None:
    global _worker_tokenizer
    _worker_tokenizer = Tokenizer(
        LinkageSchema.from_json(schema_json), linkage_secret, agreement_id
    )


def _tokenize_chunk(records: list[NormalizedRecord]) -> tuple[np.ndarray, list[list[Token]]]:
    assert _worker_tokenizer is not None
    return _worker_tokenizer.encode_and_tokenize(records)


def tokenize_parallel(
    schema: LinkageSchema,
    linkage_secret: bytes,
    agreement_id: str,
    records: Iterable[NormalizedRecord],
    *,
    workers: int | None = None,
    chunk_size: int = DEFAULT_CHUNK,
) -> tuple[np.ndarray, list[list[Token]]]:
    """CLKs and tokens over a process pool; same output as the serial tokenizer, in order."""
    iterator = iter(records)
    chunks = iter(lambda: list(islice(iterator, chunk_size)), [])
    if workers == 1:
        tokenizer = Tokenizer(schema, linkage_secret, agreement_id)
        parts = [tokenizer.encode_and_tokenize(chunk) for chunk in chunks]
    else:
        with ProcessPoolExecutor(
            max_workers=workers,
            initializer=_init_worker,
            initargs=(schema.canonical_json(), bytes(linkage_secret), agreement_id),
        ) as pool:
            parts = list(pool.map(_tokenize_chunk, chunks))
    words = schema.clk.output_bits // 64
    filters = np.concatenate([p[0] for p in parts]) if parts else np.zeros((0, words), dtype="<u8")
    return filters, [tokens for part in parts for tokens in part[1]]
