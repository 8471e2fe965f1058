"""The true people behind the synthetic records, as integer arrays.

A person is a row of indices into the name tables plus a date of birth and a passport, so a
million people cost a few tens of megabytes and are drawn with a handful of numpy calls.
Rendering into each agency's text happens later, per chunk.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from ppmatch.synth.locales import LOCALES
from ppmatch.synth.tables import NameTables

_FIRST_BIRTH_DAY = np.datetime64("1945-01-01").astype(np.int64)
_LAST_BIRTH_DAY = np.datetime64("2007-12-31").astype(np.int64)
_ALPHABETS = {
    "L": "ABCDEFGHJKLMNPRSTUVWXYZ",  # passports avoid I, O and Q
    "D": "0123456789",
    "A": "ABCDEFGHJKLMNPRSTUVWXYZ0123456789",
}

# Hard negatives among the felon-only people: share of each kind.
SAME_NAME_OTHER_DOB = 0.06
SAME_SURNAME_AND_DOB = 0.04
MOST_COMMON_NAME = 0.03


@dataclass(frozen=True)
class Population:
    """Parallel arrays, one entry per person."""

    locale: np.ndarray  # index into LOCALES
    sex: np.ndarray  # 0 male, 1 female, 2 unspecified (X)
    name_sex: np.ndarray  # 0/1: which name lists and surname forms the person uses
    given1: np.ndarray  # global name indices; 0 = none
    given2: np.ndarray
    surname1: np.ndarray
    surname2: np.ndarray
    place: np.ndarray
    dob: np.ndarray  # days since 1970-01-01
    nationality: np.ndarray  # ISO alpha-3 strings
    passport: np.ndarray  # current passport number

    def __len__(self) -> int:
        return len(self.locale)

    def take(self, indices: np.ndarray) -> Population:
        """The people at ``indices``, in that order."""
        return Population(**{f.name: getattr(self, f.name)[indices] for f in fields(self)})


def document_numbers(rng: np.random.Generator, locale: np.ndarray) -> np.ndarray:
    """Random document numbers in each locale's passport format."""
    width = max(len(loc.passport_pattern) for loc in LOCALES)
    numbers = np.empty(len(locale), dtype=f"<U{width}")
    for index, loc in enumerate(LOCALES):
        members = np.flatnonzero(locale == index)
        if not len(members):
            continue
        columns = []
        for symbol in loc.passport_pattern:
            alphabet = np.array(list(_ALPHABETS[symbol]))
            columns.append(alphabet[rng.integers(0, len(alphabet), len(members))])
        chars = np.ascontiguousarray(np.stack(columns, axis=1))
        numbers[members] = chars.view(f"<U{len(loc.passport_pattern)}").ravel()
    return numbers


def draw_people(rng: np.random.Generator, size: int, tables: NameTables) -> Population:
    """Independent people with Zipf-distributed names per locale."""
    shares = np.array([loc.share for loc in LOCALES])
    locale = rng.choice(len(LOCALES), size=size, p=shares / shares.sum()).astype(np.int16)
    name_sex = (rng.random(size) < 0.5).astype(np.int8)
    sex = np.where(rng.random(size) < 0.002, 2, name_sex).astype(np.int8)
    given1 = np.zeros(size, np.int32)
    given2 = np.zeros(size, np.int32)
    surname1 = np.zeros(size, np.int32)
    surname2 = np.zeros(size, np.int32)
    place = np.zeros(size, np.int32)
    nationality = np.empty(size, dtype=object)
    for index, loc in enumerate(LOCALES):
        in_locale = locale == index
        count = int(in_locale.sum())
        if not count:
            continue
        members = np.flatnonzero(in_locale)
        for sex_code, kind in ((0, "m"), (1, "f")):
            group = members[name_sex[members] == sex_code]
            given1[group] = tables.draw(rng, index, kind, len(group), loc.zipf_given)
            second_kind = kind + "2" if tables.has(index, kind + "2") else kind
            with_second = group[rng.random(len(group)) < loc.second_given]
            given2[with_second] = tables.draw(
                rng, index, second_kind, len(with_second), loc.zipf_given
            )
            # "Mehmet Mehmet": a second name equal to the first becomes the next name.
            names = tables.ranges[(index, kind)]
            repeated = with_second[given2[with_second] == given1[with_second]]
            given2[repeated] = names[(given2[repeated] - names[0] + 1) % len(names)]
        surname1[members] = tables.draw(rng, index, "s", count, loc.zipf_surname)
        single = members[rng.random(count) < loc.single_name]
        surname1[single] = 0
        double = members[rng.random(count) < loc.second_surname]
        surname2[double] = tables.draw(rng, index, "s", len(double), loc.zipf_surname)
        place[members] = tables.draw(rng, index, "p", count, 0.8)
        codes = np.array([code for code, _ in loc.nationalities], dtype=object)
        weights = np.array([weight for _, weight in loc.nationalities])
        nationality[members] = codes[rng.choice(len(codes), size=count, p=weights / weights.sum())]
    dob = rng.integers(_FIRST_BIRTH_DAY, _LAST_BIRTH_DAY + 1, size).astype(np.int32)
    return Population(
        locale=locale,
        sex=sex,
        name_sex=name_sex,
        given1=given1,
        given2=given2,
        surname1=surname1,
        surname2=surname2,
        place=place,
        dob=dob,
        nationality=nationality,
        passport=document_numbers(rng, locale),
    )


