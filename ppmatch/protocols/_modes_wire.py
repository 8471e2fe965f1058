"""Wire pieces shared by the PSI-sum, mutual-PSI and linkage-unit messages.

Built on the screening protocol's bounds-checked :mod:`ppmatch.protocols.wire`: element lists
are a u64 count (capped before anything is allocated) followed by fixed-width elements, big
integers are fixed-width big-endian, and the suite is named in every first message so a
mismatch is refused instead of silently producing an empty intersection.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from ppmatch.crypto import SUITE_NAMES, Suite, get_suite
from ppmatch.errors import ProtocolError
from ppmatch.protocols.wire import Reader, Writer

MAX_SET_SIZE = 50_000_000  # elements in one list: caps the allocation a hostile count can cause
SESSION_ID_SIZE = 16


def new_session_id() -> bytes:
    return secrets.token_bytes(SESSION_ID_SIZE)


def shuffled(items: Sequence[bytes]) -> list[bytes]:
    """A uniformly random permutation (from the OS generator): order must reveal nothing."""
    result = list(items)
    secrets.SystemRandom().shuffle(result)
    return result


def write_elements(writer: Writer, elements: Sequence[bytes], width: int) -> None:
    writer.u64(len(elements))
    for element in elements:
        writer.fixed(element, width)


def read_elements(reader: Reader, field: str, width: int) -> list[bytes]:
    count = reader.count(f"{field} count", MAX_SET_SIZE)
    flat = reader.take(count * width, field)
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def write_integer(writer: Writer, value: int, width: int) -> None:
    writer.fixed(value.to_bytes(width, "big"), width)


def read_integer(reader: Reader, field: str, width: int) -> int:
    return int.from_bytes(reader.take(width, field), "big")


def read_suite(reader: Reader) -> Suite:
    name = reader.text("suite", cap=64)
    if name not in SUITE_NAMES:
        raise reader.error(f"unknown suite {name!r} (supported: {', '.join(SUITE_NAMES)})")
    return get_suite(name)


def check_session(found: bytes, expected: bytes, what: str) -> None:
    if found != expected:
        raise ProtocolError(f"{what}: belongs to another session (session id mismatch)")


def check_suite(found: Suite, expected: Suite, what: str) -> None:
    if found.name != expected.name:
        raise ProtocolError(f"{what}: suite {found.name!r}, but this party uses {expected.name!r}")
