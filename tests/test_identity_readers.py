"""Streaming readers: values kept as typed, chunking, column mapping, and located errors."""

from __future__ import annotations

import csv
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppmatch.errors import InputError
from ppmatch.identity import (
    IDENTITY_COLUMNS,
    RecordBatch,
    iter_rows,
    parse_column_mapping,
    read_records,
)

HEADER = "record_id,given_names,surname,date_of_birth,document_number,offense_category\n"


def write(tmp_path, name: str, text: str | bytes):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def all_rows(source, **options) -> list[dict[str, str | None]]:
    return [row for chunk in iter_rows(source, **options) for row in chunk]


def test_values_stay_text_exactly_as_typed(tmp_path):
    path = write(
        tmp_path,
        "t.csv",
        HEADER + "007,Ana María,Núñez,1990-01-02,000123,fraud\n008,NA,,02.03.1991,,\n",
    )
    rows = all_rows(path)
    assert rows[0]["record_id"] == "007"  # no int inference
    assert rows[0]["document_number"] == "000123"
    assert rows[0]["date_of_birth"] == "1990-01-02"  # no date inference
    assert rows[0]["given_names"] == "Ana María"
    assert rows[1]["given_names"] == "NA"  # a real name (Chinese Na), not a null marker
    assert rows[1]["surname"] is None and rows[1]["document_number"] is None
    assert rows[0]["offense_category"] == "fraud"
    assert rows[0]["sex"] is None  # identity column absent from the file


def test_batch_exposes_ids_columns_and_payload(tmp_path):
    path = write(tmp_path, "t.csv", HEADER + "1,A,B,1990,X1,theft\n2,C,D,1991,,fraud\n")
    (batch,) = list(read_records(path))
    assert isinstance(batch, RecordBatch)
    assert batch.record_ids == ["1", "2"]
    assert batch.values("surname") == ["B", "D"]
    assert batch.values("sex") == [None, None]
    assert batch.payload_columns == ("offense_category",)
    assert batch.payload() == {"offense_category": ["theft", "fraud"]}
    assert batch.identity_columns == (
        "record_id",
        "given_names",
        "surname",
        "date_of_birth",
        "document_number",
    )


def test_chunks_have_exact_size_and_keep_row_numbers(tmp_path):
    lines = [f"R{i},Given{i},Surname{i},1990,D{i},x\n" for i in range(10)]
    path = write(tmp_path, "t.csv", HEADER + "".join(lines))
    batches = list(read_records(path, chunk_rows=3))
    assert [len(b) for b in batches] == [3, 3, 3, 1]
    assert [b.first_row for b in batches] == [1, 4, 7, 10]
    ids = [rid for b in batches for rid in b.record_ids]
    assert ids == [f"R{i}" for i in range(10)]


def test_duplicate_id_across_chunk_boundary_names_both_rows(tmp_path):
    lines = [f"R{i},G,S,1990,,x\n" for i in range(5)] + ["R1,G,S,1990,,x\n"]
    path = write(tmp_path, "dup.csv", HEADER + "".join(lines))
    with pytest.raises(InputError) as caught:
        list(read_records(path, chunk_rows=2))
    message = str(caught.value)
    assert "dup.csv" in message and "row 6" in message and "'record_id'" in message
    assert "'R1'" in message and "first used at row 2" in message


def test_duplicate_id_inside_one_chunk(tmp_path):
    path = write(tmp_path, "dup.csv", HEADER + "A,G,S,,,\nB,G,S,,,\nA,G,S,,,\n")
    with pytest.raises(
        InputError, match=r"dup\.csv: row 3, column 'record_id'.*first used at row 1"
    ):
        list(read_records(path))


def test_empty_record_id_is_rejected_with_row(tmp_path):
    path = write(tmp_path, "e.csv", HEADER + "A,G,S,,,\n  ,G,S,,,\n")
    with pytest.raises(InputError, match=r"e\.csv: row 2, column 'record_id': empty record id"):
        list(read_records(path))


def test_missing_record_id_column(tmp_path):
    path = write(tmp_path, "m.csv", "id,surname\n1,A\n")
    with pytest.raises(InputError, match=r"m\.csv: no 'record_id' column.*--columns record_id="):
        read_records(path)


def test_non_utf8_bytes_name_row_line_and_column(tmp_path):
    body = HEADER.encode() + b"A,G,S,,,\nB,G,M\xfcller,,,\n"
    path = write(tmp_path, "latin1.csv", body)
    with pytest.raises(InputError) as caught:
        list(read_records(path))
    assert "latin1.csv: row 2 (line 3), column 'surname'" in str(caught.value)
    assert "UTF-8" in str(caught.value)


def test_ragged_rows_are_located(tmp_path):
    long_row = write(tmp_path, "long.csv", HEADER + "A,G,S,,,\nB,G,S,,,,extra\n")
    with pytest.raises(InputError, match=r"long\.csv: row 2 \(line 3\): 7 values for 6 columns"):
        list(read_records(long_row))
    short_row = write(tmp_path, "short.csv", HEADER + "A,G,S,,,\nB,G\n")
    with pytest.raises(
        InputError, match=r"short\.csv: row 2 \(line 3\), column 'surname': 2 values for 6"
    ):
        list(read_records(short_row))


