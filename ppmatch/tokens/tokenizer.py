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
from ppmatch.tokens.token import Token, canonical_value, length_prefixed, token_prefix

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

    def rule_tokens(self, record: NormalizedRecord) -> list[Token]:
        tokens: list[Token] = []
        components: dict[str, list[str]] = {}  # each component computed once per record
        for rule in self.schema.rules:
            tokens.extend(self._rule_tokens(rule, record, components))
        return tokens

    def _rule_tokens(
        self, rule: RuleSpec, record: NormalizedRecord, components: dict[str, list[str]]
    ) -> list[Token]:
        values = []
        for component in rule.components:
            if component not in components:
                components[component] = component_values(record, component, self.schema)
            if not components[component]:
                return []
            values.append(components[component])
        return [
            Token(
                "rule",
                rule.id,
                self._rule_prefixes[rule.id] + length_prefixed(canonical_value(combo)),
                rule.weight,
            )
            for combo in islice(product(*values), rule.max_tokens)
        ]

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

    def encode_and_tokenize(
        self, records: Sequence[NormalizedRecord]
    ) -> tuple[np.ndarray, list[list[Token]]]:
        """Packed CLKs and tokens of a chunk (the CLKs feed the reference linker)."""
        filters, lsh_filters = self.encoder.encode_with_lsh(records)
        keys = self.band_hasher.band_keys(lsh_filters)
        tokens = [
            self.rule_tokens(r) + self.band_tokens(k) for r, k in zip(records, keys, strict=True)
        ]
        return filters, tokens

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
