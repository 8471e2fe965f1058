import numpy as np
import pytest
from _linkage_records import person

from ppmatch.encoding import ClkEncoder, LinkageSchema, encode_parallel, pack_bits, unpack_bits
from ppmatch.errors import SchemaError
from ppmatch.match import dice_coefficients
from ppmatch.normalize.model import NormalizedRecord, PartialDate

SECRET = b"linkage-secret-0123456789abcdef"
OTHER_SECRET = b"linkage-secret-fedcba9876543210"


def _schema_with(**changes) -> LinkageSchema:
    data = LinkageSchema.default().model_dump(mode="json")
    for dotted, value in changes.items():
        target = data
        *path, last = dotted.split("__")
        for part in path:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value
    return LinkageSchema.from_mapping(data)


def _popcount(words: np.ndarray) -> int:
    return int(np.bitwise_count(words).sum())


def test_encoding_is_deterministic_across_encoder_instances():
    records = [person(), person("r2", given=("JOHN",), surname=("SMITH",))]
    first = ClkEncoder(LinkageSchema.default(), SECRET).encode_batch(records)
    second = ClkEncoder(LinkageSchema.default(), SECRET).encode_batch(records)
    assert first.dtype == np.dtype("<u8") and first.shape == (2, 16)
    assert np.array_equal(first, second)
    assert _popcount(first[0]) > 100


def test_different_secret_gives_unrelated_filters():
    record = person()
    same = ClkEncoder(LinkageSchema.default(), SECRET).encode(record)
    other = ClkEncoder(LinkageSchema.default(), OTHER_SECRET).encode(record)
    dice = dice_coefficients(same[None, :], other[None, :])[0]
    # two random filters of this fill rate overlap by about the fill rate (~0.25), never ~1
    assert dice < 0.45


def test_similar_records_have_high_dice_and_unrelated_low():
    encoder = ClkEncoder(LinkageSchema.default(), SECRET)
    filters = encoder.encode_batch(
        [
            person(),
            person("r2", given=("ANNA",), surname=("SCHMIDTT",)),
            person(
                "r3",
                given=("PETER",),
                surname=("NOWAK",),
                dob=PartialDate(1955, 11, 21),
                sex="M",
                nationality="POL",
                document_number="ZZ9",
            ),
        ]
    )
    similar = dice_coefficients(filters[[0]], filters[[1]])[0]
    unrelated = dice_coefficients(filters[[0]], filters[[2]])[0]
    assert similar > 0.75
    assert unrelated < 0.45


@pytest.mark.parametrize("field", ["sex", "nationality", "document_number", "date_of_birth"])
def test_missing_field_sets_no_bits(field):
    """A missing field contributes exactly nothing: same filter as a schema without the field."""
    record = person(**{"dob" if field == "date_of_birth" else field: None})
    schema = LinkageSchema.default()
    index = [f.name for f in schema.clk.fields].index(field)
    without_field = _schema_with(**{f"clk__fields__{index}__hashes": 0, "lsh__fields": []})
    assert np.array_equal(
        ClkEncoder(schema, SECRET).encode(record), ClkEncoder(without_field, SECRET).encode(record)
    )


def test_empty_record_sets_no_bits():
    assert (
        _popcount(ClkEncoder(LinkageSchema.default(), SECRET).encode(NormalizedRecord("empty")))
        == 0
    )


def test_more_hashes_set_more_bits():
    record = person()
    index = [f.name for f in LinkageSchema.default().clk.fields].index("surname")
    light = _schema_with(**{f"clk__fields__{index}__hashes": 2})
    heavy = _schema_with(**{f"clk__fields__{index}__hashes": 40})
    assert _popcount(ClkEncoder(heavy, SECRET).encode(record)) > _popcount(
        ClkEncoder(light, SECRET).encode(record)
    )


def test_hmac_and_blake2b_differ_but_are_both_deterministic():
    hmac_schema = _schema_with(clk__hash="hmac-sha256")
    record = person()
    a = ClkEncoder(hmac_schema, SECRET).encode(record)
    assert np.array_equal(a, ClkEncoder(hmac_schema, SECRET).encode(record))
    assert not np.array_equal(a, ClkEncoder(LinkageSchema.default(), SECRET).encode(record))


def test_balanced_filters_have_constant_weight():
    schema = _schema_with(clk__hardening={"balance": True})
    filters = ClkEncoder(schema, SECRET).encode_batch(
        [person(), NormalizedRecord("x"), person("r2", given=("JO",))]
    )
    assert filters.shape[1] * 64 == 2048
    assert {_popcount(f) for f in filters} == {1024}


def test_xor_folding_halves_the_filter():
    schema = _schema_with(clk__hardening={"xor_fold": True})
    bits = ClkEncoder(schema, SECRET).encode_bits([person()])
    full = ClkEncoder(LinkageSchema.default(), SECRET).encode_bits([person()])
    assert bits.shape == (1, 512)
    assert np.array_equal(bits[0], full[0, :512] ^ full[0, 512:])


def test_blip_flips_about_the_expected_share_deterministically():
    schema = _schema_with(clk__hardening={"blip_epsilon": 2.0})
    records = [person(f"r{i}", given=(f"NAME{i}",)) for i in range(20)]
    noisy = ClkEncoder(schema, SECRET).encode_bits(records)
    clean = ClkEncoder(LinkageSchema.default(), SECRET).encode_bits(records)
    flipped = (noisy != clean).mean()
    assert 0.08 < flipped < 0.16  # 1 / (1 + e^2) = 0.119
    assert np.array_equal(noisy, ClkEncoder(schema, SECRET).encode_bits(records))


def test_pack_unpack_round_trip_and_bit_order():
    bits = np.zeros((1, 128), dtype=np.uint8)
    bits[0, [0, 63, 64, 127]] = 1
    words = pack_bits(bits)
    assert words.tolist() == [[1 | (1 << 63), 1 | (1 << 63)]]
    assert np.array_equal(unpack_bits(words), bits)


def test_stream_and_process_pool_match_serial():
    records = [person(f"r{i}", given=(f"G{i % 7}",), surname=(f"S{i % 11}",)) for i in range(50)]
    schema = LinkageSchema.default()
    serial = ClkEncoder(schema, SECRET).encode_batch(records)
    streamed = np.concatenate(list(ClkEncoder(schema, SECRET).encode_stream(records, chunk_size=7)))
    pooled = encode_parallel(schema, SECRET, records, workers=2, chunk_size=16)
    assert np.array_equal(serial, streamed)
    assert np.array_equal(serial, pooled)


def test_short_secret_is_refused():
    with pytest.raises(SchemaError, match="linkage secret"):
        ClkEncoder(LinkageSchema.default(), b"short")


def test_extra_fields_are_declarable_and_encoded():
    schema = LinkageSchema.default().with_extra_fields(("suburb", "postcode"))
    encoder = ClkEncoder(schema, SECRET)
    with_address = encoder.encode(person(suburb="WINDERMERE", postcode="3212"))
    without = encoder.encode(person())
    assert _popcount(with_address) > _popcount(without)
    assert "suburb" in schema.extra_fields
