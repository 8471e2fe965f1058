"""Japanese kana -> passport Hepburn, the spelling Japanese passports carry.

anyascii reads kana one character at a time (しょう -> SHIYOU, じゅんいち -> JIYUNICHI); names
need the syllables: a small ゃ/ゅ/ょ merges with the syllable before it (SHO, JUN), a small っ
doubles the next consonant (HATTORI), a small vowel replaces the one before (ファ -> FA), and
passport Hepburn leaves long vowels unmarked (ー dropped, OU/OO -> O, UU -> U: SATOU -> SATO).
The spelling with the long vowel written out is kept as an alternative (SHOU, YUUKI), since
visas, residence permits and people themselves often write it.
"""

from __future__ import annotations

import re

from anyascii import anyascii

_SMALL_Y = frozenset("ゃゅょャュョ")
_SMALL_VOWEL = frozenset("ぁぃぅぇぉァィゥェォ")
_SMALL_TSU = frozenset("っッ")
_LONG_MARK = "ー"
_PALATAL = ("SH", "CH", "J")
_LONG_VOWEL = re.compile("OU|OO|UU")


def is_kana(char: str) -> bool:
    return "\u3041" <= char <= "\u30ff"


def _syllables(word: str) -> list[str]:
    syllables: list[str] = []
    double_next = False
    for char in word:
        if char in _SMALL_TSU:
            double_next = True
            continue
        if char == _LONG_MARK:
            continue
        reading = anyascii(char).upper()
        previous = syllables[-1] if syllables else ""
        if char in _SMALL_Y and len(previous) > 1 and previous.endswith("I"):
            stem = previous[:-1]
            syllables[-1] = stem + (reading[1:] if stem.endswith(_PALATAL) else reading)
            continue
        if char in _SMALL_VOWEL and len(previous) > 1:
            syllables[-1] = previous[:-1] + reading
            continue
        if double_next and reading[:1].isalpha() and reading[0] not in "AEIOU":
            reading = ("T" if reading.startswith("CH") else reading[0]) + reading
        double_next = False
        syllables.append(reading)
    return syllables


def kana_readings(word: str) -> list[str]:
    """Passport Hepburn first, then the spelling with long vowels written out."""
    written = "".join(_syllables(word))
    passport = _LONG_VOWEL.sub(lambda m: m.group()[0], written)
    return [passport, written] if written != passport else [passport]
