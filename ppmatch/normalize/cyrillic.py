"""Cyrillic transliteration tables: ICAO Doc 9303 plus the national tables used on passports.

One Cyrillic word gets one reading per table; the table chosen as primary depends on the
letters present (Є І Ї Ґ -> Ukrainian, Ў -> Belarusian which shares the Ukrainian Г -> H,
Ђ Ј Љ Њ Ћ Џ -> Serbian, a Ъ used as a vowel -> Bulgarian, Kazakh/Kyrgyz/Mongolian letters
and everything else -> ICAO 9303, which is what Russian passports print since 2013). The other
tables' readings become alternatives, because the partner agency's clerk may have used any of
them (ВЛАДИМИР -> VLADIMIR; ЮРИЙ -> IURII (ICAO) / YURIY (pre-2013 Russian, BGN) / YURII
(Ukrainian)).
"""

from __future__ import annotations

from functools import lru_cache

# ICAO Doc 9303 Part 3, section 6, Cyrillic table.
ICAO: dict[str, str] = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Ґ": "G", "Д": "D", "Ѓ": "G", "Ђ": "D",
    "Е": "E", "Ё": "E", "Є": "IE", "Ж": "ZH", "З": "Z", "Ѕ": "DZ", "И": "I", "І": "I",
    "Ї": "I", "Й": "I", "Ј": "J", "К": "K", "Л": "L", "Љ": "LJ", "М": "M", "Н": "N",
    "Њ": "NJ", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T", "Ќ": "K", "Ћ": "C",
    "У": "U", "Ў": "U", "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Џ": "DZ", "Ш": "SH",
    "Щ": "SHCH", "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
}  # fmt: skip

# Pre-2013 Russian passports / BGN-PCGN style, still what most Latin-script clerks write.
RUSSIAN_POPULAR: dict[str, str] = {
    **ICAO, "Й": "Y", "Ю": "YU", "Я": "YA", "Ъ": "", "Ё": "YO", "Х": "KH",
}  # fmt: skip

# Ukraine, Cabinet of Ministers resolution 55 (2010), used in Ukrainian passports.
UKRAINIAN: dict[str, str] = {
    **ICAO, "Г": "H", "Ґ": "G", "Є": "IE", "И": "Y", "І": "I", "Ї": "I", "Й": "I",
    "Ю": "IU", "Я": "IA", "Ь": "", "Ъ": "",
}  # fmt: skip
_UKRAINIAN_INITIAL = {"Є": "YE", "Ї": "YI", "Й": "Y", "Ю": "YU", "Я": "YA"}

# Bulgaria, Transliteration Act 2009 (the "streamlined system").
BULGARIAN: dict[str, str] = {
    **ICAO, "Й": "Y", "Х": "H", "Ц": "TS", "Щ": "SHT", "Ъ": "A", "Ь": "Y", "Ю": "YU", "Я": "YA",
}  # fmt: skip

# Serbian Cyrillic -> Gaj's Latin -> ICAO ASCII (Č Ć -> C, Š -> S, Ž -> Z, Đ -> DJ).
SERBIAN: dict[str, str] = {
    **ICAO, "Ђ": "DJ", "Ж": "Z", "Ћ": "C", "Ч": "C", "Џ": "DZ", "Ш": "S", "Ј": "J",
    "Љ": "LJ", "Њ": "NJ", "Х": "H", "Ц": "C", "Й": "J",
}  # fmt: skip

_VOWELS = set("АЕЁИОУЫЭЮЯІЇЄ")
_UKRAINIAN_LETTERS = set("ЄІЇҐЎ")  # Ў is Belarusian; Belarus shares Г -> H with Ukraine
_TURKIC_MONGOLIAN_LETTERS = set("ӘҒҚҢӨҰҮҺӀ")  # Kazakh, Kyrgyz, Mongolian... also use І
_SERBIAN_LETTERS = set("ЂЈЉЊЋЏ")


def is_cyrillic(char: str) -> bool:
    return "\u0400" <= char <= "\u04ff"


def _apply(word: str, table: dict[str, str], initial: dict[str, str] | None = None) -> str:
    out: list[str] = []
    for index, char in enumerate(word):
        if initial and index == 0 and char in initial:
            out.append(initial[char])
        else:
            out.append(table.get(char, char))
    return "".join(out)


def _russian_popular(word: str) -> str:
    """BGN-style: Е/Ё after a vowel, Ь, Ъ or at word start is YE/YO (ЕЛЕНА -> YELENA)."""
    out: list[str] = []
    for index, char in enumerate(word):
        after_vowel = index == 0 or word[index - 1] in _VOWELS or word[index - 1] in "ЬЪ"
        if char == "Е" and after_vowel:
            out.append("YE")
        elif char == "Ё" and not after_vowel and word[index - 1] in "ЖЧШЩ":
            out.append("O")
        else:
            out.append(RUSSIAN_POPULAR.get(char, char))
    return "".join(out)


def _ukrainian(word: str) -> str:
    return _apply(word.replace("ЗГ", "ZGH"), UKRAINIAN, _UKRAINIAN_INITIAL)


def _bulgarian(word: str) -> str:
    if word.endswith("ИЯ"):  # the Act's one positional rule: final -ия is -IA
        return _apply(word[:-2], BULGARIAN) + "IA"
    return _apply(word, BULGARIAN)


def _looks_bulgarian(word: str) -> bool:
    """Ъ before a consonant or at the end is a Bulgarian vowel; Russian only puts it before a vowel."""
    for index, char in enumerate(word):
        if char == "Ъ" and (index == len(word) - 1 or word[index + 1] not in _VOWELS):
            return True
    return False


CYRILLIC_TABLES = ("icao", "ru", "uk", "bg", "sr")


@lru_cache(maxsize=1 << 16)
def detect_table(text: str) -> str | None:
    """The national table a Cyrillic text's letters betray, or None (then ICAO 9303 leads)."""
    if text.isascii():
        return None
    letters = set(text.upper())
    if letters & _TURKIC_MONGOLIAN_LETTERS:
        return None
    if letters & _UKRAINIAN_LETTERS:
        return "uk"
    if letters & _SERBIAN_LETTERS:
        return "sr"
    if any(_looks_bulgarian(word) for word in text.upper().split()):
        return "bg"
    return None


def cyrillic_readings(word: str, primary: str | None = None) -> list[str]:
    """All readings of an uppercase word containing Cyrillic, the most likely passport spelling first.

    ``primary`` names the table to lead with (from the whole field, or the record's
    nationality); without it the word's own letters decide.
    """
    readings = {
        "icao": _apply(word, ICAO),
        "ru": _russian_popular(word),
        "uk": _ukrainian(word),
        "bg": _bulgarian(word),
        "sr": _apply(word, SERBIAN),
    }
    lead = primary if primary in readings else detect_table(word) or "icao"
    return [readings[lead]] + [readings[name] for name in CYRILLIC_TABLES if name != lead]
