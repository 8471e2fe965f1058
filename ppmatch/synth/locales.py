"""Who is in the synthetic population and how each agency writes them down.

Locales are the naming cultures of the population (their name tables live in
``data/names.csv``); the shares, structures and document formats below are hand-set to look
like a mixed caseload, not census figures.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Locale:
    """A naming culture and how its names are built."""

    code: str
    share: float  # fraction of the population
    native_script: bool  # native form is a non-Latin script (Cyrillic, Greek, Han, Arabic)
    nationalities: tuple[tuple[str, float], ...]  # ISO alpha-3 with weights
    passport_pattern: str  # L letter, D digit, A letter or digit
    second_given: float  # chance of a second given name (middle name, patronymic)
    patronymic: bool  # second given name is a patronymic: left out of passports
    second_surname: float  # chance of a second surname (Spanish double surnames)
    surname_first: bool  # names are written surname first in the native order
    single_name: float  # chance of a person with one name only (no surname)
    zipf_given: float
    zipf_surname: float


LOCALES: tuple[Locale, ...] = (
    Locale("ru", 0.09, True, (("RUS", 1.0),), "DDDDDDDDD", 0.95, True, 0, False, 0, 0.9, 0.9),
    Locale("uk", 0.07, True, (("UKR", 1.0),), "LLDDDDDD", 0.95, True, 0, False, 0, 0.9, 0.8),
    Locale(
        "el",
        0.05,
        True,
        (("GRC", 0.85), ("CYP", 0.15)),
        "LLDDDDDDD",
        0.1,
        False,
        0,
        False,
        0,
        0.9,
        0.8,
    ),
    Locale(
        "de",
        0.08,
        False,
        (("DEU", 0.8), ("AUT", 0.2)),
        "LAAAAAAAA",
        0.3,
        False,
        0.02,
        False,
        0,
        0.8,
        0.9,
    ),
    Locale("tr", 0.07, False, (("TUR", 1.0),), "LDDDDDDDD", 0.15, False, 0, False, 0, 1.0, 1.0),
    Locale("pl", 0.05, False, (("POL", 1.0),), "LLDDDDDDD", 0.25, False, 0, False, 0, 0.9, 0.9),
    Locale(
        "es",
        0.09,
        False,
        (("ESP", 0.5), ("MEX", 0.3), ("COL", 0.2)),
        "LLLDDDDDD",
        0.4,
        False,
        0.97,
        False,
        0,
        1.0,
        0.9,
    ),
    Locale("vi", 0.05, False, (("VNM", 1.0),), "LDDDDDDDD", 0.9, False, 0, True, 0, 0.9, 1.6),
    Locale(
        "ar",
        0.09,
        True,
        (("EGY", 0.35), ("SYR", 0.2), ("IRQ", 0.15), ("JOR", 0.1), ("MAR", 0.1), ("SAU", 0.1)),
        "LDDDDDDDD",
        0.2,
        False,
        0,
        False,
        0,
        1.2,
        0.8,
    ),
    Locale(
        "zh", 0.09, True, (("CHN", 0.9), ("TWN", 0.1)), "LDDDDDDDD", 0, False, 0, True, 0, 0.8, 1.2
    ),
    Locale(
        "en",
        0.10,
        False,
        (("GBR", 0.4), ("USA", 0.4), ("CAN", 0.1), ("AUS", 0.1)),
        "DDDDDDDDD",
        0.5,
        False,
        0.01,
        False,
        0,
        0.9,
        0.9,
    ),
    Locale(
        "fr",
        0.06,
        False,
        (("FRA", 0.8), ("BEL", 0.2)),
        "DDLLDDDDD",
        0.35,
        False,
        0.01,
        False,
        0,
        0.9,
        0.8,
    ),
    Locale("ng", 0.05, False, (("NGA", 1.0),), "LDDDDDDDD", 0.4, False, 0, False, 0, 0.9, 0.9),
    Locale("in", 0.06, False, (("IND", 1.0),), "LDDDDDDD", 0.3, False, 0, False, 0.06, 0.9, 0.9),
)

# ISO 3166-1 alpha-3 -> (alpha-2, English short name): how the other agency writes nationality.
COUNTRIES: dict[str, tuple[str, str]] = {
    "RUS": ("RU", "Russia"),
    "UKR": ("UA", "Ukraine"),
    "GRC": ("GR", "Greece"),
    "CYP": ("CY", "Cyprus"),
    "DEU": ("DE", "Germany"),
    "AUT": ("AT", "Austria"),
    "TUR": ("TR", "Turkey"),
    "POL": ("PL", "Poland"),
    "ESP": ("ES", "Spain"),
    "MEX": ("MX", "Mexico"),
    "COL": ("CO", "Colombia"),
    "VNM": ("VN", "Viet Nam"),
    "EGY": ("EG", "Egypt"),
    "SYR": ("SY", "Syria"),
    "IRQ": ("IQ", "Iraq"),
    "JOR": ("JO", "Jordan"),
    "MAR": ("MA", "Morocco"),
    "SAU": ("SA", "Saudi Arabia"),
    "CHN": ("CN", "China"),
    "TWN": ("TW", "Taiwan"),
    "GBR": ("GB", "United Kingdom"),
    "USA": ("US", "United States"),
    "CAN": ("CA", "Canada"),
    "AUS": ("AU", "Australia"),
    "FRA": ("FR", "France"),
    "BEL": ("BE", "Belgium"),
    "NGA": ("NG", "Nigeria"),
    "IND": ("IN", "India"),
}

# Machine-readable passports print Germany as the ICAO code "D", not "DEU".
ICAO_CODES: dict[str, str] = {"DEU": "D"}

# Offense categories, most frequent first (Zipf-weighted when drawn).
OFFENSES: tuple[str, ...] = (
    "theft",
    "drug possession",
    "assault",
    "fraud",
    "burglary",
    "drug trafficking",
    "robbery",
    "forgery of documents",
    "money laundering",
    "weapons offense",
    "sexual offense",
    "human trafficking",
    "homicide",
    "terrorism financing",
)
