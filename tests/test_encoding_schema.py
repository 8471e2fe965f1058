import json

import pytest

from ppmatch.encoding import LinkageSchema
from ppmatch.errors import SchemaError


def _default_data() -> dict:
    return LinkageSchema.default().model_dump(mode="json")


def test_default_schema_round_trips_through_json_and_toml(tmp_path):
    schema = LinkageSchema.default()
    assert LinkageSchema.from_json(schema.canonical_json()) == schema
    toml_path = tmp_path / "schema.toml"
    toml_path.write_text(schema.to_toml())
    loaded = LinkageSchema.load(toml_path)
    assert loaded == schema
    assert loaded.hash() == schema.hash()


def test_hash_changes_with_any_setting():
    data = _default_data()
    data["clk"]["fields"][0]["hashes"] += 1
    assert LinkageSchema.from_mapping(data).hash() != LinkageSchema.default().hash()


def test_canonical_json_is_sorted_and_compact():
    text = LinkageSchema.default().canonical_json().decode()
    assert text == json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    assert text.startswith('{"clk":{"fields":[')


def test_published_json_schema_describes_the_document():
    published = LinkageSchema.json_schema()
    assert {"clk", "rules", "lsh", "scoring", "disclosure"} <= set(published["properties"])
    assert published["additionalProperties"] is False


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d.update(colour="blue"), "colour: unknown key"),
        (lambda d: d["clk"].update(bits=512), "clk.bits: unknown key"),
        (lambda d: d["clk"].update(filter_bits=100), "clk.filter_bits"),
        (lambda d: d["clk"]["fields"][1].update(hashes=99), "clk.fields.1.hashes"),
        (lambda d: d["clk"]["fields"][0]["features"][0].update(n=9), "clk.fields.0.features.0.n"),
        (
            lambda d: d["clk"]["fields"][0].update(name="shoe_size"),
            "clk.fields.0.name: unknown field 'shoe_size'",
        ),
        (lambda d: d["clk"]["hardening"].update(blip_epsilon=-1), "clk.hardening.blip_epsilon"),
        (
            lambda d: d["rules"][0].update(components=["surname", "favourite_colour"]),
            "rules.0.components.1",
        ),
        (lambda d: d["rules"].append(dict(d["rules"][0])), "duplicate rule id 'doc'"),
        (lambda d: d["lsh"].update(bands=65), "lsh.bands"),
        (lambda d: d["disclosure"].update(threshold=0), "disclosure.threshold"),
        (lambda d: d["scoring"].update(match_threshold=1, review_threshold=2), "review_threshold"),
        (
            lambda d: d["scoring"]["rule_weights"].update(nope={"agree": 1, "disagree": 0}),
            "scoring.rule_weights.nope",
        ),
        (
            lambda d: d["clk"]["fields"][3]["features"].append({"kind": "date"}),
            "clk.fields.3.features",
        ),
        (lambda d: d["lsh"].update(fields=["shoe_size"]), "lsh.fields.0"),
        (
            lambda d: d["scoring"].update(families=[{"id": "f", "levels": [{"rules": ["nope"]}]}]),
            "scoring.families.0.levels.0.rules: no rule 'nope'",
        ),
        (
            lambda d: d["scoring"].update(families=[{"id": "f", "levels": [{"rules": ["doc"]}]}]),
            "rule 'doc' is scored twice",
        ),
    ],
)
def test_schema_errors_name_the_key(mutate, expected):
    data = _default_data()
    mutate(data)
    with pytest.raises(SchemaError) as error:
        LinkageSchema.from_mapping(data, source="agreement.toml")
    assert expected in str(error.value)
    assert str(error.value).startswith("agreement.toml: ")


def test_unreadable_and_malformed_files_name_the_file(tmp_path):
    with pytest.raises(SchemaError, match="missing.toml"):
        LinkageSchema.load(tmp_path / "missing.toml")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SchemaError, match="bad.json: not valid JSON"):
        LinkageSchema.load(bad)


def test_undeclared_extra_field_is_rejected_and_declared_one_accepted():
    data = _default_data()
    data["clk"]["fields"].append({"name": "suburb", "features": [{"kind": "qgram"}], "hashes": 5})
    with pytest.raises(SchemaError, match="unknown field 'suburb'"):
        LinkageSchema.from_mapping(data)
    data["extra_fields"] = ["suburb"]
    assert LinkageSchema.from_mapping(data).extra_fields == ("suburb",)


def test_token_weights_and_padding_bound_come_from_the_schema():
    schema = LinkageSchema.default()
    assert schema.token_weight("band", "band03") == schema.lsh.weight
    assert (
        schema.token_weight("rule", "doc") >= schema.disclosure.threshold
    )  # a document match discloses
    assert schema.max_tokens_per_record <= 32
    with pytest.raises(SchemaError, match="no rule with id 'nope'"):
        schema.token_weight("rule", "nope")
