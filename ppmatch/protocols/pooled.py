"""The worker-pool lifetime that holder and querier objects share."""

from __future__ import annotations

from ppmatch.crypto.parallel import BatchRunner


class PooledParty:
    """A protocol party that keeps one worker pool for its lifetime.

    Spawning workers costs more than a small batch, so the pool is created on first use and
    reused until ``close()`` (or the end of a ``with`` block).
    """

    workers: int
    _runner: BatchRunner | None = None

    def _batch_runner(self) -> BatchRunner:
        if self._runner is None:
            self._runner = BatchRunner(self.workers)
        return self._runner

    def close(self) -> None:
        """Stop the worker processes (also done at interpreter exit)."""
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
