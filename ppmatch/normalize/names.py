"""Name fields -> ``NormalizedName``: tokens, particles, honorifics, alternatives, groups.

Rules, in order:
1. NFKC; a 0/1/5/8 inside a word is read as O/I/S/B (N0WAK -> NOWAK); MRZ fillers ('<'),
   hyphens, commas, dots, other digits and other punctuation separate tokens (AL-HASSAN ->
   AL HASSAN, GARCIA-LOPEZ -> GARCIA LOPEZ); apostrophes join (O'BRIEN -> OBRIEN, D'ANGELO ->
   DANGELO, with ANGELO as an alternative for the elided article); dotted abbreviations are
   expanded (MA. -> MARIA, FCO. -> FRANCISCO, WM. -> WILLIAM).
2. Every word is transliterated to uppercase ASCII (``translit``); other readings are kept as
   alternatives. Arabic-script words starting with the article ال become AL + the word; a
   Chinese or Korean full name written as one word (王小明, 김민준) is split after a known
   surname.
3. Honorifics, generational suffixes and name-history markers (MR, DR, SHEIKH, HAJI, JR, III,
   NEE, GEB., ALIAS) are removed when at least one other token remains, so a person really
   called HAJI keeps the name; the maiden name or alias after a marker stays as tokens.
4. MAC/MC, ABU/ABOU and the ABD-family (ABD, ABDUL, ABDEL... optionally followed by AL/EL)
   join the next token: MAC DONALD -> MACDONALD, ABDUL RAHMAN -> ABDULRAHMAN, ABU BAKR ->
   ABUBAKR; so do Persian compound given names (MOHAMMAD REZA -> MOHAMMADREZA) and "... of
   the faith" names (NASR EL DIN -> NASRELDIN, SALAH EDDINE -> SALAHEDDINE).
5. Particles (AL, BIN, VAN, DER, DE, LA, VON, THI...) stay in ``tokens`` in written order and
   are listed in ``particles`` unless they are the last token (a surname LE or DA is a name).
   East Slavic patronymics (VLADIMIROVICH, SERGEEVNA, OLEKSANDROVYCH) and OGLU/KYZY after
   another token are listed in ``particles`` too: passports omit them, national registers keep
   them, so match rules should be able to ignore them. So is the father's name after BIN/IBN/
   BINT/OULD when a family name follows (MOHAMMED BIN RASHID AL MAKTOUM).
Order invariance is the consumer's choice: tokens keep written order, and
``NormalizedRecord.name_tokens`` gives the sorted token set over given names and surname.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

from ppmatch.normalize.cyrillic import detect_table
from ppmatch.normalize.groups import (
    COMPOUND_FIRST,
    COMPOUND_SECOND,
    VARIANT_GROUPS,
    name_group,
)
from ppmatch.normalize.model import NormalizedName
from ppmatch.normalize.translit import (
    ARABIC_NAMES,
    CJK_SURNAMES,
    is_arabic,
    normalize_arabic,
    word_readings,
)
from ppmatch.normalize.values import as_text


def _word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_APOSTROPHES = re.compile("['’‘ʼʻ`´]")
# French/Italian/Portuguese elided articles: D'SOUZA, L'HOMME, DELL'ACQUA.
_ELISION = re.compile("^(?:[DdLl]|[Dd]ell|[Dd]all)['’‘ʼ`´](\\w{3,})$")
# Anything that is not a letter, a combining mark or an apostrophe separates words.
_SEPARATOR = re.compile(
    r"[^\w\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670'’‘ʼʻ`´]+|[\d_]+"
)

HONORIFICS = _word_set(
    "MR MRS MS MISS MSTR MASTER DR PROF SIR DAME LORD LADY REV FR HERR FRAU FRL MME MLLE MM "
    "SR SRA SRTA SNR JR JNR SENIOR JUNIOR II III IV ESQ PHD ING DIPL MAG "
    "SHEIKH SHEIK SHAIKH SHAYKH CHEIKH SHEIKHA SHAIKHA HAJI HAJJI HADJI HAJ HADJ HAJJ HAJIYA HAJIA "
    "MOULANA MAULANA MAWLANA NEE GEB GEBORENE AKA ALIAS"
)
PARTICLES = _word_set(
    "AL EL UL BIN BEN IBN BINT BINTI BINTE ABU ABOU UMM OULD "
    "VAN VANDER DER DEN TER TEN TE VON ZU ZUR VOM "
    "DE DEL DELA DELLA DELLE DEGLI DEI DI DA DAS DOS DO DU DES LE LA LES LO LOS LAS Y THI"
)
# East Slavic patronymics as the ICAO, popular and Ukrainian tables spell them
# (VLADIMIROVICH, SERGEEVNA, OLEKSANDROVYCH, SERHIIVNA, ILINICHNA), and the Turkic
# "son of"/"daughter of" words. Passports leave them out, national records keep them.
_PATRONYMIC = re.compile(r"..{3,}(?:OVICH|EVICH|OVYCH|EVYCH|OVNA|EVNA|IVNA|ICHNA)$")
PATRONYMIC_WORDS = _word_set("OGLU OGLY OGLI UGLI ULY KYZY KIZI QIZI GYZY")
_FILIATION = _word_set("BIN IBN BINT BINTI BINTE OULD")
_ABD_PREFIXES = _word_set("ABD ABDUL ABDEL ABDAL ABDOL ABDOUL ABDIL")
_JOINING_PREFIXES = frozenset({"MAC", "MC", "ABU", "ABOU"})
# "... of the faith" compounds written apart: NASR EL DIN, SALAH EDDINE, NASIR UD DIN.
_DIN_WORDS = _word_set("DIN DINE DEEN EDDINE EDDIN EDDEEN UDDIN UDDEEN ADDIN IDDIN ALDIN ELDIN")
_DIN_ARTICLES = _word_set("AL EL UL UD ED AD ID")
PLACEHOLDERS = _word_set("FNU LNU NFN NLN UNK UNKNOWN NONE NULL NIL XXX XX X NN")

_Token = tuple[str, tuple[str, ...]]  # (primary, alternatives)


# A 0, 1, 5 or 8 touching a letter inside a name is an OCR or typing slip (N0WAK, 0LGA).
_DIGIT_IN_WORD = re.compile(r"(?<=[^\W\d_])[0158]|[0158](?=[^\W\d_])")
_DIGIT_AS_LETTER = {"0": "O", "1": "I", "5": "S", "8": "B"}


# Given-name abbreviations clerks write with a dot (Ma. del Carmen, Fco. Javier, Wm. Smith).
_ABBREVIATIONS = {
    "MA": "MARIA",
    "FCO": "FRANCISCO",
    "WM": "WILLIAM",
    "CHAS": "CHARLES",
    "THOS": "THOMAS",
    "JAS": "JAMES",
    "ROBT": "ROBERT",
    "BENJ": "BENJAMIN",
    "SAML": "SAMUEL",
}
_ABBREVIATED = re.compile(r"\b(" + "|".join(_ABBREVIATIONS) + r")\.", re.IGNORECASE)


def _words(text: str) -> list[str]:
    if "ª" in text:  # Mª: the Spanish abbreviation of María (NFKC would make it "Ma")
        text = re.sub(r"[Mm]ª\.?", "MARIA ", text)
    text = unicodedata.normalize("NFKC", text)
    if "\u200c" in text or "\u200d" in text:  # (non-)joiners inside one word: حسن‌زاده
        text = text.replace("\u200c", "").replace("\u200d", "")
    if "." in text:
        text = _ABBREVIATED.sub(lambda m: _ABBREVIATIONS[m.group(1).upper()] + " ", text)
    if any(c.isdigit() for c in text):
        text = _DIGIT_IN_WORD.sub(lambda m: _DIGIT_AS_LETTER[m.group()], text)
    return [part for part in _SEPARATOR.split(text) if part]


def _split_cjk_full_name(word: str) -> list[str]:
    """王小明 / 김민준 written as one word: a known surname plus a two-character given name.

    Only three characters (four with a two-character surname such as 欧阳 or 남궁) are split:
    Chinese and Korean given names are one or two characters, so a two-character word may be a
    given name on its own and is left whole.
    """
    for size in (2, 1):
        if len(word) == size + 2 and word[:size] in CJK_SURNAMES and not word.isascii():
            return [word[:size], word[size:]]
    return [word]


def _transliterate(words: list[str], cyrillic_table: str | None) -> list[_Token]:
    tokens: list[_Token] = []
    for written in words:
        elided = _ELISION.match(written)
        for word in _split_cjk_full_name(_APOSTROPHES.sub("", written)):
            if not word:
                continue
            if (
                len(word) > 3
                and word.startswith("ال")
                and is_arabic(word[0])
                and normalize_arabic(word) not in ARABIC_NAMES  # الله is a word, not AL + LH
            ):
                tokens.append(("AL", ()))
                word = word[2:]
            readings = word_readings(word, cyrillic_table)
            if readings:
                extra = _article_alternative(readings[0])
                if elided:  # D'SOUZA -> DSOUZA, also SOUZA (as written DE SOUZA)
                    extra += word_readings(_APOSTROPHES.sub("", elided.group(1)))[:1]
                tokens.append((readings[0], readings[1:] + extra))
    return tokens


def _article_alternative(primary: str) -> tuple[str, ...]:
    """ALHASSAN / ELSAYED written as one word: offer the name without the article."""
    if primary[:2] in ("AL", "EL") and len(primary) > 5 and primary[2:] in VARIANT_GROUPS:
        return (primary[2:],)
    return ()


def _drop_honorifics(tokens: list[_Token]) -> list[_Token]:
    kept = [t for t in tokens if t[0] not in HONORIFICS]
    return kept if kept else tokens


def _join_prefixes(tokens: list[_Token]) -> list[_Token]:
    joined: list[_Token] = []
    i = 0
    while i < len(tokens):
        primary = tokens[i][0]
        if primary in _ABD_PREFIXES and i + 1 < len(tokens):
            end = i + 2
            if tokens[i + 1][0] in ("AL", "EL", "UL") and i + 2 < len(tokens):
                end = i + 3
            joined.append(("".join(t[0] for t in tokens[i:end]), ()))
            i = end
        elif primary not in PARTICLES and (din := _din_compound_end(tokens, i)):
            joined.append(("".join(t[0] for t in tokens[i:din]), ()))
            i = din
        elif (
            i + 1 < len(tokens)
            and VARIANT_GROUPS.get(primary) in COMPOUND_FIRST
            and VARIANT_GROUPS.get(tokens[i + 1][0]) in COMPOUND_SECOND
        ):  # MOHAMMAD REZA -> MOHAMMADREZA, as Persian writes it
            joined.append((primary + tokens[i + 1][0], ()))
            i += 2
        elif primary in _JOINING_PREFIXES and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            joined.append((primary + nxt[0], tuple(primary + alt for alt in nxt[1])))
            i += 2
        else:
            joined.append(tokens[i])
            i += 1
    return joined


def _din_compound_end(tokens: list[_Token], start: int) -> int:
    """End index of a NASR [EL] DIN compound starting at ``start``, or 0."""
    following = [t[0] for t in tokens[start + 1 : start + 3]]
    if following[:1] and following[0] in _DIN_WORDS:
        return start + 2
    if len(following) == 2 and following[0] in _DIN_ARTICLES and following[1] in _DIN_WORDS:
        return start + 3
    return 0


def _name_parts() -> frozenset[str]:
    text = resources.files("ppmatch.normalize").joinpath("data/name_parts.txt").read_text("utf-8")
    return frozenset(w for line in text.splitlines() if line[:1] != "#" for w in line.split())


# Given names that are written joined as often as apart (FATIMAZAHRA, AMIRHOSSEIN, SHAHRUKH,
# VENKATASUBRAMANIAN): both halves must be known names of four letters or more, or parts of
# compound given names (data/name_parts.txt: RAJ, KUMAR, SHAH, RUKH...), so ALISON or MUNCHEN
# stay whole.
_KNOWN_NAMES = _name_parts() | frozenset(
    name
    for name in set(VARIANT_GROUPS)
    | {readings[0] for readings in ARABIC_NAMES.values() if readings}
    if len(name) >= 4 and name not in PARTICLES
)
_SHORTEST_PART = 3
_SHORTEST_JOINED = 8


def _split_joined_names(tokens: list[_Token]) -> list[_Token]:
    split: list[_Token] = []
    for token in tokens:
        primary = token[0]
        halves = None
        if len(primary) >= _SHORTEST_JOINED and primary not in _KNOWN_NAMES:
            halves = next(
                (
                    (primary[:cut], primary[cut:])
                    for cut in range(_SHORTEST_PART, len(primary) - _SHORTEST_PART + 1)
                    if primary[:cut] in _KNOWN_NAMES and primary[cut:] in _KNOWN_NAMES
                ),
                None,
            )
        if halves is None or (
            VARIANT_GROUPS.get(halves[0]) in COMPOUND_FIRST
            and VARIANT_GROUPS.get(halves[1]) in COMPOUND_SECOND
        ):
            split.append(token)
        else:
            split.extend(((halves[0], ()), (halves[1], ())))
    return split


def _group(primary: str, alternatives: tuple[str, ...]) -> str:
    if primary not in VARIANT_GROUPS:
        for alternative in alternatives:
            if alternative in VARIANT_GROUPS:
                return VARIANT_GROUPS[alternative]
    return name_group(primary)


def name_tokens(text: str, cyrillic_table: str | None = None) -> list[_Token]:
    """Transliterated tokens of a free-text field with honorifics and placeholders removed.

    Without ``cyrillic_table`` the letters of the whole field choose it (СЕРГІЙ ТИМОШЕНКО:
    the І makes both words Ukrainian).
    """
    tokens = _drop_honorifics(_transliterate(_words(text), cyrillic_table or detect_table(text)))
    if "".join(t[0] for t in tokens) in PLACEHOLDERS:
        return []
    return _split_joined_names(_join_prefixes(tokens))


def _is_particle(primaries: tuple[str, ...], index: int) -> bool:
    """Articles and prepositions before a name; patronymics and OGLU/KYZY after one; the
    father's name in an Arabic or Malay chain (BIN RASHID AL MAKTOUM) when a family name
    follows, since passports often leave the chain out."""
    token = primaries[index]
    if index > 0 and (token in PATRONYMIC_WORDS or _PATRONYMIC.search(token)):
        return True
    if (
        index > 0
        and primaries[index - 1] in _FILIATION
        and any(p not in PARTICLES for p in primaries[index + 1 :])
    ):
        return True
    return token in PARTICLES and index < len(primaries) - 1


@lru_cache(maxsize=1 << 16)
def _normalize_name_text(text: str, cyrillic_table: str | None) -> NormalizedName:
    tokens = name_tokens(text, cyrillic_table)
    if not tokens:
        return NormalizedName()
    primaries = tuple(t[0] for t in tokens)
    roles = [_is_particle(primaries, i) for i in range(len(primaries))]
    particles = {p for p, role in zip(primaries, roles, strict=True) if role}
    particles -= {p for p, role in zip(primaries, roles, strict=True) if not role}
    return NormalizedName(
        tokens=primaries,
        particles=frozenset(particles),
        alternatives=tuple(t[1] for t in tokens),
        groups=tuple(_group(primary, alternatives) for primary, alternatives in tokens),
    )


def normalize_name(text: object, *, cyrillic_table: str | None = None) -> NormalizedName:
    """Normalize one name field; anything unusable gives an empty ``NormalizedName``.

    ``cyrillic_table`` ("uk", "bg", "sr", "icao") picks the leading reading of Cyrillic words
    when the caller knows better than the letters (``normalize_record`` uses the nationality).
    """
    value = as_text(text)
    return NormalizedName() if value is None else _normalize_name_text(value, cyrillic_table)
