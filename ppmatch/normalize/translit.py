"""One written word -> its uppercase ASCII readings, the most likely passport spelling first.

Latin letters follow ICAO Doc 9303 (with its allowed alternatives), Cyrillic and Greek their
national tables, whole Arabic-script words a small dictionary of common names (unvocalized
Arabic cannot be transliterated letter by letter; other words get anyascii's consonant
skeleton), Japanese kana passport Hepburn (``kana``), common Chinese and Korean surnames a
table of their romanizations, and every other script anyascii (Hanyu Pinyin for Chinese, Revised Romanization for Korean).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from anyascii import anyascii

from ppmatch.normalize.cyrillic import cyrillic_readings, is_cyrillic
from ppmatch.normalize.greek import greek_readings, is_greek
from ppmatch.normalize.kana import is_kana, kana_readings
from ppmatch.normalize.latin import latin_readings

_NOT_LETTER = re.compile(r"[^A-Z]+")
# ASCII AE/OE/UE between consonants (or OE/UE starting a word) may be an ICAO-written Ä/Ö/Ü (JOERG, SCHAEFER, OEZDEMIR):
# offer the plain reading too, as the ICAO table allows. Not after G/Q (GUERRERO, QUESADA),
# not in a final -AEL/-UEL/-OEL (MICHAEL, SAMUEL, NOEL) and not in -AEV (NIKOLAEV).
_ICAO_DIGRAPH = re.compile(
    r"(?:(?<=[B-DF-HJ-NP-TV-Z])(?<![GQ])([AOU])|^([OU]))E(?=[B-DF-HJ-NP-TV-Z])(?!L$)(?!V)"
)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_ARABIC_LETTER_FORMS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ة": "ه", "ى": "ي", "ی": "ي", "ک": "ك"}
)


def is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f"


def _load_table(name: str) -> dict[str, tuple[str, ...]]:
    """A data file of "native-word LATIN [ALTERNATIVE...]" lines."""
    table: dict[str, tuple[str, ...]] = {}
    text = resources.files("ppmatch.normalize").joinpath(f"data/{name}").read_text("utf-8")
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            native, *latin = line.split()
            table[native] = tuple(latin)
    return table


ARABIC_NAMES = _load_table("arabic_names.txt")
CJK_SURNAMES = _load_table("cjk_surnames.txt")


def normalize_arabic(word: str) -> str:
    """Remove vowel marks and tatweel, unify alef/ta-marbuta/ya forms (the dictionary's key form)."""
    return _ARABIC_MARKS.sub("", word).translate(_ARABIC_LETTER_FORMS)


def _fallback(char: str) -> str:
    return anyascii(char).upper()


def _latin_word(word: str) -> list[str]:
    icao: list[str] = []
    plain: list[str] = []
    for char in word:
        if char.isascii():
            icao.append(char.upper())
            plain.append(char.upper())
            continue
        readings = latin_readings(char)
        if readings is None:
            fallback = _fallback(char)
            icao.append(fallback)
            plain.append(fallback)
        else:
            icao.append(readings[0])
            plain.append(readings[1])
    return ["".join(icao), "".join(plain)]


def _fold_rest(reading: str) -> str:
    """Fold whatever a script table left untouched (stray Latin letters, marks) to ASCII."""
    return _latin_word(reading)[0] if not reading.isascii() else reading


@lru_cache(maxsize=1 << 16)
def word_readings(word: str, cyrillic_table: str | None = None) -> tuple[str, ...]:
    """Distinct A-Z readings of one word (no spaces, apostrophes removed), primary first.

    ``cyrillic_table`` ("uk", "bg", "sr", "icao") chooses the leading Cyrillic reading.
    """
    if word.isascii():
        cleaned = _NOT_LETTER.sub("", word.upper())
        if not cleaned:
            return ()
        undigraphed = _ICAO_DIGRAPH.sub(lambda m: m.group(1) or m.group(2), cleaned)
        return (cleaned, undigraphed) if undigraphed != cleaned else (cleaned,)
    if any(is_cyrillic(c) for c in word):
        raw = [_fold_rest(r) for r in cyrillic_readings(word.upper(), cyrillic_table)]
    elif any(is_greek(c) for c in word):
        raw = [_fold_rest(r) for r in greek_readings(word)]
    elif any(is_arabic(c) for c in word):
        raw = list(ARABIC_NAMES.get(normalize_arabic(word), ())) or [anyascii(word).upper()]
    elif any(is_kana(c) for c in word):
        raw = kana_readings(word)
    elif word in CJK_SURNAMES:
        raw = [*CJK_SURNAMES[word], anyascii(word)]
    else:
        raw = _latin_word(word)
    readings: list[str] = []
    for reading in raw:
        cleaned = _NOT_LETTER.sub("", reading.upper())
        if cleaned and cleaned not in readings:
            readings.append(cleaned)
    return tuple(readings)
