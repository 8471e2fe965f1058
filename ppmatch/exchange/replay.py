"""Replay and reordering protection for messages a party receives.

The receiver remembers, per sender key and session, the last sequence number it accepted; a
message is accepted only if it carries exactly the next number. A resent message is therefore a
replay and a skipped number an out-of-order message, both refused. The memory is a small JSON
file rewritten atomically, so the protection survives restarts.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ppmatch.errors import IntegrityError, ProtocolError
from ppmatch.exchange.atomic import atomic_write_text
from ppmatch.exchange.container import Envelope


class ReplayGuard:
    """Persistent last-sequence memory; ``path=None`` keeps it in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._last: dict[str, dict] = {}
        if path is not None and path.exists():
            try:
                self._last = json.loads(path.read_text(encoding="utf-8"))
            except ValueError as error:
                raise IntegrityError(f"{path}: replay memory unreadable ({error})") from error

    @staticmethod
    def _key(envelope: Envelope) -> str:
        return f"{envelope.sender.hex()}:{envelope.session_id.hex()}"

    def check(self, envelope: Envelope, *, source: str = "message") -> None:
        """Refuse a message whose sequence number is not the next one of its session."""
        entry = self._last.get(self._key(envelope))
        expected = 1 if entry is None else entry["sequence"] + 1
        if envelope.sequence < expected:
            raise ProtocolError(
                f"{source}: replayed message ({envelope.describe()} was already accepted)"
            )
        if envelope.sequence > expected:
            raise ProtocolError(
                f"{source}: out-of-order message ({envelope.describe()}, expected seq {expected})"
            )

    def record(self, envelope: Envelope) -> None:
        """Remember that ``envelope`` was accepted (call after the work it asked for is done)."""
        self._last[self._key(envelope)] = {"sequence": envelope.sequence, "time": int(time.time())}
        if self.path is not None:
            atomic_write_text(self.path, json.dumps(self._last, sort_keys=True))
