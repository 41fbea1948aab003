"""Pydantic base classes shared by every module's API contract.

Input models refuse unknown fields (a typo is an error, not a silently ignored key) and strip
whitespace; read models are built from ORM objects. Money is ``Decimal`` and travels as a JSON
string, so no amount is ever rounded through a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64, pattern=r"^[\w.\-/#]+$")]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
LongText = Annotated[str, StringConstraints(max_length=20000)]


def scaled(places: int):  # noqa: ANN201
    """Quantize a Decimal input to ``places`` (the column's scale)."""
    exp = Decimal(1).scaleb(-places)
    return AfterValidator(lambda v: v.quantize(exp))


# Inputs are brought to the column's scale, so what a write returns equals what a read returns.
Amount = Annotated[Decimal, Field(max_digits=16, decimal_places=2), scaled(2)]
NonNegativeAmount = Annotated[Decimal, Field(ge=0, max_digits=16, decimal_places=2), scaled(2)]
PositiveQuantity = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=4), scaled(4)]
NonNegativeQuantity = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4), scaled(4)]
MAX_ID = 2**62  # ids above this are never issued; refusing them keeps huge numbers away from BIGINT
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Stamped(ReadModel):
    id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int = Field(description="optimistic-lock counter; send it back on update to detect lost updates")