def _words(name: str) -> set[str]:
    """The words of a Latin name form (JEAN-PIERRE -> {JEAN, PIERRE}); empty for index 0."""
    return set(name.replace("-", " ").split()) if name else set()


def add_hard_negatives(
    rng: np.random.Generator, people: Population, targets: slice, sources: int, tables: NameTables
) -> None:
    """Make some people in ``targets`` near-copies of people ``[0, sources)`` (in place).

    Different people who share a name and another attribute are what makes screening hard;
    a generator with only random strangers would flatter any matcher.
    """
    count = targets.stop - targets.start
    if count <= 0 or sources <= 0:
        return
    kind_draw = rng.random(count)
    source = rng.integers(0, sources, count)
    target = np.arange(targets.start, targets.stop)

    same_name = kind_draw < SAME_NAME_OTHER_DOB
    same_surname = (kind_draw >= SAME_NAME_OTHER_DOB) & (
        kind_draw < SAME_NAME_OTHER_DOB + SAME_SURNAME_AND_DOB
    )
    common = (kind_draw >= SAME_NAME_OTHER_DOB + SAME_SURNAME_AND_DOB) & (
        kind_draw < SAME_NAME_OTHER_DOB + SAME_SURNAME_AND_DOB + MOST_COMMON_NAME
    )

    copied = ("locale", "sex", "name_sex", "surname1", "surname2", "nationality")
    for mask, extra in (
        (same_name, ("given1", "given2", "place")),
        (same_surname, ("dob", "place")),
    ):
        to, frm = target[mask], source[mask]
        for name in copied + extra:
            getattr(people, name)[to] = getattr(people, name)[frm]

    # Same name, another birth date: shift by 2 months to 8 years either way.
    to, frm = target[same_name], source[same_name]
    shift = rng.integers(60, 3000, len(to)) * rng.choice(np.array([-1, 1]), len(to))
    people.dob[to] = np.clip(people.dob[frm] + shift, _FIRST_BIRTH_DAY, _LAST_BIRTH_DAY)

    # Same surname and birth date (twins, cousins): another given name of the same list that
    # shares no word with the source's (JEAN -> JEAN-PIERRE would be the source with a middle
    # name, which the corruption model also produces for the same person: not a sibling).
    to, frm = target[same_surname], source[same_surname]
    people.given2[to] = 0
    steps = rng.random(len(to))
    for person, origin, step in zip(to, frm, steps, strict=True):
        names = tables.ranges[(int(people.locale[person]), "mf"[people.name_sex[person]])]
        rank = int(people.given1[origin]) - int(names[0])  # name lists are contiguous
        offset = 1 + int(step * (len(names) - 1)) if len(names) > 1 else 0
        taken = _words(tables.latin[people.given1[origin]]) | _words(
            tables.latin[people.given2[origin]]
        )
        for attempt in range(len(names)):
            choice = names[(rank + offset + attempt) % len(names)]
            if not _words(tables.latin[choice]) & taken:
                break
        people.given1[person] = choice

    # The most common given name and surname of the person's locale.
    for person in target[common]:
        locale = int(people.locale[person])
        people.given1[person] = tables.ranges[(locale, "mf"[people.name_sex[person]])][0]
        people.surname1[person] = tables.ranges[(locale, "s")][0]
