"""The screening protocol (DESIGN.md 3.4): holder database, verifiable OPRF queries, threshold
disclosure. Message-in/message-out objects; moving the bytes is the exchange layer's job.
"""

from ppmatch.protocols.config import ScreeningConfig
from ppmatch.protocols.database import HolderDatabase, HolderDelta
from ppmatch.protocols.holder import Budget, Holder
from ppmatch.protocols.messages import EvaluationRequest, EvaluationResponse
from ppmatch.protocols.querier import Querier
from ppmatch.protocols.result import ScreeningResult, ScreeningRow

__all__ = [
    "Budget",
    "EvaluationRequest",
    "EvaluationResponse",
    "Holder",
    "HolderDatabase",
    "HolderDelta",
    "Querier",
    "ScreeningConfig",
    "ScreeningResult",
    "ScreeningRow",
]
