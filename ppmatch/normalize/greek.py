"""Greek transliteration: ELOT 743 (what Greek passports print) with ICAO 9303 and popular alternatives.

ELOT 743 reads digraphs (ΟΥ -> OU, ΑΥ -> AV/AF, ΜΠ -> B at the start, ΓΓ -> NG); the ICAO Doc 9303 table
is letter by letter (ΟΥ -> OY); clerks elsewhere often write Χ as H (ΧΡΗΣΤΟΣ -> HRISTOS). All
three are emitted, ELOT first.
"""

from __future__ import annotations

import unicodedata

ICAO: dict[str, str] = {
    "Α": "A", "Β": "V", "Γ": "G", "Δ": "D", "Ε": "E", "Ζ": "Z", "Η": "I", "Θ": "TH",
    "Ι": "I", "Κ": "K", "Λ": "L", "Μ": "M", "Ν": "N", "Ξ": "X", "Ο": "O", "Π": "P",
    "Ρ": "R", "Σ": "S", "Τ": "T", "Υ": "Y", "Φ": "F", "Χ": "CH", "Ψ": "PS",
    "Ω": "O",
}  # fmt: skip

_VOICELESS = set("ΘΚΞΠΣΤΦΧΨ")
_VOWELS = set("ΑΕΗΙΟΥΩ")
_DIPHTHONGS = {"ΑΙ": "AI", "ΕΙ": "EI", "ΟΙ": "OI", "ΟΥ": "OU", "ΥΙ": "YI"}
_GAMMA_CLUSTERS = {"ΓΓ": "NG", "ΓΞ": "NX", "ΓΧ": "NCH"}
_DIAERESIS = "\u0308"


def is_greek(char: str) -> bool:
    return "\u0370" <= char <= "\u03ff" or "\u1f00" <= char <= "\u1fff"


def _letters(word: str) -> list[tuple[str, bool]]:
    """Base capital letters without accents, each flagged if it carried a diaeresis (no diphthong)."""
    letters: list[tuple[str, bool]] = []
    for char in word:
        decomposed = unicodedata.normalize("NFD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c)).upper()
        for index, letter in enumerate(base):
            letters.append((letter, index == 0 and _DIAERESIS in decomposed))
    return letters


def _elot(letters: list[tuple[str, bool]], chi: str) -> str:
    out: list[str] = []
    i = 0
    n = len(letters)
    while i < n:
        letter = letters[i][0]
        pair = letter + letters[i + 1][0] if i + 1 < n else ""
        next_split = i + 1 < n and letters[i + 1][1]
        if pair in ("ΑΥ", "ΕΥ", "ΗΥ") and not next_split:
            after = letters[i + 2][0] if i + 2 < n else ""
            voiced = after != "" and after not in _VOICELESS
            out.append(ICAO[letter] + ("V" if voiced else "F"))
            i += 2
        elif pair in _DIPHTHONGS and not next_split:
            out.append(_DIPHTHONGS[pair])
            i += 2
        elif pair == "ΜΠ":
            out.append("B" if i == 0 else "MP")
            i += 2
        elif pair in _GAMMA_CLUSTERS:
            out.append(_GAMMA_CLUSTERS[pair].replace("CH", chi))
            i += 2
        elif letter == "Χ":
            out.append(chi)
            i += 1
        else:
            out.append(ICAO.get(letter, letter))
            i += 1
    return "".join(out)


def greek_readings(word: str) -> list[str]:
    """ELOT 743 reading first, then ICAO letter-by-letter, then ELOT with Χ written as H."""
    letters = _letters(word)
    icao = "".join(ICAO.get(letter, letter) for letter, _ in letters)
    return [_elot(letters, "CH"), icao, _elot(letters, "H")]
