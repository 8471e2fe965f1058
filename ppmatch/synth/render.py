"""Turn people into each agency's records: passport Latin for travelers, a clerk's hand for felons.

The traveler agency copies machine-readable passports: ICAO 9303 Latin, uppercase, ISO dates.
The partner's conviction register is typed by clerks: native scripts and diacritics,
transliteration variants, DD.MM.YYYY dates, and every corruption listed in ``FELON_NOISE``.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from ppmatch.synth.corrupt import ocr_confusion, strip_diacritics, typo
from ppmatch.synth.locales import COUNTRIES, ICAO_CODES, LOCALES, OFFENSES
from ppmatch.synth.population import Population, document_numbers
from ppmatch.synth.tables import NameTables

# Per-record probabilities of each corruption in the felon copy.
FELON_NOISE = {
    "native_script": 0.55,  # Cyrillic, Greek, Han or Arabic where the locale has one
    "keep_diacritics": 0.6,  # Müller rather than MUELLER / MULLER
    "spelling_variant": 0.3,  # Muhammad for Mohamed, Oleksandr -> Alexander
    "drop_second_given": 0.4,  # middle name or patronymic left out
    "drop_second_surname": 0.3,
    "nickname": 0.25,  # Bob for Robert, where a nickname exists
    "swap_name_order": 0.03,  # given <-> surname (0.15 for surname-first cultures)
    "typo": 0.08,
    "ocr_name": 0.01,
    "dob_off_by_day": 0.02,
    "dob_off_by_year": 0.02,
    "dob_day_month_swap": 0.03,
    "dob_year_only": 0.04,
    "dob_missing": 0.01,
    "sex_missing": 0.08,
    "same_passport": 0.35,  # else an old passport (0.15) or none
    "old_passport": 0.15,
    "ocr_document": 0.15,
    "place_missing": 0.3,
}
TRAVELER_YEAR_ONLY = 0.005  # passports of people whose exact birth date is unknown

_LATIN, _NATIVE, _VARIANT, _STRIPPED = 0, 1, 2, 3
_NATIVE_SCRIPT = np.array([loc.native_script for loc in LOCALES])
_SURNAME_FIRST = np.array([loc.surname_first for loc in LOCALES])
_PATRONYMIC = np.array([loc.patronymic for loc in LOCALES])
_SURNAME_JOINER = np.array([" " if loc.code == "es" else "-" for loc in LOCALES], dtype=object)
_LAST_CONVICTION_DAY = np.datetime64("2025-12-31").astype(np.int64)


def _date_parts(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dates = days.astype("datetime64[D]")
    months_since_epoch = dates.astype("datetime64[M]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = months_since_epoch.astype(np.int64) % 12 + 1
    day_of_month = (dates - months_since_epoch.astype("datetime64[D]")).astype(np.int64) + 1
    return years, months, day_of_month


def _join(first: np.ndarray, second: np.ndarray, joiner: np.ndarray | str) -> np.ndarray:
    """Element-wise "first<joiner>second", or just first where second is empty."""
    has_second = second != ""
    joined = first.copy()
    joined[has_second] = (
        first[has_second]
        + (joiner[has_second] if isinstance(joiner, np.ndarray) else joiner)
        + second[has_second]
    )
    return joined


def render_travelers(
    people: Population, record_ids: np.ndarray, rng: np.random.Generator, tables: NameTables
) -> pa.Table:
    """Passport-style traveler records."""
    size = len(people)
    keep_second = (people.given2 > 0) & (~_PATRONYMIC[people.locale] | (rng.random(size) < 0.1))
    given2 = np.where(keep_second, people.given2, 0)
    feminine = people.name_sex == 1
    surname1 = np.where(feminine, tables.fem_latin[people.surname1], tables.latin[people.surname1])
    surname2 = np.where(feminine, tables.fem_latin[people.surname2], tables.latin[people.surname2])
    given = _join(tables.latin[people.given1], tables.latin[given2], " ")
    surname = _join(surname1, surname2, _SURNAME_JOINER[people.locale])
    years, _, _ = _date_parts(people.dob)
    iso = np.datetime_as_string(people.dob.astype("datetime64[D]"), unit="D").astype(object)
    year_only = rng.random(size) < TRAVELER_YEAR_ONLY
    iso[year_only] = years[year_only].astype(str)
    icao = rng.random(size) < 0.3
    nationality = np.array(
        [
            ICAO_CODES.get(code, code) if use else code
            for code, use in zip(people.nationality, icao, strict=True)
        ],
        dtype=object,
    )
    return pa.table(
        {
            "record_id": record_ids,
            "given_names": [name.upper() for name in given],
            "surname": [name.upper() for name in surname],
            "date_of_birth": iso,
            "sex": np.array(["M", "F", "X"], dtype=object)[people.sex],
            "nationality": nationality,
            "place_of_birth": [place.upper() for place in tables.latin[people.place]],
            "document_number": people.passport,
        },
        schema=_schema(TRAVELER_COLUMNS),
    )


def render_felons(
    people: Population, record_ids: np.ndarray, rng: np.random.Generator, tables: NameTables
) -> pa.Table:
    """Conviction records as a clerk of the partner agency writes them, with noise."""
    size = len(people)
    noise = FELON_NOISE
    locale = people.locale
    feminine = people.name_sex == 1
    no_one = np.zeros(size, dtype=bool)

    # One writing style per record: native script/diacritics, ICAO Latin, a variant, or stripped.
    style_draw = rng.random(size)
    native_capable = _NATIVE_SCRIPT[locale]
    style = np.full(size, _LATIN, dtype=np.int8)
    style[native_capable & (style_draw < noise["native_script"])] = _NATIVE
    latin_locale = ~native_capable
    style[latin_locale & (style_draw < noise["keep_diacritics"])] = _NATIVE
    stripped = (
        latin_locale
        & (style_draw >= noise["keep_diacritics"])
        & (style_draw < noise["keep_diacritics"] + 0.2)
    )
    style[stripped] = _STRIPPED
    style[(style == _LATIN) & (rng.random(size) < noise["spelling_variant"])] = _VARIANT

    # Which name parts the clerk wrote down.
    patronymic = _PATRONYMIC[locale]
    keep_second = np.where(
        patronymic,
        np.where(style == _NATIVE, 0.8, 0.3),
        1.0 - noise["drop_second_given"],
    )
    given2 = np.where(rng.random(size) < keep_second, people.given2, 0)
    surname2 = np.where(rng.random(size) < noise["drop_second_surname"], 0, people.surname2)
    nickname = tables.has_nickname[people.given1] & (rng.random(size) < noise["nickname"])
    pick = rng.random((5, size))

    first_given = _names(people.given1, no_one, style, pick[0], tables)
    nickname_rows = np.flatnonzero(nickname)
    for row in nickname_rows:
        options = tables.nicknames[people.given1[row]]
        first_given[row] = options[int(pick[0][row] * len(options))]
    given = _join(first_given, _names(given2, no_one, style, pick[1], tables), " ")
    surname = _join(
        _names(people.surname1, feminine, style, pick[2], tables),
        _names(surname2, feminine, style, pick[3], tables),
        _SURNAME_JOINER[locale],
    )
    place = _names(people.place, no_one, style, pick[4], tables)

    # Case: clerks type Latin in capitals about half the time.
    upper = (style != _NATIVE) & (rng.random(size) < 0.5) | (style == _NATIVE) & latin_locale & (
        rng.random(size) < 0.3
    )
    for column in (given, surname, place):
        column[upper] = [text.upper() for text in column[upper]]

    swap_chance = np.where(_SURNAME_FIRST[locale], 0.15, noise["swap_name_order"])
    swap = rng.random(size) < swap_chance
    given[swap], surname[swap] = surname[swap], given[swap].copy()

    typo_draws = rng.random((5, size))
    for row in np.flatnonzero(typo_draws[0] < noise["typo"]):
        column = given if typo_draws[1][row] < 0.5 else surname
        column[row] = typo(column[row], typo_draws[2][row], typo_draws[3][row], typo_draws[4][row])
    ocr_rows = np.flatnonzero(upper & (rng.random(size) < noise["ocr_name"]))
    ocr_draws = rng.random(size)
    for row in ocr_rows:
        surname[row] = ocr_confusion(surname[row], ocr_draws[row])

    place[rng.random(size) < noise["place_missing"]] = ""
    return pa.table(
        {
            "record_id": record_ids,
            "given_names": given,
            "surname": surname,
            "date_of_birth": _felon_dates(people.dob, rng),
            "sex": _felon_sex(people.sex, rng),
            "nationality": _felon_nationality(people.nationality, rng),
            "place_of_birth": place,
            "document_number": _felon_documents(people, rng),
            "offense_category": _offenses(rng, size),
            "conviction_date": _conviction_dates(people.dob, rng),
        },
        schema=_schema(FELON_COLUMNS),
    )


TRAVELER_COLUMNS = (
    "record_id",
    "given_names",
    "surname",
    "date_of_birth",
    "sex",
    "nationality",
    "place_of_birth",
    "document_number",
)
FELON_COLUMNS = TRAVELER_COLUMNS + ("offense_category", "conviction_date")


def _schema(names: tuple[str, ...]) -> pa.Schema:
    return pa.schema([(name, pa.string()) for name in names])


def _names(
    indices: np.ndarray,
    feminine: np.ndarray,
    style: np.ndarray,
    pick: np.ndarray,
    tables: NameTables,
) -> np.ndarray:
    """Render name indices in each record's writing style (object array; "" for none)."""
    latin = np.where(feminine, tables.fem_latin[indices], tables.latin[indices])
    native = np.where(feminine, tables.fem_native[indices], tables.native[indices])
    text = np.where(style == _NATIVE, native, latin)
    for row in np.flatnonzero((style == _STRIPPED) & (indices > 0)):
        text[row] = strip_diacritics(native[row])
    variant_rows = np.flatnonzero((style == _VARIANT) & (indices > 0) & ~feminine)
    for row in variant_rows:
        options = tables.variants[indices[row]]
        if options:
            text[row] = options[int(pick[row] * len(options))]
    return text


