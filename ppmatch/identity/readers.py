"""Streaming readers for identity records: CSV, Parquet and pandas DataFrames.

Files of millions of records are read in Arrow chunks, never as one list of Python objects.
Every value is read as text: letting a reader infer types would turn ``007`` into ``7`` or a
date column into timestamps, and identity data must reach normalization exactly as typed.
Bad input stops the read with one ``InputError`` naming file, row and column; nothing is
dropped silently.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ppmatch.errors import InputError
from ppmatch.identity.batch import RecordBatch
from ppmatch.identity.columns import RECORD_ID, resolve_columns
from ppmatch.identity.diagnose import locate_csv_problem, undecodable_header

if TYPE_CHECKING:
    import pandas as pd

_CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".txt": ","}
# What spreadsheet exports separate fields with: the European Excel default is ';'.
_DELIMITERS = (",", ";", "\t", "|")
_UTF8 = "utf-8-sig"  # UTF-8, with or without the byte-order mark Excel writes
_PARQUET_SUFFIXES = {".parquet", ".pq"}
_CSV_BLOCK_BYTES = 4 << 20


def read_records(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    chunk_rows: int = 50_000,
) -> RecordReader:
    """Stream identity records from a CSV/TSV file, a Parquet file or a DataFrame.

    ``columns`` maps identity column names to the source's names
    (``{"given_names": "first_name"}``). Yields ``RecordBatch`` chunks of ``chunk_rows``
    records (the last one shorter).
    """
    return RecordReader(source, columns=columns, chunk_rows=chunk_rows)


def iter_rows(
    source: str | os.PathLike[str] | pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    chunk_rows: int = 50_000,
) -> Iterator[list[dict[str, str | None]]]:
    """Raw dict rows, one list per chunk: the shape ``normalize_record`` takes."""
    for batch in read_records(source, columns=columns, chunk_rows=chunk_rows):
        yield list(batch.rows())


class RecordReader:
    """An iterator of ``RecordBatch`` that also reports how far it has read.

    Record ids are checked across chunks (present, unique); progress is in bytes for CSV
    and in rows otherwise, so a caller can draw a progress bar without a second pass.
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | pd.DataFrame,
        *,
        columns: Mapping[str, str] | None = None,
        chunk_rows: int = 50_000,
    ) -> None:
        if chunk_rows < 1:
            raise InputError(f"chunk_rows must be at least 1, got {chunk_rows}")
        self._chunk_rows = chunk_rows
        self._mapping = dict(columns or {})
        self._stream: pa.NativeFile | None = None
        self.progress_done = 0
        self.progress_total: int | None = None
        self.layout = ""  # how the source was read, e.g. "CSV, UTF-8, ';'-separated"
        if isinstance(source, str | os.PathLike):
            self._path: Path | None = Path(source)
            self._frame = None
            self.source = str(source)
            self._open_file()
        else:
            import pandas as pd

            if not isinstance(source, pd.DataFrame):
                raise InputError(
                    f"cannot read records from a {type(source).__name__}; "
                    f"pass a CSV/Parquet path or a pandas DataFrame"
                )
            self._path = None
            self._frame = source
            self.source = "<DataFrame>"
            self.layout = "DataFrame"
            self.progress_unit = "rows"
            self.progress_total = len(source)
            self._header = [str(name) for name in source.columns]
        self._output_names = resolve_columns(self._header, self._mapping, source=self.source)
        # file column -> identity column, where they differ (a mapping, or SURNAME -> surname)
        self.renamed = {
            name: output for name, output in self._output_names.items() if name != output
        }
        self._batches = self._checked_batches()

    # -- opening -------------------------------------------------------------------------

    def _open_file(self) -> None:
        path = self._path
        assert path is not None
        if not path.exists():
            raise InputError(f"{self.source}: no such file")
        if not path.is_file():
            raise InputError(f"{self.source}: not a regular file")
        if not os.access(path, os.R_OK):
            raise InputError(f"{self.source}: file is not readable (permission denied)")
        suffix = path.suffix.lower()
        if suffix in _PARQUET_SUFFIXES:
            self._kind = "parquet"
            self.layout = "Parquet"
            try:
                self._parquet = pq.ParquetFile(path)
            except (pa.ArrowException, OSError) as error:
                raise InputError(f"{self.source}: not a readable Parquet file ({error})") from None
            self._header = list(self._parquet.schema_arrow.names)
            self.progress_unit = "rows"
            self.progress_total = self._parquet.metadata.num_rows
        elif suffix in _CSV_SUFFIXES:
            self._kind = "csv"
            self._encoding = _text_encoding(path)
            self._delimiter = _CSV_SUFFIXES[suffix]
            if suffix != ".tsv":
                self._delimiter = _sniff_delimiter(path, self._encoding, self._delimiter)
            self._header = self._read_csv_header()
            separator = "tab" if self._delimiter == "\t" else repr(self._delimiter)
            text = "UTF-16" if self._encoding == "utf-16" else "UTF-8"
            self.layout = f"CSV, {text}, {separator}-separated"
            self.progress_unit = "bytes"
            self.progress_total = path.stat().st_size
        else:
            raise InputError(
                f"{self.source}: unsupported file type {suffix or '(none)'!r}; "
                f"use .csv, .tsv or .parquet"
            )

    def _read_csv_header(self) -> list[str]:
        assert self._path is not None
        try:
            with open(
                self._path, encoding=self._encoding, errors="surrogateescape", newline=""
            ) as f:
                header = next(csv.reader(f, delimiter=self._delimiter), None)
        except OSError as error:
            raise InputError(f"{self.source}: cannot read file ({error.strerror})") from None
        if not header:
            raise InputError(f"{self.source}: file is empty (a header row is required)")
        problem = undecodable_header(self.source, header)
        if problem is not None:
            raise problem
        return [name.strip() for name in header]

    # -- iteration -----------------------------------------------------------------------

    def __iter__(self) -> RecordReader:
        return self

    def __next__(self) -> RecordBatch:
        return next(self._batches)

    def _raw_tables(self) -> Iterator[pa.Table]:
        """Source chunks with every column as text and identity columns renamed."""
        if self._frame is not None:
            chunks = self._frame_tables()
        elif self._kind == "parquet":
            chunks = self._parquet_tables()
        else:
            chunks = self._csv_tables()
        names = [self._output_names[name] for name in self._header]
        for table in chunks:
            yield table.rename_columns(names)

    def _csv_tables(self) -> Iterator[pa.Table]:
        assert self._path is not None
        self._stream = pa.OSFile(str(self._path))
        convert = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in self._header},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        parse = pacsv.ParseOptions(delimiter=self._delimiter, newlines_in_values=True)
        read = pacsv.ReadOptions(
            block_size=_CSV_BLOCK_BYTES,
            column_names=self._header,
            skip_rows=1,
            encoding="utf8" if self._encoding == _UTF8 else self._encoding,
        )
        try:
            reader = pacsv.open_csv(
                self._stream, read_options=read, parse_options=parse, convert_options=convert
            )
            for batch in reader:
                yield pa.Table.from_batches([batch])
        except pa.ArrowInvalid as error:
            raise locate_csv_problem(
                self._path, self.source, self._header, self._delimiter, str(error), self._encoding
            ) from None
        finally:
            self._stream.close()

    def _parquet_tables(self) -> Iterator[pa.Table]:
        row = 0
        try:
            for batch in self._parquet.iter_batches(batch_size=self._chunk_rows):
                yield pa.Table.from_arrays(
                    [
                        _as_text(batch.column(i), self.source, name, row)
                        for i, name in enumerate(self._header)
                    ],
                    names=self._header,
                )
                row += batch.num_rows
        except (pa.ArrowException, OSError) as error:
            raise InputError(
                f"{self.source}: Parquet data unreadable after row {row} ({error})"
            ) from None

    def _frame_tables(self) -> Iterator[pa.Table]:
        frame = self._frame
        assert frame is not None
        for start in range(0, len(frame), self._chunk_rows):
            part = frame.iloc[start : start + self._chunk_rows]
            yield pa.Table.from_arrays(
                [
                    _frame_column_as_text(part.iloc[:, i], self.source, name, start)
                    for i, name in enumerate(self._header)
                ],
                names=self._header,
            )

    def _rechunked(self) -> Iterator[tuple[int, pa.Table]]:
        """Exactly ``chunk_rows`` rows per chunk, whatever block sizes the source gives."""
        pending: pa.Table | None = None
        first_row = 1
        for table in self._raw_tables():
            pending = table if pending is None else pa.concat_tables([pending, table])
            while pending.num_rows >= self._chunk_rows:
                chunk = pending.slice(0, self._chunk_rows).combine_chunks()
                pending = pending.slice(self._chunk_rows)
                yield first_row, chunk
                first_row += chunk.num_rows
        if pending is not None and pending.num_rows:
            yield first_row, pending.combine_chunks()

    def _checked_batches(self) -> Iterator[RecordBatch]:
        seen: set[str] = set()
        for first_row, table in self._rechunked():
            ids = table.column(RECORD_ID)
            blank = pc.equal(pc.utf8_trim_whitespace(ids.fill_null("")), "")
            if pc.any(blank).as_py():
                offset = pc.index(blank, True).as_py()
                raise InputError(
                    f"{self.source}: row {first_row + offset}, column {RECORD_ID!r}: "
                    f"empty record id; every record needs a unique id"
                )
            id_list = ids.to_pylist()
            chunk_ids = set(id_list)
            earlier = seen.intersection(chunk_ids)
            if earlier or len(chunk_ids) != len(id_list):
                self._raise_duplicate(id_list, earlier, first_row)
            seen |= chunk_ids
            self._update_progress(first_row + table.num_rows - 1)
            yield RecordBatch(source=self.source, first_row=first_row, table=table)

    def _update_progress(self, rows_done: int) -> None:
        if self.progress_unit == "bytes" and self._stream is not None:
            try:
                self.progress_done = self._stream.tell()
            except (OSError, ValueError):  # closed after the last block
                self.progress_done = self.progress_total or 0
        else:
            self.progress_done = rows_done

    def _raise_duplicate(self, id_list: list[str], earlier: set[str], first_row: int) -> None:
        # Error path only: name the offending row and the row that used the id first.
        in_chunk: dict[str, int] = {}
        for offset, record_id in enumerate(id_list):
            first = (
                self._first_row_of(record_id) if record_id in earlier else in_chunk.get(record_id)
            )
            if first is not None:
                raise InputError(
                    f"{self.source}: row {first_row + offset}, column {RECORD_ID!r}: duplicate "
                    f"record id {record_id!r} (first used at row {first}); ids must be unique"
                )
            in_chunk[record_id] = first_row + offset

    def _first_row_of(self, record_id: str) -> int | None:
        for first_row, table in RecordReader(
            self._frame if self._frame is not None else self._path,
            columns=self._mapping,
            chunk_rows=self._chunk_rows,
        )._rechunked():
            found = pc.index(table.column(RECORD_ID), record_id).as_py()
            if found >= 0:
                return first_row + found
        return None


