from dataclasses import replace

from _linkage_records import name, person
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ppmatch.encoding import LinkageSchema
from ppmatch.encoding.schema import Component
from ppmatch.normalize.model import NormalizedName, NormalizedRecord, PartialDate
from ppmatch.tokens import Token, Tokenizer, canonical_value, token_prefix, token_value
from ppmatch.tokens.components import COMPONENTS

SECRET = b"linkage-secret-0123456789abcdef"
TOKENIZER = Tokenizer(LinkageSchema.default(), SECRET, "agreement-1")
SECOND_TOKENIZER = Tokenizer(LinkageSchema.default(), SECRET, "agreement-1")


def _rule_values(
    record: NormalizedRecord, rule_id: str, tokenizer: Tokenizer = TOKENIZER
) -> set[bytes]:
    return {t.value for t in tokenizer.tokenize(record) if t.rule_id == rule_id}


def _shared_rules(a: NormalizedRecord, b: NormalizedRecord) -> set[str]:
    values_b = {t.value for t in TOKENIZER.tokenize(b)}
    return {t.rule_id for t in TOKENIZER.tokenize(a) if t.kind == "rule" and t.value in values_b}


def _shared_bands(a: NormalizedRecord, b: NormalizedRecord) -> int:
    values_b = {t.value for t in TOKENIZER.tokenize(b)}
    return sum(1 for t in TOKENIZER.tokenize(a) if t.kind == "band" and t.value in values_b)


def test_every_schema_component_has_an_implementation():
    assert set(Component.__args__) == set(COMPONENTS)


def test_token_values_are_domain_separated_and_length_prefixed():
    base = token_value("agr", "rule", "name_dob", canonical_value(("AB", "C")))
    assert base != token_value("agr", "rule", "name_dob", canonical_value(("A", "BC")))
    assert base != token_value("agr2", "rule", "name_dob", canonical_value(("AB", "C")))
    assert base != token_value("agr", "band", "name_dob", canonical_value(("AB", "C")))
    assert base != token_value("agr", "rule", "phonetic_dob", canonical_value(("AB", "C")))
    assert base.startswith(b"ppmatch/token/v1\x00\x00\x00\x03agr")


def test_tokens_carry_kind_rule_id_and_schema_weight():
    tokens = TOKENIZER.tokenize(person())
    schema = LinkageSchema.default()
    assert {t.kind for t in tokens} == {"rule", "band"}
    for token in tokens:
        assert isinstance(token, Token)
        assert token.weight == schema.token_weight(token.kind, token.rule_id)
    assert sum(t.kind == "band" for t in tokens) == schema.lsh.bands
    assert len(tokens) <= schema.max_tokens_per_record <= 32


def test_agreement_id_and_secret_separate_all_tokens():
    record = person()
    values = {t.value for t in TOKENIZER.tokenize(record)}
    other_agreement = Tokenizer(LinkageSchema.default(), SECRET, "agreement-2")
    assert values.isdisjoint(t.value for t in other_agreement.tokenize(record))
    other_secret = Tokenizer(LinkageSchema.default(), b"another-secret-0123456789", "agreement-1")
    rule_values = {t.value for t in TOKENIZER.tokenize(record) if t.kind == "rule"}
    band_values = {t.value for t in TOKENIZER.tokenize(record) if t.kind == "band"}
    other = {t.value for t in other_secret.tokenize(record)}
    assert rule_values <= other  # rule tokens are keyed later, by the OPRF
    assert band_values.isdisjoint(other)  # band keys come from the keyed filter


def test_missing_inputs_yield_no_rule_token():
    no_document = person(document_number=None)
    assert _rule_values(no_document, "doc") == set()
    year_only = person(dob=PartialDate(1980))
    rules = {t.rule_id for t in TOKENIZER.tokenize(year_only)}
    assert "name_dob" not in rules and "phonetic_sorted_year" in rules
    assert TOKENIZER.tokenize(NormalizedRecord("empty")) == []


def test_day_month_swap_shares_the_unordered_rule_only():
    swapped = replace(person(), date_of_birth=PartialDate(1980, 3, 5))
    shared = _shared_rules(person(), swapped)
    assert "phonetic_group_dob_unordered" in shared
    assert "name_dob" not in shared