def _felon_dates(dob: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """DD.MM.YYYY, with the clerk's date errors and some year-only entries."""
    noise = FELON_NOISE
    size = len(dob)
    draw = rng.random(size)
    sign = rng.choice(np.array([-1, 1]), size)
    edges = np.cumsum(
        [
            noise[key]
            for key in (
                "dob_off_by_day",
                "dob_off_by_year",
                "dob_day_month_swap",
                "dob_year_only",
                "dob_missing",
            )
        ]
    )
    off_by_day = draw < edges[0]
    years, months, days = _date_parts(dob + np.where(off_by_day, sign, 0))
    off_by_year = (draw >= edges[0]) & (draw < edges[1])
    years = years + np.where(off_by_year, sign, 0)
    swap = (draw >= edges[1]) & (draw < edges[2]) & (days <= 12) & (days != months)
    days, months = np.where(swap, months, days), np.where(swap, days, months)
    year_only = (draw >= edges[2]) & (draw < edges[3])
    missing = (draw >= edges[3]) & (draw < edges[4])
    text = _format_dmy(days, months, years).astype(object)
    text[year_only] = years[year_only].astype(str)
    text[missing] = ""
    return text


def _felon_sex(sex: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    styles = np.array([["M", "F", "X"], ["male", "female", "X"], ["m", "f", "x"]], dtype=object)
    style = rng.choice(3, size=len(sex), p=[0.5, 0.35, 0.15])
    text = styles[style, sex]
    text[rng.random(len(sex)) < FELON_NOISE["sex_missing"]] = ""
    return text


def _felon_nationality(nationality: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """English country name, alpha-2 or alpha-3, or nothing."""
    style = rng.choice(4, size=len(nationality), p=[0.45, 0.3, 0.15, 0.1])
    return np.array(
        [
            (COUNTRIES[code][1], COUNTRIES[code][0], code, "")[choice]
            for code, choice in zip(nationality, style, strict=True)
        ],
        dtype=object,
    )


def _felon_documents(people: Population, rng: np.random.Generator) -> np.ndarray:
    """The current passport, an old one, or none; OCR slips and separators on some."""
    size = len(people)
    draw = rng.random(size)
    old = document_numbers(rng, people.locale)
    numbers = np.where(draw < FELON_NOISE["same_passport"], people.passport, old).astype(object)
    numbers[draw >= FELON_NOISE["same_passport"] + FELON_NOISE["old_passport"]] = ""
    ocr_draw = rng.random((2, size))
    for row in np.flatnonzero((numbers != "") & (ocr_draw[0] < FELON_NOISE["ocr_document"])):
        numbers[row] = ocr_confusion(numbers[row], ocr_draw[1][row])
    spaced = (numbers != "") & (rng.random(size) < 0.1)
    numbers[spaced] = [f"{n[:2]} {n[2:]}" for n in numbers[spaced]]
    return numbers


def _offenses(rng: np.random.Generator, size: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, len(OFFENSES) + 1)
    return np.array(OFFENSES, dtype=object)[
        rng.choice(len(OFFENSES), size=size, p=weights / weights.sum())
    ]


def _conviction_dates(dob: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    adult = dob.astype(np.int64) + 18 * 365 + 5
    span = np.maximum(_LAST_CONVICTION_DAY - adult, 1)
    days = adult + (rng.random(len(dob)) * span).astype(np.int64)
    years, months, day_of_month = _date_parts(days)
    return _format_dmy(day_of_month, months, years).astype(object)


_DIGITS = np.array(list("0123456789"))


def _format_dmy(days: np.ndarray, months: np.ndarray, years: np.ndarray) -> np.ndarray:
    """DD.MM.YYYY for whole arrays at once (a character matrix viewed as strings)."""
    dots = np.full(len(days), ".")
    columns = [
        _DIGITS[days // 10],
        _DIGITS[days % 10],
        dots,
        _DIGITS[months // 10],
        _DIGITS[months % 10],
        dots,
        _DIGITS[years // 1000 % 10],
        _DIGITS[years // 100 % 10],
        _DIGITS[years // 10 % 10],
        _DIGITS[years % 10],
    ]
    return np.ascontiguousarray(np.stack(columns, axis=1)).view("<U10").ravel()
