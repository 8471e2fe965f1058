"""Tamper-evident audit log: append-only JSON lines, hash-chained, with signed checkpoints.

Each line is one JSON object ``{"seq", "time", "event", "data", "prev", "hash"}`` where ``prev``
is the previous line's ``hash`` and ``hash`` = SHA-256 over the canonical JSON of the line
without ``hash``. Editing, deleting or reordering any line breaks the chain. Every
``checkpoint_every`` entries, and whenever the writer closes, a ``checkpoint`` line signs the
current head with the party's Ed25519 key, so the chain cannot simply be recomputed by someone
without that key. Events carry counts, hashes and the peer's certificate identity — never
traveler or record identities.

Limits: cutting the log back to an earlier checkpoint (dropping everything after it) is only
detectable against an externally kept head (``verify_log(..., expected_head=...)``).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ppmatch.errors import IntegrityError

GENESIS = "0" * 64
_TAIL_WINDOW = 1 << 20
CHECKPOINT_DOMAIN = b"ppmatch audit checkpoint v1\x00"
EVENTS = frozenset(
    {"publish", "evaluate", "query", "disclosure", "refusal", "checkpoint", "recovered"}
)


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


class AuditLog:
    """Appends chained entries to one file; safe across threads and processes (flock)."""

    def __init__(self, path: Path, signing_key: Ed25519PrivateKey, *, checkpoint_every: int = 100):
        self.path = Path(path)
        self._signing_key = signing_key
        self._checkpoint_every = checkpoint_every
        self._lock = threading.Lock()

    def _tail(self, handle) -> tuple[int, str, int]:
        """(next seq, head hash, entries since last checkpoint); repairs a torn last line.

        Only the end of the file is read, so appending stays cheap on a long log.
        """
        size = handle.seek(0, os.SEEK_END)
        start = max(0, size - _TAIL_WINDOW)
        handle.seek(start)
        window = handle.read()
        torn = b""
        if window and not window.endswith(b"\n"):
            cut = window.rfind(b"\n") + 1
            if cut == 0 and start > 0:
                raise IntegrityError(f"{self.path}: last line longer than {_TAIL_WINDOW} bytes")
            torn, window = window[cut:], window[:cut]
            handle.truncate(start + cut)
        lines = window.splitlines()
        if start > 0:
            lines = lines[1:]  # the first line of the window may be cut
        seq, head, since = 0, GENESIS, 0
        if lines:
            try:
                last = json.loads(lines[-1])
                seq, head = last["seq"] + 1, last["hash"]
            except (ValueError, KeyError) as error:
                raise IntegrityError(f"{self.path}: last line is not an audit entry") from error
            for line in reversed(lines):
                if b'"event":"checkpoint"' in line:
                    break
                since += 1
        if torn:
            # A crash mid-append left a fragment: drop it, but record that it happened.
            seq, head = self._write(
                handle,
                seq,
                head,
                "recovered",
                {"torn_bytes": len(torn), "torn_sha256": hashlib.sha256(torn).hexdigest()},
            )
            since += 1
        return seq, head, since

    def _write(
        self, handle, seq: int, head: str, event: str, data: dict[str, Any]
    ) -> tuple[int, str]:
        entry: dict[str, Any] = {
            "seq": seq,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "event": event,
            "data": data,
            "prev": head,
        }
        if event == "checkpoint":
            entry["data"] = {
                **data,
                "signer": self._signing_key.public_key().public_bytes_raw().hex(),
                "signature": self._signing_key.sign(CHECKPOINT_DOMAIN + bytes.fromhex(head)).hex(),
            }
        entry["hash"] = _entry_hash(entry)
        handle.seek(0, os.SEEK_END)
        handle.write(_canonical(entry) + b"\n")
        handle.flush()
        os.fsync(handle.fileno())
        return seq + 1, entry["hash"]

    def append(self, event: str, **data: Any) -> str:
        """Append one event and return the new head hash; checkpoints when due."""
        return self._append(event, data, force_checkpoint=False)

    def checkpoint(self) -> str:
        """Sign the current head now (done at the end of every command)."""
        return self._append(None, {}, force_checkpoint=True)

    def _append(self, event: str | None, data: dict[str, Any], *, force_checkpoint: bool) -> str:
        if event is not None and event not in EVENTS:
            raise ValueError(f"unknown audit event {event!r}")
        with self._lock, open(self.path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            seq, head, since = self._tail(handle)
            if event is not None:
                seq, head = self._write(handle, seq, head, event, data)
                since += 1
            if since and (force_checkpoint or since >= self._checkpoint_every):
                seq, head = self._write(handle, seq, head, "checkpoint", {"entries": seq})
            return head


@dataclass(frozen=True)
class AuditReport:
    entries: int
    checkpoints: int
    head: str
    events: dict[str, int]


def verify_log(
    path: Path,
    signer: Ed25519PublicKey,
    *,
    expected_head: str | None = None,
    require_closed: bool = True,
) -> AuditReport:
    """Check the chain, sequence numbers and checkpoint signatures; raise on the first fault."""
    signer_hex = signer.public_bytes_raw().hex()
    head, checkpoints = GENESIS, 0
    events: dict[str, int] = {}
    last_event = None
    try:
        raw = Path(path).read_bytes()
    except OSError as error:
        raise IntegrityError(f"{path}: cannot read audit log ({error.strerror})") from error
    if raw and not raw.endswith(b"\n"):
        raise IntegrityError(f"{path}: last line is incomplete (torn write or truncation)")
    lines = raw.splitlines()
    for number, line in enumerate(lines, start=1):
        where = f"{path}:{number}"
        try:
            entry = json.loads(line)
            seq, prev, stated = entry["seq"], entry["prev"], entry["hash"]
            event = entry["event"]
        except (ValueError, KeyError, TypeError) as error:
            raise IntegrityError(f"{where}: not an audit entry ({error})") from error
        if seq != number - 1:
            raise IntegrityError(
                f"{where}: sequence {seq}, expected {number - 1} (entry deleted or moved)"
            )
        if prev != head:
            raise IntegrityError(
                f"{where}: chain broken (entry before it edited, deleted or moved)"
            )
        if _entry_hash(entry) != stated:
            raise IntegrityError(f"{where}: entry content edited (hash mismatch)")
        if event == "checkpoint":
            data = entry.get("data", {})
            if data.get("signer") != signer_hex:
                raise IntegrityError(f"{where}: checkpoint signed by another key")
            try:
                signer.verify(
                    bytes.fromhex(data["signature"]), CHECKPOINT_DOMAIN + bytes.fromhex(prev)
                )
            except (InvalidSignature, KeyError, ValueError):
                raise IntegrityError(f"{where}: checkpoint signature invalid") from None
            checkpoints += 1
        events[event] = events.get(event, 0) + 1
        head, last_event = stated, event
    if require_closed and lines and last_event != "checkpoint":
        raise IntegrityError(
            f"{path}: entries after the last signed checkpoint (log cut or still open)"
        )
    if expected_head is not None and head != expected_head:
        raise IntegrityError(
            f"{path}: head {head[:16]}... is not the expected {expected_head[:16]}..."
        )
    return AuditReport(entries=len(lines), checkpoints=checkpoints, head=head, events=events)
