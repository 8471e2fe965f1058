"""Bounds-checked binary encoding shared by every screening message and the database file.

Every byte string the protocol reads may come from the other agency, so parsing never trusts a
length: each read is checked against what is left and against an explicit cap, and any
violation is a ``ProtocolError`` naming the message and the field.
"""

from __future__ import annotations

import struct

import numpy as np

from ppmatch.errors import ProtocolError

MAGIC_SIZE = 8


class Writer:
    """Append-only builder for a message body (big-endian, length-prefixed variable fields)."""

    def __init__(self, magic: bytes, version: int) -> None:
        if len(magic) != MAGIC_SIZE:
            raise ValueError("magic must be 8 bytes")
        self._parts: list[bytes] = [magic, struct.pack(">H", version)]

    def u8(self, value: int) -> None:
        self._parts.append(struct.pack(">B", value))

    def u16(self, value: int) -> None:
        self._parts.append(struct.pack(">H", value))

    def u32(self, value: int) -> None:
        self._parts.append(struct.pack(">I", value))

    def u64(self, value: int) -> None:
        self._parts.append(struct.pack(">Q", value))

    def fixed(self, data: bytes, size: int) -> None:
        if len(data) != size:
            raise ValueError(f"field must be {size} bytes, got {len(data)}")
        self._parts.append(bytes(data))

    def blob(self, data: bytes) -> None:
        """A u32-length-prefixed byte string."""
        self.u32(len(data))
        self._parts.append(bytes(data))

    def text(self, value: str) -> None:
        """A u16-length-prefixed UTF-8 string."""
        encoded = value.encode("utf-8")
        self.u16(len(encoded))
        self._parts.append(encoded)

    def raw(self, data: bytes | memoryview) -> None:
        self._parts.append(bytes(data))

    def getvalue(self) -> bytes:
        return b"".join(self._parts)


class Reader:
    """Cursor over untrusted bytes; every read is bounds-checked and capped."""

    def __init__(self, data: bytes | memoryview, what: str) -> None:
        self._data = memoryview(data)
        self._pos = 0
        self.what = what

    def error(self, problem: str) -> ProtocolError:
        return ProtocolError(f"{self.what}: {problem} (at byte {self._pos})")

    def expect_header(self, magic: bytes, versions: tuple[int, ...]) -> int:
        """Check magic and version; returns the version so callers can branch on it."""
        found = self.take(MAGIC_SIZE, "magic")
        if found != magic:
            raise self.error(f"not a {magic.decode(errors='replace')!r} message (bad magic)")
        version = self.u16("format version")
        if version not in versions:
            raise self.error(
                f"unsupported format version {version} (this build reads {list(versions)})"
            )
        return version

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    @property
    def position(self) -> int:
        return self._pos

    def take(self, size: int, field: str) -> bytes:
        if size < 0 or size > self.remaining:
            raise self.error(f"truncated {field}: need {size} bytes, {self.remaining} left")
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk.tobytes()

    def view(self, size: int, field: str) -> memoryview:
        if size < 0 or size > self.remaining:
            raise self.error(f"truncated {field}: need {size} bytes, {self.remaining} left")
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def u8(self, field: str) -> int:
        return self.take(1, field)[0]

    def u16(self, field: str) -> int:
        return struct.unpack(">H", self.take(2, field))[0]

    def u32(self, field: str) -> int:
        return struct.unpack(">I", self.take(4, field))[0]

    def u64(self, field: str) -> int:
        return struct.unpack(">Q", self.take(8, field))[0]

    def count(self, field: str, cap: int) -> int:
        """A u64 element count, refused above ``cap`` before anything is allocated."""
        value = self.u64(field)
        if value > cap:
            raise self.error(f"{field} {value} exceeds the limit {cap}")
        return value

    def blob(self, field: str, cap: int) -> bytes:
        size = self.u32(f"{field} length")
        if size > cap:
            raise self.error(f"{field} length {size} exceeds the limit {cap}")
        return self.take(size, field)

    def text(self, field: str, cap: int = 1024) -> str:
        size = self.u16(f"{field} length")
        if size > cap:
            raise self.error(f"{field} length {size} exceeds the limit {cap}")
        try:
            return self.take(size, field).decode("utf-8")
        except UnicodeDecodeError as error:
            raise self.error(f"{field} is not valid UTF-8") from error

    def array(self, count: int, width: int, field: str) -> np.ndarray:
        """``count`` fixed-width rows as a read-only ``(count, width)`` uint8 array (no copy)."""
        view = self.view(count * width, field)
        return np.frombuffer(view, dtype=np.uint8).reshape(count, width)

    def finish(self) -> None:
        if self.remaining:
            raise self.error(f"{self.remaining} unexpected trailing bytes")


def rows_to_list(rows: np.ndarray) -> list[bytes]:
    """Fixed-width uint8 rows as a list of bytes (what the crypto batch API takes)."""
    if len(rows) == 0:
        return []
    flat = rows.tobytes()
    width = rows.shape[1]
    return [flat[i : i + width] for i in range(0, len(flat), width)]


def list_to_rows(items: list[bytes], width: int, what: str) -> np.ndarray:
    """The inverse of :func:`rows_to_list`; refuses items of the wrong width."""
    joined = b"".join(items)
    if len(joined) != len(items) * width or any(len(item) != width for item in items):
        raise ProtocolError(f"{what}: every element must be {width} bytes")
    return np.frombuffer(joined, dtype=np.uint8).reshape(len(items), width)
