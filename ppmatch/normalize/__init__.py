"""Normalization: what clerks typed -> comparable ASCII tokens, ISO codes and partial dates.

Every function here is total: any input (any Unicode string, ``None``, NaN) gives a value or
"missing", never an exception, and normalizing the output again changes nothing.
"""

from ppmatch.normalize.codes import (
    normalize_document_number,
    normalize_nationality,
    normalize_sex,
)
from ppmatch.normalize.dates import DateOrder, month_first_column, normalize_date
from ppmatch.normalize.groups import name_group, phonetic_code
from ppmatch.normalize.model import NormalizedName, NormalizedRecord, PartialDate
from ppmatch.normalize.names import normalize_name
from ppmatch.normalize.record import normalize_place, normalize_record, normalize_text

__all__ = [
    "DateOrder",
    "NormalizedName",
    "NormalizedRecord",
    "PartialDate",
    "name_group",
    "month_first_column",
    "normalize_date",
    "normalize_document_number",
    "normalize_name",
    "normalize_nationality",
    "normalize_place",
    "normalize_record",
    "normalize_sex",
    "normalize_text",
    "phonetic_code",
]
