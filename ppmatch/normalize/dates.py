"""Tolerant date-of-birth parsing that keeps the precision the source gave.

Accepted shapes (separators ``. / - space`` are interchangeable):
- ``YYYY-MM-DD`` (ISO, also with a time part), ``YYYYMMDD``, ``DDMMYYYY``, ``YYYY-MM``,
  ``YYYY``, six digits as the passport zone's ``YYMMDD`` (else ``DDMMYY``);
- ``DD.MM.YYYY``, ``DD/MM/YYYY``, ``MM/YYYY``; day-first (European) by default. If the first
  number is > 12 it is the day anyway; if the second is > 12 the date is read as US
  ``MM/DD/YYYY``. A whole column is read month-first when its unambiguous values all are
  (:func:`month_first_column`): ``03/12/1985`` is then 12 March. Two-digit years are read as
  the most recent past year (85 -> 1985, 03 -> 2003);
- month names or abbreviations (``12 MAR 1985``, ``March 12, 1985``, the bilingual passport
  form ``12 MAR/MARS 1985``): a hand list for passport and Western European forms, then the
  Unicode CLDR names (via Babel) of the languages registers are kept in, in every case form
  (``12 марта 1985``, ``15 Ağustos 1980``, ``2 de mayo de 1977``); a name two languages give to
  different months is not used;
- connecting words (``de``, ``г.``, ``年 月 日``, ``năm``) are skipped;
- ``00`` or ``XX`` for an unknown day or month (MRZ convention) lowers the precision.
Implausible dates (month 13, 30 February, before 1900, in the future) give ``None``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import time
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from ppmatch.normalize.model import PartialDate
from ppmatch.normalize.values import as_text

MIN_YEAR = 1900
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            (),
            ("JAN", "JANUARY", "JANVIER", "JANUAR", "ENERO", "ENE", "JANV"),
            ("FEB", "FEBRUARY", "FEVRIER", "FEBRUAR", "FEBRERO", "FEV", "FEVR"),
            ("MAR", "MARCH", "MARS", "MARZ", "MAERZ", "MARZO", "MRZ"),
            ("APR", "APRIL", "AVRIL", "ABRIL", "AVR", "ABR"),
            ("MAY", "MAI", "MAYO"),
            ("JUN", "JUNE", "JUIN", "JUNI", "JUNIO"),
            ("JUL", "JULY", "JUILLET", "JULI", "JULIO", "JUIL"),
            ("AUG", "AUGUST", "AOUT", "AGOSTO", "AGO"),
            ("SEP", "SEPT", "SEPTEMBER", "SEPTEMBRE", "SEPTIEMBRE", "SETIEMBRE"),
            ("OCT", "OCTOBER", "OCTOBRE", "OKTOBER", "OCTUBRE", "OKT"),
            ("NOV", "NOVEMBER", "NOVEMBRE", "NOVIEMBRE"),
            ("DEC", "DECEMBER", "DECEMBRE", "DEZEMBER", "DICIEMBRE", "DEZ", "DIC"),
        ]
    )
    for name in names
} | {  # Roman months (12.III.1985); X stays the MRZ mark for an unknown month
    roman: number
    for number, roman in enumerate(
        ["", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "", "XI", "XII"]
    )
    if roman
}
# Languages whose CLDR month names are read: those of the registers and travel documents
# this tool screens (Latin, Cyrillic, Greek and Arabic scripts; Han, Hangul and Vietnamese
# dates are numbers with connecting words).
# fmt: off
_CLDR_LOCALES = (
    "en", "fr", "de", "es", "pt", "it", "nl", "ca", "ro", "sq", "el", "tr", "az", "ru", "uk",
    "be", "bg", "mk", "sr", "sr_Latn", "hr", "bs", "sl", "cs", "sk", "pl", "hu", "lt", "lv",
    "et", "fi", "sv", "da", "nb", "is", "ar", "fa", "ur", "ps", "ku", "id", "ms", "tl", "sw",
    "so", "ha", "am", "ka", "hy", "uz", "kk",
)
# fmt: on
_TIME_SUFFIX = re.compile(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_PART = re.compile(r"\d+|[^\W\d_]+")
_UNKNOWN = {"00", "0", "XX", "X"}


def _fold(text: str) -> str:
    """Uppercase without diacritics, as date text is compared."""
    text = unicodedata.normalize("NFKC", text)
    return "".join(
        c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)
    ).upper()


# folded like the text (Hangul syllables decompose into their letters)
_CONNECTING = {
    _fold(word)
    for word in (
        *("DE", "DEL", "DO", "DA", "OF", "THE", "DEN", "LE", "EL", "IL", "DI"),
        *("Г", "ГОД", "ГОДА", "ГОДИНЕ", "ГОДИНА", "R", "ROKU", "YILI", "ANO", "ANUL"),
        *("年", "月", "日", "년", "월", "일", "NAM", "THANG", "NGAY"),
        *("ST", "ND", "RD", "TH", "ER"),  # ordinals: 12th March, 1er mars
    )
}


@lru_cache(maxsize=1)
def _cldr_months() -> dict[str, int]:
    """Month names and abbreviations of ``_CLDR_LOCALES``, folded; ambiguous ones left out.

    Loaded on the first date written with a word, so numeric files never pay for it."""
    from babel import Locale

    found: dict[str, set[int]] = {}
    for code in _CLDR_LOCALES:
        months = Locale.parse(code).months
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in months[context][width].items():
                    for word in _PART.findall(_fold(name)):
                        if not word.isdigit() and len(word) >= 3:
                            found.setdefault(word, set()).add(number)
    return {
        word: numbers.pop()
        for word, numbers in found.items()
        if len(numbers) == 1 and word not in _MONTHS and word not in _CONNECTING
    }


def _month(word: str) -> int | None:
    return _MONTHS.get(word) or _cldr_months().get(word)


def _year(text: str, today: dt.date) -> int | None:
    if len(text) == 4:
        return int(text)
    if len(text) == 2:  # most recent past year with these two digits
        year = 2000 + int(text)
        return year if year <= today.year else year - 100
    return None


def _build(
    year: int | None, month: int | None, day: int | None, today: dt.date
) -> PartialDate | None:
    if year is None or not MIN_YEAR <= year <= today.year:
        return None
    if month is None:
        return PartialDate(year) if day is None else None
    if not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    if (year, month, day or 1) > (today.year, today.month, today.day):
        return None
    return PartialDate(year, month, day)


def _number(part: str) -> int | None:
    return None if part in _UNKNOWN else int(part) if part.isdigit() else _month(part)


def _parse(parts: list[str], today: dt.date, month_first: bool = False) -> PartialDate | None:
    if len(parts) == 1:
        part = parts[0]
        if part.isdigit() and len(part) == 8:
            if int(part[:4]) < MIN_YEAR:  # DDMMYYYY
                return _build(int(part[4:]), _number(part[2:4]), _number(part[:2]), today)
            return _build(int(part[:4]), _number(part[4:6]), _number(part[6:]), today)
        if part.isdigit() and len(part) == 6:
            if MIN_YEAR <= int(part[:4]) <= today.year:  # YYYYMM
                return _build(int(part[:4]), _number(part[4:]), None, today)
            # YYMMDD as in a passport's machine-readable zone, else DDMMYY
            return _build(
                _year(part[:2], today), _number(part[2:4]), _number(part[4:]), today
            ) or _build(_year(part[4:], today), _number(part[2:4]), _number(part[:2]), today)
        return _build(int(part), None, None, today) if part.isdigit() and len(part) == 4 else None
    if len(parts) == 2:
        first, second = parts
        if len(first) == 4 and first.isdigit():  # YYYY-MM
            return _build(int(first), _number(second), None, today)
        if len(second) == 4 and second.isdigit():  # MM/YYYY, MAR 1985
            return _build(int(second), _number(first), None, today)
        return None
    if len(parts) != 3:
        return None
    first, second, third = parts
    if len(first) == 4 and first.isdigit():  # YYYY-MM-DD
        return _build(int(first), _number(second), _number(third), today)
    year = _year(third, today) if third.isdigit() else None
    if first.isalpha():  # March 12, 1985
        return _build(year, _month(first), _number(second), today)
    if second.isalpha():  # 12 MAR 1985; 12.X.1985 is a Roman October, not the MRZ mark
        month = 10 if second == "X" and first.isdigit() else _month(second)
        return _build(year, month, _number(first), today)
    day, month = _number(first), _number(second)
    if month_first and not (day is not None and day > 12):
        day, month = month, day  # the column is US MM/DD/YYYY
    elif month is not None and month > 12 and day is not None and day <= 12:
        day, month = month, day  # this value can only be US MM/DD/YYYY
    return _build(year, month, day, today)


_NUMERIC_DAY = re.compile(r"(\d{4})-(\d\d)-(\d\d)|(\d\d?)[./-](\d\d?)[./-](\d{4})")


@lru_cache(maxsize=1 << 17)
def _normalize_date_text(text: str, today: dt.date, month_first: bool) -> PartialDate | None:
    numeric = _NUMERIC_DAY.fullmatch(text)
    if numeric:  # fast path for the two shapes most files use
        iso_year, iso_month, iso_day, first, second, year = numeric.groups()
        if iso_year:
            return _build(int(iso_year), int(iso_month) or None, int(iso_day) or None, today)
        return _parse([first, second, year], today, month_first)
    text = _TIME_SUFFIX.sub("", (_fold(text) if not text.isascii() else text).strip().upper())
    parts = [part for part in _PART.findall(text) if part not in _CONNECTING]
    if len(parts) == 4 and parts[1].isalpha() and _month(parts[1]) == _month(parts[2]):
        del parts[2]  # bilingual passport month: 12 MAR/MARS 1985
    if not parts or len(parts) > 3 or any(p.isdigit() and len(p) > 8 for p in parts):
        return None
    return _parse(parts, today, month_first)


_today_cache: list[tuple[float, dt.date]] = []


def _today() -> dt.date:
    """Today's date, re-read at most once a minute (it bounds plausible birth dates)."""
    now = time.monotonic()
    if not _today_cache or now - _today_cache[0][0] > 60:
        _today_cache[:] = [(now, dt.date.today())]
    return _today_cache[0][1]


