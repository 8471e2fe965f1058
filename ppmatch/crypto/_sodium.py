"""Load the libsodium bundled by ``rbcl`` once per process, leaving no file behind.

``rbcl`` ships libsodium (with the ristretto255 functions that PyNaCl does not expose) as hex
inside a Python module; importing it writes a 2.7 MB copy into ``$TMPDIR`` and never deletes
it, so every process (and every pool worker) would leak one. We point ``tempfile`` at a
private directory for the import and delete the copy once it is mapped: on POSIX a loaded
shared object stays usable after its file is unlinked.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import os
import sys
import tempfile
import threading

_lock = threading.Lock()
_library: ctypes.CDLL | None = None


def libsodium() -> ctypes.CDLL:
    """Return the process-wide libsodium handle, loading it on first use."""
    global _library
    if _library is None:
        with _lock:
            if _library is None:
                _library = _load()
    return _library


def _load() -> ctypes.CDLL:
    module = sys.modules.get("rbcl._sodium")
    if module is None:
        private_dir = tempfile.mkdtemp(prefix="ppmatch-sodium-")
        saved_tempdir = tempfile.tempdir
        tempfile.tempdir = private_dir
        try:
            module = importlib.import_module("rbcl._sodium")
        finally:
            tempfile.tempdir = saved_tempdir
            _remove_copy(getattr(sys.modules.get("rbcl._sodium"), "lib_path", None))
            _remove_empty_dir(private_dir)
    else:
        # Imported elsewhere first: its copy sits in the public $TMPDIR; remove it now.
        _remove_copy(getattr(module, "lib_path", None))
    importlib.import_module("rbcl.rbcl")  # runs sodium_init() exactly once
    library: ctypes.CDLL = module._sodium
    return library


def _remove_copy(path: str | None) -> None:
    if path:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)


def _remove_empty_dir(path: str) -> None:
    # OSError: another thread created a file here meanwhile; it is theirs to remove.
    with contextlib.suppress(OSError):
        os.rmdir(path)
