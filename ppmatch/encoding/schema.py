"""The linkage schema: the declarative, versioned part of an agreement that fixes encodings.

Two agencies must produce bit-identical Bloom filters and byte-identical tokens from the same
person, so everything that influences an encoding is data here: which features each field
contributes, how many hash functions (the field's weight), the filter length, the keyed hash,
hardening, the match-key rules, the LSH band layout and the scoring weights. The schema is a
pydantic model with ``extra="forbid"``; its canonical JSON is hashed and signed as part of the
agreement.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ppmatch.errors import SchemaError

SCHEMA_VERSION: Literal[1] = 1

IDENTITY_FIELDS: tuple[str, ...] = (
    "given_names",
    "surname",
    "date_of_birth",
    "sex",
    "nationality",
    "place_of_birth",
    "document_number",
)
NAME_FIELDS = frozenset({"given_names", "surname"})

# Rule components: each turns a normalized record into zero or more canonical strings. A rule
# emits one token per combination of its components' values (capped); a missing component means
# the rule emits nothing. See ``ppmatch.tokens.components`` for the definitions.
Component = Literal[
    "document_number",
    "document_characters",
    "nationality",
    "sex",
    "dob",
    "dob_unordered",
    "dob_adjacent",
    "birth_year",
    "birth_year_month",
    "birth_month_day",
    "surname",
    "surname_token",
    "surname_phonetic",
    "given_first",
    "given_group",
    "given_phonetic",
    "given_prefix",
    "surname_prefix",
    "surname_ends",
    "name_tokens_sorted",
    "name_groups_sorted",
    "name_token_group",
    "first_names_pair",
    "name_phonetic_sorted",
    "place_of_birth",
]

# A holder label carries which rules its record emits as one 32-bit mask (rule i = bit i).
MAX_RULES = 32
_ID_PATTERN = r"^[a-z][a-z0-9_]{0,31}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class QGramFeature(_Strict):
    """Character q-grams of the field value (each name token padded separately if ``padding``)."""

    kind: Literal["qgram"] = "qgram"
    n: int = Field(default=2, ge=1, le=5)
    padding: bool = True
    positional: bool = False


class ExactFeature(_Strict):
    """The whole canonical value as one feature (sex, nationality, a postcode)."""

    kind: Literal["exact"] = "exact"


class TokenFeature(_Strict):
    """Each whole name token as one feature: order-free agreement on complete tokens."""

    kind: Literal["tokens"] = "tokens"


class DateFeature(_Strict):
    """Date components; only the components the source date actually has are emitted."""

    kind: Literal["date"] = "date"
    components: tuple[Literal["year", "month", "day", "year_month", "month_day", "full"], ...] = (
        "year",
        "month",
        "day",
        "full",
    )


class PhoneticFeature(_Strict):
    """A phonetic code of each name token (jellyfish implementations, fixed by the schema)."""

    kind: Literal["phonetic"] = "phonetic"
    algorithm: Literal["metaphone", "nysiis", "soundex"] = "metaphone"


Feature = Annotated[
    QGramFeature | ExactFeature | TokenFeature | DateFeature | PhoneticFeature,
    Field(discriminator="kind"),
]


class FieldSpec(_Strict):
    """How one field contributes to the record's Bloom filter.

    ``hashes`` is the number of bit positions each feature sets: the field's weight in the
    filter (clkhash calls it k). ``hashes = 0`` leaves the field out of the filter.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    features: tuple[Feature, ...] = Field(min_length=1)
    hashes: int = Field(ge=0, le=64)


class Hardening(_Strict):
    """Filter hardening against frequency and pattern attacks on published filters.

    ``xor_fold`` halves the filter by XOR-ing its halves; ``balance`` appends the complement and
    permutes (keyed), giving every filter the same Hamming weight; ``blip_epsilon`` flips each
    bit with probability ``1 / (1 + e^epsilon)`` (randomized response, seeded from the keyed
    filter so encodings stay deterministic).
    """

    xor_fold: bool = False
    balance: bool = False
    blip_epsilon: float | None = Field(default=None, gt=0.0, le=50.0)


class ClkSpec(_Strict):
    """The Bloom-filter layout: length, keyed hash, fields, hardening."""

    filter_bits: int = Field(default=1024, ge=64, le=16384, multiple_of=64)
    hash: Literal["blake2b", "hmac-sha256"] = "blake2b"
    fields: tuple[FieldSpec, ...] = Field(min_length=1)
    hardening: Hardening = Hardening()

    @property
    def output_bits(self) -> int:
        bits = self.filter_bits // 2 if self.hardening.xor_fold else self.filter_bits
        return bits * 2 if self.hardening.balance else bits


