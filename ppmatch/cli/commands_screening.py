"""``ppmatch simulate`` and ``ppmatch demo``: the screening protocol from the command line."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import typer

from ppmatch.cli.main import app
from ppmatch.cli.progress import phase_progress


@app.command()
def simulate(
    holder: Annotated[
        Path, typer.Option("--holder", help="Holder records (felons): CSV or Parquet.")
    ],
    querier: Annotated[
        Path, typer.Option("--querier", help="Querier records (travelers): CSV or Parquet.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Where to write the querier's matches (CSV).")],
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement", help="Signed agreement TOML (default: built-in default config)."
        ),
    ] = None,
    keys: Annotated[
        Path | None,
        typer.Option("--keys", help="With --agreement: directory with a party's key files."),
    ] = None,
    party: Annotated[
        str | None, typer.Option("--party", help="With --agreement: whose keys to load.")
    ] = None,
    transcript: Annotated[
        Path | None,
        typer.Option(
            "--transcript", help="Write every message (both directions) to this directory."
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes (default: all cores).")
    ] = None,
    holder_columns: Annotated[
        str,
        typer.Option(
            "--holder-columns",
            help="Column mapping of the holder file, e.g. given_names=first_name,surname=last.",
        ),
    ] = "",
    querier_columns: Annotated[
        str,
        typer.Option("--querier-columns", help="Column mapping of the querier file."),
    ] = "",
) -> None:
    """Screen QUERIER against HOLDER with both roles exchanging only serialized messages."""
    from ppmatch.identity import parse_column_mapping, read_records
    from ppmatch.protocols import ScreeningConfig
    from ppmatch.protocols.simulate import simulate as run

    def records(path: Path, mapping: str):
        return read_records(path, columns=parse_column_mapping(mapping), chunk_rows=2_000)

    if agreement is not None:
        config = _config_from_agreement(agreement, keys, party)
    else:
        # No agreement, no negotiated secret: a fresh one per run (both roles live here).
        config = ScreeningConfig.default(linkage_secret=os.urandom(32))
    with phase_progress() as progress:
        result, summary = run(
            records(holder, holder_columns),
            records(querier, querier_columns),
            config,
            workers=workers,
            transcript_dir=transcript,
            on_progress=progress,
        )
    result.write_csv(out)
    typer.echo(json.dumps(summary, sort_keys=True))


def _config_from_agreement(agreement: Path, keys: Path | None, party: str | None):
    """A party's config under a signed agreement (both parties derive the same one)."""
    from ppmatch.errors import InputError
    from ppmatch.exchange.agreement import load_agreement
    from ppmatch.exchange.config import load_screening_config

    if keys is None:
        raise InputError("--agreement needs --keys DIR holding the key files of a party to it")
    if party is None:
        party = load_agreement(agreement).parties[0].name
    return load_screening_config(agreement, keys, party)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for data, matches and the HTML report.")
    ] = Path("ppmatch-demo"),
    travelers: Annotated[int, typer.Option("--travelers", help="Travelers per agency.")] = 2_000,
    felons: Annotated[int, typer.Option("--felons", help="Conviction records per agency.")] = 5_000,
    overlap: Annotated[
        int, typer.Option("--overlap", help="Travelers with a conviction at the partner.")
    ] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated data.")] = 7,
    workers: Annotated[
        int | None, typer.Option("--workers", help="Worker processes per agency.")
    ] = None,
) -> None:
    """Two agencies screen each other's travelers (each in its own process) and write a report."""
    from ppmatch.protocols.demo import run_demo

    typer.echo(
        run_demo(
            out, travelers=travelers, felons=felons, overlap=overlap, seed=seed, workers=workers
        )
    )