def test_birth_dates_one_day_apart_share_the_adjacent_rule_two_days_do_not():
    def born(year: int, month: int, day: int) -> NormalizedRecord:
        return replace(person(), date_of_birth=PartialDate(year, month, day))

    for a, b in (
        ((1980, 2, 29), (1980, 3, 1)),
        ((1979, 12, 31), (1980, 1, 1)),
        ((1980, 5, 6), (1980, 5, 7)),
    ):
        shared = _shared_rules(born(*a), born(*b))
        assert "first_names_dob_adjacent" in shared and "name_dob" not in shared
    assert "first_names_dob_adjacent" not in _shared_rules(born(1980, 5, 6), born(1980, 5, 8))
    assert not _rule_values(
        replace(person(), date_of_birth=PartialDate(1980)), "first_names_dob_adjacent"
    )


def test_name_order_swap_shares_the_sorted_rule():
    original = person(given=("WEI",), surname=("ZHANG",))
    swapped = person(given=("ZHANG",), surname=("WEI",))
    assert {"groups_sorted_dob", "phonetic_sorted_dob"} <= _shared_rules(original, swapped)
    assert "name_dob" not in _shared_rules(original, swapped)


def test_dropped_second_surname_and_swap_share_the_name_token_rule():
    full = person(given=("MARIA",), surname=("GARCIA", "LOPEZ"))
    short_swapped = person(given=("GARCIA",), surname=("MARIA",))
    shared = _shared_rules(full, short_swapped)
    assert {"name_token_dob", "first_names_year"} <= shared
    assert not {"name_dob", "groups_sorted_dob", "phonetic_sorted_dob"} & shared


def test_particle_spacing_does_not_split_the_surname():
    spaced = person(given=("JAMES",), surname=("O", "BRIEN"))
    joined = person(given=("JAMES",), surname=("OBRIEN",))
    assert "name_dob" in _shared_rules(spaced, joined)


def test_year_typo_keeps_the_month_day_rule():
    typo = replace(person(), date_of_birth=PartialDate(1981, 5, 3))
    shared = _shared_rules(person(), typo)
    assert "phonetic_sorted_month_day" in shared and "phonetic_sorted_year" not in shared


def test_surname_typo_keeps_an_end_of_the_surname_and_a_twin_shares_neither():
    for typo in ("SCMMIDT", "SCHMIDY", "SHCMIDT", "SCHMDIT"):
        shared = _shared_rules(person(), person(surname=(typo,)))
        assert "fuzzy_surname_dob" in shared and "name_dob" not in shared
    twin = person(given=("CLARA",), surname=("SCHMIDT",))
    assert "fuzzy_surname_dob" not in _shared_rules(person(), twin)


@settings(max_examples=60, deadline=None)
@given(
    surname=st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVWYZ", min_size=7, max_size=14),
    position=st.integers(min_value=0),
    letter=st.sampled_from("ABCDEFGHIJKLMNOPRSTUVWYZ"),
)
def test_one_substitution_in_a_long_surname_keeps_the_fuzzy_surname_rule(surname, position, letter):
    index = position % len(surname)
    typo = surname[:index] + letter + surname[index + 1 :]
    assert _rule_values(person(surname=(surname,)), "fuzzy_surname_dob") & _rule_values(
        person(surname=(typo,)), "fuzzy_surname_dob"
    )


def test_transposed_document_digits_share_the_document_characters_rule_with_the_birth_date():
    original = person(document_number="6889594")
    transposed = person(document_number="6885994")
    shared = _shared_rules(original, transposed)
    assert "doc_characters_dob" in shared and "doc" not in shared
    other_birth_date = replace(transposed, date_of_birth=PartialDate(1980, 5, 4))
    assert "doc_characters_dob" not in _shared_rules(original, other_birth_date)
    assert not _rule_values(
        replace(original, date_of_birth=PartialDate(1980)), "doc_characters_dob"
    )


def test_icao_alternatives_share_the_name_rule():
    umlaut = replace(person(), surname=name("MUELLER", alternatives={0: ("MUELLER", "MULLER")}))
    plain = replace(person(), surname=name("MULLER"))
    assert "name_dob" in _shared_rules(umlaut, plain)