def normalize_date(value: object, *, month_first: bool = False) -> PartialDate | None:
    """Parse a date of birth; ``None`` when missing, unparsable or implausible.

    ``month_first`` reads an ambiguous ``03/12/1985`` as US (12 March): pass what
    :func:`month_first_column` found for the value's column."""
    try:
        if isinstance(value, PartialDate):
            text: str | None = value.isoformat()
        elif isinstance(value, dt.datetime | dt.date):  # also pandas Timestamp; NaT raises
            text = value.strftime("%Y-%m-%d")
        else:
            text = as_text(value)
        return None if text is None else _normalize_date_text(text, _today(), month_first)
    except (ValueError, OverflowError):
        return None


_DAY_MONTH = re.compile(r"\s*(\d{1,2})\s*[./ -]\s*(\d{1,2})\s*[./ -]\s*\d{2,4}\s*")


def month_first_column(values: Iterable[object]) -> bool | None:
    """Whether a column writes its numeric dates month first (US), from its unambiguous values.

    ``True`` when some value can only be ``MM/DD`` (``03/25/1985``) and none only ``DD/MM``;
    ``False`` for the reverse; ``None`` with no evidence either way, or with both (a mixed
    column, where each value is read on its own).
    """
    month_first = day_first = False
    for value in values:
        match = _DAY_MONTH.fullmatch(value) if isinstance(value, str) else None
        if match:
            first, second = int(match[1]), int(match[2])
            month_first |= first <= 12 < second
            day_first |= second <= 12 < first
    return None if month_first == day_first else month_first


class DateOrder:
    """A file's day/month order, fixed by the first values that show one: every reader of a
    file (screening, statistics, linkage, inspect) streams it chunk by chunk through this."""

    def __init__(self) -> None:
        self.month_first: bool | None = None  # None: no chunk has shown an order yet

    def observe(self, values: Iterable[object]) -> bool:
        """Whether this chunk's (and the file's) ambiguous dates are read month first."""
        if self.month_first is None:
            self.month_first = month_first_column(values)
        return bool(self.month_first)
