"""The normalized identity record: the one shape every later layer reads.

Normalization turns what clerks typed (any script, any date convention) into canonical,
comparable values. Everything here is plain data: uppercase ASCII Latin tokens, ISO codes,
partial dates with their precision kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A date of birth as precise as the source gave it (a year-only date is not 1 January)."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        """``"day"``, ``"month"`` or ``"year"``."""
        if self.day is not None:
            return "day"
        if self.month is not None:
            return "month"
        return "year"

    def isoformat(self) -> str:
        if self.day is not None:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month is not None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"


@dataclass(frozen=True, slots=True)
class NormalizedName:
    """One name field (given names or surnames) after normalization.

    ``tokens`` is the primary reading: uppercase ASCII tokens in written order, honorifics
    removed, particles (AL, VAN DER, DE LA...) kept as separate tokens but listed in
    ``particles`` so rules can ignore them. ``alternatives`` holds other accepted spellings of
    each token (ICAO alternatives such as MUELLER/MULLER, other transliteration tables),
    ``groups`` the canonical key of each token's given-name variant group or nickname group
    (MOHAMMED, MUHAMMAD, MOHAMED -> one key; BOB -> ROBERT).
    """

    tokens: tuple[str, ...] = ()
    particles: frozenset[str] = frozenset()
    alternatives: tuple[tuple[str, ...], ...] = ()
    groups: tuple[str, ...] = ()

    @property
    def core_tokens(self) -> tuple[str, ...]:
        """Tokens without particles: what most match rules use."""
        return tuple(t for t in self.tokens if t not in self.particles)

    def __bool__(self) -> bool:
        return bool(self.tokens)


@dataclass(frozen=True, slots=True)
class NormalizedRecord:
    """A normalized identity record; ``None`` / empty means missing, never a sentinel value."""

    record_id: str
    given_names: NormalizedName = NormalizedName()
    surname: NormalizedName = NormalizedName()
    date_of_birth: PartialDate | None = None
    sex: str | None = None  # "M", "F" or "X"
    nationality: str | None = None  # ISO 3166-1 alpha-3 (or ICAO code such as XXA)
    place_of_birth: str | None = None  # normalized like a name, tokens joined by one space
    document_number: str | None = None  # separators stripped, uppercase
    extra: dict[str, str] = field(default_factory=dict)  # declared extra string fields, normalized

    @property
    def name_tokens(self) -> tuple[str, ...]:
        """Sorted core tokens of given names and surname together: the order-free name key.

        WANG XIAOMING and XIAOMING WANG (or a surname typed into the given-name field) give the
        same key; a missing second surname (GARCIA vs GARCIA LOPEZ) gives a subset.
        """
        return tuple(sorted(set(self.given_names.core_tokens) | set(self.surname.core_tokens)))
