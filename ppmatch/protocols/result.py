"""What the querier ends up with: one row per traveler that matched or needs review."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

BASE_COLUMNS = (
    "querier_record_id",
    "holder_record_id",
    "holder_handle",
    "score",
    "decision",
    "matched",
)


@dataclass(frozen=True)
class ScreeningRow:
    """One traveler's outcome. ``holder_record_id`` and ``payload`` are empty unless ``match``."""

    querier_record_id: str
    holder_record_id: str
    holder_handle: str  # opaque per-epoch handle: the reference for a formal follow-up
    score: float
    decision: str
    rule_ids: tuple[str, ...]
    band_count: int
    payload: dict[str, str] = field(default_factory=dict)

    @property
    def matched(self) -> str:
        """Which rules matched and how many LSH bands were shared, e.g. ``doc+name_dob; 12 bands``."""
        rules = "+".join(self.rule_ids) or "no rule"
        return f"{rules}; {self.band_count} bands"

    def explanation(self) -> str:
        if self.decision == "match":
            why = "score at or above the match threshold and the payload key was reconstructed"
        else:
            why = "score above the review threshold; no payload (threshold not reached or score too low)"
        return f"{self.querier_record_id}: {self.decision} (score {self.score:.2f}) via {self.matched}: {why}"


@dataclass
class ScreeningResult:
    """Per-traveler rows plus batch counts (candidates = traveler/holder pairs sharing a token)."""

    rows: list[ScreeningRow]
    payload_fields: tuple[str, ...]
    candidates: int
    records: int

    @property
    def matches(self) -> list[ScreeningRow]:
        return [row for row in self.rows if row.decision == "match"]

    @property
    def reviews(self) -> list[ScreeningRow]:
        return [row for row in self.rows if row.decision == "review"]

    def to_frame(self) -> pd.DataFrame:
        columns = list(BASE_COLUMNS) + list(self.payload_fields)
        records = [
            {
                "querier_record_id": row.querier_record_id,
                "holder_record_id": row.holder_record_id,
                "holder_handle": row.holder_handle,
                "score": round(row.score, 4),
                "decision": row.decision,
                "matched": row.matched,
                **{name: row.payload.get(name, "") for name in self.payload_fields},
            }
            for row in self.rows
        ]
        return pd.DataFrame.from_records(records, columns=columns)

    def write_csv(self, path: str | Path) -> None:
        """Atomically (temp file + rename): a half-written results file never appears."""
        path = Path(path)
        temporary = path.with_name(path.name + ".partial")
        self.to_frame().to_csv(temporary, index=False)
        temporary.replace(path)