class RuleSpec(_Strict):
    """One match-key rule: a token is emitted per combination of its components' values.

    ``weight`` is the number of threshold shares a matching token carries.
    """

    id: str = Field(pattern=_ID_PATTERN)
    components: tuple[Component, ...] = Field(min_length=1, max_length=6)
    weight: int = Field(ge=0, le=16)
    max_tokens: int = Field(default=2, ge=1, le=8)


class LshSpec(_Strict):
    """LSH band layout over the CLK.

    The bands read the record's unhardened filter restricted to ``fields`` (empty: every CLK
    field): identifying fields only, so that sharing low-entropy values (sex, nationality)
    does not make unrelated records collide. ``minhash``: each band is ``rows`` keyed MinHash
    values over the set bits, so P[band agrees] = Jaccard^rows. ``hamming``: each band samples
    ``rows`` keyed positions of the filter followed by its complement (a balanced view),
    P[band agrees] = (1 - Hamming/bits)^rows.
    """

    fields: tuple[str, ...] = ()
    method: Literal["minhash", "hamming"] = "minhash"
    bands: int = Field(default=16, ge=0, le=64)
    rows: int = Field(default=4, ge=1, le=64)
    weight: int = Field(default=1, ge=0, le=16)


class RuleWeights(_Strict):
    """Fellegi-Sunter log2 weights of one rule: the three states of a comparison.

    ``agree``: the two records share one of the rule's tokens; ``disagree``: both records
    emit tokens for the rule but share none (their fields differ); ``missing``: one side
    emits none (a field is empty). Without ``missing``, or when the other side's rule
    presence is unknown, an unshared rule counts as ``disagree``.
    """

    agree: float = Field(ge=-100.0, le=100.0)
    disagree: float = Field(ge=-100.0, le=100.0)
    missing: float | None = Field(default=None, ge=-100.0, le=100.0)


class LevelWeight(_Strict):
    """One agreement level of a rule family: reached when all ``rules`` matched."""

    rules: tuple[str, ...] = Field(min_length=1)
    weight: float = Field(default=0.0, ge=-100.0, le=100.0)


class FamilySpec(_Strict):
    """Correlated rules scored as one multi-level Fellegi-Sunter comparison.

    Rules built from the same fields (names with the date of birth, say) fail together, so
    adding one disagreement weight per rule would count the same evidence many times. A family
    contributes the weight of its first level reached, in the listed order (strongest first),
    or ``none_weight`` when no level is reached.
    """

    id: str = Field(pattern=_ID_PATTERN)
    levels: tuple[LevelWeight, ...] = Field(min_length=1)
    none_weight: float = Field(default=0.0, ge=-100.0, le=100.0)


class InteractionWeight(_Strict):
    """A log2 weight added when every rule in ``when`` is in its listed state.

    Rules built from the same fields agree and disagree together, so the sum of per-rule
    weights under-counts some joint states: first names agreeing with the birth month and day
    *and* with the place of birth is stronger evidence than each rule's weight, fitted in the
    presence of the other, says. An interaction adds a weight for one such joint state.
    ``min_bands`` adds a shared-band condition.

    Only evidence in one direction is joined, with the matching sign: all rules ``agree``
    (bands allowed) and ``weight >= 0``, or all ``disagree`` (no bands) and ``weight <= 0``.
    So agreeing on a rule or sharing a band never lowers a score and a disagreement never
    raises one, whatever the weights: a property to audit, not to trust to the fitting data.
    """

    when: dict[str, Literal["agree", "disagree"]] = Field(min_length=1, max_length=4)
    min_bands: int = Field(default=0, ge=0, le=64)
    weight: float = Field(default=0.0, ge=-100.0, le=100.0)

    @model_validator(mode="after")
    def _one_direction(self) -> InteractionWeight:
        states = set(self.when.values())
        if len(states) > 1:
            raise ValueError("when: mixes agree and disagree; join evidence of one direction")
        if states == {"agree"} and self.weight < 0:
            raise ValueError("weight: an interaction of agreements must not be negative")
        if states == {"disagree"} and (self.weight > 0 or self.min_bands):
            raise ValueError(
                "weight: an interaction of disagreements must not be positive nor need bands"
            )
        return self

    @property
    def sign(self) -> float:
        """+1 for joint agreement, -1 for joint disagreement: the fitted weight's sign."""
        return 1.0 if "agree" in self.when.values() else -1.0


