"""API contract of the stored SLA attainment (framework nodes 2.1.6 and 2.1.2; read by the
evaluation, 1.3.1): computing a month, the stored records, a contract's trend."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from pydantic import Field

from somp.core.schemas import MAX_ID, InputModel, ReadModel

Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="month in China time, YYYY-MM")]


class SlaComputeIn(InputModel):
    period: Period
    contract_id: int | None = Field(None, ge=1, le=MAX_ID, description="one contract (default: all live ones)")


class SlaRecordRead(ReadModel):
    id: int
    contract_id: int
    contract_number: str
    customer_id: int
    period: str
    period_start: dt.date
    period_end: dt.date
    computed_at: dt.datetime
    final: bool = Field(description="computed after the month ended; false: provisional, up to computed_at")
    calendar: str
    note: str | None
    assets: int
    agreed_hours: float | None
    downtime_hours: float
    outages: int
    monitored_outages: int = Field(description="failures recorded by the monitoring (telemetry alarms)")
    availability_pct: Decimal | None
    availability_target_pct: Decimal | None
    availability_met: bool | None
    mtrs_hours: float | None
    mtbf_hours: float | None
    mtbsi_hours: float | None
    work_orders: int
    tickets: int
    response_met: int
    response_breached: int
    response_pending: int
    resolution_met: int
    resolution_breached: int
    resolution_pending: int
    response_attainment_pct: Decimal | None
    resolution_attainment_pct: Decimal | None
    attained: bool | None = Field(description="every measured commitment kept; null: nothing measured")
    breached: list[str]


class SlaComputeRead(ReadModel):
    period: str
    final: bool
    contracts: int
    attained: int
    not_attained: int
    not_measured: int
    records: list[SlaRecordRead]


class SlaTrendRead(ReadModel):
    contract_id: int
    contract_number: str
    months: list[SlaRecordRead]
