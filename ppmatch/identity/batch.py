"""One chunk of identity records, backed by an Arrow table of strings.

Later layers want both shapes: columns (vectorized encoders, inspect) and per-record dicts
(``normalize_record``). Keeping the Arrow table underneath means a chunk never turns the
whole file into Python objects; only what a caller asks for is converted.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from ppmatch.identity.columns import IDENTITY_COLUMNS, RECORD_ID


def _missing_to_none(column: pa.ChunkedArray) -> list[str | None]:
    # An empty or blank cell is a missing value, never a value of its own.
    blank = pc.equal(pc.utf8_trim_whitespace(column), "")
    return pc.if_else(blank, pa.scalar(None, pa.string()), column).to_pylist()


@dataclass(frozen=True)
class RecordBatch:
    """A chunk of records: identity columns under their standard names plus payload columns.

    ``first_row`` is the 1-based data row (header not counted) of the chunk's first record,
    so that any later error can still name the row in the source file.
    """

    source: str
    first_row: int
    table: pa.Table

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def identity_columns(self) -> tuple[str, ...]:
        """Identity columns present in the source, in standard order."""
        names = set(self.table.column_names)
        return tuple(name for name in IDENTITY_COLUMNS if name in names)

    @property
    def payload_columns(self) -> tuple[str, ...]:
        """Every non-identity column, in file order."""
        return tuple(name for name in self.table.column_names if name not in IDENTITY_COLUMNS)

    @property
    def record_ids(self) -> list[str]:
        return self.table.column(RECORD_ID).to_pylist()

    def values(self, column: str) -> list[str | None]:
        """Raw string values of one column; blank cells and absent identity columns are None."""
        if column not in self.table.column_names:
            if column in IDENTITY_COLUMNS:
                return [None] * len(self)
            raise KeyError(column)
        return _missing_to_none(self.table.column(column))

    def payload(self) -> dict[str, list[str | None]]:
        """Payload columns by name."""
        return {name: self.values(name) for name in self.payload_columns}

    def rows(self) -> Iterator[dict[str, str | None]]:
        """Raw dict rows (every identity column, then payload), the input of ``normalize_record``."""
        names = IDENTITY_COLUMNS + self.payload_columns
        columns = [self.values(name) for name in names]
        for values in zip(*columns, strict=True):
            yield dict(zip(names, values, strict=True))
