"""RFC 9497 OPRF (mode 0) and VOPRF (mode 1) over batches of byte strings.

The classes are the safe API the protocol layer uses: inputs, blinds, elements and proofs are
all bytes, and no scalar ever leaves this package except a client's own blinds. The
``*_chunk`` functions are the loops behind them; :mod:`ppmatch.crypto.parallel` runs the same
functions on slices of a batch in worker processes, which is why they take a ``start`` index
(the batch position of their first element, needed for the proof's composite weights).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ppmatch.crypto import dleq
from ppmatch.crypto.group import Group, random_nonzero_scalars
from ppmatch.crypto.suite import MAX_INPUT_SIZE, MODE_VOPRF, ModeContext, Suite, get_suite
from ppmatch.errors import CryptoError


def _check_inputs(inputs: Sequence[bytes], start: int) -> None:
    for index, data in enumerate(inputs):
        if len(data) > MAX_INPUT_SIZE:
            raise CryptoError(
                f"OPRF input[{start + index}] is {len(data)} bytes (max {MAX_INPUT_SIZE})"
            )


def _same_length(**columns: Sequence[Any]) -> None:
    sizes = {name: len(column) for name, column in columns.items()}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name}={size}" for name, size in sizes.items())
        raise CryptoError(f"OPRF batch lists differ in length: {listed}")


def _operands(group: Group, encoded: Sequence[bytes], what: str, start: int) -> list[Any]:
    operand = group.operand
    return [operand(data, what, start + index) for index, data in enumerate(encoded)]


def _multiply_each(
    group: Group, scalars: Sequence[int], operands: Sequence[Any], what: str, start: int
) -> list[bytes]:
    """``encode(s_i * e_i)``; an invalid element or identity result names its position."""
    mult, encode = group.mult, group.encode
    results: list[bytes] = []
    try:
        for scalar, operand in zip(scalars, operands, strict=True):
            results.append(encode(mult(scalar, operand)))
    except CryptoError as error:
        raise CryptoError(f"{what}[{start + len(results)}] rejected: {error}") from None
    return results


def _batch_invert(group: Group, scalars: Sequence[int]) -> list[int]:
    """Invert all blinds with one field inversion (Montgomery's trick)."""
    order = group.order
    prefixes = []
    running = 1
    for scalar in scalars:
        prefixes.append(running)
        running = running * scalar % order
    inverse = group.invert(running)
    inverses = [0] * len(scalars)
    for index in range(len(scalars) - 1, -1, -1):
        inverses[index] = inverse * prefixes[index] % order
        inverse = inverse * scalars[index] % order
    return inverses


def _decode_blinds(group: Group, blinds: Sequence[bytes], start: int) -> list[int]:
    scalars = [group.decode_scalar(b, f"blind[{start + i}]") for i, b in enumerate(blinds)]
    if 0 in scalars:
        raise CryptoError(f"blind[{start + scalars.index(0)}] is zero")
    return scalars


def blind_chunk(
    context: ModeContext,
    inputs: Sequence[bytes],
    blinds: Sequence[bytes] | None = None,
    start: int = 0,
) -> tuple[list[bytes], list[bytes]]:
    """Blind: ``r_i * HashToGroup(input_i)`` with fresh (or, for vectors, given) blinds."""
    group = context.group
    _check_inputs(inputs, start)
    if blinds is None:
        scalars = random_nonzero_scalars(group.order, len(inputs))
    else:
        _same_length(inputs=inputs, blinds=blinds)
        scalars = _decode_blinds(group, blinds, start)
    hash_to_group = context.hash_to_group
    points = [hash_to_group(data) for data in inputs]
    blinded = _multiply_each(group, scalars, points, "hashed input", start)
    return [group.encode_scalar(r) for r in scalars], blinded


def evaluate_chunk(
    context: ModeContext,
    key: int,
    blinded: Sequence[bytes],
    seed: bytes | None = None,
    start: int = 0,
) -> tuple[list[bytes], bytes | None]:
    """BlindEvaluate a slice; with a composite ``seed`` also return its encoded partial M."""
    group = context.group
    operands = _operands(group, blinded, "blinded element", start)
    evaluated = _multiply_each(group, [key] * len(operands), operands, "blinded element", start)
    if seed is None or not operands:
        return evaluated, None
    weights = dleq.composite_weights(context, seed, start, blinded, evaluated)
    return evaluated, group.encode(dleq.weighted_sum(group, weights, operands))


def finalize_chunk(
    context: ModeContext,
    inputs: Sequence[bytes],
    blinds: Sequence[bytes],
    evaluated: Sequence[bytes],
    blinded: Sequence[bytes] | None = None,
    seed: bytes | None = None,
    start: int = 0,
) -> tuple[list[bytes], tuple[bytes, bytes] | None]:
    """Unblind and hash a slice; with a ``seed`` also return encoded partial composites (M, Z).

    The caller must verify the proof against the summed composites before releasing outputs.
    """
    group = context.group
    _same_length(inputs=inputs, blinds=blinds, evaluated=evaluated)
    _check_inputs(inputs, start)
    inverses = _batch_invert(group, _decode_blinds(group, blinds, start)) if blinds else []
    received = _operands(group, evaluated, "evaluated element", start)
    unblinded = _multiply_each(group, inverses, received, "evaluated element", start)
    finalize_hash = context.finalize_hash
    outputs = [
        finalize_hash(data, element) for data, element in zip(inputs, unblinded, strict=True)
    ]
    if seed is None or not inputs:
        return outputs, None
    if blinded is None:
        raise CryptoError("VOPRF finalize needs the blinded elements to verify the proof")
    _same_length(inputs=inputs, blinded=blinded)
    own = _operands(group, blinded, "blinded element", start)
    weights = dleq.composite_weights(context, seed, start, blinded, evaluated)
    try:
        partial_m = group.encode(dleq.weighted_sum(group, weights, own))
        partial_z = group.encode(dleq.weighted_sum(group, weights, received))
    except CryptoError as error:
        raise CryptoError(f"VOPRF composite rejected: {error}") from None
    return outputs, (partial_m, partial_z)


def direct_evaluate_chunk(
    context: ModeContext, key: int, inputs: Sequence[bytes], start: int = 0
) -> list[bytes]:
    """Server-side Evaluate (no blinding): what the holder publishes for its own tokens."""
    group = context.group
    _check_inputs(inputs, start)
    hash_to_group = context.hash_to_group
    points = [hash_to_group(data) for data in inputs]
    elements = _multiply_each(group, [key] * len(points), points, "hashed input", start)
    finalize_hash = context.finalize_hash
    return [finalize_hash(data, element) for data, element in zip(inputs, elements, strict=True)]


def check_batch_size(size: int, mode: int) -> None:
    if mode == MODE_VOPRF and size > dleq.MAX_BATCH:
        raise CryptoError(
            f"VOPRF batch of {size} elements exceeds {dleq.MAX_BATCH}; split it into several"
        )


class OPRFServer:
    """The key holder: evaluates blinded elements (and proves it, in VOPRF mode)."""

    def __init__(self, suite: Suite | str, private_key: bytes, *, mode: int) -> None:
        self.suite = get_suite(suite)
        self.mode = mode
        self._context = self.suite.context(mode)
        group = self.suite.group
        self._key = group.decode_scalar(private_key, "OPRF private key")
        if self._key == 0:
            raise CryptoError("OPRF private key is zero")
        self.public_key: bytes = group.encode(group.generator_mult(self._key))
        self._seed = dleq.composite_seed(self._context, self.public_key)

    def blind_evaluate_batch(
        self, blinded: Sequence[bytes], *, proof_nonce: bytes | None = None
    ) -> tuple[list[bytes], bytes | None]:
        """Evaluated elements, plus one batched DLEQ proof in VOPRF mode (``None`` in mode 0
        or for an empty batch). ``proof_nonce`` exists only to reproduce RFC test vectors."""
        check_batch_size(len(blinded), self.mode)
        if self.mode != MODE_VOPRF:
            return evaluate_chunk(self._context, self._key, blinded)[0], None
        evaluated, partial = evaluate_chunk(self._context, self._key, blinded, self._seed)
        if partial is None:
            return evaluated, None
        return evaluated, self.prove([partial], proof_nonce)

    def prove(self, partials: Sequence[bytes], proof_nonce: bytes | None = None) -> bytes:
        """Proof over a batch whose composite M arrives as per-chunk partial sums."""
        group = self.suite.group
        composite_m = dleq.combine(group, partials, "composite partial")
        nonce = None if proof_nonce is None else group.decode_scalar(proof_nonce, "proof nonce")
        return dleq.generate_proof(self._context, self._key, self.public_key, composite_m, nonce)

    def _key_bytes(self) -> bytes:
        """The private key, for handing to this package's own pool workers only."""
        return self.suite.group.encode_scalar(self._key)

    def evaluate_batch(self, inputs: Sequence[bytes]) -> list[bytes]:
        """Direct Evaluate: the OPRF outputs of the server's own inputs."""
        return direct_evaluate_chunk(self._context, self._key, inputs)


class OPRFClient:
    """The querier: blinds inputs, then unblinds (and verifies, in VOPRF mode) evaluations."""

    def __init__(
        self, suite: Suite | str, *, mode: int, server_public_key: bytes | None = None
    ) -> None:
        self.suite = get_suite(suite)
        self.mode = mode
        self._context = self.suite.context(mode)
        self.server_public_key = None if server_public_key is None else bytes(server_public_key)
        self._public_element = None
        self._seed: bytes | None = None
        if self.server_public_key is not None:
            group = self.suite.group
            self._public_element = group.decode(self.server_public_key, "server public key")
            self._seed = dleq.composite_seed(self._context, self.server_public_key)
        if mode == MODE_VOPRF and self._public_element is None:
            raise CryptoError("VOPRF mode needs the server public key to verify proofs")

    def blind_batch(
        self, inputs: Sequence[bytes], *, blinds: Sequence[bytes] | None = None
    ) -> tuple[list[bytes], list[bytes]]:
        """``(blinds, blinded_elements)``; keep the blinds secret until finalize.
        ``blinds`` exists only to reproduce RFC test vectors."""
        check_batch_size(len(inputs), self.mode)
        return blind_chunk(self._context, inputs, blinds)

    def finalize_batch(
        self,
        inputs: Sequence[bytes],
        blinds: Sequence[bytes],
        evaluated: Sequence[bytes],
        blinded: Sequence[bytes],
        proof: bytes | None = None,
    ) -> list[bytes]:
        """OPRF outputs; in VOPRF mode only after the proof verifies (else CryptoError)."""
        check_batch_size(len(inputs), self.mode)
        verify = self.mode == MODE_VOPRF and len(inputs) > 0
        if verify and proof is None:
            raise CryptoError("VOPRF response carries no proof")
        seed = self._seed if verify else None
        outputs, partial = finalize_chunk(self._context, inputs, blinds, evaluated, blinded, seed)
        if partial is not None:
            self.verify([partial[0]], [partial[1]], proof or b"")
        return outputs

    def verify(
        self, partials_m: Sequence[bytes], partials_z: Sequence[bytes], proof: bytes
    ) -> None:
        """Check a proof against composites summed from per-chunk partials."""
        group = self.suite.group
        composite_m = dleq.combine(group, partials_m, "composite partial")
        composite_z = dleq.combine(group, partials_z, "composite partial")
        dleq.verify_proof(
            self._context,
            self._public_element,
            self.server_public_key or b"",
            composite_m,
            composite_z,
            proof,
        )
