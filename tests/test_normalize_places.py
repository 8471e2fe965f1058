"""Place of birth: spellings of one city fold to one name; other cities stay apart.

The pairs are written by hand (exonyms, former names, native scripts), not taken from the
table or from the synthetic generator's place lists.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ppmatch.normalize import normalize_place, normalize_record
from ppmatch.normalize.places import _aliases

SAME_CITY = [
    ("München", "Munich", "MUENCHEN"),
    ("Köln", "Cologne"),
    ("Bombay", "Mumbai"),
    ("Peking", "北京", "Beijing"),
    ("Москва", "Moscow", "Moskva"),
    ("القاهرة", "Cairo"),
    ("Saigon", "Thành phố Hồ Chí Minh"),
    ("Kiev", "Kyiv", "Київ"),
    ("İstanbul", "Istanbul", "Constantinople"),
    ("Warszawa", "Warsaw"),
    ("Lisboa", "Lisbon"),
    ("Wien", "Vienna"),
    ("Praha", "Prague"),
    ("Αθήνα", "Athens", "Athina"),
    ("서울", "Seoul"),
    ("東京", "Tokyo"),
    ("Firenze", "Florence"),
    ("Den Haag", "The Hague", "'s-Gravenhage"),
    ("Genève", "Geneva"),
    ("Bruxelles", "Brussel", "Brussels"),
    ("København", "Copenhagen"),
    ("Sankt-Peterburg", "Saint Petersburg", "Leningrad"),
    ("حلب", "Halab", "Aleppo"),
    ("Madras", "Chennai"),
    ("Calcutta", "Kolkata"),
    ("广州", "Canton", "Guangzhou"),
    ("Rangoon", "Yangon"),
    ("Bangalore", "Bengaluru"),
    ("Ciudad de México", "Mexico City"),
    ("Nueva York", "New York"),
]

OTHER_CITIES = [
    ("Delhi", "New Delhi"),
    ("Alexandria", "Cairo"),
    ("Paris", "Lyon"),
    ("Vienna", "Venice"),
    ("Mumbai", "Pune"),
    ("Sankt-Peterburg", "Moskva"),
]


@pytest.mark.parametrize("spellings", SAME_CITY, ids=lambda spellings: spellings[-1])
def test_spellings_of_one_city_share_one_name(spellings):
    assert len({normalize_place(spelling) for spelling in spellings}) == 1


@pytest.mark.parametrize("pair", OTHER_CITIES, ids=lambda pair: "/".join(pair))
def test_different_cities_stay_apart(pair):
    assert normalize_place(pair[0]) != normalize_place(pair[1])


def test_unknown_places_keep_their_normalized_text_and_missing_stays_missing():
    assert normalize_place("Klein Vielen Dorf") == "KLEIN VIELEN DORF"
    assert normalize_place("  ") is None and normalize_place(None) is None


def test_record_place_of_birth_is_canonical():
    record = normalize_record({"surname": "X", "place_of_birth": "Bombay"}, record_id="1")
    assert record.place_of_birth == "MUMBAI"


def test_every_canonical_name_is_its_own_canonical_name():
    table = _aliases()
    assert len(table) > 50_000
    assert not set(table.values()) & set(table)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=30))
def test_normalizing_a_place_twice_changes_nothing(text):
    once = normalize_place(text)
    assert normalize_place(once) == once
