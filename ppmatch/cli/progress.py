"""A progress line on stderr for the long runs (publishing a register, a screening)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from ppmatch.cli.main import err_console


@contextmanager
def phase_progress() -> Iterator[Callable[[str, int], None]]:
    """Yields ``update(phase, records)``: a spinner with the phase, the records done so far and
    the time taken; nothing is drawn when stderr is not a terminal (logs, pipes, CI)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task("starting")

        def update(phase: str, records: int) -> None:
            bar.update(task, description=f"{phase}: {records:,} records" if records else phase)

        yield update
