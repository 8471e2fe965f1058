"""``ppmatch schema ...`` and ``ppmatch link``: the linkage schema and the plaintext reference linker.

Thin shells over ``ppmatch.encoding.LinkageSchema`` and ``ppmatch.match.ReferenceLinker``.
``link`` is not private: both files must be on one machine. It is the accuracy ceiling the
private screening is measured against.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.console import Console

from ppmatch.cli.main import app

console = Console()
schema_app = typer.Typer(help="Show, check and publish the linkage schema.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")

SchemaOption = Annotated[
    Path | None,
    typer.Option("--schema", help="Linkage schema (.toml or .json); default: built-in."),
]


def _load(schema_path: Path | None):
    from ppmatch.encoding import LinkageSchema

    return LinkageSchema.default() if schema_path is None else LinkageSchema.load(schema_path)


@schema_app.command("show")
def schema_show(
    schema_path: SchemaOption = None,
    toml: Annotated[bool, typer.Option("--toml", help="Print TOML instead of JSON.")] = False,
) -> None:
    """Print the schema (every setting, defaults included) and its hash."""
    schema = _load(schema_path)
    text = schema.to_toml() if toml else json.dumps(json.loads(schema.canonical_json()), indent=2)
    print(text)
    console.print(f"# schema hash {schema.hash()}", highlight=False)


@schema_app.command("json-schema")
def schema_json_schema() -> None:
    """Print the published JSON Schema of linkage schema documents."""
    from ppmatch.encoding import LinkageSchema

    print(json.dumps(LinkageSchema.json_schema(), indent=2))


@schema_app.command("check")
def schema_check(path: Annotated[Path, typer.Argument(help="Schema file to validate.")]) -> None:
    """Validate a schema file; errors name the offending key."""
    schema = _load(path)
    console.print(
        f"{path}: valid, {len(schema.clk.fields)} CLK fields, {len(schema.rules)} rules, "
        f"{schema.lsh.bands} bands, at most {schema.max_tokens_per_record} tokens per record, "
        f"hash {schema.hash()}",
        highlight=False,
    )


@app.command()
def link(
    querier: Annotated[Path, typer.Argument(help="Records to resolve (CSV/Parquet).")],
    holder: Annotated[Path, typer.Argument(help="Records to link against (CSV/Parquet).")],
    out: Annotated[Path, typer.Option("--out", help="Output CSV of links.")] = Path("links.csv"),
    threshold: Annotated[float, typer.Option("--threshold", help="Minimum Dice.")] = 0.8,
    schema_path: SchemaOption = None,
) -> None:
    """Plaintext reference linker (NOT private): Dice on keyed CLKs with LSH blocking, 1-to-1."""
    from ppmatch.identity import iter_rows
    from ppmatch.match import ReferenceLinker
    from ppmatch.normalize import DateOrder, NormalizedRecord, normalize_record

    schema = _load(schema_path)

    def normalized(path: Path) -> list[NormalizedRecord]:
        records: list[NormalizedRecord] = []
        order = DateOrder()  # the file's date order, as in every other run
        for chunk in iter_rows(path):
            month_first = order.observe(row.get("date_of_birth") for row in chunk)
            records.extend(
                normalize_record(
                    row,
                    # the reader rejects rows without a record id, so it is always a str here
                    record_id=cast(str, row["record_id"]),
                    extra_fields=schema.extra_fields,
                    month_first_dates=month_first,
                )
                for row in chunk
            )
        return records

    linker = ReferenceLinker(schema, os.urandom(32), threshold=threshold)
    links = linker.link(normalized(querier), normalized(holder))
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["querier_record_id", "holder_record_id", "dice"])
        for candidate in links:
            writer.writerow([candidate.querier_id, candidate.holder_ref, f"{candidate.score:.4f}"])
    console.print(f"wrote {out}: {len(links)} links at Dice >= {threshold}", highlight=False)
