"""Records in, exact keys (and optional integer values) out: shared by the DH-PSI modes.

PSI-sum and mutual PSI compare one exact key per record. The key is the record's token of one
match-key rule of the linkage schema (default ``groups_sorted_dob``: sorted name-variant groups
plus date of birth), so spelling variation matches only as far as that rule's normalization and
variant groups absorb it; there is no fuzzy scoring in these modes. A record missing a
component of the rule has no key and takes no part (it is counted as ``unkeyed``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeAlias

import pandas as pd

from ppmatch.encoding import LinkageSchema
from ppmatch.errors import InputError, SchemaError
from ppmatch.identity import read_records
from ppmatch.normalize import DateOrder, normalize_record
from ppmatch.normalize.model import NormalizedRecord
from ppmatch.tokens import Tokenizer

DEFAULT_KEY_RULE = "groups_sorted_dob"
MAX_VALUE = 2**32 - 1  # per-record values are 32-bit; sums stay far below any Paillier modulus

RecordSource: TypeAlias = str | os.PathLike[str] | pd.DataFrame


@dataclass(frozen=True)
class LoadedRecords:
    """Normalized records of one file, plus the integer value column if one was asked for."""

    records: list[NormalizedRecord]
    values: list[int] | None


def _parse_value(text: str | None, source: str, row: int, column: str) -> int:
    if text is None:
        return 0
    try:
        value = int(text.strip())
    except ValueError:
        raise InputError(
            f"{source}: row {row}, column {column!r}: {text!r} is not a whole number"
        ) from None
    if not 0 <= value <= MAX_VALUE:
        raise InputError(
            f"{source}: row {row}, column {column!r}: {value} is outside 0..{MAX_VALUE}"
        )
    return value


def load_records(
    source: RecordSource, *, value_column: str | None = None, extra_fields: tuple[str, ...] = ()
) -> LoadedRecords:
    """Read and normalize a whole file (these modes hold both sets in memory anyway).

    A blank value cell counts as 0; a non-integer or negative one is an :class:`InputError`.
    """
    records: list[NormalizedRecord] = []
    values: list[int] | None = [] if value_column else None
    order = DateOrder()
    for batch in read_records(source):
        month_first = order.observe(batch.values("date_of_birth"))
        if value_column and value_column not in batch.payload_columns:
            raise InputError(
                f"{batch.source}: no value column {value_column!r} "
                f"(columns besides identity: {', '.join(batch.payload_columns) or 'none'})"
            )
        payload = batch.payload()
        for offset, (record_id, raw) in enumerate(zip(batch.record_ids, batch.rows(), strict=True)):
            records.append(
                normalize_record(
                    raw,
                    record_id=record_id,
                    extra_fields=extra_fields,
                    month_first_dates=month_first,
                )
            )
            if values is not None and value_column:
                row = batch.first_row + offset
                values.append(
                    _parse_value(payload[value_column][offset], batch.source, row, value_column)
                )
    return LoadedRecords(records, values)


class ExactKeyer:
    """One exact key per record from one match-key rule of the schema."""

    def __init__(
        self,
        schema: LinkageSchema,
        linkage_secret: bytes,
        agreement_id: str,
        *,
        rule_id: str = DEFAULT_KEY_RULE,
    ) -> None:
        if rule_id not in schema.rule_ids:
            raise SchemaError(
                f"key rule {rule_id!r} is not a rule of the linkage schema "
                f"(rules: {', '.join(schema.rule_ids)})"
            )
        self.rule_id = rule_id
        self._tokenizer = Tokenizer(schema, linkage_secret, agreement_id)

    def key(self, record: NormalizedRecord) -> bytes | None:
        """The rule's primary token value (the first combination), or None if a part is missing."""
        for token in self._tokenizer.rule_tokens(record):
            if token.rule_id == self.rule_id:
                return token.value
        return None

    def keys(self, records: Sequence[NormalizedRecord]) -> list[bytes | None]:
        return [self.key(record) for record in records]
