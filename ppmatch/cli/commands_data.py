"""``ppmatch synth`` and ``ppmatch inspect``: make labeled test data, look at a file.

Thin shells over ``ppmatch.synth.scenario`` and ``ppmatch.identity``; the normalization
probes for inspect are assembled here because the CLI is the layer that sees both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from ppmatch.cli.main import app

if TYPE_CHECKING:
    from ppmatch.identity import RecordBatch

console = Console()
err_console = Console(stderr=True)


@app.command()
def synth(
    travelers: Annotated[
        int, typer.Option("--travelers", help="Number of traveler records.")
    ] = 10_000,
    felons: Annotated[int, typer.Option("--felons", help="Number of conviction records.")] = 2_000,
    overlap: Annotated[int, typer.Option("--overlap", help="People present in both files.")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, byte-identical files.")] = 1,
    out: Annotated[Path, typer.Option("--out", help="Output directory.")] = Path("synth-data"),
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes (0 = all cores).")
    ] = 0,
) -> None:
    """Write travelers.csv, felons.csv and truth.csv: a labeled multicultural screening case."""
    from rich.progress import Progress

    from ppmatch.synth import generate
    from ppmatch.synth.scenario import validate_sizes

    validate_sizes(travelers, felons, overlap)
    with Progress(console=err_console, transient=True, disable=travelers + felons < 200_000) as bar:
        task = bar.add_task("generating", total=travelers + felons)
        summary = generate(
            out,
            travelers=travelers,
            felons=felons,
            overlap=overlap,
            seed=seed,
            workers=workers or None,
            on_chunk=lambda rows: bar.advance(task, rows),
        )
    console.print(
        f"wrote {summary.travelers_path} ({summary.travelers} rows), "
        f"{summary.felons_path} ({summary.felons} rows), "
        f"{summary.truth_path} ({summary.overlap} pairs) "
        f"in {summary.seconds:.1f} s ({summary.records_per_second:,.0f} records/s)",
        highlight=False,
        soft_wrap=True,
    )


def _normalize_probes(month_first: Callable[[], bool]) -> dict[str, object]:
    """Column -> function giving the normalized display form, or None when unparsable.

    ``month_first`` tells how the pipeline reads this file's ambiguous dates (as it will)."""
    from ppmatch.normalize import (
        normalize_date,
        normalize_document_number,
        normalize_name,
        normalize_nationality,
        normalize_sex,
        normalize_text,
    )

    def name(text: str) -> str | None:
        return " ".join(normalize_name(text).tokens) or None

    def date(text: str) -> str | None:
        parsed = normalize_date(text, month_first=month_first())
        return parsed.isoformat() if parsed is not None else None

    return {
        "given_names": name,
        "surname": name,
        "date_of_birth": date,
        "sex": normalize_sex,
        "nationality": normalize_nationality,
        "place_of_birth": normalize_text,
        "document_number": normalize_document_number,
        "conviction_date": date,
    }


@app.command()
def inspect(
    file: Annotated[Path, typer.Argument(help="CSV, TSV or Parquet file of identity records.")],
    columns: Annotated[
        str,
        typer.Option(
            "--columns", help="Column mapping, e.g. given_names=first_name,surname=last_name."
        ),
    ] = "",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Per-column summary: present, missing, unparsable values, scripts seen, normalized examples.

    Exits 0 when the file is usable (unparsable values are warnings and count as missing);
    exits non-zero with one line naming file, row and column when it is not.
    """
    from rich.progress import BarColumn, Progress, TextColumn

    from ppmatch.identity import parse_column_mapping, read_records
    from ppmatch.identity.inspect import inspect_records
    from ppmatch.normalize import DateOrder

    reader = read_records(file, columns=parse_column_mapping(columns))
    date_order = DateOrder()  # decided as the pipeline does: first batch showing one

    def observed(batches: Iterable[RecordBatch]) -> Iterator[RecordBatch]:
        for batch in batches:
            date_order.observe(batch.values("date_of_birth"))
            yield batch

    probes = _normalize_probes(lambda: bool(date_order.month_first))
    with Progress(
        TextColumn("inspecting"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        console=err_console,
        transient=True,
        disable=(reader.progress_total or 0) < (20 << 20) or as_json,
    ) as bar:
        task = bar.add_task("inspect", total=reader.progress_total)
        report = inspect_records(
            observed(reader),
            probes,  # type: ignore[arg-type]
            source=reader.source,
            on_batch=lambda _batch: bar.update(task, completed=reader.progress_done),
        )
    order = {True: "month-first", False: "day-first", None: "no day/month order shown"}
    if as_json:
        summary = report.to_dict() | {
            "read_as": reader.layout,
            "renamed_columns": reader.renamed,
            "date_of_birth_order": order[date_order.month_first],
        }
        console.print_json(json.dumps(summary, ensure_ascii=False))
        return
    _print_report(report)
    console.print(f"read as {reader.layout}", highlight=False)
    if reader.renamed:
        renamed = ", ".join(f"{name} -> {output}" for name, output in reader.renamed.items())
        console.print(
            f"columns read as identity columns: {renamed}", highlight=False, soft_wrap=True
        )
    if date_order.month_first:
        console.print(
            "date_of_birth is written month-first (MM/DD/YYYY): ambiguous dates such as "
            "04/01/1990 are read as 1 April, in this file as in every run",
            highlight=False,
            soft_wrap=True,
        )


def _print_report(report) -> None:  # noqa: ANN001 - InspectReport, imported lazily
    table = Table(title=f"{report.source}: {report.rows:,} records", title_justify="left")
    for heading in (
        "column",
        "present",
        "missing",
        "unparsable",
        "scripts",
        "examples (raw -> normalized)",
    ):
        table.add_column(heading, overflow="fold")
    for summary in report.columns.values():
        scripts = ", ".join(f"{name} {count:,}" for name, count in summary.scripts.most_common())
        examples = "\n".join(
            raw if raw == norm else f"{raw} -> {norm}" for raw, norm in summary.examples
        )
        table.add_row(
            summary.name,
            f"{summary.present:,}",
            f"{summary.missing:,}",
            f"{summary.failures:,}" if summary.failures else "",
            scripts,
            examples,
        )
    console.print(table)
    for line in report.warnings():
        console.print(f"[yellow]warning:[/] {line}", highlight=False, soft_wrap=True)
