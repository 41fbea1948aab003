"""API contract of the configurator and C2M orders (framework nodes 3.2 and 2.1.2).

The model document itself (groups, rules, price effects, attributes) is
:class:`~somp.modules.customization.document.ModelDoc`, the same as the YAML/JSON file format.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, model_validator

from somp.core.schemas import MAX_ID, Code, InputModel, LongText, Name, ReadModel, Stamped
from somp.modules.customization.document import AttrValue, ModelDoc
from somp.modules.customization.models import C2MStatus, ConfigurableStatus, LineKind

Choices = Annotated[dict[Code, bool], Field(max_length=2000, description="option code -> chosen (true) or ruled out")]


class Requirement(InputModel):
    """A customer's numeric requirement on an attribute (air flow at least 3.5 m3/min...)."""

    low: AttrValue | None = None
    high: AttrValue | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Requirement:
        if self.low is None and self.high is None:
            raise ValueError("give low, high or both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError("low is above high")
        return self


Requirements = Annotated[dict[Code, Requirement], Field(max_length=100)]


class ConfigurableCreate(InputModel):
    code: Code
    name_zh: Name
    name_en: Name
    offering_id: int = Field(ge=1, le=MAX_ID, description="the catalog offering this configures")
    model: ModelDoc
    note: LongText | None = None


class ConfigurableUpdate(InputModel):
    name_zh: Name | None = None
    name_en: Name | None = None
    status: ConfigurableStatus | None = None
    version: int | None = None


class ModelVersionCreate(InputModel):
    model: ModelDoc
    based_on: int | None = Field(
        None, ge=1, description="the model version this edit started from; refused (409) if it is no longer current"
    )
    note: LongText | None = None


class ModelImport(InputModel):
    document: str = Field(min_length=1, max_length=5_000_000, description="a model file, YAML or JSON")
    note: LongText | None = None


class ProblemRead(ReadModel):
    path: str
    message: str
    code: str


class ConfigurableRead(Stamped):
    code: str
    name_zh: str
    name_en: str
    offering_id: int
    status: ConfigurableStatus
    current_version: int


class ModelVersionRead(ReadModel):
    id: int
    configurable_id: int
    number: int
    content_hash: str
    option_count: int
    rule_count: int
    note: str | None
    created_at: dt.datetime
    created_by: int | None


class ModelVersionDetail(ModelVersionRead):
    document: dict[str, Any]
    warnings: list[ProblemRead] = Field(default_factory=list)


class ConfigurableWritten(ConfigurableRead):
    model_version: ModelVersionDetail


class ConfigureRequest(InputModel):
    choices: Choices = Field(default_factory=dict)
    requirements: Requirements = Field(default_factory=dict)
    model_version: int | None = Field(None, ge=1, description="default: the current version")
    reasons: bool = Field(
        True, description="explain why impossible options are impossible (up to 40 of them, within about 1 s)"
    )
    completion: bool = Field(True, description="also the cheapest completion and its price")


class ConflictItemRead(ReadModel):
    kind: str  # rule, group, choice, requirement
    code: str
    message_zh: str
    message_en: str
    selected: bool | None = None


class ConflictRead(ReadModel):
    items: list[ConflictItemRead]
    message_zh: str
    message_en: str


class OptionStateRead(ReadModel):
    code: str
    group: str
    name_zh: str
    name_en: str
    price: Decimal
    state: str  # chosen, ruled_out, required, impossible, open; on a conflict: chosen, ruled_out or unknown
    reason: ConflictRead | None = Field(
        None, description="for an impossible option: what rules it out (none past the limits: choose it to see why)"
    )


class PriceLineRead(ReadModel):
    code: str
    name_zh: str
    name_en: str
    amount: Decimal


class CompletionRead(ReadModel):
    selected: list[str]
    price_lines: list[PriceLineRead]
    total: Decimal
    currency: str
    attributes: dict[str, Decimal]


class ConfigureResult(ReadModel):
    status: str  # ok or conflict
    configurable_id: int
    model_version: int
    options: list[OptionStateRead]
    completion: CompletionRead | None = Field(None, description="the cheapest valid configuration with these choices")
    conflict: ConflictRead | None = None
    solves: int
    elapsed_ms: float


class C2MOrderCreate(InputModel):
    configurable_id: int = Field(ge=1, le=MAX_ID)
    customer_id: int = Field(ge=1, le=MAX_ID)
    choices: Choices
    requirements: Requirements = Field(default_factory=dict)
    model_version: int | None = Field(
        None, ge=1, description="the version the customer configured on; refused (409) if no longer current"
    )
    quantity: int = Field(1, ge=1, le=100000)
    due_date: dt.date | None = None
    contract_start: dt.date | None = Field(None, description="start of the contract's term; default today")
    contract_end: dt.date | None = Field(None, description="end of the term; default one year after the start")
    notes: LongText | None = None

    @model_validator(mode="after")
    def _term(self) -> C2MOrderCreate:
        if self.contract_start and self.contract_end and self.contract_end <= self.contract_start:
            raise ValueError("contract_end must be after contract_start")
        return self


class C2MTransition(InputModel):
    to_status: C2MStatus
    at: dt.datetime | None = Field(None, description="when it happened; default now")
    note: str | None = Field(None, max_length=2000)
    version: int | None = None


class C2MOrderLineRead(ReadModel):
    line_no: int
    kind: LineKind
    group_code: str | None
    code: str
    name_zh: str
    name_en: str
    product_code: str | None
    unit_price: Decimal


class C2MOrderRead(Stamped):
    number: str
    configurable_id: int
    model_id: int
    model_version: int
    customer_id: int
    contract_id: int | None
    status: C2MStatus
    quantity: int
    choices: dict[str, bool]
    requirements: dict[str, Any]
    selected: list[str]
    attributes: dict[str, Any]
    unit_price: Decimal
    total_amount: Decimal
    currency: str
    due_date: dt.date | None
    released_at: dt.datetime
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    delivered_at: dt.datetime | None
    cancelled_at: dt.datetime | None
    notes: str | None
    lines: list[C2MOrderLineRead] = Field(default_factory=list)
