"""Identity records: the column model and streaming readers (CSV, Parquet, DataFrame)."""

from ppmatch.identity.batch import RecordBatch
from ppmatch.identity.columns import IDENTITY_COLUMNS, RECORD_ID, parse_column_mapping
from ppmatch.identity.readers import RecordReader, iter_rows, read_records

__all__ = [
    "IDENTITY_COLUMNS",
    "RECORD_ID",
    "RecordBatch",
    "RecordReader",
    "iter_rows",
    "parse_column_mapping",
    "read_records",
]
