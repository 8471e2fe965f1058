"""``ppmatch simulate`` and ``ppmatch demo`` from the command line."""

from __future__ import annotations

import json
import sys
from unittest import mock

import pandas as pd
import pytest


def ppmatch(capsys, *args: str) -> tuple[int, str, str]:
    """Run the CLI in-process (interpreter start-up would dominate these small runs)."""
    from ppmatch.cli.main import main

    with mock.patch.object(sys, "argv", ["ppmatch", *args]):
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def simulate(capsys, holder, querier, out, *options: str) -> tuple[int, str, str]:
    """``ppmatch simulate`` on one worker with the given files and further options."""
    return ppmatch(
        capsys,
        "simulate",
        "--holder",
        str(holder),
        "--querier",
        str(querier),
        "--out",
        str(out),
        "--workers",
        "1",
        *options,
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    from ppmatch.synth import generate

    folder = tmp_path_factory.mktemp("simulate")
    generate(folder, travelers=30, felons=60, overlap=10, seed=3, workers=1)
    return folder


def test_simulate_writes_matches_summary_and_transcript(data, tmp_path, capsys):
    out = tmp_path / "matches.csv"
    transcript = tmp_path / "transcript"
    code, stdout, stderr = simulate(
        capsys,
        data / "felons.csv",
        data / "travelers.csv",
        out,
        "--transcript",
        str(transcript),
    )
    assert code == 0, stderr
    lines = stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["holder_records"] == 60 and summary["querier_records"] == 30
    assert (
        summary["tokens_evaluated"] % 30 == 0
        and summary["tokens_evaluated"] >= summary["querier_tokens"]
    )
    assert summary["bytes_querier_to_holder"] > 0 and summary["bytes_holder_to_querier"] > 0
    assert set(summary["seconds"]) >= {"publish", "prepare", "evaluate", "finish"}
    matches = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(matches.columns[:6]) == [
        "querier_record_id",
        "holder_record_id",
        "holder_handle",
        "score",
        "decision",
        "matched",
    ]
    assert set(matches.decision) <= {"match", "review"}
    index = json.loads((transcript / "transcript.json").read_text())
    assert [m["direction"] for m in index] == [
        "holder-to-querier",
        "querier-to-holder",
        "holder-to-querier",
    ]
    assert (transcript / "holder-database.ppmdb").stat().st_size == index[0]["bytes"]


def test_simulate_missing_file_is_one_clear_error(tmp_path, capsys):
    code, stdout, stderr = simulate(
        capsys, tmp_path / "nope.csv", tmp_path / "x.csv", tmp_path / "m.csv"
    )
    assert code == 2
    assert "nope.csv" in stderr and "Traceback" not in stderr


def test_simulate_reads_a_partner_file_through_a_column_mapping(data, tmp_path, capsys):
    """Tried as a partner's export arrives: other column names, mapped on the command line."""
    names = {"record_id": "id", "given_names": "first", "surname": "last", "date_of_birth": "dob"}
    travelers = pd.read_csv(data / "travelers.csv", dtype=str, keep_default_na=False)
    travelers.rename(columns=names).to_csv(tmp_path / "partner.csv", index=False)
    runs = {}
    for name, querier, mapping in (
        ("plain", data / "travelers.csv", []),
        (
            "mapped",
            tmp_path / "partner.csv",
            ["--querier-columns", "record_id=id,given_names=first,surname=last,date_of_birth=dob"],
        ),
    ):
        out = tmp_path / f"{name}.csv"
        code, stdout, stderr = simulate(capsys, data / "felons.csv", querier, out, *mapping)
        assert code == 0, stderr
        matches = pd.read_csv(out, dtype=str)
        # each run draws its own linkage secret: compare what does not depend on it
        runs[name] = (
            json.loads(stdout)["querier_tokens"],
            set(matches.querier_record_id[matches.decision == "match"]),
        )
    assert runs["plain"] == runs["mapped"] and runs["plain"][1]

    code, _, stderr = simulate(
        capsys,
        data / "felons.csv",
        tmp_path / "partner.csv",
        tmp_path / "x.csv",
        "--querier-columns",
        "given=first",
    )
    assert code == 2 and "partner.csv" in stderr and "'given'" in stderr


@pytest.mark.slow
def test_demo_runs_both_directions_and_writes_the_report(tmp_path, capsys):
    code, stdout, stderr = ppmatch(
        capsys,
        "demo",
        "--out",
        str(tmp_path),
        "--travelers",
        "80",
        "--felons",
        "150",
        "--overlap",
        "20",
        "--workers",
        "1",
    )
    assert code == 0, stderr
    assert "agency-a screens agency-b" in stdout and "precision" in stdout
    report = (tmp_path / "report.html").read_text()
    assert "<svg" in report and "agency-b screens agency-a" in report
    assert (tmp_path / "matches-agency-a-screens-agency-b.csv").exists()


def test_a_spreadsheet_export_with_us_dates_screens_like_the_plain_file(data, tmp_path, capsys):
    """Tried as a partner's spreadsheet export: ';'-separated, headers in other spellings,
    MM/DD/YYYY dates. The run reads it as the plain file: same tokens, same matches."""
    travelers = pd.read_csv(data / "travelers.csv", dtype=str, keep_default_na=False)
    iso = pd.to_datetime(travelers.date_of_birth, format="%Y-%m-%d", errors="coerce")
    travelers["date_of_birth"] = iso.dt.strftime("%m/%d/%Y").where(
        iso.notna(), travelers.date_of_birth
    )
    assert (iso.dt.day > 12).any() and (iso.dt.day <= 12).any()
    header = {name: name.replace("_", " ").title() for name in travelers.columns}
    travelers.rename(columns=header).to_csv(tmp_path / "export.csv", sep=";", index=False)
    runs = []
    for querier in (data / "travelers.csv", tmp_path / "export.csv"):
        out = tmp_path / f"{querier.stem}-matches.csv"
        code, stdout, stderr = simulate(capsys, data / "felons.csv", querier, out)
        assert code == 0, stderr
        matches = pd.read_csv(out, dtype=str)
        runs.append(
            (
                json.loads(stdout)["querier_tokens"],
                set(matches.querier_record_id[matches.decision == "match"]),
            )
        )
    assert runs[0] == runs[1] and runs[0][1]