def test_quoted_newlines_and_bom_are_read(tmp_path):
    text = "\ufeff" + HEADER + 'A,"Jean\nPierre",S,,,\n'
    rows = all_rows(write(tmp_path, "q.csv", text))
    assert rows[0]["record_id"] == "A" and rows[0]["given_names"] == "Jean\nPierre"


def test_tsv_is_read_by_suffix(tmp_path):
    path = write(tmp_path, "t.tsv", "record_id\tsurname\n1\tSmith, Jr\n")
    assert all_rows(path)[0]["surname"] == "Smith, Jr"


def test_spreadsheet_exports_are_read_as_saved(tmp_path):
    """Tried with what spreadsheet programs write: a European CSV separated by ';' (decimal
    a comma inside a value), and "Unicode text" (UTF-16 with its byte-order mark, tabs)."""
    semicolons = write(tmp_path, "eu.csv", "record_id;given_names;surname\n1;Jürgen;Müller, Jr\n")
    assert read_records(semicolons).layout == "CSV, UTF-8, ';'-separated"
    row = all_rows(semicolons)[0]
    assert (row["record_id"], row["given_names"], row["surname"]) == ("1", "Jürgen", "Müller, Jr")
    unicode_text = write(
        tmp_path,
        "export.txt",
        "record_id\tgiven_names\tsurname\n1\tΓιώργος\tПетров\n".encode("utf-16"),
    )
    assert read_records(unicode_text).layout == "CSV, UTF-16, tab-separated"
    row = all_rows(unicode_text)[0]
    assert (row["record_id"], row["given_names"], row["surname"]) == ("1", "Γιώργος", "Петров")
    ragged = write(tmp_path, "ragged.csv", "record_id;given_names;surname\n1;A;B\n2;C\n")
    with pytest.raises(InputError, match=r"ragged\.csv: row 2 \(line 3\), column 'surname'"):
        list(read_records(ragged))


@pytest.mark.parametrize(
    ("name", "content", "pattern"),
    [
        ("missing.csv", None, r"missing\.csv: no such file"),
        ("empty.csv", "", r"empty\.csv: file is empty"),
        ("data.xlsx", "x", r"data\.xlsx: unsupported file type '\.xlsx'"),
        ("broken.parquet", "not parquet", r"broken\.parquet: not a readable Parquet file"),
    ],
)
def test_unusable_files(tmp_path, name, content, pattern):
    if content is not None:
        write(tmp_path, name, content)
    with pytest.raises(InputError, match=pattern):
        read_records(tmp_path / name)


def test_directory_and_unreadable_file(tmp_path):
    with pytest.raises(InputError, match="not a regular file"):
        read_records(tmp_path)
    path = write(tmp_path, "secret.csv", HEADER)
    os.chmod(path, 0)
    try:
        if os.access(path, os.R_OK):  # root reads everything
            pytest.skip("running with permission to read any file")
        with pytest.raises(InputError, match=r"secret\.csv: file is not readable"):
            read_records(path)
    finally:
        os.chmod(path, 0o600)


def test_column_mapping_renames_and_keeps_payload(tmp_path):
    path = write(tmp_path, "m.csv", "id,first_name,last_name,case_no\n1,Ana,Lopez,77\n")
    mapping = parse_column_mapping("record_id=id, given_names=first_name,surname=last_name")
    rows = all_rows(path, columns=mapping)
    assert rows[0]["record_id"] == "1"
    assert rows[0]["given_names"] == "Ana" and rows[0]["surname"] == "Lopez"
    assert rows[0]["case_no"] == "77"
    assert "first_name" not in rows[0]


@pytest.mark.parametrize(
    ("mapping", "pattern"),
    [
        ({"given_name": "first_name"}, r"unknown column 'given_name' in the column mapping"),
        ({"surname": "family"}, r"column 'family' \(mapped to surname\) is not in the file"),
        ({"surname": "first_name", "given_names": "first_name"}, "one file column for two"),
    ],
)
def test_bad_column_mappings(tmp_path, mapping, pattern):
    path = write(tmp_path, "m.csv", "record_id,first_name,surname\n1,Ana,Lopez\n")
    with pytest.raises(InputError, match=pattern):
        read_records(path, columns=mapping)


def test_mapping_that_shadows_an_existing_identity_column(tmp_path):
    path = write(tmp_path, "m.csv", "record_id,surname,last_name\n1,A,B\n")
    with pytest.raises(InputError, match="'surname' is in the file but the mapping takes"):
        read_records(path, columns={"surname": "last_name"})


@pytest.mark.parametrize("text", ["given_names", "given_names=", "=x", "a=b,a=c"])
def test_malformed_mapping_text(text):
    with pytest.raises(InputError):
        parse_column_mapping(text)


def test_duplicate_header_names(tmp_path):
    path = write(tmp_path, "h.csv", "record_id,surname,surname\n1,A,B\n")
    with pytest.raises(InputError, match=r"h\.csv: column 'surname' appears twice"):
        read_records(path)


