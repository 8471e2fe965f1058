"""Crash-safe file writes: a reader sees the old file or the complete new one, never a mix.

Every file ppmatch writes goes through here. The bytes land in a temporary file in the target
directory, are flushed to disk (fsync), renamed over the target (atomic on POSIX), and the
directory entry itself is fsynced so the rename survives a power cut.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ppmatch.errors import InputError

PARTIAL_SUFFIX = ".partial"


def fsync_directory(directory: Path) -> None:
    """Persist a directory entry change (create/rename) of ``directory``."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], *, mode: int = 0o644) -> Iterator[BinaryIO]:
    """Open a binary stream whose content replaces ``path`` only if the block completes.

    On an exception (or a kill) the target is untouched; a stray ``.partial`` temp file may
    remain after a kill, and no reader ever takes it for the real file.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise InputError(f"cannot write {target}: directory {directory} does not exist")
    temp = directory / f".{target.name}.{secrets.token_hex(6)}{PARTIAL_SUFFIX}"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, mode)
        os.replace(temp, target)
        fsync_directory(directory)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, mode: int = 0o644) -> None:
    """Replace ``path`` with ``data`` atomically and durably."""
    with atomic_writer(path, mode=mode) as stream:
        stream.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, mode: int = 0o644) -> None:
    """Replace ``path`` with UTF-8 ``text`` atomically and durably."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)
