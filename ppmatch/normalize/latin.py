"""Latin-script folding per ICAO Doc 9303 Part 3 (section 6, transliteration of Latin characters).

ICAO allows two spellings for some letters (Ü -> UE or U, Ö -> OE or O, Å -> AA or A...). Passports
issued by different states use different ones, so we emit both: the ICAO-recommended reading
first, the plain one (diacritic dropped, what a clerk without the key types) second.
"""

from __future__ import annotations

import unicodedata

# Letters whose ICAO reading differs from "drop the diacritic": (icao, plain).
# Keys are uppercase; lowercase input is uppercased before lookup.
_SPECIAL: dict[str, tuple[str, str]] = {
    "Ä": ("AE", "A"),
    "Å": ("AA", "A"),
    "Æ": ("AE", "AE"),
    "Ö": ("OE", "O"),
    "Ø": ("OE", "O"),
    "Œ": ("OE", "OE"),
    "Ü": ("UE", "U"),
    "ß": ("SS", "SS"),
    "ẞ": ("SS", "SS"),
    "Þ": ("TH", "TH"),
    "Ð": ("D", "D"),
    "Đ": ("D", "DJ"),  # Serbo-Croatian passports write DJ in the MRZ
    "Ə": ("A", "E"),  # Azerbaijani passports: ƏLIYEV -> ALIYEV
    "Ħ": ("H", "H"),
    "Ĳ": ("IJ", "IJ"),
    "Ŀ": ("L", "L"),
    "Ł": ("L", "L"),
    "Ŋ": ("N", "N"),
    "Ŧ": ("T", "T"),
    "İ": ("I", "I"),
    "I": ("I", "I"),
    "ı": ("I", "I"),
    "ʼN": ("N", "N"),
}


def _strip_marks(char: str) -> str:
    """Drop combining marks: É -> E, Ş -> S, ễ -> E (the ICAO rule for all other accented letters)."""
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def latin_readings(char: str) -> tuple[str, str] | None:
    """(ICAO, plain) uppercase ASCII readings of one Latin letter, or None if not Latin."""
    special = _SPECIAL.get(char) or _SPECIAL.get(char.upper())
    if special is not None:
        return special
    base = _strip_marks(char.upper())
    if base and base.isascii():
        return base, base
    return None
