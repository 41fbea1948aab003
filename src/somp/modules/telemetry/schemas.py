"""API contract of telemetry."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from somp.core.schemas import InputModel, ReadModel
from somp.modules.telemetry.models import MetricKind


class IngestResponse(ReadModel):
    batch_id: str
    accepted: int = Field(description="readings stored by this request (0 for a duplicate)")
    duplicate: bool = Field(description="this batch id was accepted before; nothing stored again")


class MetricRead(ReadModel):
    id: int
    key: str
    name: str | None
    name_en: str | None
    unit: str | None
    kind: MetricKind
    min_valid: float | None
    max_valid: float | None
    created_at: dt.datetime


class MetricUpdate(InputModel):
    name: str | None = Field(None, max_length=120)
    name_en: str | None = Field(None, max_length=120)
    unit: str | None = Field(None, max_length=24)
    kind: MetricKind | None = None
    min_valid: float | None = Field(None, allow_inf_nan=False)
    max_valid: float | None = Field(None, allow_inf_nan=False)

    @model_validator(mode="after")
    def _range(self) -> MetricUpdate:
        if self.min_valid is not None and self.max_valid is not None and self.min_valid > self.max_valid:
            raise ValueError("min_valid must not be above max_valid")
        return self


class BucketRead(ReadModel):
    start: dt.datetime
    min: float
    max: float
    avg: float
    last: float
    count: int


class SeriesRead(ReadModel):
    asset_id: int
    metric: str
    unit: str | None
    bucket: str
    start: dt.datetime
    end: dt.datetime
    buckets: list[BucketRead]


class LatestRead(ReadModel):
    metric: str
    unit: str | None
    ts: dt.datetime
    value: float


class DeadLetterRead(ReadModel):
    id: int
    asset_id: int | None
    source: str
    reason: str
    payload: str
    received_at: dt.datetime
