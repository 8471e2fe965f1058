"""Conventions that depend on which field a name was typed in, or on the record's other field.

``normalize_name`` sees one field without knowing whether it holds given names or surnames;
``normalize_record`` does, and applies these clerk conventions here:

- East Asian given names of two syllables are one name, written apart, hyphenated or joined
  (XIAO MING / XIAO-MING / XIAOMING, MIN-JUN / MINJUN): with a surname present, a given-name
  field of exactly two syllables (data/cjk_syllables.txt) becomes one token, so the token sets,
  group keys and phonetic keys of the three spellings agree. It also keeps KIM MIN-JUN and KIM
  MIN-JI apart, which share MIN as a first given token when split.
- A Chinese full name of two characters in a field of its own (张伟 with no surname) is family
  name plus given name, not one given name.
- Group keys of tokens the variant groups and nickname tables do not know: beside a Chinese or
  Korean family name (in either field) romanization-neutral (``chinese``: JIANGUO / CHIEN-KUO,
  QIANG / CHIANG, SEONGMIN / SUNGMIN), elsewhere Japanese long vowels folded (OONO / OHNO /
  ONO); German, Polish and French spellings of Slavic surname endings folded in both fields,
  so a swapped record keeps them (SMIRNOW / SMIRNOFF -> SMIRNOV, DOSTOJEWSKI / DOSTOYEVSKY /
  DOSTOEVSKII -> DOSTOEVSKI, IWANOWA -> IVANOVA, CHRUSCHTSCHOW -> KHRUSHCHEV), and so are the
  transliteration variants of Greek family names (CHATZIS / HATZIS, OIKONOMOU / IKONOMOU) and
  of Arabic/Persian ones with the nisba -I (MANSOURI / MANSOORI, GHORBANI / QORBANI), and the
  ICAO digraphs of Å Ä Ö Ø Ü (AASA / ASA, SOERENSEN / SORENSEN); in the surname field an
  article written onto the name is dropped (ALZAHRANI -> ZAHRANI, VANDERMEER -> MEER, DELACRUZ
  -> CRUZ), as the written-apart form already drops it as a particle, and so is a leading
  BENT / MINT (daughter of). Only keys and particles change; tokens keep what the clerk wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from importlib import resources

from ppmatch.normalize.chinese import chinese_name_key, korean_name_key
from ppmatch.normalize.groups import KNOWN_NAMES, VARIANT_GROUPS, name_group
from ppmatch.normalize.model import NormalizedName
from ppmatch.normalize.translit import CJK_SURNAMES


def _load_syllables() -> frozenset[str]:
    text = resources.files("ppmatch.normalize").joinpath("data/cjk_syllables.txt")
    lines = text.read_text("utf-8").splitlines()
    return frozenset(word for line in lines if not line.startswith("#") for word in line.split())


CJK_SYLLABLES = _load_syllables()

# Articles and prepositions written onto a surname, longest first; the rest must stay a name.
_ATTACHED_PARTICLE = re.compile(
    r"^(?:(?:(?:VAN|VON)(?:DER|DEN|DE)?|TER|TEN|DELLA|DELA|DEL|DOS|DAS|DE|DI|DA|DU|LE|LA)"
    r"(?=[A-Z]{4})|(?:AL|EL|BEN|BIN|IBN)(?=[A-Z]{3}))"
)
# Russian/Ukrainian surnames as German, Polish, French and English clerks write them.
_SLAVIC_ENDING = re.compile(
    r"(?:[OE](?:W|WA|V|VA|FF)|SK(?:[IY][JIY]?|A|AJA|AIA|AYA)|[ECS]HKO|ENKO|[UY]K|[IY]NE?|[IY]NA"
    r"|N(?:Y|YI|YJ|YY|II|IY|IJ))$"
)
# Endings no Romance or Dutch surname has: DOSTOEVSKII is not DOS + TOEVSKII.
_RUSSIAN_ENDING = re.compile(r"(?:[OE](?:W|WA|V|VA|FF)|SK(?:[IY][JIY]?|AJA|AIA|AYA))$")
# German and Polish spellings (W for В) write Х as CH (CHRUSCHTSCHOW, CHODORKOWSKI), where
# English and French CH is Ч; their Ч is TSCH or CZ.
_GERMAN_KH = re.compile("(?<![STC])CH")
_SLAVIC_FOLDS = (
    (re.compile("TSCH"), "CH"),  # German Ч: KLITSCHKO, GORBATSCHOW
    (re.compile("SCH"), "SH"),
    (re.compile("TCH"), "CH"),  # French Ч: TCHAIKOVSKY
    (re.compile("W"), "V"),
    (re.compile("(?<=[OE])FF$"), "V"),  # French/émigré SMIRNOFF
    (re.compile("SK(?:IJ|II|IY|Y)$"), "SKI"),
    (re.compile("SKA(?:J|I|Y)A$"), "SKA"),  # Russian -SKAYA vs Ukrainian/Polish -SKA
    (re.compile("^I(?=[AEOU])"), "Y"),  # ICAO IAKOVLEV / IURCHENKO
    (re.compile("(?<=[AEIOU])J"), "Y"),  # German Й: DOSTOJEWSKI
    (re.compile("^JE"), "E"),  # German initial Е: JELZIN
    (re.compile("[ZS]H"), "J"),  # French Ж: JOUKOV; German SCH is Ш and Ж alike: SCHUKOW
    (re.compile("OU"), "U"),  # French У: JOUKOV, KOUZNETSOV
    (re.compile("T[SZ]|C(?!H)|Z"), "S"),  # Ц and З: KUZNETSOV / KUSNEZOW, YELTSIN / JELZIN
    (re.compile("^YE"), "E"),  # popular YELTSIN vs ICAO ELTSIN
    (re.compile("(?<=[AEIOU])YE"), "E"),  # DOSTOYEVSKY (popular) vs DOSTOEVSKII (ICAO)
    (re.compile("(?<=[^AEIOU])[YJI][OE](?=VA?$)"), "E"),  # Ьё: SOLOVYOVA / SOLOWJOWA / SOLOVEVA
    (re.compile("(?<=[SC]H|.J)O(?=VA?$)"), "E"),  # Ё after a hushing consonant: GORBACHOV
    (re.compile("(?<=[^AEIOU])Y"), "I"),  # KLYCHKO / KLICHKO, ILYIN / ILIN
    (re.compile("Y(?![AEIOU])"), "I"),  # CHAYKOVSKIY / CHAIKOVSKIY
    (re.compile("(?<=N)I[IJ]?$"), "I"),  # NAVALNYI / NAVALNY / NAWALNY
    (re.compile("NE$"), "N"),  # French SOLJENITSYNE, GAGARINE
    (re.compile(r"([A-Z])\1+"), r"\1"),
)


# Greek family names (-OS, -IS, -OU, -AKIS...) as ELOT 743, ICAO and older passports write
# them: Χ as CH or H (CHATZIS / HATZIS), ΟΙ and ΕΙ as OI/EI or I (OIKONOMOU / IKONOMOU), Υ after
# a consonant as Y or I (KYRIAKOU / KIRIAKOU). Not -OIS: FRANCOIS is no FRANCIS.
_GREEK_ENDING = re.compile(r"(?:OS|IS|OU|AS|ES)$")
_GREEK_FOLDS = (
    (re.compile("CH"), "H"),
    (re.compile("[OE]I(?!S$)"), "I"),
    (re.compile("(?<=[^AEIOU])Y"), "I"),
)
# Arabic and Persian family names with the nisba -I (MANSOURI, GHORBANI, QADI) as English,
# French and Persian clerks write them: OU, OO or U for the long U, EE or I, and GH, Q or K for
# ق and غ (Persian says both alike; Maghrebi and Turkish spellings write K).
_NISBA = re.compile("[^AEIOU]I$")
_NISBA_FOLDS = (
    (re.compile("OU|OO"), "U"),
    (re.compile("EE"), "I"),
    (re.compile("GH|Q"), "K"),
)


def _fold(key: str, folds: tuple[tuple[re.Pattern[str], str], ...]) -> str:
    for pattern, replacement in folds:
        key = pattern.sub(replacement, key)
    return key


def surname_key(token: str, *, attached_article: bool = True) -> str | None:
    """Key of a family-name spelling with an attached article dropped (surname field only:
    in the given-name field LACHLAN or ALISHA are not articles + names) and the transliteration
    variants of Slavic, Greek or Arabic/Persian family names folded, or None when nothing
    applies."""
    key = token
    if attached_article and not _RUSSIAN_ENDING.search(token):
        article = _ATTACHED_PARTICLE.match(token)
        rest = token[article.end() :] if article else ""
        # a three-letter rest must look like a name: ALDIN -> DIN, BENALI -> ALI, not ALINA
        if rest and (len(rest) > 3 or rest[0] not in "AEIOU" or rest in VARIANT_GROUPS):
            key = rest
    if _SLAVIC_ENDING.search(key):
        if "W" in key:
            key = _GERMAN_KH.sub("KH", key)
        key = _fold(key, _SLAVIC_FOLDS)
    elif _GREEK_ENDING.search(key):
        key = _fold(key, _GREEK_FOLDS)
    elif _NISBA.search(key):
        key = _fold(key, _NISBA_FOLDS)
    return None if key == token else VARIANT_GROUPS.get(key, key)


def given_names_field(name: NormalizedName) -> NormalizedName:
    """A normalized given-name field next to a surname: two syllables become one name."""
    tokens = name.tokens
    if len(tokens) != 2 or name.particles or not all(t in CJK_SYLLABLES for t in tokens):
        return name
    joined = tokens[0] + tokens[1]
    return NormalizedName(tokens=(joined,), alternatives=((),), groups=(name_group(joined),))


def _surname_keys(hangul: bool) -> frozenset[str]:
    """Group keys of every Latin reading of a family name written in Chinese characters or
    in Hangul."""
    return frozenset(
        VARIANT_GROUPS.get(reading, reading)
        for native, readings in CJK_SURNAMES.items()
        if ("\uac00" <= native[0] <= "\ud7a3") == hangul
        for reading in readings
    )


CHINESE_SURNAME_KEYS = _surname_keys(hangul=False)
KOREAN_SURNAME_KEYS = _surname_keys(hangul=True) - CHINESE_SURNAME_KEYS
# Japanese long vowels: passport Hepburn drops them (ONO, OTA, YUKI); other records write OO,
# OH or UU (OONO, OHNO, OOTA, YUUKI). Only for words made of Hepburn syllables.
_HEPBURN = re.compile(
    r"^(?:(?:[KGSZTDNHBPMRFWYJ]|SH|CH|TS|[KGNHBPMR]Y)?[AIUEO]|N(?![AIUEOY])|H(?![AIUEO])"
    r"|([KSTPC])(?=\1|CH))+$"
)
_LONG_VOWEL = re.compile("OO|UU|OH(?![AIUEO])")


def _japanese_key(token: str) -> str | None:
    if _LONG_VOWEL.search(token) and _HEPBURN.match(token):
        return _LONG_VOWEL.sub(lambda m: m.group()[0], token)
    return None


# Å, Ä, Æ, Ö, Ø, Ü as ICAO writes them (AA, AE, OE, UE) and as everyone else does (A, O, U):
# ÅSA / AASA / ASA, SØRENSEN / SOERENSEN / SORENSEN. Not the silent U of GUE / QUE.
_DIGRAPH_VOWEL = re.compile("AA|[AO]E|(?<![GQ])UE")


def _umlaut_key(token: str) -> str | None:
    key = _DIGRAPH_VOWEL.sub(lambda m: m.group()[0], token)
    return None if key == token else VARIANT_GROUPS.get(key, key)


def _family_spelling_key(token: str) -> str | None:
    return surname_key(token, attached_article=False)


# Per family-name script, the key functions tried in order (the first that applies wins).
_KEYS: dict[str | None, tuple[Callable[[str], str | None], ...]] = {
    "chinese": (chinese_name_key, korean_name_key, _family_spelling_key),
    "korean": (korean_name_key, _family_spelling_key),
    None: (_japanese_key, _family_spelling_key, _umlaut_key),
}


def _rekeyed(name: NormalizedName, keys: tuple[Callable[[str], str | None], ...]) -> NormalizedName:
    groups = []
    for token, group in zip(name.tokens, name.groups, strict=True):
        if group == token and token not in name.particles and token not in KNOWN_NAMES:
            group = next((key for key in (k(token) for k in keys) if key), group)
        groups.append(group)
    return name if tuple(groups) == name.groups else replace(name, groups=tuple(groups))


def family_script(name: NormalizedName) -> str | None:
    """ "chinese" or "korean" when the field holds such a family name, else None."""
    if any(group in CHINESE_SURNAME_KEYS for group in name.groups):
        return "chinese"
    if any(group in KOREAN_SURNAME_KEYS for group in name.groups):
        return "korean"
    return None


def combined_family(first: str | None, second: str | None) -> str | None:
    """The record's family-name script from both fields (surname-first records put it in the
    given-name field); Chinese wins, since 李 LEE / 이 LEE is both."""
    return "chinese" if "chinese" in (first, second) else first or second


# Maghrebi BENT and Hassaniya MINT ("daughter of") opening a surname field, as BINT does; in
# the given-name field BENT is a Danish name.
_DAUGHTER_OF = frozenset({"BENT", "MINT"})


def _surname_particles(name: NormalizedName) -> NormalizedName:
    tokens = name.tokens
    if len(tokens) > 1 and tokens[0] in _DAUGHTER_OF and tokens[0] not in tokens[1:]:
        return replace(name, particles=name.particles | {tokens[0]})
    return name


def name_keys(name: NormalizedName, family: str | None, *, surname: bool) -> NormalizedName:
    """Group keys of a name field: romanization-neutral beside a Chinese or Korean family name,
    Japanese long vowels folded elsewhere, Slavic endings folded (in both fields, so a record
    with given names and surname swapped keeps those keys), attached articles dropped in the
    surname field. Names the variant groups or the nickname tables know keep their group. In
    the surname field a leading BENT or MINT is a particle."""
    keys = _KEYS[family]
    if surname:  # the same folds, after an attached article is dropped
        keys = tuple(surname_key if key is _family_spelling_key else key for key in keys)
        return _rekeyed(_surname_particles(name), keys)
    return _rekeyed(name, keys)


def split_chinese_full_name(text: str) -> tuple[str, str] | None:
    """张伟 alone in one field -> (surname 张, given name 伟); None when it is not that."""
    word = text.strip()
    if len(word) == 2 and not word.isascii() and word[0] in CJK_SURNAMES:
        return word[0], word[1]
    return None
