"""One exception hierarchy for everything ppmatch raises on purpose.

Every message names what is wrong (file, row, field, message or key) and, where possible,
what to do. The CLI prints ``str(error)`` on one line and exits non-zero; tracebacks are
shown only with ``--debug``.
"""

from __future__ import annotations


class PpmatchError(Exception):
    """Root of all deliberate ppmatch errors."""

    exit_code = 1


class InputError(PpmatchError):
    """A user-supplied file, column, row or option is unusable."""

    exit_code = 2


class SchemaError(PpmatchError):
    """A linkage schema or configuration is invalid (unknown key, out-of-range value)."""

    exit_code = 2


class AgreementError(PpmatchError):
    """An agreement is unsigned, expired, modified, or does not match a message."""

    exit_code = 3


class CryptoError(PpmatchError):
    """A cryptographic operation failed: bad encoding, failed proof, failed decryption."""

    exit_code = 4


class ProtocolError(PpmatchError):
    """A protocol message is malformed, out of order, replayed, or inconsistent."""

    exit_code = 4


class IntegrityError(PpmatchError):
    """A file or log has been tampered with, truncated or is incomplete."""

    exit_code = 5


class BudgetExceeded(PpmatchError):
    """A querier asked for more evaluations than the agreement's budget allows."""

    exit_code = 6


class KeyFileError(PpmatchError):
    """A key file is unreadable, has the wrong passphrase, or has unsafe permissions."""

    exit_code = 3
