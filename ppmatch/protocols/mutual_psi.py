"""Mutual DH-PSI (DESIGN.md 3.5): both agencies learn the intersection of their exact keys.

Two rounds between an initiator A (exponent ``a``) and a responder B (exponent ``b``):

1. A -> B  ``MutualHello``: ``a * H(x)`` for A's distinct keys, in an order A shuffled.
2. B -> A  ``MutualReply``: ``b * H(y)`` for B's distinct keys (shuffled), and A's elements
   re-blinded, ``ab * H(x)``, in A's order.
3. A -> B  ``MutualFinish``: B's elements re-blinded, ``ab * H(y)``, in B's order.

Each side then matches the doubly blinded lists and maps hits back to its own record ids. In
cardinality-only mode every re-blinded list is shuffled before it is returned, so each side
learns only how many keys are shared. The initiator learns its result one message before the
responder and could stop there (no fairness, as in every two-party PSI without a third party).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from ppmatch.crypto import Suite, get_suite
from ppmatch.crypto.dh import DHKey
from ppmatch.errors import ProtocolError
from ppmatch.protocols._modes_wire import (
    SESSION_ID_SIZE,
    check_session,
    check_suite,
    new_session_id,
    read_elements,
    read_suite,
    shuffled,
    write_elements,
)
from ppmatch.protocols.wire import Reader, Writer

VERSION = 1


@dataclass(frozen=True)
class MutualHello:
    suite: Suite
    session_id: bytes
    cardinality_only: bool
    elements: list[bytes]

    MAGIC = b"MPSIHLO\x00"

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.text(self.suite.name)
        writer.fixed(self.session_id, SESSION_ID_SIZE)
        writer.u8(int(self.cardinality_only))
        write_elements(writer, self.elements, self.suite.element_size)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> MutualHello:
        reader = Reader(data, "mutual PSI hello")
        reader.expect_header(cls.MAGIC, (VERSION,))
        suite = read_suite(reader)
        session_id = reader.take(SESSION_ID_SIZE, "session id")
        flag = reader.u8("cardinality-only flag")
        if flag not in (0, 1):
            raise reader.error(f"cardinality-only flag must be 0 or 1, got {flag}")
        elements = read_elements(reader, "blinded keys", suite.element_size)
        reader.finish()
        return cls(suite, session_id, bool(flag), elements)


@dataclass(frozen=True)
class MutualReply:
    suite: Suite
    session_id: bytes
    elements: list[bytes]
    reblinded: list[bytes]

    MAGIC = b"MPSIRPL\x00"

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.text(self.suite.name)
        writer.fixed(self.session_id, SESSION_ID_SIZE)
        write_elements(writer, self.elements, self.suite.element_size)
        write_elements(writer, self.reblinded, self.suite.element_size)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> MutualReply:
        reader = Reader(data, "mutual PSI reply")
        reader.expect_header(cls.MAGIC, (VERSION,))
        suite = read_suite(reader)
        session_id = reader.take(SESSION_ID_SIZE, "session id")
        elements = read_elements(reader, "blinded keys", suite.element_size)
        reblinded = read_elements(reader, "re-blinded keys", suite.element_size)
        reader.finish()
        return cls(suite, session_id, elements, reblinded)


@dataclass(frozen=True)
class MutualFinish:
    suite: Suite
    session_id: bytes
    reblinded: list[bytes]

    MAGIC = b"MPSIFIN\x00"

    def to_bytes(self) -> bytes:
        writer = Writer(self.MAGIC, VERSION)
        writer.text(self.suite.name)
        writer.fixed(self.session_id, SESSION_ID_SIZE)
        write_elements(writer, self.reblinded, self.suite.element_size)
        return writer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> MutualFinish:
        reader = Reader(data, "mutual PSI finish")
        reader.expect_header(cls.MAGIC, (VERSION,))
        suite = read_suite(reader)
        session_id = reader.take(SESSION_ID_SIZE, "session id")
        reblinded = read_elements(reader, "re-blinded keys", suite.element_size)
        reader.finish()
        return cls(suite, session_id, reblinded)


@dataclass(frozen=True)
class MutualResult:
    """One side's output: shared distinct keys, and its own matched record ids (not in
    cardinality-only mode)."""

    intersection_size: int
    matched_record_ids: tuple[str, ...]


def _output_kind(cardinality_only: bool) -> str:
    return "cardinality-only" if cardinality_only else "record-level"


class _Side:
    """Common state: own distinct keys in a private shuffled order, mapped to record ids."""

    def __init__(
        self,
        suite: str | Suite,
        record_ids: Sequence[str],
        keys: Sequence[bytes | None],
        cardinality_only: bool,
        pool: Executor | None,
    ) -> None:
        if len(record_ids) != len(keys):
            raise ProtocolError(f"mutual PSI: {len(record_ids)} record ids but {len(keys)} keys")
        self.suite = get_suite(suite)
        self.cardinality_only = cardinality_only
        owners: dict[bytes, list[str]] = {}
        for record_id, key in zip(record_ids, keys, strict=True):
            if key is not None:
                owners.setdefault(key, []).append(record_id)
        self._keys = shuffled(list(owners))
        self._owners = owners
        self._dh = DHKey(self.suite, pool=pool)

    def _returned(self, elements: list[bytes]) -> list[bytes]:
        return shuffled(elements) if self.cardinality_only else elements

    def _result(self, own_doubled: Sequence[bytes], other_doubled: set[bytes]) -> MutualResult:
        if len(own_doubled) != len(self._keys):
            raise ProtocolError(
                f"mutual PSI: {len(own_doubled)} re-blinded keys returned for {len(self._keys)} sent"
            )
        if self.cardinality_only:
            return MutualResult(sum(e in other_doubled for e in own_doubled), ())
        hits = [k for k, e in zip(self._keys, own_doubled, strict=True) if e in other_doubled]
        matched = sorted(record_id for key in hits for record_id in self._owners[key])
        return MutualResult(len(hits), tuple(matched))


class PsiInitiator(_Side):
    """Party A: sends first, learns its result after the reply."""

    def __init__(
        self,
        suite: str | Suite,
        record_ids: Sequence[str],
        keys: Sequence[bytes | None],
        *,
        cardinality_only: bool = False,
        pool: Executor | None = None,
    ) -> None:
        super().__init__(suite, record_ids, keys, cardinality_only, pool)
        self._session_id = new_session_id()
        self._finished = False

    def hello(self) -> MutualHello:
        return MutualHello(
            self.suite, self._session_id, self.cardinality_only, self._dh.blind(self._keys)
        )

    def finish(self, reply: MutualReply) -> tuple[MutualFinish, MutualResult]:
        check_session(reply.session_id, self._session_id, "mutual PSI reply")
        check_suite(reply.suite, self.suite, "mutual PSI reply")
        if self._finished:
            raise ProtocolError("mutual PSI initiator: reply already processed")
        self._finished = True
        other_doubled = self._dh.reblind(reply.elements, "mutual PSI reply element")
        result = self._result(reply.reblinded, set(other_doubled))
        message = MutualFinish(self.suite, self._session_id, self._returned(other_doubled))
        return message, result


class PsiResponder(_Side):
    """Party B: answers the hello, learns its result from the finish message."""

    def __init__(
        self,
        suite: str | Suite,
        record_ids: Sequence[str],
        keys: Sequence[bytes | None],
        *,
        cardinality_only: bool = False,
        pool: Executor | None = None,
    ) -> None:
        super().__init__(suite, record_ids, keys, cardinality_only, pool)
        self._session_id: bytes | None = None
        self._other_doubled: set[bytes] = set()

    def reply(self, hello: MutualHello) -> MutualReply:
        if self._session_id is not None:
            raise ProtocolError("mutual PSI responder: this session already answered a hello")
        check_suite(hello.suite, self.suite, "mutual PSI hello")
        if hello.cardinality_only != self.cardinality_only:
            raise ProtocolError(
                f"mutual PSI hello: the initiator asked for {_output_kind(hello.cardinality_only)} "
                f"output, this responder is configured for {_output_kind(self.cardinality_only)} "
                "output (both must use the same --cardinality-only setting)"
            )
        self._session_id = hello.session_id
        other_doubled = self._dh.reblind(hello.elements, "mutual PSI hello element")
        self._other_doubled = set(other_doubled)
        return MutualReply(
            self.suite,
            hello.session_id,
            self._dh.blind(self._keys),
            self._returned(other_doubled),
        )

    def finish(self, message: MutualFinish) -> MutualResult:
        if self._session_id is None:
            raise ProtocolError("mutual PSI responder: finish before any hello")
        check_session(message.session_id, self._session_id, "mutual PSI finish")
        check_suite(message.suite, self.suite, "mutual PSI finish")
        return self._result(message.reblinded, self._other_doubled)