class ScoringSpec(_Strict):
    """Token-pattern scoring: FS log2 weights of rule families, single rules and shared bands.

    ``families`` are multi-level comparisons over correlated rules; ``rule_weights`` give a
    rule outside any family its own agree/disagree weights; ``interactions`` add a weight for
    a joint state of a few rules. ``band_weights[i]`` is the log2
    likelihood ratio of sharing exactly ``i`` bands (the last entry covers ``i`` and more).
    Scores at or above ``match_threshold`` are matches (if the payload key was reconstructed),
    at or above ``review_threshold`` reviews. ``prior_log2_odds`` is the match:non-match odds
    among candidate pairs of the fitting data; a querier may re-estimate it on its own batch
    (``PatternScorer.calibrate``) because the share of true matches differs between data sets
    while the evidence weights carry over.
    """

    offset: float = Field(default=0.0, ge=-1000.0, le=1000.0)
    families: tuple[FamilySpec, ...] = ()
    rule_weights: dict[str, RuleWeights] = Field(default_factory=dict)
    band_weights: tuple[float, ...] = ()
    interactions: tuple[InteractionWeight, ...] = Field(default=(), max_length=64)
    match_threshold: float = Field(default=10.0, ge=-1000.0, le=1000.0)
    review_threshold: float = Field(default=5.0, ge=-1000.0, le=1000.0)
    prior_log2_odds: float | None = Field(default=None, ge=-60.0, le=60.0)
    fitted_on: str = ""

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> ScoringSpec:
        if self.review_threshold > self.match_threshold:
            raise ValueError("review_threshold must not exceed match_threshold")
        return self


class DisclosureSpec(_Strict):
    """Threshold disclosure: a payload key is split so that ``threshold`` shares rebuild it."""

    threshold: int = Field(default=4, ge=1, le=255)


