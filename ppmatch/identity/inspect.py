"""Per-column summary of an identity file: what ``ppmatch inspect`` shows.

The report counts what is present, missing and unparsable, and which scripts appear, so a
data team sees before a run that a third of the birth dates will count as missing. How a
value is parsed is passed in as *probes* (one function per column, returning the normalized
display form or ``None``): identity records sit below the normalization layer, so the
caller (the CLI) supplies probes built from ``ppmatch.normalize``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from ppmatch.identity.batch import RecordBatch
from ppmatch.identity.columns import IDENTITY_COLUMNS
from ppmatch.identity.scripts import scripts_of

Probe = Callable[[str], "str | None"]
EXAMPLES = 3
_CACHE_LIMIT = 200_000  # distinct values remembered per column (names recur a lot)


@dataclass
class ColumnSummary:
    """Counts for one column; ``failures`` are present values the probe could not parse."""

    name: str
    present: int = 0
    missing: int = 0
    failures: int = 0
    scripts: Counter[str] = field(default_factory=Counter)
    examples: list[tuple[str, str]] = field(default_factory=list)  # (raw, normalized)
    failure_examples: list[tuple[int, str]] = field(default_factory=list)  # (row, raw)
    shown_scripts: set[str] = field(default_factory=set, repr=False)

    def to_dict(self) -> dict[str, object]:
        return {
            "column": self.name,
            "present": self.present,
            "missing": self.missing,
            "unparsable": self.failures,
            "scripts": dict(sorted(self.scripts.items())),
            "examples": [{"raw": raw, "normalized": norm} for raw, norm in self.examples],
            "unparsable_examples": [{"row": row, "raw": raw} for row, raw in self.failure_examples],
        }


@dataclass
class InspectReport:
    source: str
    rows: int = 0
    columns: dict[str, ColumnSummary] = field(default_factory=dict)

    def warnings(self) -> list[str]:
        """One line per column with unparsable values, naming file, first row and column."""
        lines = []
        for summary in self.columns.values():
            if summary.failures:
                row, raw = summary.failure_examples[0]
                lines.append(
                    f"{self.source}: row {row}, column {summary.name!r}: cannot parse {raw!r}; "
                    f"{summary.failures} value(s) in this column count as missing"
                )
        return lines

    def to_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "rows": self.rows,
            "columns": [summary.to_dict() for summary in self.columns.values()],
            "warnings": self.warnings(),
        }


def inspect_records(
    batches: Iterable[RecordBatch],
    probes: Mapping[str, Probe],
    *,
    source: str = "",
    on_batch: Callable[[RecordBatch], None] | None = None,
) -> InspectReport:
    """Summarize every column of a stream of record batches."""
    report = InspectReport(source=source)
    caches: dict[str, dict[str, tuple[str | None, frozenset[str]]]] = {}
    for batch in batches:
        report.source = batch.source
        report.rows += len(batch)
        for name in batch.identity_columns + batch.payload_columns:
            summary = report.columns.setdefault(name, ColumnSummary(name))
            probe = probes.get(name)
            cache = caches.setdefault(name, {})
            _summarize(summary, batch.values(name), batch.first_row, probe, cache)
        if on_batch is not None:
            on_batch(batch)
    ordered = [n for n in IDENTITY_COLUMNS if n in report.columns]
    ordered += [n for n in report.columns if n not in IDENTITY_COLUMNS]
    report.columns = {name: report.columns[name] for name in ordered}
    return report


def _summarize(
    summary: ColumnSummary,
    values: list[str | None],
    first_row: int,
    probe: Probe | None,
    cache: dict[str, tuple[str | None, frozenset[str]]],
) -> None:
    # Names recur (Zipf), so each distinct value is probed and script-scanned once.
    script_sets: Counter[frozenset[str]] = Counter()
    missing = 0
    for offset, value in enumerate(values):
        if value is None:
            missing += 1
            continue
        seen = cache.get(value)
        if seen is None:
            seen = (probe(value) if probe is not None else value, scripts_of(value))
            if len(cache) < _CACHE_LIMIT:
                cache[value] = seen
            if seen[0] is not None and _wanted_example(summary, value, seen[1]):
                summary.examples.append((value, seen[0]))
                summary.shown_scripts.update(seen[1])
        normalized, scripts = seen
        script_sets[scripts] += 1
        if normalized is None:
            summary.failures += 1
            if len(summary.failure_examples) < EXAMPLES:
                summary.failure_examples.append((first_row + offset, value))
    summary.missing += missing
    summary.present += len(values) - missing
    for scripts, count in script_sets.items():
        for script in scripts:
            summary.scripts[script] += count


def _wanted_example(summary: ColumnSummary, value: str, scripts: frozenset[str]) -> bool:
    """The first few distinct values, plus one for each further script (to show transliteration)."""
    shown = len(summary.examples)
    if shown >= EXAMPLES and (shown >= EXAMPLES + 3 or scripts <= summary.shown_scripts):
        return False
    return all(value != raw for raw, _ in summary.examples)
