"""Places of birth with the country or province a clerk added: tried as clerks write them."""

from __future__ import annotations

import pytest

from ppmatch.normalize import normalize_place


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("Damascus, Syria", "Damascus"),
        ("DAMASCUS SYR", "دمشق"),
        ("Kiev (UA)", "Київ"),
        ("Moscow, USSR", "Moskau"),
        ("Aleppo / Halab", "Halab"),
        ("Riyadh Saudi Arabia", "Riyadh"),
        ("Homs - Syria", "HOMS"),
        ("Gjakovë, Kosovo", "Gjakove"),  # not in the city table: the country is still dropped
        ("Tetovo; North Macedonia", "Тетово"),
        ("Mumbai [India]", "Bombay"),
    ],
)
def test_a_qualified_place_equals_the_plain_city(written: str, plain: str) -> None:
    assert normalize_place(written) == normalize_place(plain)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Damascus, Syria", "Aleppo, Syria"),
        ("Santa Cruz de Tenerife", "Santa Cruz"),
        ("Port Harcourt", "Harcourt"),
        ("Lagos State", "Lagos"),  # a province name is not a country: kept
    ],
)
def test_different_places_stay_different(first: str, second: str) -> None:
    assert normalize_place(first) != normalize_place(second)


def test_blank_and_separator_only_places_are_missing() -> None:
    assert normalize_place("") is None and normalize_place(" , / ") is None