class LinkageSchema(_Strict):
    """Everything two parties must agree on to encode, tokenize and score identically."""

    version: Literal[1] = SCHEMA_VERSION
    extra_fields: tuple[str, ...] = ()
    document_ocr_folding: bool = True
    rule_phonetic: Literal["metaphone", "nysiis", "soundex"] = "metaphone"
    clk: ClkSpec
    rules: tuple[RuleSpec, ...] = Field(default=(), max_length=MAX_RULES)
    lsh: LshSpec = LshSpec()
    scoring: ScoringSpec = ScoringSpec()
    disclosure: DisclosureSpec = DisclosureSpec()

    @model_validator(mode="after")
    def _consistent(self) -> LinkageSchema:
        known = set(IDENTITY_FIELDS) | set(self.extra_fields)
        for extra in self.extra_fields:
            if not re.match(r"^[a-z][a-z0-9_]{0,63}$", extra) or extra in IDENTITY_FIELDS:
                raise ValueError(f"extra_fields: {extra!r} is not a new lowercase field name")
        seen: set[str] = set()
        for index, spec in enumerate(self.clk.fields):
            if spec.name not in known:
                raise ValueError(
                    f"clk.fields.{index}.name: unknown field {spec.name!r}; declare it in "
                    f"extra_fields or use one of {', '.join(IDENTITY_FIELDS)}"
                )
            for feature in spec.features:
                is_date_field = spec.name == "date_of_birth"
                if is_date_field != isinstance(feature, DateFeature) and not isinstance(
                    feature, ExactFeature
                ):
                    raise ValueError(
                        f"clk.fields.{index}.features: {feature.kind!r} does not apply to "
                        f"field {spec.name!r} (date features are for date_of_birth only)"
                    )
            if spec.name in seen:
                raise ValueError(f"clk.fields.{index}.name: field {spec.name!r} listed twice")
            seen.add(spec.name)
        clk_fields = {spec.name for spec in self.clk.fields if spec.hashes > 0}
        for index, name in enumerate(self.lsh.fields):
            if name not in clk_fields:
                raise ValueError(f"lsh.fields.{index}: {name!r} is not a CLK field with hashes > 0")
        rule_ids = [rule.id for rule in self.rules]
        duplicates = {r for r in rule_ids if rule_ids.count(r) > 1}
        if duplicates:
            raise ValueError(f"rules: duplicate rule id {sorted(duplicates)[0]!r}")
        for rule_id in self.scoring.rule_weights:
            if rule_id not in rule_ids:
                raise ValueError(f"scoring.rule_weights.{rule_id}: no rule with this id")
        scored = set(self.scoring.rule_weights)
        for f_index, family in enumerate(self.scoring.families):
            members: set[str] = set()
            for l_index, level in enumerate(family.levels):
                for rule_id in level.rules:
                    if rule_id not in rule_ids:
                        raise ValueError(
                            f"scoring.families.{f_index}.levels.{l_index}.rules: no rule {rule_id!r}"
                        )
                members.update(level.rules)
            if members & scored:
                raise ValueError(
                    f"scoring.families.{f_index}: rule {sorted(members & scored)[0]!r} is scored twice"
                )
            scored |= members
        for i_index, interaction in enumerate(self.scoring.interactions):
            for rule_id in interaction.when:
                if rule_id not in rule_ids:
                    raise ValueError(f"scoring.interactions.{i_index}.when: no rule {rule_id!r}")
        if self.lsh.bands and len(self.scoring.band_weights) > self.lsh.bands + 1:
            raise ValueError("scoring.band_weights: more entries than lsh.bands + 1")
        return self

    # ---- serialization -------------------------------------------------------------------

    def canonical_json(self) -> bytes:
        """Sorted-key, whitespace-free JSON of every setting (defaults included): what is hashed.

        A setting added in a later version is left out while it is empty, so a schema written
        before it existed keeps its hash (and its signed agreements and databases stay valid).
        """
        settings = self.model_dump(mode="json")
        if not settings["scoring"]["interactions"]:
            del settings["scoring"]["interactions"]
        return json.dumps(
            settings, sort_keys=True, separators=(",", ":"), ensure_ascii=True
        ).encode()

    def hash(self) -> str:
        """SHA-256 hex digest of the canonical JSON; both parties sign it inside the agreement."""
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def to_toml(self) -> str:
        import tomli_w

        return tomli_w.dumps(_drop_none(self.model_dump(mode="json")))

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.rules)

    def token_weight(self, kind: str, rule_id: str) -> int:
        """Threshold shares carried by a token of this kind and rule/band id."""
        if kind == "band":
            return self.lsh.weight
        for rule in self.rules:
            if rule.id == rule_id:
                return rule.weight
        raise SchemaError(f"rules: no rule with id {rule_id!r}")

    @property
    def max_tokens_per_record(self) -> int:
        """Upper bound on tokens per record: the padding size for the private protocol."""
        return sum(rule.max_tokens for rule in self.rules) + self.lsh.bands

    # ---- construction --------------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls, data: Mapping[str, Any], *, source: str = "linkage schema"
    ) -> LinkageSchema:
        """Validate a parsed document; errors name the offending key path."""
        try:
            return cls.model_validate(dict(data))
        except ValidationError as error:
            raise SchemaError(f"{source}: {_describe(error)}") from None

    @classmethod
    def from_json(cls, text: str | bytes, *, source: str = "linkage schema") -> LinkageSchema:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise SchemaError(f"{source}: not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise SchemaError(f"{source}: the top level must be an object")
        return cls.from_mapping(data, source=source)

    @classmethod
    def from_toml(cls, text: str, *, source: str = "linkage schema") -> LinkageSchema:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise SchemaError(f"{source}: not valid TOML ({error})") from None
        return cls.from_mapping(data, source=source)

    @classmethod
    def load(cls, path: str | Path) -> LinkageSchema:
        """Read a schema from a ``.toml`` or ``.json`` file."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise SchemaError(f"{path}: cannot read linkage schema ({error})") from None
        if path.suffix.lower() == ".json":
            return cls.from_json(text, source=str(path))
        return cls.from_toml(text, source=str(path))

    @classmethod
    def default(cls) -> LinkageSchema:
        """The shipped schema for the identity fields, with scoring fitted on synthetic data."""
        return _default_schema()

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """The published JSON Schema of the linkage schema document."""
        return cls.model_json_schema()

    def with_extra_fields(self, names: tuple[str, ...], *, hashes: int = 5) -> LinkageSchema:
        """This schema plus extra string fields hashed as bigrams (e.g. address fields)."""
        data = self.model_dump(mode="json")
        data["extra_fields"] = list(self.extra_fields) + [
            n for n in names if n not in self.extra_fields
        ]
        data["clk"]["fields"] = list(data["clk"]["fields"]) + [
            {"name": name, "features": [{"kind": "qgram", "n": 2}], "hashes": hashes}
            for name in names
        ]
        return LinkageSchema.from_mapping(data, source="extra fields")

    def with_scoring(self, scoring: ScoringSpec) -> LinkageSchema:
        return self.model_copy(update={"scoring": scoring})


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors()[:3]:
        location = ".".join(str(p) for p in item["loc"] if not _is_union_tag(p))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        if message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
            parts.append(message if not location else f"{location}: {message}")
        else:
            parts.append(f"{location or '(top level)'}: {message}")
    return "; ".join(parts)


def _is_union_tag(part: object) -> bool:
    return isinstance(part, str) and part in {"qgram", "exact", "tokens", "date", "phonetic"}


def _drop_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_none(v) for v in value]
    return value


@cache
def _default_schema() -> LinkageSchema:
    text = resources.files("ppmatch.encoding").joinpath("default_schema.json").read_text("utf-8")
    return LinkageSchema.from_json(text, source="ppmatch/encoding/default_schema.json")
