"""Resumable chunked jobs: a killed publish or query restarts from its last completed chunk.

A job owns a work directory holding one file per completed chunk and a ``manifest.json``
(written atomically after each chunk) that records the job's identity (a hash of its inputs and
parameters) and the SHA-256 and size of every completed chunk. A chunk counts as done only if
the manifest lists it *and* its file still hashes to the recorded value, so a chunk file torn by
a kill is simply recomputed.

A random 32-byte seed, drawn once at the job's first start, lives in its own file ``seed``
(mode 0600, written atomically before the manifest, in a 0700 directory) and is reused on every
resume: it makes any randomness the job needs reproducible, so a resumed run yields
byte-identical output. It is secret (a publish derives its payload keys from it): it is never
put in the manifest, logged or printed, and :meth:`ChunkedJob.finish` deletes it with the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
from pathlib import Path

from ppmatch.errors import InputError, IntegrityError
from ppmatch.exchange.atomic import atomic_write_bytes, atomic_write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = "ppmatch-job-v2"
SEED_NAME = "seed"
SEED_SIZE = 32


class ChunkedJob:
    """Checkpointed progress of one long run, keyed by ``job_id`` (hash of inputs and options).

    ``total_chunks`` may be unknown (``None``) for a streamed input: chunks are then numbered as
    they come and the input is re-streamed on resume, skipping the completed ones.
    """

    def __init__(
        self, work_dir: Path, *, job_id: str, total_chunks: int | None = None, resume: bool
    ) -> None:
        self.work_dir = Path(work_dir)
        self.job_id = job_id
        self.total_chunks = total_chunks
        manifest_path = self.work_dir / MANIFEST_NAME
        if manifest_path.exists():
            if not resume:
                raise InputError(
                    f"{self.work_dir} holds an unfinished run; pass --resume to continue it "
                    "or delete the directory to start over"
                )
            self._manifest = self._read_manifest(manifest_path)
            self._seed = self._read_seed()
        else:
            self.work_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(self.work_dir, 0o700)
            self._seed = secrets.token_bytes(SEED_SIZE)
            atomic_write_bytes(self.work_dir / SEED_NAME, self._seed, mode=0o600)
            self._manifest = {
                "format": MANIFEST_FORMAT,
                "job_id": job_id,
                "total_chunks": total_chunks,
                "chunks": {},
            }
            self._write_manifest()

    def _read_seed(self) -> bytes:
        path = self.work_dir / SEED_NAME
        try:
            seed = path.read_bytes()
        except OSError as error:
            raise IntegrityError(
                f"{path}: the run's seed is unreadable ({error.strerror}); delete "
                f"{self.work_dir} to start over"
            ) from error
        if len(seed) != SEED_SIZE:
            raise IntegrityError(
                f"{path}: the run's seed is damaged ({len(seed)} bytes, expected {SEED_SIZE}); "
                f"delete {self.work_dir} to start over"
            )
        return seed

    def _read_manifest(self, path: Path) -> dict:
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise IntegrityError(f"{path}: unreadable job manifest ({error})") from error
        if manifest.get("format") != MANIFEST_FORMAT:
            raise IntegrityError(f"{path}: not a ppmatch job manifest")
        if (
            manifest.get("job_id") != self.job_id
            or manifest.get("total_chunks") != self.total_chunks
        ):
            raise InputError(
                f"{self.work_dir} belongs to a run with other inputs or options; "
                "delete it to start over"
            )
        return manifest

    def _write_manifest(self) -> None:
        text = json.dumps(self._manifest, sort_keys=True, indent=1)
        atomic_write_text(self.work_dir / MANIFEST_NAME, text)

    @property
    def seed(self) -> bytes:
        """32 secret random bytes fixed at the job's first start and reused on every resume."""
        return self._seed

    def _chunk_path(self, index: int) -> Path:
        return self.work_dir / f"chunk-{index:06d}.bin"

    def is_done(self, index: int) -> bool:
        """Whether chunk ``index`` completed and its file is intact."""
        entry = self._manifest["chunks"].get(str(index))
        path = self._chunk_path(index)
        if entry is None or not path.exists():
            return False
        data = path.read_bytes()
        return len(data) == entry["size"] and hashlib.sha256(data).hexdigest() == entry["sha256"]

    def save_chunk(self, index: int, data: bytes) -> None:
        """Persist chunk ``index``; only after this returns does the chunk count as done."""
        if index < 0 or (self.total_chunks is not None and index >= self.total_chunks):
            raise ValueError(f"chunk index {index} outside the job's {self.total_chunks} chunks")
        atomic_write_bytes(self._chunk_path(index), data)
        self._manifest["chunks"][str(index)] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
        }
        self._write_manifest()

    def load_chunk(self, index: int) -> bytes:
        """The bytes of a completed chunk, checked against the manifest."""
        if not self.is_done(index):
            raise IntegrityError(f"{self._chunk_path(index)}: chunk missing or damaged")
        return self._chunk_path(index).read_bytes()

    @property
    def completed(self) -> list[int]:
        return sorted(int(i) for i in self._manifest["chunks"] if self.is_done(int(i)))

    def finish(self) -> None:
        """Remove the work directory once the final output has been written atomically."""
        shutil.rmtree(self.work_dir, ignore_errors=True)
