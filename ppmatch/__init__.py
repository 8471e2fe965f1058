"""ppmatch: privacy-preserving identity matching between agencies."""

from ppmatch.errors import (
    AgreementError,
    BudgetExceeded,
    CryptoError,
    InputError,
    IntegrityError,
    KeyFileError,
    PpmatchError,
    ProtocolError,
    SchemaError,
)

__version__ = "0.1.0"

__all__ = [
    "AgreementError",
    "BudgetExceeded",
    "CryptoError",
    "InputError",
    "IntegrityError",
    "KeyFileError",
    "PpmatchError",
    "ProtocolError",
    "SchemaError",
    "__version__",
]
