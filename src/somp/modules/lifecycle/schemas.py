"""API contract of monitoring (3.6): alarm rules, alarms, health and remaining useful life."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, field_validator

from somp.core.schemas import MAX_ID, InputModel, Name, ReadModel, Stamped
from somp.modules.lifecycle.models import AlarmSeverity, AlarmSource, AlarmStatus, Reaction, RuleKind

RULE_SPEC_EXAMPLE = {
    "severity": "major",
    "condition": {"kind": "threshold", "metric": "vibration", "op": ">", "value": 4.5, "clear_value": 3.5},
}


def _bounded(spec: dict[str, Any]) -> dict[str, Any]:
    import orjson

    if len(orjson.dumps(spec)) > 20_000:
        raise ValueError("the spec is larger than 20,000 bytes")
    return spec


class AlarmRuleCreate(InputModel):
    name: Name
    kind: RuleKind = RuleKind.condition
    product_id: int | None = Field(None, ge=1, le=MAX_ID, description="every asset of this product")
    asset_id: int | None = Field(None, ge=1, le=MAX_ID, description="or this one asset")
    spec: dict[str, Any] = Field(description="the rule (docs/alarms.md)", examples=[RULE_SPEC_EXAMPLE])
    reaction: Reaction = Reaction.none
    enabled: bool = True

    _spec = field_validator("spec")(_bounded)


class AlarmRuleUpdate(InputModel):
    name: Name | None = None
    spec: dict[str, Any] | None = None
    reaction: Reaction | None = None
    enabled: bool | None = None
    version: int | None = None

    _spec = field_validator("spec")(_bounded)


class AlarmRuleRead(Stamped):
    name: str
    kind: RuleKind
    product_id: int | None
    asset_id: int | None
    severity: AlarmSeverity
    spec: dict[str, Any]
    metrics: list[str]
    reaction: Reaction
    enabled: bool


class AlarmRead(ReadModel):
    id: int
    asset_id: int
    rule_id: int | None
    source: AlarmSource
    severity: AlarmSeverity
    status: AlarmStatus
    title: str
    reason: str
    params: dict[str, Any]
    values: dict[str, Any]
    message: str
    raised_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: int | None
    cleared_at: dt.datetime | None
    work_order_id: int | None
    version: int


class AlarmAcknowledge(InputModel):
    version: int | None = None


class HealthRead(ReadModel):
    asset_id: int
    health: float = Field(description="0 (failing) .. 100 (as new)")
    rul: float = Field(description="remaining useful life, in `unit`")
    rul_low: float = Field(description="lower end of the 90% prediction interval")
    rul_high: float
    unit: str
    model_id: int | None
    scored_at: dt.datetime
    data_until: dt.datetime | None
