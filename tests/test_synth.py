"""Synthetic data: determinism, truth consistency, multicultural content, corruption model."""

from __future__ import annotations

import csv
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.errors import InputError
from ppmatch.identity import read_records
from ppmatch.synth import generate
from ppmatch.synth.corrupt import ocr_confusion, strip_diacritics, typo
from ppmatch.synth.tables import name_tables

SIZES = {"travelers": 3000, "felons": 1500, "overlap": 300}


def read_csv(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth")
    generate(out, seed=7, chunk_rows=1000, workers=1, **SIZES)
    return out


def test_same_seed_gives_byte_identical_files_whatever_the_workers(scenario, tmp_path):
    generate(tmp_path, seed=7, chunk_rows=1000, workers=2, **SIZES)
    for name in ("travelers.csv", "felons.csv", "truth.csv"):
        assert (tmp_path / name).read_bytes() == (scenario / name).read_bytes(), name


def test_different_seed_gives_different_files(scenario, tmp_path):
    generate(tmp_path, seed=8, chunk_rows=1000, workers=1, **SIZES)
    for name in ("travelers.csv", "felons.csv", "truth.csv"):
        assert (tmp_path / name).read_bytes() != (scenario / name).read_bytes(), name


def test_row_counts_truth_pairs_and_ids(scenario):
    travelers = read_csv(scenario / "travelers.csv")
    felons = read_csv(scenario / "felons.csv")
    truth = read_csv(scenario / "truth.csv")
    assert len(travelers) == SIZES["travelers"] and len(felons) == SIZES["felons"]
    assert len(truth) == SIZES["overlap"]
    traveler_ids = {row["record_id"] for row in travelers}
    felon_ids = {row["record_id"] for row in felons}
    assert len(traveler_ids) == len(travelers) and len(felon_ids) == len(felons)
    assert {pair["traveler_id"] for pair in truth} <= traveler_ids
    assert {pair["felon_id"] for pair in truth} <= felon_ids
    assert len({pair["traveler_id"] for pair in truth}) == len(truth)  # one-to-one
    assert len({pair["felon_id"] for pair in truth}) == len(truth)
    assert list(felons[0]) == [
        "record_id",
        "given_names",
        "surname",
        "date_of_birth",
        "sex",
        "nationality",
        "place_of_birth",
        "document_number",
        "offense_category",
        "conviction_date",
    ]


def test_truth_pairs_are_the_same_people(scenario):
    """Most true pairs still agree on the birth year: the corruption is noise, not a new person."""
    travelers = {r["record_id"]: r for r in read_csv(scenario / "travelers.csv")}
    felons = {r["record_id"]: r for r in read_csv(scenario / "felons.csv")}
    agree = 0
    truth = read_csv(scenario / "truth.csv")
    for pair in truth:
        traveler_year = travelers[pair["traveler_id"]]["date_of_birth"][:4]
        felon_year = felons[pair["felon_id"]]["date_of_birth"][-4:]
        agree += traveler_year == felon_year
    assert agree / len(truth) > 0.9


def test_files_are_readable_identity_records(scenario):
    batches = list(read_records(scenario / "felons.csv", chunk_rows=500))
    assert sum(len(b) for b in batches) == SIZES["felons"]
    assert batches[0].payload_columns == ("offense_category", "conviction_date")


def scripts(values) -> set[str]:
    found = set()
    for value in values:
        for char in value:
            if char.isalpha():
                found.add(unicodedata.name(char).split()[0])
    return found


def test_travelers_are_passport_latin_and_felons_multiscript(scenario):
    travelers = read_csv(scenario / "travelers.csv")
    felons = read_csv(scenario / "felons.csv")
    names = [r["given_names"] + r["surname"] for r in travelers]
    assert all(re.fullmatch(r"[A-Z' -]*", name) for name in names)
    felon_scripts = scripts(r["given_names"] + r["surname"] for r in felons)
    assert {"LATIN", "CYRILLIC", "GREEK", "CJK", "ARABIC"} <= felon_scripts
    assert any(
        not name.isascii() and name.isupper() is False for name in (r["surname"] for r in felons)
    )


def test_agency_date_formats(scenario):
    travelers = read_csv(scenario / "travelers.csv")
    felons = read_csv(scenario / "felons.csv")
    iso = re.compile(r"\d{4}-\d{2}-\d{2}|\d{4}")
    dotted = re.compile(r"\d{2}\.\d{2}\.\d{4}|\d{4}|")
    assert all(iso.fullmatch(r["date_of_birth"]) for r in travelers)
    assert all(dotted.fullmatch(r["date_of_birth"]) for r in felons)
    assert sum(len(r["date_of_birth"]) == 4 for r in felons) > 20  # some year-only


def test_common_names_recur_and_hard_negatives_exist(scenario):
    travelers = read_csv(scenario / "travelers.csv")
    felons = read_csv(scenario / "felons.csv")
    truth = {(p["traveler_id"], p["felon_id"]) for p in read_csv(scenario / "truth.csv")}
    full_names = [(r["given_names"], r["surname"]) for r in travelers]
    most_common = max(set(full_names), key=full_names.count)
    assert full_names.count(most_common) >= 5  # Zipf: common names recur
    by_name: dict[tuple[str, str], list[dict[str, str]]] = {}
    for row in travelers:
        by_name.setdefault((row["given_names"], row["surname"]), []).append(row)
    same_name_other_person = 0
    for felon in felons:
        key = (felon["given_names"].upper(), felon["surname"].upper())
        for traveler in by_name.get(key, ()):
            if (traveler["record_id"], felon["record_id"]) not in truth:
                same_name_other_person += 1
    assert same_name_other_person > 50


def test_corruptions_are_present_in_true_pairs(scenario):
    travelers = {r["record_id"]: r for r in read_csv(scenario / "travelers.csv")}
    felons = {r["record_id"]: r for r in read_csv(scenario / "felons.csv")}
    exact = 0
    truth = read_csv(scenario / "truth.csv")
    for pair in truth:
        t, f = travelers[pair["traveler_id"]], felons[pair["felon_id"]]
        exact += (t["given_names"], t["surname"]) == (
            f["given_names"].upper(),
            f["surname"].upper(),
        )
    assert 0.1 < exact / len(truth) < 0.8  # neither trivial nor hopeless


def test_edge_sizes(tmp_path):
    summary = generate(tmp_path, travelers=0, felons=5, overlap=0, seed=1)
    assert summary.travelers == 0
    assert read_csv(tmp_path / "travelers.csv") == []
    assert len(read_csv(tmp_path / "felons.csv")) == 5
    assert read_csv(tmp_path / "truth.csv") == []


@pytest.mark.parametrize(
    ("sizes", "pattern"),
    [
        ({"travelers": 5, "felons": 5, "overlap": 6}, "--overlap 6 is larger"),
        ({"travelers": -1, "felons": 5, "overlap": 0}, "--travelers must be zero or more"),
    ],
)
def test_impossible_sizes_are_input_errors(tmp_path, sizes, pattern):
    with pytest.raises(InputError, match=pattern):
        generate(tmp_path, seed=1, **sizes)


def test_name_tables_cover_every_locale_and_kind():
    tables = name_tables()
    from ppmatch.synth.locales import LOCALES

    for index, locale in enumerate(LOCALES):
        for kind in ("m", "f", "s", "p"):
            assert tables.has(index, kind), (locale.code, kind)
    for indices in tables.ranges.values():  # contiguous: the generator relies on it
        assert list(indices) == list(range(indices[0], indices[0] + len(indices)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Müller", "Muller"),
        ("Łódź", "Lodz"),
        ("Groß", "Gross"),
        ("Nguyễn", "Nguyen"),
        ("Đặng", "Dang"),
    ],
)
def test_strip_diacritics(text, expected):
    assert strip_diacritics(text) == expected


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(min_size=3, max_size=20),
    draws=st.tuples(*[st.floats(0, 1, exclude_max=True)] * 3),
)
def test_typo_changes_length_by_at_most_one(text, draws):
    corrupted = typo(text, *draws)
    assert abs(len(corrupted) - len(text)) <= 1
    assert (
        sorted(corrupted) == sorted(text)
        or len(corrupted) != len(text)
        or sum(a != b for a, b in zip(corrupted, text, strict=True)) <= 1
    )


def test_ocr_confusion_swaps_one_confusable_character():
    assert ocr_confusion("AB1234", 0.0) == "A81234"
    assert ocr_confusion("XYZ", 0.5) == "XY2"
    assert ocr_confusion("ACE", 0.3) == "ACE"
