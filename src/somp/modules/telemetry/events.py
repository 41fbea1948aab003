"""Domain events of the telemetry module."""

from __future__ import annotations

from pydantic import BaseModel

from somp.core.events import DomainEvent


class SeriesSpan(BaseModel):
    """What one transaction stored for one asset: its metrics and the time span of the readings."""

    asset_id: int
    metric_ids: list[int]
    first_us: int  # microseconds since the Unix epoch, UTC
    last_us: int
    count: int


class ReadingsStored(DomainEvent):
    """Readings of a tenant were committed (one event per tenant per ingest transaction), so that
    monitoring can evaluate them as they arrive without polling the stored readings."""

    spans: list[SeriesSpan]
