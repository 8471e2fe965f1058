"""Find the row and column behind a CSV error that Arrow reports without them.

Arrow's streaming CSV reader is fast but its errors name neither the line nor the column
("invalid UTF8 data", "Expected 8 columns, got 9"). On that error path only, the file is
re-read with the standard library, which counts lines, to point the user at the exact cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from pathlib import Path

from ppmatch.errors import InputError

_UNDECODABLE = re.compile("[\udc80-\udcff]")


def _where(source: str, row: int, line: int, column: str | None) -> str:
    place = f"{source}: row {row} (line {line})"
    return f"{place}, column {column!r}" if column is not None else place


def undecodable_header(source: str, header: Sequence[str]) -> InputError | None:
    """An error for a header cell that is not UTF-8 (read with ``surrogateescape``)."""
    for index, name in enumerate(header):
        if _UNDECODABLE.search(name):
            return InputError(
                f"{source}: line 1 (header), column {index + 1}: text is not valid UTF-8; "
                f"re-save the file as UTF-8"
            )
    return None


def locate_csv_problem(
    path: Path,
    source: str,
    header: Sequence[str],
    delimiter: str,
    arrow_message: str,
    encoding: str = "utf-8-sig",
) -> InputError:
    """Return an ``InputError`` naming the first undecodable cell or ragged row in ``path``."""
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        next(reader, None)
        row = 0
        for fields in reader:
            if not fields:  # blank lines are skipped by the reader, so they are not rows
                continue
            row += 1
            for column, value in zip(header, fields, strict=False):
                if _UNDECODABLE.search(value):
                    return InputError(
                        f"{_where(source, row, reader.line_num, column)}: text is not valid "
                        f"UTF-8; re-save the file as UTF-8"
                    )
            if len(fields) > len(header):
                return InputError(
                    f"{_where(source, row, reader.line_num, None)}: {len(fields)} values for "
                    f"{len(header)} columns (extra value after column {header[-1]!r}); "
                    f"check quoting and delimiters"
                )
            if len(fields) < len(header):
                return InputError(
                    f"{_where(source, row, reader.line_num, header[len(fields)])}: "
                    f"{len(fields)} values for {len(header)} columns (the row ends before this "
                    f"column); check quoting and delimiters"
                )
    return InputError(f"{source}: cannot read as CSV: {arrow_message}")