def test_variant_groups_share_the_group_rule():
    a = replace(person(), given_names=name("MOHAMMED", groups=("MUHAMMAD",)))
    b = replace(person(), given_names=name("MOHAMED", groups=("MUHAMMAD",)))
    shared = _shared_rules(a, b)
    assert {"name_token_dob", "groups_sorted_dob"} <= shared
    assert "name_dob" not in shared


def test_similar_records_share_more_bands_than_unrelated():
    typo = person(given=("ANNA", "MARIA"), surname=("SCHMIT",))
    unrelated = person(
        given=("PIOTR",),
        surname=("NOWAK",),
        dob=PartialDate(1961, 9, 30),
        sex="M",
        nationality="POL",
        document_number="AA123",
    )
    assert _shared_bands(person(), person()) == LinkageSchema.default().lsh.bands
    assert _shared_bands(person(), typo) > _shared_bands(person(), unrelated)


_token_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
_names = st.builds(
    lambda tokens, alt: NormalizedName(
        tokens=tuple(tokens), alternatives=tuple((t, t + alt) for t in tokens)
    ),
    st.lists(_token_text, max_size=4),
    _token_text,
)
_dates = st.none() | st.builds(
    PartialDate,
    st.integers(1, 9999),
    st.none() | st.integers(1, 12),
    st.none() | st.integers(1, 31),
).filter(lambda d: d.day is None or d.month is not None)
_records = st.builds(
    NormalizedRecord,
    record_id=st.just("h"),
    given_names=_names,
    surname=_names,
    date_of_birth=_dates,
    sex=st.none() | st.sampled_from(["M", "F", "X"]),
    nationality=st.none() | _token_text,
    place_of_birth=st.none() | _token_text,
    document_number=st.none() | _token_text,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_records)
def test_tokenize_never_raises_and_is_stable(record):
    first = TOKENIZER.tokenize(record)
    again = SECOND_TOKENIZER.tokenize(record)
    assert first == again
    assert len(first) <= LinkageSchema.default().max_tokens_per_record
    assert all(t.value.startswith(b"ppmatch/token/v1") for t in first)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_records, max_size=4))
def test_token_values_are_the_tokens_without_objects(records):
    values = TOKENIZER.token_values(records)
    tokens = TOKENIZER.tokenize_many(records)
    assert [v[:2] for v in values] == [
        ([t.value for t in ts], [t.weight for t in ts]) for ts in tokens
    ]
    rule_index = {rule.id: i for i, rule in enumerate(TOKENIZER.schema.rules)}
    for (_, _, rule_mask), record_tokens in zip(values, tokens, strict=True):
        emitted = {t.rule_id for t in record_tokens if t.kind == "rule"}
        assert rule_mask == sum(1 << rule_index[rule_id] for rule_id in emitted)
    for record_tokens in tokens:
        for token in record_tokens:
            prefix = token_prefix("agreement-1", token.kind, token.rule_id)
            framed = token.value[len(prefix) :]
            assert token.value.startswith(prefix)
            assert int.from_bytes(framed[:4], "big") == len(framed) - 4


def test_band_key_array_holds_the_band_keys_of_both_methods():
    records = [
        person(),
        person(given=("ANNA", "MARIA"), surname=("SCHMIT",)),
        NormalizedRecord("e"),
    ]
    for method, rows in (("hamming", 40), ("minhash", 3)):
        schema = LinkageSchema.default()
        schema = schema.model_copy(
            update={"lsh": schema.lsh.model_copy(update={"method": method, "rows": rows})}
        )
        tokenizer = Tokenizer(schema, SECRET, "agreement-1")
        _, lsh_filters = tokenizer.encoder.encode_with_lsh(records)
        keys, nonempty = tokenizer.band_hasher.band_key_array(lsh_filters)
        listed = tokenizer.band_hasher.band_keys(lsh_filters)
        assert nonempty.tolist() == [True, True, False] and listed[2] == []
        for row in (0, 1):
            assert listed[row] == [keys[row, b].tobytes() for b in range(schema.lsh.bands)]
        assert len(set(listed[0])) > 1