def _as_text(column: pa.Array, source: str, name: str, first_row: int) -> pa.Array:
    """Cast a typed Parquet column to text, naming the row of any undecodable value."""
    if pa.types.is_string(column.type):
        return column
    if pa.types.is_large_string(column.type):
        return column.cast(pa.string())
    if pa.types.is_nested(column.type):
        raise InputError(f"{source}: column {name!r} holds {column.type} values, expected text")
    try:
        return column.cast(pa.string())
    except pa.ArrowInvalid:
        for offset, value in enumerate(column.to_pylist()):
            if isinstance(value, bytes):
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    raise InputError(
                        f"{source}: row {first_row + offset + 1}, column {name!r}: "
                        f"text is not valid UTF-8"
                    ) from None
        raise InputError(
            f"{source}: column {name!r} holds {column.type} values that cannot be read as text"
        ) from None


def _frame_column_as_text(series: pd.Series, source: str, name: str, start: int) -> pa.Array:
    """Convert a DataFrame column to Arrow text; whole floats (ids with gaps) stay integers."""
    import pandas as pd

    if pd.api.types.is_float_dtype(series.dtype):
        present = series.dropna()
        if (present == present.round()).all():
            series = series.astype("Int64")
    try:
        text = series.astype("string")
    except UnicodeDecodeError:
        for offset, value in enumerate(series.tolist()):
            if isinstance(value, bytes):
                try:
                    value.decode("utf-8")
                except UnicodeDecodeError:
                    raise InputError(
                        f"{source}: row {start + offset + 1}, column {name!r}: "
                        f"text is not valid UTF-8"
                    ) from None
        raise
    return pa.array(text, type=pa.string(), from_pandas=True)


def _text_encoding(path: Path) -> str:
    """UTF-16 when the file starts with its byte-order mark (Excel's "Unicode text"), else
    UTF-8; other code pages are refused cell by cell, with the row named."""
    with open(path, "rb") as handle:
        start = handle.read(2)
    return "utf-16" if start in (b"\xff\xfe", b"\xfe\xff") else _UTF8


def _sniff_delimiter(path: Path, encoding: str, default: str) -> str:
    """The delimiter the header line uses most (``;`` for a European Excel export)."""
    with open(path, encoding=encoding, errors="surrogateescape", newline="") as handle:
        header = handle.readline()
    counts = {delimiter: header.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: (counts[delimiter], delimiter == default))
    return best if counts[best] else default
