"""Request bodies as JSON bytes, with decimal amounts written as exact JSON numbers.

Flex wants ``amountToRefund`` as a JSON number in major units (``12.00``, ``1234``, ``1.234``).
pydantic dumps a ``Decimal`` as a string and ``json.dumps`` refuses it; going through ``float``
would turn 0.29 into 0.28999999999999998 on some paths. So decimals are written digit for digit
here and every other value is left to pydantic's JSON encoder.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pydantic_core
from pydantic import BaseModel


def encode(model: BaseModel) -> bytes:
    """The model as the API spells it: aliases, no nulls, decimals as exact numbers."""
    return _dumps(model.model_dump(mode="python", by_alias=True, exclude_none=True)).encode()


def decimal_number(value: Decimal) -> str:
    """A finite decimal as JSON number text, keeping its scale: Decimal('12.00') -> 12.00."""
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    # Fixed-point notation: 1E+3 is valid JSON but not what an amount should look like.
    return format(value, "f")


def _dumps(value: Any) -> str:
    if isinstance(value, Decimal):
        return decimal_number(value)
    if isinstance(value, dict):
        members = (f"{_dumps(str(key))}:{_dumps(item)}" for key, item in value.items())
        return "{" + ",".join(members) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_dumps(item) for item in value) + "]"
    return pydantic_core.to_json(value).decode()
