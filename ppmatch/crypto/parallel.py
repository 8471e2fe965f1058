"""Process-pool execution of OPRF batches, chunk by chunk, with the same results as serial.

libsodium and pycryptodome hold the GIL, so throughput across cores needs processes. Each
worker runs exactly the ``*_chunk`` functions the serial classes use, on a slice of the batch
with its start index; VOPRF proofs are built from per-chunk partial composites summed in the
parent (see :mod:`ppmatch.crypto.dleq`), so one proof still covers the whole batch.

Workers come from a ``forkserver`` (``spawn`` where that is unavailable): unlike plain
``fork`` it is safe in threaded servers, and the fork server preloads the suites once
(:mod:`ppmatch.crypto._preload`), so every later pool in the process starts in milliseconds.
libsodium is loaded through :mod:`ppmatch.crypto._sodium`, which leaves no library copy in
``$TMPDIR``. Chunks travel to
workers over the pool's local pipe (pickle of lists of bytes); that is a same-machine,
same-user channel, not a trust boundary.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from ppmatch.crypto.oprf import (
    OPRFClient,
    OPRFServer,
    blind_chunk,
    check_batch_size,
    direct_evaluate_chunk,
    evaluate_chunk,
    finalize_chunk,
)
from ppmatch.crypto.suite import MODE_VOPRF, SUITE_NAMES, Suite, get_suite
from ppmatch.errors import CryptoError

DEFAULT_CHUNK_SIZE = 2048
MIN_PARALLEL_BATCH = 64  # below this, process hand-off costs more than it saves
CHUNKS_PER_WORKER = 4
MIN_CHUNK = 16


def available_cores() -> int:
    """Cores this process may run on (respects CPU affinity / container limits)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - non-Linux
        return os.cpu_count() or 1


def warm_up(suite_names: Sequence[str]) -> None:
    """Build the suites (loading libsodium) before the first task needs them."""
    for name in suite_names:
        get_suite(name)


def _default_start_method() -> str:
    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


def _context(start_method: str) -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(start_method)
    if start_method == "forkserver":
        # Only takes effect if this process has not started its fork server yet.
        context.set_forkserver_preload(["ppmatch.crypto._preload"])
    return context


Partial = tuple[list[bytes], Any]


def _blind_task(
    suite: str, mode: int, inputs: list[bytes], blinds: list[bytes] | None, start: int
) -> tuple[list[bytes], list[bytes]]:
    return blind_chunk(get_suite(suite).context(mode), inputs, blinds, start)


def _private_key(suite: str, key: bytes) -> int:
    return get_suite(suite).group.decode_scalar(key, "OPRF private key")


def _evaluate_task(
    suite: str, mode: int, key: bytes, blinded: list[bytes], seed: bytes | None, start: int
) -> Partial:
    context = get_suite(suite).context(mode)
    return evaluate_chunk(context, _private_key(suite, key), blinded, seed, start)


def _direct_task(suite: str, mode: int, key: bytes, inputs: list[bytes], start: int) -> list[bytes]:
    context = get_suite(suite).context(mode)
    return direct_evaluate_chunk(context, _private_key(suite, key), inputs, start)


def _finalize_task(
    suite: str,
    mode: int,
    inputs: list[bytes],
    blinds: list[bytes],
    evaluated: list[bytes],
    blinded: list[bytes] | None,
    seed: bytes | None,
    start: int,
) -> Partial:
    context = get_suite(suite).context(mode)
    return finalize_chunk(context, inputs, blinds, evaluated, blinded, seed, start)


