"""Statistics mode (PSI-sum, DESIGN.md 3.5): the querier learns |intersection| and a sum, nothing else.

The shape of Google's Private Join and Compute, with the roles arranged so that the querier
gets the aggregate and the holder (who owns the values, e.g. number of convictions) keeps a
per-session Paillier key:

1. querier -> holder  ``SumRequest``: its keys blinded, ``a * H(u)``, shuffled.
2. holder -> querier  ``SumResponse``: those elements re-blinded, ``ab * H(u)``, shuffled again;
   its own ``b * H(w)`` each with ``Enc(t_w)``, shuffled; the Paillier public modulus.
3. querier -> holder  ``MaskedSum``: ``Enc(S + r)``, the homomorphic sum ``S`` of the
   ciphertexts whose ``ab * H(w)`` is among its own, plus a uniform mask ``r`` mod ``n``,
   re-randomized.
4. holder -> querier  ``SumReveal``: ``S + r mod n`` (uniform to the holder); the querier
   subtracts ``r``.

Because the holder shuffles the re-blinded list, the querier learns how many of its keys are
in the intersection but not which. Semi-honest model, as in Private Join and Compute: a
querier that deviates in step 3 can choose which ciphertexts to add (a subset sum); the holder
decrypts exactly once per session to bound that.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Self

from ppmatch.crypto import Suite, get_suite
from ppmatch.crypto.dh import DHKey
from ppmatch.errors import InputError, ProtocolError
from ppmatch.protocols import _modes_paillier as paillier
from ppmatch.protocols._modes_records import MAX_VALUE
from ppmatch.protocols._modes_wire import (
    SESSION_ID_SIZE,
    check_session,
    check_suite,
    new_session_id,
    read_elements,
    read_integer,
    read_suite,
    shuffled,
    write_elements,
    write_integer,
)
from ppmatch.protocols.wire import Reader, Writer

VERSION = 1


def _read_modulus(reader: Reader) -> int:
    width = reader.u16("modulus width")
    if width * 8 not in paillier.KEY_BITS:
        raise reader.error(f"Paillier modulus width {width} bytes is not supported")
    modulus = read_integer(reader, "Paillier modulus", width)
    paillier.check_modulus(modulus, reader.what)
    return modulus


@dataclass(frozen=True)
class SumRequest:
    """Step 1: the querier's blinded keys."""

    suite: Suite
    session_id: bytes
    elements: list[bytes]

    MAGIC = b"PSUMREQ\x00"

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.text(self.suite.name)
        writer.fixed(self.session_id, SESSION_ID_SIZE)
        write_elements(writer, self.elements, self.suite.element_size)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SumRequest:
        reader = Reader(data, "PSI-sum request")
        reader.expect_header(cls.MAGIC, (VERSION,))
        suite = read_suite(reader)
        session_id = reader.take(SESSION_ID_SIZE, "session id")
        elements = read_elements(reader, "blinded keys", suite.element_size)
        reader.finish()
        return cls(suite, session_id, elements)


