"""Small, deterministic text corruptions: what clerks, keyboards and OCR do to names.

Each function takes the random numbers it needs as arguments (drawn in bulk by the caller
with numpy), so a chunk's output depends only on its seed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

# Letters that do not decompose under NFKD but lose their mark on an ASCII keyboard.
_UNDECOMPOSABLE = str.maketrans(
    {
        "ß": "ss",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "ı": "i",
        "Ø": "O",
        "ø": "o",
        "Æ": "AE",
        "æ": "ae",
    }
)
# Characters OCR readers of machine-readable zones confuse, both ways.
_OCR = {
    "O": "0",
    "0": "O",
    "I": "1",
    "1": "I",
    "S": "5",
    "5": "S",
    "B": "8",
    "8": "B",
    "Z": "2",
    "2": "Z",
    "G": "6",
    "6": "G",
}


@lru_cache(maxsize=4096)
def strip_diacritics(text: str) -> str:
    """Müller -> Muller, Łódź -> Lodz: what a clerk without the keyboard layout types."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def typo(text: str, op_draw: float, position_draw: float, char_draw: float) -> str:
    """One keyboard slip: delete, double, replace (by a letter of the same name) or swap."""
    if len(text) < 3:
        return text
    position = int(position_draw * len(text))
    operation = int(op_draw * 4)
    if operation == 0:
        return text[:position] + text[position + 1 :]
    if operation == 1:
        return text[: position + 1] + text[position:]
    if operation == 2:
        replacement = text[int(char_draw * len(text))]
        if replacement == text[position] or not replacement.isalpha():
            return text
        return text[:position] + replacement + text[position + 1 :]
    position = min(position, len(text) - 2)
    return text[:position] + text[position + 1] + text[position] + text[position + 2 :]


def ocr_confusion(text: str, position_draw: float) -> str:
    """Swap one OCR-confusable character (O/0, I/1, S/5, B/8, Z/2, G/6), if any."""
    candidates = [i for i, ch in enumerate(text) if ch in _OCR]
    if not candidates:
        return text
    i = candidates[int(position_draw * len(candidates))]
    return text[:i] + _OCR[text[i]] + text[i + 1 :]
