"""Per-party evaluation budgets, persisted in a ledger file that survives restarts.

The agreement caps how many tokens a querier may have the holder evaluate per UTC day and in
total: every evaluated token is one more identity the querier could test, so the budget is
what bounds brute-force probing (DESIGN.md 2). A charge is all-or-nothing and is refused with
``BudgetExceeded`` (HTTP 429 online) before any work is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ppmatch.errors import BudgetExceeded, IntegrityError
from ppmatch.exchange.agreement import Budgets
from ppmatch.exchange.atomic import atomic_write_text


class BudgetLedger:
    """Token counts per party per day and in total, in one JSON file guarded by a lock file."""

    def __init__(self, path: Path, budgets: Budgets) -> None:
        self.path = Path(path)
        self.budgets = budgets

    @contextlib.contextmanager
    def _locked(self) -> Iterator[dict]:
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a+b") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            ledger = self._read()
            yield ledger

    def _read(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise IntegrityError(f"{self.path}: budget ledger unreadable ({error})") from error

    @staticmethod
    def _today() -> str:
        return datetime.now(UTC).date().isoformat()

    def usage(self, party: str) -> tuple[int, int]:
        """(tokens used today, tokens used in total) by ``party``."""
        entry = self._read().get(party, {})
        return entry.get("days", {}).get(self._today(), 0), entry.get("total", 0)

    def charge(self, party: str, tokens: int) -> None:
        """Record ``tokens`` evaluations for ``party`` or refuse them all."""
        with self._locked() as ledger:
            today = self._today()
            entry = ledger.setdefault(party, {"days": {}, "total": 0})
            used_today = entry["days"].get(today, 0)
            if used_today + tokens > self.budgets.daily_tokens:
                raise BudgetExceeded(
                    f"party {party!r}: daily budget of {self.budgets.daily_tokens} tokens "
                    f"would be exceeded ({used_today} used today, {tokens} requested); "
                    "it resets at 00:00 UTC"
                )
            if entry["total"] + tokens > self.budgets.total_tokens:
                raise BudgetExceeded(
                    f"party {party!r}: total budget of {self.budgets.total_tokens} tokens "
                    f"would be exceeded ({entry['total']} used, {tokens} requested)"
                )
            entry["days"][today] = used_today + tokens
            entry["total"] += tokens
            atomic_write_text(self.path, json.dumps(ledger, sort_keys=True, indent=1))

    def for_party(self, party: str) -> PartyBudget:
        return PartyBudget(self, party)


class PartyBudget:
    """The object handed to ``Holder.evaluate(request, budget=...)``: ``charge(n)`` or raise."""

    def __init__(self, ledger: BudgetLedger, party: str) -> None:
        self.ledger = ledger
        self.party = party

    def charge(self, tokens: int) -> None:
        self.ledger.charge(self.party, tokens)
