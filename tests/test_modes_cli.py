"""``ppmatch stats``, ``ppmatch psi``, ``ppmatch link-unit`` and ``ppmatch link`` from the command line."""

from __future__ import annotations

import csv
import json
import sys

import pandas as pd
import pytest

from ppmatch.cli.main import main
from ppmatch.synth import generate


@pytest.fixture
def ppmatch(capsys, monkeypatch):
    """Run the console entry point in-process: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["ppmatch", *args])
        code = 0
        try:
            main()
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("modes_cli")
    generate(folder, travelers=30, felons=25, overlap=10, seed=4, workers=1)
    felons = pd.read_csv(folder / "felons.csv", dtype=str, keep_default_na=False)
    felons["convictions"] = [str(i % 3) for i in range(len(felons))]
    felons.to_csv(folder / "felons_valued.csv", index=False)
    return folder


def test_stats_and_psi_agree(data, ppmatch):
    code, out, err = ppmatch(
        "stats",
        "--holder",
        str(data / "felons_valued.csv"),
        "--querier",
        str(data / "travelers.csv"),
        "--value-column",
        "convictions",
    )
    assert code == 0, err
    summary = json.loads(out)
    code, out, err = ppmatch(
        "psi", "--a", str(data / "travelers.csv"), "--b", str(data / "felons_valued.csv")
    )
    assert code == 0, err
    mutual = json.loads(out)
    assert summary["count"] == mutual["count"] == len(mutual["b_matched"]) > 0
    felons = pd.read_csv(data / "felons_valued.csv", dtype=str).set_index("record_id")
    assert summary["sum"] == sum(int(felons.loc[f, "convictions"]) for f in mutual["b_matched"])
    assert summary["bytes_holder_to_querier"] > summary["bytes_querier_to_holder"] > 0
    code, out, _ = ppmatch(
        "psi",
        "--a",
        str(data / "travelers.csv"),
        "--b",
        str(data / "felons.csv"),
        "--cardinality-only",
    )
    only = json.loads(out)
    assert only["count"] == mutual["count"] and "a_matched" not in only


def test_link_unit_writes_pairs(data, tmp_path, ppmatch):
    out = tmp_path / "pairs.csv"
    code, stdout, err = ppmatch(
        "link-unit",
        "--a",
        str(data / "travelers.csv"),
        "--b",
        str(data / "felons.csv"),
        "--out",
        str(out),
    )
    assert code == 0, err
    summary = json.loads(stdout)
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == summary["pairs"] > 0
    with open(data / "truth.csv", newline="") as handle:
        truth = {(r["traveler_id"], r["felon_id"]) for r in csv.DictReader(handle)}
    found = {(r["a_record_id"], r["b_record_id"]) for r in rows}
    assert len(found & truth) >= 7
    assert all(0.9 <= float(r["similarity"]) <= 1.0 for r in rows)


def test_errors_are_one_line_with_exit_codes(data, tmp_path, ppmatch):
    code, _, err = ppmatch(
        "stats",
        "--holder",
        str(data / "felons.csv"),
        "--querier",
        str(data / "travelers.csv"),
        "--value-column",
        "convictions",
    )
    assert code == 2
    assert "no value column 'convictions'" in err and "Traceback" not in err
    code, _, err = ppmatch(
        "psi",
        "--a",
        str(data / "travelers.csv"),
        "--b",
        str(data / "felons.csv"),
        "--key-rule",
        "nope",
    )
    assert code == 2 and "key rule 'nope'" in err
    code, _, err = ppmatch(
        "link-unit",
        "--a",
        str(tmp_path / "none.csv"),
        "--b",
        str(data / "felons.csv"),
        "--out",
        str(tmp_path / "p.csv"),
    )
    assert code == 2 and "none.csv" in err


def test_link_reads_a_month_first_file_as_the_other_runs_do(tmp_path, ppmatch):
    """``ppmatch link`` (the plaintext reference linker), tried with a US-dated partner file."""
    header = "record_id,given_names,surname,date_of_birth\n"
    (tmp_path / "iso.csv").write_text(header + "a,Ann,Lee,1990-04-01\nb,Bo,Kim,1985-03-25\n")
    (tmp_path / "us.csv").write_text(header + "x,Ann,Lee,04/01/1990\ny,Bo,Kim,03/25/1985\n")
    out = tmp_path / "links.csv"
    code, _, err = ppmatch(
        "link",
        str(tmp_path / "us.csv"),
        str(tmp_path / "iso.csv"),
        "--out",
        str(out),
        "--threshold",
        "0.99",
    )
    assert code == 0, err
    links = {
        (row["querier_record_id"], row["holder_record_id"]) for row in csv.DictReader(out.open())
    }
    assert links == {("x", "a"), ("y", "b")}
