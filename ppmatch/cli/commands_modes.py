"""``ppmatch stats``, ``ppmatch psi``, ``ppmatch link-unit``: the other protocol modes, simulated.

Each command builds both roles as separate objects from their own files and runs the mode
with only message bytes passing between them (``ppmatch.protocols._modes_simulate``); output is
one JSON line (and, for ``link-unit``, a pairs CSV).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer

from ppmatch.cli.main import app

_SUITE = typer.Option("--suite", help="ristretto255-SHA512 (default) or P256-SHA256.")
_KEY_RULE = typer.Option("--key-rule", help="Schema rule whose token is each record's exact key.")


def _schema(path: Path | None):
    from ppmatch.encoding import LinkageSchema

    return LinkageSchema.load(path) if path else LinkageSchema.default()


_SCHEMA = typer.Option("--schema", help="Linkage schema (JSON/TOML); default: built-in.")
_WORKERS = typer.Option("--workers", help="Processes for the group operations (0 = all cores).")


@app.command()
def stats(
    holder: Annotated[Path, typer.Option("--holder", help="Holder's records (with the value).")],
    querier: Annotated[Path, typer.Option("--querier", help="Querier's records.")],
    value_column: Annotated[
        str, typer.Option("--value-column", help="Holder column of whole numbers to sum.")
    ],
    suite: Annotated[str, _SUITE] = "ristretto255-SHA512",
    key_rule: Annotated[str, _KEY_RULE] = "groups_sorted_dob",
    schema: Annotated[Path | None, _SCHEMA] = None,
    workers: Annotated[int, _WORKERS] = 0,
) -> None:
    """PSI-sum: the querier learns only how many of its people the holder has, and a sum."""
    from ppmatch.protocols._modes_simulate import simulate_stats

    run = simulate_stats(
        holder,
        querier,
        value_column,
        suite=suite,
        schema=_schema(schema),
        key_rule=key_rule,
        workers=workers or None,
    )
    typer.echo(
        json.dumps(
            {
                "mode": "psi-sum",
                "count": run.intersection_size,
                "sum": run.total,
                "holder_records": run.holder_records,
                "querier_records": run.querier_records,
                "unkeyed_records": run.unkeyed_records,
                "bytes_querier_to_holder": run.bytes_querier_to_holder,
                "bytes_holder_to_querier": run.bytes_holder_to_querier,
            }
        )
    )


@app.command()
def psi(
    a: Annotated[Path, typer.Option("--a", help="Agency A's records (initiator).")],
    b: Annotated[Path, typer.Option("--b", help="Agency B's records (responder).")],
    cardinality_only: Annotated[
        bool, typer.Option("--cardinality-only", help="Both learn only the count.")
    ] = False,
    suite: Annotated[str, _SUITE] = "ristretto255-SHA512",
    key_rule: Annotated[str, _KEY_RULE] = "groups_sorted_dob",
    schema: Annotated[Path | None, _SCHEMA] = None,
    workers: Annotated[int, _WORKERS] = 0,
) -> None:
    """Mutual DH-PSI: both agencies learn which of their records are shared (or only how many)."""
    from ppmatch.protocols._modes_simulate import simulate_psi

    run = simulate_psi(
        a,
        b,
        cardinality_only=cardinality_only,
        suite=suite,
        schema=_schema(schema),
        key_rule=key_rule,
        workers=workers or None,
    )
    summary: dict[str, object] = {
        "mode": "mutual-psi-cardinality" if cardinality_only else "mutual-psi",
        "count": run.a.intersection_size,
        "bytes_a_to_b": run.bytes_a_to_b,
        "bytes_b_to_a": run.bytes_b_to_a,
    }
    if not cardinality_only:
        summary["a_matched"] = list(run.a.matched_record_ids)
        summary["b_matched"] = list(run.b.matched_record_ids)
    typer.echo(json.dumps(summary))


@app.command("link-unit")
def link_unit(
    a: Annotated[Path, typer.Option("--a", help="Agency A's records.")],
    b: Annotated[Path, typer.Option("--b", help="Agency B's records.")],
    out: Annotated[Path, typer.Option("--out", help="Pairs CSV to write.")],
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.0, max=1.0, help="Minimum Dice similarity.")
    ] = 0.92,
    schema: Annotated[Path | None, _SCHEMA] = None,
) -> None:
    """Linkage unit: hardened CLKs to a neutral unit, which returns matched pairs to each side."""
    from ppmatch.errors import InputError
    from ppmatch.exchange.atomic import atomic_write_text
    from ppmatch.protocols._modes_simulate import simulate_link_unit

    run = simulate_link_unit(a, b, threshold=threshold, schema=_schema(schema))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["a_record_id", "b_record_id", "similarity"])
    writer.writerows([a_id, b_id, f"{score:.4f}"] for a_id, b_id, score in run.pairs)
    try:
        atomic_write_text(out, buffer.getvalue())
    except OSError as error:
        raise InputError(f"{out}: cannot write the pairs file ({error.strerror})") from None
    typer.echo(
        json.dumps(
            {
                "mode": "linkage-unit",
                "pairs": len(run.pairs),
                "a_records": run.a_records,
                "b_records": run.b_records,
                "bytes_to_unit": run.bytes_to_unit,
                "bytes_from_unit": run.bytes_from_unit,
                "out": str(out),
            }
        )
    )
