"""The ``ppmatch`` command: a thin shell over the Python API.

Each command group lives in its own module and registers itself on ``app``. Deliberate
errors (``PpmatchError``) are printed on one line with a non-zero exit code; a traceback is
shown only with ``--debug``.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from ppmatch.errors import PpmatchError

app = typer.Typer(
    name="ppmatch",
    help="Privacy-preserving identity matching between agencies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
err_console = Console(stderr=True)
_debug = False

# Command modules, one per area (data, linkage, screening, exchange).
_COMMAND_MODULES: list[str] = [
    "commands_screening",
    "commands_data",
    "commands_exchange",
    "commands_modes",
    "commands_linkage",
]


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors.")) -> None:
    global _debug
    _debug = debug


def _register_commands() -> None:
    # Each module registers its commands on ``app`` when imported; heavy layers are imported
    # inside the command functions so that startup stays fast.
    import importlib

    for module in _COMMAND_MODULES:
        importlib.import_module(f"ppmatch.cli.{module}")


def main() -> None:
    """Console-script entry point.

    Typer handles usage errors itself (standalone mode); deliberate ``PpmatchError``s reach us
    and are printed on one line.
    """
    _register_commands()
    try:
        app()
    except PpmatchError as error:
        if _debug:
            raise
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, soft_wrap=True)
        sys.exit(error.exit_code)


if __name__ == "__main__":
    # Run through the imported module so that command modules register on the same ``app``.
    from ppmatch.cli.main import main as _main

    _main()
