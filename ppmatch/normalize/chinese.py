"""One key for a Chinese (or Korean) given name however it was romanized.

PRC documents write Hanyu Pinyin (JIANGUO, ZHIQIANG, XIN), Taiwanese ones and older records
Wade-Giles, whose apostrophes (CH'IANG) every passport and most databases drop (CHIEN-KUO,
CHIH-CHIANG, HSIN). Without apostrophes Wade-Giles cannot tell aspirated from plain initials
(CHIANG is QIANG or JIANG), so the key forgets that difference on both sides: a name is split
into syllables, Wade-Giles syllables are rewritten to Pinyin (HS -> X, CH before I -> J, other
CH -> ZH, K -> G, T -> D, P -> B, TS/TZ -> Z, J -> R, -IEN -> -IAN, -UNG -> -ONG, -IH -> -I,
-EH -> -E...), and aspirated initials fold onto plain ones (P->B, T->D, K->G, Q->J, CH->ZH,
C->Z). JIANGUO and CHIENKUO both give JIANGUO; QIANG, JIANG and CHIANG give JIANG.

Korean given names get the same treatment with the Korean systems (``korean_name_key``).
Used only for tokens beside a Chinese or Korean family name (``conventions``), because many Western
names also split into Pinyin syllables (TINA = TI + NA).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources


def _sections() -> dict[str, frozenset[str]]:
    text = resources.files("ppmatch.normalize").joinpath("data/cjk_syllables.txt")
    sections: dict[str, set[str]] = {}
    current = ""
    for line in text.read_text("utf-8").splitlines():
        if line.startswith("# "):
            current = line[2:].strip()
        elif line.strip():
            sections.setdefault(current, set()).update(line.split())
    return {name: frozenset(words) for name, words in sections.items()}


_SECTIONS = _sections()
PINYIN = _SECTIONS["Hanyu Pinyin"]
WADE_GILES = _SECTIONS["Wade-Giles"]
_SYLLABLES = PINYIN | WADE_GILES
ALL_SYLLABLES = frozenset().union(*_SECTIONS.values())
_LONGEST = max(len(s) for s in ALL_SYLLABLES)

_WG_WHOLE = {"SHIH": "SHI", "JIH": "RI", "CHIH": "ZHI", "SSU": "SI", "SZU": "SI", "TZU": "ZI"}
_WG_INITIALS = (
    (re.compile("^HS"), "X"),
    (re.compile("^CH(?=I)"), "J"),
    (re.compile("^CH"), "ZH"),
    (re.compile("^T[SZ]"), "Z"),
    (re.compile("^K"), "G"),
    (re.compile("^T"), "D"),
    (re.compile("^P"), "B"),
    (re.compile("^J"), "R"),
)
_WG_FINALS = (
    (re.compile("IEN$"), "IAN"),
    (re.compile("(?<=[IY])UNG$"), "ONG"),
    (re.compile("UNG$"), "ONG"),
    (re.compile("(?<=[IUY])EH$"), "E"),
    (re.compile("UEI$"), "UI"),
    (re.compile("^([GH])O$"), r"\1E"),
    (re.compile("^(D|L|N|Z|ZH|S|SH|R)O$"), r"\1UO"),
)
_PLAIN = {"P": "B", "T": "D", "K": "G", "Q": "J", "C": "Z"}


def _wade_giles_to_pinyin(syllable: str) -> str:
    if syllable in _WG_WHOLE:
        return _WG_WHOLE[syllable]
    for pattern, replacement in _WG_INITIALS:
        syllable, count = pattern.subn(replacement, syllable)
        if count:
            break
    for pattern, replacement in _WG_FINALS:
        syllable = pattern.sub(replacement, syllable)
    return syllable


def _plain_initial(syllable: str) -> str:
    if syllable.startswith("CH"):
        return "ZH" + syllable[2:]
    return _PLAIN.get(syllable[0], syllable[0]) + syllable[1:]


def segment(token: str, syllables: frozenset[str] = _SYLLABLES) -> list[str] | None:
    """Fewest-syllable split of ``token`` into ``syllables`` (Pinyin / Wade-Giles), or None."""
    best: list[list[str] | None] = [None] * (len(token) + 1)
    best[0] = []
    for end in range(1, len(token) + 1):
        for start in range(max(0, end - _LONGEST), end):
            head = best[start]
            piece = token[start:end]
            if head is not None and piece in syllables:
                candidate = [*head, piece]
                current = best[end]
                if current is None or len(candidate) < len(current):
                    best[end] = candidate
    return best[-1]


@lru_cache(maxsize=1 << 14)
def chinese_name_key(token: str) -> str | None:
    """Romanization-neutral key of a Chinese given name, or None if it is not one (<= 3 syllables)."""
    syllables = segment(token)
    if not syllables or len(syllables) > 3:
        return None
    pinyin = [s if s in PINYIN else _wade_giles_to_pinyin(s) for s in syllables]
    return "".join(_plain_initial(s) for s in pinyin)


_KOREAN_FOLDS = (
    (re.compile("WOO|WU"), "U"),  # 우 U / WOO: JIU / JIWOO
    (re.compile("EO|OO|EU|OU"), "U"),  # 성 SEONG / SUNG, 영 YEONG / YOUNG, 수 SU / SOO
    (re.compile("SH"), "S"),
    (re.compile("CH"), "J"),
    (re.compile("K"), "G"),
    (re.compile("P"), "B"),
    (re.compile("T"), "D"),
)


@lru_cache(maxsize=1 << 14)
def korean_name_key(token: str) -> str | None:
    """Key of a Korean given name across Revised Romanization, McCune-Reischauer and popular
    spellings (SEONGMIN / SUNGMIN, MYEONGBAK / MYUNGBAK, YEONGSU / YOUNGSOO), or None."""
    syllables = segment(token, ALL_SYLLABLES)
    if not syllables or len(syllables) > 3:
        return None
    for pattern, replacement in _KOREAN_FOLDS:
        token = pattern.sub(replacement, token)
    return token