class BatchRunner:
    """Runs blind / evaluate / finalize over a process pool; use as a context manager.

    ``workers=1``, or a batch under ``min_parallel_batch``, runs in-process with no pool.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        min_parallel_batch: int = MIN_PARALLEL_BATCH,
        start_method: str | None = None,
    ) -> None:
        self.workers = workers or available_cores()
        if self.workers < 1 or chunk_size < 1:
            raise CryptoError("BatchRunner needs workers >= 1 and chunk_size >= 1")
        self.chunk_size = chunk_size
        self.min_parallel_batch = min_parallel_batch
        self._start_method = start_method or _default_start_method()
        self._pool: Executor | None = None

    def __enter__(self) -> BatchRunner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker processes (they are started on first parallel use)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def start(self) -> None:
        """Start the workers now (otherwise the first large batch pays for it)."""
        if self._pool is None and self.workers > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_context(self._start_method),
                initializer=warm_up,
                initargs=(SUITE_NAMES,),
            )

    def _slices(self, size: int) -> list[tuple[int, int]]:
        # A few chunks per worker, so one slowed worker (a busy core) does not stall the batch.
        per_chunk = -(-size // (self.workers * CHUNKS_PER_WORKER))
        step = max(MIN_CHUNK, min(self.chunk_size, per_chunk))
        return [(begin, min(begin + step, size)) for begin in range(0, size, step)]

    def _submit(
        self, size: int, task: Callable[..., Any], make_args: Callable[[int, int], tuple]
    ) -> list[Future]:
        """Futures of ``task`` per slice, in order; done at once when the pool would not pay."""
        if self.workers == 1 or size < self.min_parallel_batch:
            done: Future = Future()
            done.set_result(task(*make_args(0, size)))
            return [done]
        self.start()
        assert self._pool is not None
        return [self._pool.submit(task, *make_args(b, e)) for b, e in self._slices(size)]

    def _run(self, size: int, task: Callable[..., Any], make_args: Callable[[int, int], tuple]):
        """Results of ``task`` per slice, in order."""
        return [future.result() for future in self._submit(size, task, make_args)]

    def blind(
        self,
        suite: Suite | str,
        mode: int,
        inputs: Sequence[bytes],
        *,
        blinds: Sequence[bytes] | None = None,
    ) -> tuple[list[bytes], list[bytes]]:
        """Parallel :meth:`OPRFClient.blind_batch`."""
        return self.submit_blind(suite, mode, inputs, blinds=blinds).result()

    def submit_blind(
        self,
        suite: Suite | str,
        mode: int,
        inputs: Sequence[bytes],
        *,
        blinds: Sequence[bytes] | None = None,
        start: int = 0,
    ) -> BlindJob:
        """Start :meth:`blind` in the workers and return at once, so the caller can prepare
        the next inputs meanwhile; ``start`` is the first input's index in error messages."""
        name = get_suite(suite).name
        get_suite(name).context(mode)
        check_batch_size(len(inputs), mode)
        if blinds is not None and len(blinds) != len(inputs):
            raise CryptoError(
                f"OPRF batch lists differ: {len(inputs)} inputs, {len(blinds)} blinds"
            )
        inputs = list(inputs)
        return BlindJob(
            self._submit(
                len(inputs),
                _blind_task,
                lambda b, e: (
                    name,
                    mode,
                    inputs[b:e],
                    None if blinds is None else list(blinds[b:e]),
                    start + b,
                ),
            )
        )

    def blind_evaluate(
        self, server: OPRFServer, blinded: Sequence[bytes], *, proof_nonce: bytes | None = None
    ) -> tuple[list[bytes], bytes | None]:
        """Parallel :meth:`OPRFServer.blind_evaluate_batch` (one proof for the whole batch)."""
        return self.submit_blind_evaluate(server, blinded, proof_nonce=proof_nonce).result()

    def submit_blind_evaluate(
        self, server: OPRFServer, blinded: Sequence[bytes], *, proof_nonce: bytes | None = None
    ) -> EvaluateJob:
        """Start :meth:`blind_evaluate` in the workers and return at once: a caller with
        several proof batches queues the next before waiting, so no worker idles while the
        slowest slice of a batch finishes."""
        check_batch_size(len(blinded), server.mode)
        name, key = server.suite.name, server._key_bytes()
        seed = server._seed if server.mode == MODE_VOPRF else None
        blinded = list(blinded)
        futures = self._submit(
            len(blinded),
            _evaluate_task,
            lambda b, e: (name, server.mode, key, blinded[b:e], seed, b),
        )
        return EvaluateJob(futures, server if seed is not None else None, proof_nonce)

    def evaluate(self, server: OPRFServer, inputs: Sequence[bytes]) -> list[bytes]:
        """Parallel :meth:`OPRFServer.evaluate_batch`."""
        name, key = server.suite.name, server._key_bytes()
        inputs = list(inputs)
        parts = self._run(
            len(inputs), _direct_task, lambda b, e: (name, server.mode, key, inputs[b:e], b)
        )
        return _concat(parts)

    def finalize(
        self,
        client: OPRFClient,
        inputs: Sequence[bytes],
        blinds: Sequence[bytes],
        evaluated: Sequence[bytes],
        blinded: Sequence[bytes],
        proof: bytes | None = None,
    ) -> list[bytes]:
        """Parallel :meth:`OPRFClient.finalize_batch`; outputs only after the proof verifies."""
        return self.submit_finalize(client, inputs, blinds, evaluated, blinded, proof).result()

    def submit_finalize(
        self,
        client: OPRFClient,
        inputs: Sequence[bytes],
        blinds: Sequence[bytes],
        evaluated: Sequence[bytes],
        blinded: Sequence[bytes],
        proof: bytes | None = None,
    ) -> FinalizeJob:
        """Start :meth:`finalize` in the workers and return at once, so the caller can work
        on an earlier batch's outputs meanwhile; the job's ``result()`` verifies the proof."""
        check_batch_size(len(inputs), client.mode)
        sizes = {len(inputs), len(blinds), len(evaluated)}
        verify = client.mode == MODE_VOPRF and len(inputs) > 0
        if verify:
            sizes.add(len(blinded))
        if len(sizes) > 1:
            raise CryptoError(f"OPRF batch lists differ in length: {sorted(sizes)}")
        if verify and proof is None:
            raise CryptoError("VOPRF response carries no proof")
        seed = client._seed if verify else None
        inputs, blinds, evaluated = list(inputs), list(blinds), list(evaluated)
        own_blinded = list(blinded) if verify else None
        futures = self._submit(
            len(inputs),
            _finalize_task,
            lambda b, e: (
                client.suite.name,
                client.mode,
                inputs[b:e],
                blinds[b:e],
                evaluated[b:e],
                None if own_blinded is None else own_blinded[b:e],
                seed,
                b,
            ),
        )
        return FinalizeJob(client, futures, proof if verify else None)


