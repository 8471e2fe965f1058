"""Raw cell values -> text, for inputs that did not come through the text-only readers."""

from __future__ import annotations

import math


def as_text(value: object) -> str | None:
    """Strings as they are; integers, and floats holding whole numbers (pandas turns integer
    columns with gaps into floats: 19850312.0), as their digits; anything else is missing."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return None
