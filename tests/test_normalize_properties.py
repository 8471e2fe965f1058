"""Properties: normalization is total (never raises) and idempotent on its own output."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

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

# Any Unicode text, plus text biased towards the scripts and punctuation names really contain.
_NAMEISH = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ -'’.,<ÄÖÜßøåçğışİłżśéñđễ")
        + list("АБВГҐДЕЁЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯЂЈЉЊЋЏабвгдеёжзийклмнопрстуфхцчшщъыьэюя")
        + list("ΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩάέήίόύώϊϋΐΰς")
        + list("محمدعبدالرحنأإآةى王小明김")
    ),
    max_size=30,
)
_ANY_TEXT = st.one_of(st.text(max_size=40), _NAMEISH)


@settings(max_examples=300, deadline=None)
@given(_ANY_TEXT)
def test_name_normalization_is_total_and_idempotent(text: str) -> None:
    name = normalize_name(text)
    assert all(token.isascii() and token.isalpha() and token.isupper() for token in name.tokens)
    assert len(name.alternatives) == len(name.tokens) == len(name.groups)
    assert name.particles <= set(name.tokens)
    again = normalize_name(" ".join(name.tokens))
    assert again.tokens == name.tokens
    assert again.particles == name.particles


@settings(max_examples=200, deadline=None)
@given(_ANY_TEXT)
def test_groups_and_phonetic_codes_are_total_and_stable(text: str) -> None:
    for token in normalize_name(text).tokens:
        key = name_group(token)
        assert name_group(key) == key
        assert phonetic_code(token) == phonetic_code(token)
    assert isinstance(name_group(text), str)
    assert isinstance(phonetic_code(text), str)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=25), st.from_regex(r"\d{1,4}[./ -]\d{1,4}([./ -]\d{1,4})?", fullmatch=True)
    )
)
def test_date_normalization_is_total_and_idempotent(text: str) -> None:
    parsed = normalize_date(text)
    if parsed is not None:
        assert normalize_date(parsed.isoformat()) == parsed
        assert 1900 <= parsed.year <= dt.date.today().year


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date.today()))
def test_every_real_date_round_trips_through_every_format(day: dt.date) -> None:
    for text in (day.isoformat(), day.strftime("%d.%m.%Y"), day.strftime("%Y%m%d")):
        parsed = normalize_date(text)
        assert parsed is not None and (parsed.year, parsed.month, parsed.day) == (
            day.year,
            day.month,
            day.day,
        )


@settings(max_examples=200, deadline=None)
@given(_ANY_TEXT)
def test_codes_are_total_and_idempotent(text: str) -> None:
    sex = normalize_sex(text)
    assert sex in (None, "M", "F", "X")
    if sex is not None:
        assert normalize_sex(sex) == sex
    nationality = normalize_nationality(text)
    if nationality is not None:
        assert normalize_nationality(nationality) == nationality
    for fold in (False, True):
        number = normalize_document_number(text, fold_ocr=fold)
        if number is not None:
            assert number.isascii() and number.isalnum()
            assert normalize_document_number(number, fold_ocr=fold) == number


_VALUES = st.one_of(st.none(), _ANY_TEXT, st.integers(), st.floats(allow_nan=True))


@settings(max_examples=100, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "given_names",
                "surname",
                "date_of_birth",
                "sex",
                "nationality",
                "place_of_birth",
                "document_number",
                "offense_category",
            ]
        ),
        _VALUES,
    )
)
def test_record_normalization_never_raises(raw: dict[str, object]) -> None:
    record = normalize_record(raw, record_id="r", extra_fields=("offense_category",))
    assert record.record_id == "r"
    assert set(record.extra) <= {"offense_category"}