def test_parquet_typed_columns_become_text_in_chunks(tmp_path):
    table = pa.table(
        {
            "record_id": pa.array([1, 2, 3], pa.int64()),
            "surname": ["Ivanov", "Иванов", None],
            "date_of_birth": pa.array(["1990-01-02", "02.01.1990", "1990"]),
            "risk_score": pa.array([0.5, 1.0, 2.5]),
        }
    )
    path = tmp_path / "r.parquet"
    pq.write_table(table, path)
    batches = list(read_records(path, chunk_rows=2))
    assert [len(b) for b in batches] == [2, 1]
    rows = [row for b in batches for row in b.rows()]
    assert [r["record_id"] for r in rows] == ["1", "2", "3"]
    assert rows[1]["surname"] == "Иванов" and rows[2]["surname"] is None
    assert rows[2]["risk_score"] == "2.5"


def test_parquet_invalid_utf8_bytes_are_located(tmp_path):
    table = pa.table(
        {"record_id": ["a", "b"], "surname": pa.array([b"ok", b"M\xfcller"], pa.binary())}
    )
    path = tmp_path / "b.parquet"
    pq.write_table(table, path)
    with pytest.raises(InputError, match=r"b\.parquet: row 2, column 'surname': .*UTF-8"):
        list(read_records(path))


def test_dataframe_input_with_mapping_and_float_ids():
    frame = pd.DataFrame(
        {"id": [1.0, 2.0, 3.0], "last": ["Müller", None, "Smith"], "dob": ["1990", "", "x"]}
    )
    rows = all_rows(frame, columns={"record_id": "id", "surname": "last", "date_of_birth": "dob"})
    assert [r["record_id"] for r in rows] == ["1", "2", "3"]  # not "1.0"
    assert [r["surname"] for r in rows] == ["Müller", None, "Smith"]
    assert rows[1]["date_of_birth"] is None


def test_dataframe_duplicate_ids_are_located():
    frame = pd.DataFrame({"record_id": ["a", "b", "c", "a"], "surname": ["x"] * 4})
    with pytest.raises(InputError, match=r"<DataFrame>: row 4, column 'record_id'.*row 1"):
        list(read_records(frame, chunk_rows=2))


def test_rows_cover_every_identity_column(tmp_path):
    path = write(tmp_path, "t.csv", "record_id\n1\n")
    (row,) = all_rows(path)
    assert tuple(row) == IDENTITY_COLUMNS


_cell_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(',"\n\t '),
    max_size=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.tuples(_cell_text, _cell_text), min_size=1, max_size=8))
def test_any_text_survives_a_csv_round_trip(tmp_path, cells):
    path = tmp_path / "prop.csv"
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_ALL)
        writer.writerow(["record_id", "surname", "note"])
        for index, (surname, note) in enumerate(cells):
            writer.writerow([f"id{index}", surname, note])
    rows = all_rows(path, chunk_rows=3)
    assert len(rows) == len(cells)
    for row, (surname, note) in zip(rows, cells, strict=True):
        assert row["surname"] == (surname if surname.strip() else None)
        assert row["note"] == (note if note.strip() else None)


def test_progress_reaches_the_total(tmp_path):
    lines = "".join(f"R{i},G,S,1990,,x\n" for i in range(50))
    path = write(tmp_path, "p.csv", HEADER + lines)
    reader = read_records(path, chunk_rows=20)
    assert reader.progress_unit == "bytes" and reader.progress_total == path.stat().st_size
    done = [reader.progress_done for _ in reader]
    assert done == sorted(done) and done[-1] == reader.progress_total
    frame_reader = read_records(pd.DataFrame({"record_id": ["a", "b", "c"]}), chunk_rows=2)
    assert [frame_reader.progress_done for _ in frame_reader] == [2, 3]
    assert frame_reader.progress_unit == "rows" and frame_reader.progress_total == 3


def test_unsupported_source_type():
    with pytest.raises(InputError, match="cannot read records from a list"):
        read_records([{"record_id": "1"}])  # type: ignore[arg-type]


def test_identity_columns_in_another_case_are_matched_not_carried_as_payload(tmp_path):
    path = write(
        tmp_path,
        "caps.csv",
        "Record_ID,GIVEN NAMES,Surname,Date-of-Birth,Offense\n1,Ann,Lee,1990-01-02,x\n",
    )
    batch = next(iter(read_records(path)))
    assert batch.values("surname") == ["Lee"] and batch.values("date_of_birth") == ["1990-01-02"]
    assert batch.values("given_names") == ["Ann"] and batch.payload_columns == ("Offense",)
    exact = write(tmp_path, "exact.csv", "record_id,surname,Surname\n1,Lee,Li\n")
    assert next(iter(read_records(exact))).payload() == {"Surname": ["Li"]}
    twice = write(tmp_path, "twice.csv", "record_id,Surname,SURNAME\n1,Lee,Li\n")
    with pytest.raises(InputError, match=r"twice\.csv: columns 'Surname' and 'SURNAME' both"):
        read_records(twice)