@dataclass(frozen=True)
class SumResponse:
    """Step 2: re-blinded querier keys, blinded holder keys with encrypted values, the key."""

    suite: Suite
    session_id: bytes
    modulus: int
    reblinded: list[bytes]
    holder_elements: list[bytes]
    ciphertexts: list[int]

    MAGIC = b"PSUMRSP\x00"

    def to_bytes(self) -> bytes:
        width = paillier.modulus_width(self.modulus)
        suite = self.suite
        writer = Writer(self.MAGIC, VERSION)
        writer.text(suite.name)
        writer.fixed(self.session_id, SESSION_ID_SIZE)
        writer.u16(width)
        write_integer(writer, self.modulus, width)
        write_elements(writer, self.reblinded, suite.element_size)
        write_elements(writer, self.holder_elements, suite.element_size)
        for ciphertext in self.ciphertexts:
            write_integer(writer, ciphertext, 2 * width)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> SumResponse:
        reader = Reader(data, "PSI-sum response")
        reader.expect_header(cls.MAGIC, (VERSION,))
        suite = read_suite(reader)
        session_id = reader.take(SESSION_ID_SIZE, "session id")
        modulus = _read_modulus(reader)
        width = paillier.modulus_width(modulus)
        reblinded = read_elements(reader, "re-blinded keys", suite.element_size)
        holder_elements = read_elements(reader, "holder keys", suite.element_size)
        flat = reader.take(len(holder_elements) * 2 * width, "encrypted values")
        reader.finish()
        ciphertexts = [
            int.from_bytes(flat[i : i + 2 * width], "big") for i in range(0, len(flat), 2 * width)
        ]
        for index, ciphertext in enumerate(ciphertexts):
            paillier.check_ciphertext(modulus, ciphertext, f"PSI-sum response value[{index}]")
        return cls(suite, session_id, modulus, reblinded, holder_elements, ciphertexts)


@dataclass(frozen=True)
class _Scalar:
    """Steps 3 and 4 share a shape: session id and one fixed-width integer."""

    session_id: bytes
    value: int
    modulus_bytes: int

    MAGIC = b"PSUMXXX\x00"
    WHAT = ""
    WIDTH_FACTOR = 1

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.fixed(self.session_id, SESSION_ID_SIZE)
        writer.u16(self.modulus_bytes)
        write_integer(writer, self.value, self.WIDTH_FACTOR * self.modulus_bytes)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        reader = Reader(data, cls.WHAT)
        reader.expect_header(cls.MAGIC, (VERSION,))
        session_id = reader.take(SESSION_ID_SIZE, "session id")
        width = reader.u16("modulus width")
        if width * 8 not in paillier.KEY_BITS:
            raise reader.error(f"Paillier modulus width {width} bytes is not supported")
        value = read_integer(reader, "value", cls.WIDTH_FACTOR * width)
        reader.finish()
        return cls(session_id, value, width)


class MaskedSum(_Scalar):
    """Step 3: ``Enc(S + r)`` under the holder's session key."""

    MAGIC = b"PSUMMSK\x00"
    WHAT = "PSI-sum masked sum"
    WIDTH_FACTOR = 2


class SumReveal(_Scalar):
    """Step 4: ``S + r mod n``."""

    MAGIC = b"PSUMREV\x00"
    WHAT = "PSI-sum reveal"


@dataclass(frozen=True)
class IntersectionSum:
    """What the querier learns: the intersection's size and the sum of the holder's values."""

    intersection_size: int
    total: int


def _unique(keys: Sequence[bytes | None]) -> list[bytes]:
    return list(dict.fromkeys(key for key in keys if key is not None))