class _Job:
    """Slices of one batch under way in the workers."""

    def __init__(self, futures: list[Future]) -> None:
        self._futures = futures

    def _parts(self) -> list[Any]:
        return [future.result() for future in self._futures]


class BlindJob(_Job):
    """A blind batch under way in the workers."""

    def result(self) -> tuple[list[bytes], list[bytes]]:
        """The blinds and the blinded elements, in input order."""
        parts = self._parts()
        return _concat(p[0] for p in parts), _concat(p[1] for p in parts)


class EvaluateJob(_Job):
    """A blind-evaluate batch under way in the workers; the proof is made on ``result()``."""

    def __init__(
        self, futures: list[Future], server: OPRFServer | None, proof_nonce: bytes | None
    ) -> None:
        super().__init__(futures)
        self._server = server
        self._proof_nonce = proof_nonce

    def result(self) -> tuple[list[bytes], bytes | None]:
        """The evaluated elements and, in VOPRF mode, the batch's proof."""
        parts = self._parts()
        evaluated = _concat(p[0] for p in parts)
        if self._server is None or not evaluated:
            return evaluated, None
        return evaluated, self._server.prove([p[1] for p in parts], self._proof_nonce)


class FinalizeJob(_Job):
    """A finalize batch under way in the workers."""

    def __init__(self, client: OPRFClient, futures: list[Future], proof: bytes | None) -> None:
        super().__init__(futures)
        self._client = client
        self._proof = proof

    def result(self) -> list[bytes]:
        """The OPRF outputs, once the batch's proof verifies (else :class:`CryptoError`)."""
        parts = self._parts()
        if self._proof is not None:
            self._client.verify([p[1][0] for p in parts], [p[1][1] for p in parts], self._proof)
        return _concat(p[0] for p in parts)


def _concat(lists: Any) -> list[bytes]:
    return [item for part in lists for item in part]
