"""Golden normalization tables (tests/golden/*.csv), typed from ICAO Doc 9303 Part 3, the
Ukrainian, Bulgarian and Serbian national tables, ELOT 743, ISO 3166-1 and ISO/IEC 5218."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ppmatch.normalize import (
    name_group,
    normalize_date,
    normalize_document_number,
    normalize_name,
    normalize_nationality,
    normalize_record,
    normalize_sex,
    phonetic_code,
)

GOLDEN = Path(__file__).parent / "golden"


def _rows(name: str) -> list[dict[str, str]]:
    with open(GOLDEN / name, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


NAME_ROWS = _rows("names.csv")
GROUP_ROWS = _rows("groups.csv")
DATE_ROWS = _rows("dates.csv")
CODE_ROWS = _rows("codes.csv")


def test_golden_tables_are_large_enough() -> None:
    total = len(NAME_ROWS) + len(GROUP_ROWS) + len(DATE_ROWS) + len(CODE_ROWS)
    assert total >= 80
    categories = {row["category"] for row in NAME_ROWS}
    assert {
        "russian",
        "ukrainian",
        "bulgarian",
        "serbian",
        "greek",
        "german",
        "turkish",
    } <= categories
    assert {"polish", "vietnamese", "spanish", "arabic", "chinese"} <= categories


@pytest.mark.parametrize("row", NAME_ROWS, ids=[f"{r['category']}:{r['text']}" for r in NAME_ROWS])
def test_golden_name(row: dict[str, str]) -> None:
    name = normalize_name(row["text"])
    assert name.tokens == tuple(row["tokens"].split()), row["source"]
    readings = set(name.tokens) | {alt for alts in name.alternatives for alt in alts}
    for accepted in row["accepts"].split():
        assert accepted in readings, f"{accepted} missing ({row['source']})"
    assert name.particles == frozenset(row["particles"].split()), row["source"]
    assert len(name.alternatives) == len(name.tokens) == len(name.groups)


@pytest.mark.parametrize("row", GROUP_ROWS, ids=[f"{r['first']}~{r['second']}" for r in GROUP_ROWS])
def test_golden_group(row: dict[str, str]) -> None:
    same = name_group(row["first"]) == name_group(row["second"])
    assert same == (row["same"] == "1"), row["source"]


@pytest.mark.parametrize("row", DATE_ROWS, ids=[r["text"] or "<empty>" for r in DATE_ROWS])
def test_golden_date(row: dict[str, str]) -> None:
    parsed = normalize_date(row["text"])
    assert (parsed.isoformat() if parsed else "") == row["expected"], row["source"]


def test_year_only_date_keeps_its_precision() -> None:
    parsed = normalize_date("1985")
    assert parsed is not None and parsed.precision == "year"
    assert parsed.month is None and parsed.day is None


_CODE_FUNCTIONS = {
    "sex": normalize_sex,
    "nationality": normalize_nationality,
    "document": normalize_document_number,
}


@pytest.mark.parametrize("row", CODE_ROWS, ids=[f"{r['kind']}:{r['text']}" for r in CODE_ROWS])
def test_golden_code(row: dict[str, str]) -> None:
    assert (_CODE_FUNCTIONS[row["kind"]](row["text"]) or "") == row["expected"], row["source"]


def test_document_number_ocr_folding_only_on_request() -> None:
    assert normalize_document_number("OB-1S") == "OB1S"
    assert normalize_document_number("OB-1S", fold_ocr=True) == "0815"


def test_chinese_name_order_is_irrelevant_to_the_token_set() -> None:
    native = normalize_record({"surname": "王", "given_names": "小明"}, record_id="a")
    passport = normalize_record({"surname": "WANG", "given_names": "Xiaoming"}, record_id="b")
    swapped = normalize_record({"surname": "Xiaoming", "given_names": "Wang"}, record_id="c")
    one_field = normalize_record({"surname": "Xiaoming WANG"}, record_id="d")
    assert (
        native.name_tokens == passport.name_tokens == swapped.name_tokens == one_field.name_tokens
    )
    assert native.name_tokens == ("WANG", "XIAOMING")


def test_missing_second_surname_leaves_a_subset() -> None:
    full = normalize_record({"given_names": "María", "surname": "García López"}, record_id="a")
    short = normalize_record({"given_names": "MARIA", "surname": "GARCIA"}, record_id="b")
    assert set(short.name_tokens) < set(full.name_tokens)


def test_single_name_person_is_comparable_whichever_field_holds_the_name() -> None:
    in_surname = normalize_record({"surname": "Sukarno", "given_names": "FNU"}, record_id="a")
    in_given = normalize_record({"given_names": "SUKARNO"}, record_id="b")
    assert in_surname.given_names.tokens == ()
    assert in_surname.name_tokens == in_given.name_tokens == ("SUKARNO",)


def test_nationality_chooses_the_cyrillic_table() -> None:
    ukrainian = normalize_record(
        {"given_names": "Володимир", "surname": "Зеленський", "nationality": "UKR"}, record_id="a"
    )
    assert ukrainian.name_tokens == ("VOLODYMYR", "ZELENSKYI")
    bulgarian = normalize_record({"given_names": "Христо", "nationality": "BG"}, record_id="b")
    assert bulgarian.given_names.tokens == ("HRISTO",)
    belarusian = normalize_record({"given_names": "Рыгор", "nationality": "BLR"}, record_id="c")
    assert belarusian.given_names.tokens == ("RYHOR",)
    russian = normalize_record({"given_names": "Іван", "nationality": "RUS"}, record_id="d")
    assert russian.given_names.tokens == ("IVAN",)


def test_arabic_script_and_latin_spellings_share_groups() -> None:
    native = normalize_name("محمد عبد الرحمن")
    latin = normalize_name("Muhammad Abdel-Rahman")
    assert native.groups == latin.groups == ("MOHAMMED", "ABDULRAHMAN")


def test_record_fields_and_extras() -> None:
    record = normalize_record(
        {
            "given_names": "Jürgen",
            "surname": "Groß",
            "date_of_birth": "12.03.1985",
            "sex": "männlich",
            "nationality": "D",
            "place_of_birth": "Frankfurt am Main",
            "document_number": "c01x-00t47",
            "offense_category": "Drug trafficking",
            "conviction_date": None,
        },
        record_id="r1",
        extra_fields=("offense_category", "conviction_date"),
    )
    assert record.record_id == "r1"
    assert record.date_of_birth is not None and record.date_of_birth.isoformat() == "1985-03-12"
    assert (record.sex, record.nationality) == ("M", "DEU")
    assert record.place_of_birth == "FRANKFURT AM MAIN"
    assert record.document_number == "C01X00T47"
    assert record.extra == {"offense_category": "DRUG TRAFFICKING"}


# Spellings of one name from different transliteration tables / passport conventions.
_PHONETIC_SAME = [
    ("MUELLER", "MULLER"),
    ("MOHAMMED", "MUHAMMAD"),
    ("YUSUF", "YOUSSEF"),
    ("ALEKSANDR", "ALEXANDER"),
    ("DMITRY", "DMITRI"),
    ("IURII", "YURI"),
    ("MIKHAIL", "MIHAIL"),
    ("IWANOW", "IVANOV"),
    ("NATALYA", "NATALIA"),
    ("CHAIKOVSKII", "TCHAIKOVSKY"),
    ("SCHMIDT", "SCHMITT"),
    ("MSRY", "MASRI"),  # anyascii skeleton of المصري vs the Latin spelling
]
_PHONETIC_DIFFERENT = [
    ("MARIA", "MARIO"),
    ("IVAN", "IVANA"),
    ("PETROV", "PETROVA"),
    ("OMAR", "AMIR"),
]


@pytest.mark.parametrize(("first", "second"), _PHONETIC_SAME)
def test_phonetic_code_equates_table_variants(first: str, second: str) -> None:
    assert phonetic_code(first) == phonetic_code(second)


@pytest.mark.parametrize(("first", "second"), _PHONETIC_DIFFERENT)
def test_phonetic_code_keeps_distinct_names_apart(first: str, second: str) -> None:
    assert phonetic_code(first) != phonetic_code(second)


def test_group_and_phonetic_accept_native_script() -> None:
    assert name_group("محمد") == name_group("Мухаммед") == name_group("MEHMET") == "MOHAMMED"
    assert phonetic_code("Müller") == phonetic_code("MULLER")


def test_every_group_key_is_a_fixed_point_and_spellings_are_in_one_group() -> None:
    from ppmatch.normalize.groups import NICKNAME_KEYS, VARIANT_GROUPS, _data_lines

    for token in list(NICKNAME_KEYS) + list(VARIANT_GROUPS):
        assert name_group(name_group(token)) == name_group(token), token
    spellings = [name for line in _data_lines("name_variants.txt") for name in line]
    assert len(spellings) == len(set(spellings))


def test_non_text_cells_from_dataframes() -> None:
    import pandas as pd

    assert normalize_date(pd.NaT) is None
    assert normalize_date(pd.Timestamp("1985-03-12")) == normalize_date("1985-03-12")
    assert normalize_date(19850312.0) == normalize_date("19850312")
    assert normalize_document_number(123456789.0) == "123456789"
    assert normalize_nationality(276.0) == "DEU"
    record = normalize_record(
        {"surname": float("nan"), "date_of_birth": pd.NaT, "sex": None}, record_id="x"
    )
    assert not record.surname and record.date_of_birth is None and record.sex is None