class SumHolder:
    """Owns the values and a per-session Paillier key; answers one request, decrypts once."""

    def __init__(
        self,
        suite: str | Suite,
        keys: Sequence[bytes | None],
        values: Sequence[int],
        *,
        key_bits: int = paillier.DEFAULT_KEY_BITS,
        min_request_size: int = 0,
        pool: Executor | None = None,
    ) -> None:
        """``min_request_size``: refuse smaller query sets, so a querier cannot ask about one or
        two people and read their values off the "aggregate". ``pool``: process pool for the
        group operations of large sets (see :class:`~ppmatch.crypto.dh.DHKey`)."""
        if len(keys) != len(values):
            raise ProtocolError(f"PSI-sum holder: {len(keys)} keys but {len(values)} values")
        for index, value in enumerate(values):
            if not 0 <= value <= MAX_VALUE:
                raise InputError(
                    f"PSI-sum holder: value[{index}] = {value} is outside 0..{MAX_VALUE}"
                )
        self.suite = get_suite(suite)
        totals: dict[bytes, int] = {}
        for key, value in zip(keys, values, strict=True):
            if key is not None:  # records sharing a key count once, with their values added
                totals[key] = totals.get(key, 0) + value
        self._totals = totals
        self._dh = DHKey(self.suite, pool=pool)
        self._paillier = paillier.PaillierKey(key_bits)
        self._min_request_size = min_request_size
        self._session_id: bytes | None = None
        self._revealed = False

    def respond(self, request: SumRequest) -> SumResponse:
        if self._session_id is not None:
            raise ProtocolError("PSI-sum holder: this session already answered a request")
        check_suite(request.suite, self.suite, "PSI-sum request")
        if len(request.elements) < self._min_request_size:
            raise ProtocolError(
                f"PSI-sum request: {len(request.elements)} keys, below this holder's minimum "
                f"query set of {self._min_request_size}"
            )
        self._session_id = request.session_id
        reblinded = shuffled(self._dh.reblind(request.elements, "PSI-sum request element"))
        pairs = list(zip(self._dh.blind(list(self._totals)), self._totals.values(), strict=True))
        secrets.SystemRandom().shuffle(pairs)
        elements = [element for element, _ in pairs]
        ciphertexts = self._paillier.encrypt_many([value for _, value in pairs])
        return SumResponse(
            self.suite, request.session_id, self._paillier.modulus, reblinded, elements, ciphertexts
        )

    def reveal(self, masked: MaskedSum) -> SumReveal:
        if self._session_id is None:
            raise ProtocolError("PSI-sum holder: masked sum before any request")
        check_session(masked.session_id, self._session_id, "PSI-sum masked sum")
        if self._revealed:
            raise ProtocolError("PSI-sum holder: this session already decrypted its one sum")
        self._revealed = True
        plaintext = self._paillier.decrypt(masked.value, "PSI-sum masked sum")
        return SumReveal(
            self._session_id, plaintext, paillier.modulus_width(self._paillier.modulus)
        )


class SumQuerier:
    """Owns the keys to look up; learns the intersection size and the holder's sum over it."""

    def __init__(
        self, suite: str | Suite, keys: Sequence[bytes | None], *, pool: Executor | None = None
    ) -> None:
        self.suite = get_suite(suite)
        self._keys = _unique(keys)
        self._dh = DHKey(self.suite, pool=pool)
        self._session_id = new_session_id()
        self._mask: int | None = None
        self._modulus = 0
        self._count: int | None = None

    def request(self) -> SumRequest:
        return SumRequest(self.suite, self._session_id, shuffled(self._dh.blind(self._keys)))

    def mask(self, response: SumResponse) -> MaskedSum:
        check_session(response.session_id, self._session_id, "PSI-sum response")
        check_suite(response.suite, self.suite, "PSI-sum response")
        if self._mask is not None:
            raise ProtocolError("PSI-sum querier: response already processed")
        if len(response.reblinded) != len(self._keys):
            raise ProtocolError(
                f"PSI-sum response: {len(response.reblinded)} re-blinded keys for "
                f"{len(self._keys)} sent"
            )
        ours = set(response.reblinded)
        doubled = self._dh.reblind(response.holder_elements, "PSI-sum holder element")
        hits = [c for d, c in zip(doubled, response.ciphertexts, strict=True) if d in ours]
        modulus = response.modulus
        self._modulus, self._count = modulus, len(hits)
        self._mask = secrets.randbelow(modulus)
        total = paillier.add(
            modulus, paillier.add_all(modulus, hits), paillier.encrypt(modulus, self._mask)
        )
        return MaskedSum(self._session_id, total, paillier.modulus_width(modulus))

    def finish(self, reveal: SumReveal) -> IntersectionSum:
        check_session(reveal.session_id, self._session_id, "PSI-sum reveal")
        if self._mask is None or self._count is None:
            raise ProtocolError("PSI-sum querier: reveal before the response was processed")
        if not 0 <= reveal.value < self._modulus:
            raise ProtocolError("PSI-sum reveal: value out of range for the session key")
        return IntersectionSum(self._count, (reveal.value - self._mask) % self._modulus)
