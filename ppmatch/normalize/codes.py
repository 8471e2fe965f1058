"""Sex, nationality and document-number canonicalisation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pycountry
from anyascii import anyascii

from ppmatch.normalize.values import as_text

# Male / female / other words in the languages clerks use; single letters only where no
# language reads them the other way (Dutch V = vrouw vs Spanish V = varon is left out).
_SEX_WORDS = {
    "M": "M", "MALE": "M", "MAN": "M", "MASCULINE": "M", "H": "M", "HOMME": "M",
    "MASCULIN": "M", "MASCULINO": "M", "HOMBRE": "M", "VARON": "M", "MANNLICH": "M",
    "MAENNLICH": "M", "MASCHIO": "M", "MASCHILE": "M", "E": "M", "ERKEK": "M",
    "MEZCZYZNA": "M", "MUZH": "M", "MUZHSKOI": "M", "MUZHSKOY": "M", "MUZHSKOJ": "M",
    "CHOLOVICHA": "M", "CHOLOVIK": "M", "CH": "M", "ARREN": "M", "ANDRAS": "M", "A": "M",
    "1": "M", "BOY": "M",
    "F": "F", "FEMALE": "F", "WOMAN": "F", "FEMININE": "F", "FEMME": "F", "FEMININ": "F",
    "FEMENINO": "F", "FEMININO": "F", "MUJER": "F", "W": "F", "WEIBLICH": "F", "FEMMINA": "F",
    "FEMMINILE": "F", "K": "F", "KADIN": "F", "KOBIETA": "F", "ZH": "F", "ZHEN": "F",
    "ZHENSKII": "F", "ZHENSKIY": "F", "ZHENSKIJ": "F", "ZHINOCHA": "F", "ZHINKA": "F",
    "THILY": "F", "TH": "F", "GYNAIKA": "F", "2": "F", "GIRL": "F",
    "X": "X", "DIVERSE": "X", "DIVERS": "X", "D": "X", "NONBINARY": "X", "NON BINARY": "X",
    "OTHER": "X", "INDETERMINATE": "X", "UNSPECIFIED": "X", "INTERSEX": "X",
}  # fmt: skip
# Native-script words matched before transliteration (single letters are ambiguous after it).
_SEX_NATIVE = {
    "М": "M", "МУЖ": "M", "МУЖСКОЙ": "M", "Ч": "M", "ЧОЛОВІЧА": "M", "ЧОЛ": "M", "Α": "M",
    "ΑΡΡΕΝ": "M", "ΑΝΔΡΑΣ": "M", "ذكر": "M", "男": "M", "Ж": "F", "ЖЕН": "F", "ЖЕНСКИЙ": "F",
    "ЖІНОЧА": "F", "ЖІН": "F", "Θ": "F", "ΘΗΛΥ": "F", "ΓΥΝΑΙΚΑ": "F", "أنثى": "F", "انثى": "F",
    "女": "F",
}  # fmt: skip
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def _fold(text: str) -> str:
    """Uppercase ASCII, diacritics dropped, punctuation collapsed to single spaces."""
    text = unicodedata.normalize("NFKC", text).strip()
    text = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return _NOT_ALNUM.sub(" ", anyascii(text).upper()).strip()


def _native(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().upper()
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def _sex(text: str) -> str | None:
    native = _SEX_NATIVE.get(_native(text).rstrip("."))
    if native:
        return native
    folded = _fold(text)
    return _SEX_WORDS.get(folded) or _SEX_WORDS.get(folded.replace(" ", ""))


def normalize_sex(value: object) -> str | None:
    """``"M"``, ``"F"``, ``"X"`` or ``None`` (unknown values such as U, 0 or 9 are missing)."""
    text = as_text(value)
    return _sex(text) if text is not None else None


def _load_countries() -> tuple[dict[str, str], dict[str, str]]:
    """Folded codes and names -> alpha-3, and native-script aliases -> alpha-3.

    Native aliases are looked up unfolded: folded to ASCII, Arabic مصر (Egypt) would read MSR,
    which is Montserrat's code.
    """
    table: dict[str, str] = {}
    native: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("alpha_2", "alpha_3", "numeric", "name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                table.setdefault(_fold(value), country.alpha_3)
    for country in pycountry.historic_countries:  # SUN, YUG, CSK, DDR stay as issued
        table.setdefault(_fold(country.alpha_3), country.alpha_3)
    text = (
        resources.files("ppmatch.normalize").joinpath("data/country_aliases.txt").read_text("utf-8")
    )
    for line in text.splitlines():
        if line.strip() and not line.startswith("#"):
            alias, code = line.split("\t")
            if alias.isascii():
                table[_fold(alias)] = code.strip()
            else:
                native[_native(alias)] = code.strip()
    return table, native


_COUNTRIES, _COUNTRIES_NATIVE = _load_countries()


@lru_cache(maxsize=4096)
def _nationality(text: str) -> str | None:
    native = _COUNTRIES_NATIVE.get(_native(text))
    if native:
        return native
    folded = _fold(text)
    if folded.isdigit():
        folded = folded.zfill(3)
    found = _COUNTRIES.get(folded)
    if found is None and folded.startswith("THE "):
        found = _COUNTRIES.get(folded[4:])
    return found


def normalize_nationality(value: object) -> str | None:
    """ISO 3166-1 alpha-3 (or ICAO 9303 code such as XXA, RKS, GBD) from a code or English name."""
    text = as_text(value)
    return _nationality(text) if text is not None else None


# Cyrillic and Greek capitals that look like Latin ones, as typed into document numbers.
_HOMOGLYPHS = str.maketrans("АВЕКМНОРСТУХІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEKMHOPCTYXIJSABEZHIKMNOPTYX")
_OCR_FOLDS = str.maketrans("OISB", "0158")
_DOCUMENT_PLACEHOLDERS = frozenset(
    {"NA", "NONE", "NULL", "NIL", "UNKNOWN", "UNK", "X", "XX", "XXX"}
)


def normalize_document_number(value: object, *, fold_ocr: bool = False) -> str | None:
    """Separators stripped, uppercase ASCII; with ``fold_ocr`` O->0, I->1, S->5, B->8.

    Folding is for comparison keys only: it maps both sides of an OCR confusion to one
    spelling, so it must be applied to both agencies' numbers or to neither.
    """
    value = as_text(value)
    if value is None:
        return None
    if value.isascii():
        cleaned = value.upper() if value.isalnum() else _NOT_ALNUM.sub("", value.upper())
    else:
        text = unicodedata.normalize("NFKC", value).upper().translate(_HOMOGLYPHS)
        cleaned = _NOT_ALNUM.sub("", anyascii(text).upper())
    if cleaned in _DOCUMENT_PLACEHOLDERS:
        return None
    if fold_ocr:
        cleaned = cleaned.translate(_OCR_FOLDS)
    return cleaned if cleaned.strip("0") else None
