"""``ppmatch synth`` and ``ppmatch inspect`` through the installed console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ppmatch.cli.commands_data  # noqa: F401 - registers synth and inspect on app
from ppmatch.cli.main import app
from ppmatch.identity import read_records
from ppmatch.identity.inspect import inspect_records
from ppmatch.identity.scripts import scripts_of
from ppmatch.synth import generate

PPMATCH = Path(sys.executable).parent / "ppmatch"
HEADER = "record_id,given_names,surname,date_of_birth,sex,nationality\n"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PPMATCH), *args], capture_output=True, text=True, timeout=120, check=False
    )


def run_in_process(*args: str):
    """Success paths run in-process (fast); error paths go through the real console script."""
    return CliRunner().invoke(app, list(args))


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def test_synth_command_writes_the_same_bytes_as_the_api(tmp_path):
    args = ["--travelers", "400", "--felons", "200", "--overlap", "50", "--seed", "1"]
    result = run("synth", *args, "--out", str(tmp_path / "cli"))
    assert result.returncode == 0, result.stderr
    assert "travelers.csv (400 rows)" in result.stdout
    generate(tmp_path / "api", travelers=400, felons=200, overlap=50, seed=1)
    for name in ("travelers.csv", "felons.csv", "truth.csv"):
        assert (tmp_path / "cli" / name).read_bytes() == (tmp_path / "api" / name).read_bytes()


def test_synth_rejects_impossible_overlap():
    result = run("synth", "--travelers", "3", "--felons", "3", "--overlap", "4")
    assert_one_line_error(result, "--overlap 4")


def test_inspect_reports_unparsable_values_and_exits_zero(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(
        HEADER
        + "1,Aleksandr,Иванов,1990-02-03,M,RUS\n"
        + "2,Γεώργιος,Παπαδόπουλος,31.31.1990,female,Greece\n"
        + "3,王,伟,1985,?,Narnia\n",
        encoding="utf-8",
    )
    result = run_in_process("inspect", str(path), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    columns = {c["column"]: c for c in report["columns"]}
    assert report["rows"] == 3
    assert columns["date_of_birth"]["unparsable"] == 1
    assert columns["date_of_birth"]["unparsable_examples"] == [{"row": 2, "raw": "31.31.1990"}]
    assert columns["sex"]["unparsable"] == 1 and columns["nationality"]["unparsable"] == 1
    assert set(columns["surname"]["scripts"]) == {"Cyrillic", "Greek", "Han"}
    assert {"raw": "Иванов", "normalized": "IVANOV"} in columns["surname"]["examples"]
    assert any(
        "row 2, column 'date_of_birth'" in w and "people.csv" in w for w in report["warnings"]
    )

    table = run_in_process("inspect", str(path))
    assert table.exit_code == 0
    assert "warning:" in table.stdout and "row 2, column 'date_of_birth'" in table.stdout


def test_inspect_on_a_broken_row_names_file_row_and_column(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text(HEADER + "1,A,B,1990,M,RUS\n2,C\n", encoding="utf-8")
    result = run("inspect", str(path))
    assert_one_line_error(result, "broken.csv", "row 2", "column 'surname'")


@pytest.mark.parametrize(
    ("content", "fragments"),
    [
        (HEADER.encode() + b"1,A,M\xfcller,1990,M,RUS\n", ("row 1", "column 'surname'", "UTF-8")),
        ((HEADER + "1,A,B,,,\n1,C,D,,,\n").encode(), ("row 2", "column 'record_id'", "duplicate")),
        (b"id,surname\n1,A\n", ("no 'record_id' column",)),
    ],
)
def test_inspect_unusable_files_fail_in_one_line(tmp_path, content, fragments):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert_one_line_error(run("inspect", str(path)), "bad.csv", *fragments)


def test_inspect_missing_file_and_bad_mapping(tmp_path):
    assert_one_line_error(run("inspect", str(tmp_path / "nope.csv")), "nope.csv: no such file")
    path = tmp_path / "m.csv"
    path.write_text("id,last\n1,Smith\n", encoding="utf-8")
    assert_one_line_error(
        run("inspect", str(path), "--columns", "record_id=id,family_name=last"),
        "m.csv",
        "unknown column 'family_name'",
    )
    ok = run_in_process("inspect", str(path), "--columns", "record_id=id,surname=last", "--json")
    assert ok.exit_code == 0
    assert [c["column"] for c in json.loads(ok.stdout)["columns"]] == ["record_id", "surname"]


def test_inspect_records_counts_across_chunks(tmp_path):
    path = tmp_path / "c.csv"
    rows = "".join(f"{i},Name{i},,{'bad' if i % 4 == 0 else '1990'}\n" for i in range(10))
    path.write_text("record_id,given_names,surname,date_of_birth\n" + rows, encoding="utf-8")

    def year(text: str) -> str | None:
        return text if text.isdigit() else None

    report = inspect_records(read_records(path, chunk_rows=3), {"date_of_birth": year})
    dob = report.columns["date_of_birth"]
    assert report.rows == 10
    assert (dob.present, dob.missing, dob.failures) == (10, 0, 3)
    assert [row for row, _ in dob.failure_examples] == [1, 5, 9]  # rows 0, 4, 8 are 1-based 1, 5, 9
    assert report.columns["surname"].missing == 10


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Smith", {"Latin"}),
        ("Иванов", {"Cyrillic"}),
        ("Γιώργος", {"Greek"}),
        ("محمد", {"Arabic"}),
        ("王伟", {"Han"}),
        ("Müller-Иванов", {"Latin", "Cyrillic"}),
        ("12-34", set()),
    ],
)
def test_scripts_of(text, expected):
    assert scripts_of(text) == expected


def test_inspect_shows_a_month_first_file_as_the_pipeline_reads_it(tmp_path):
    path = tmp_path / "us.csv"
    path.write_text(HEADER + "1,Ann,Lee,03/25/1985,F,USA\n2,Bo,Kim,04/01/1990,M,USA\n")
    report = json.loads(run_in_process("inspect", str(path), "--json").stdout)
    dates = {c["column"]: c for c in report["columns"]}["date_of_birth"]
    assert report["date_of_birth_order"] == "month-first"
    assert report["read_as"] == "CSV, UTF-8, ','-separated" and report["renamed_columns"] == {}
    spelled = tmp_path / "spelled.csv"
    spelled.write_text("ID,GIVEN NAMES,Surname\n1,Ann,Lee\n")
    table = run_in_process("inspect", str(spelled), "--columns", "record_id=ID")
    assert "ID -> record_id, GIVEN NAMES -> given_names, Surname -> surname" in table.stdout
    assert {"raw": "04/01/1990", "normalized": "1990-04-01"} in dates["examples"]
    table = run_in_process("inspect", str(path))
    assert "month-first" in table.stdout and "1 April" in table.stdout
