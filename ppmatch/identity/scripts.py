"""Which writing systems a value uses (Latin, Cyrillic, Greek, Arabic, Han...).

Knowing that one file holds Cyrillic and the other only Latin tells a data team, before any
matching, that transliteration will decide the result.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

_LATIN = frozenset({"Latin"})
_NONE: frozenset[str] = frozenset()
_SCRIPT_NAMES = {"CJK": "Han", "HIRAGANA": "Kana", "KATAKANA": "Kana", "IDEOGRAPHIC": "Han"}


@lru_cache(maxsize=8192)
def _letter_script(char: str) -> str | None:
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if not name:
        return "Unknown"
    first = name.split(" ", 1)[0]
    return _SCRIPT_NAMES.get(first, first.title())


def scripts_of(text: str) -> frozenset[str]:
    """The scripts of the letters in ``text`` (digits and punctuation have none)."""
    if text.isascii():
        return _LATIN if text.lower() != text.upper() else _NONE  # has an ASCII letter
    found = {_letter_script(ch) for ch in text}
    found.discard(None)
    return frozenset(found)  # type: ignore[arg-type]
