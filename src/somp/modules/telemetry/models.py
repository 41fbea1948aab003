"""The product-service database for telemetry (framework node 2.2.1): a metric catalogue, a
narrow append-only store of readings, hourly roll-ups, accepted batches and dead letters.

``readings`` is the hot table: one row per (asset, metric, time, value), written in bulk (binary
COPY on PostgreSQL, one executemany on SQLite) and never updated. It carries ``tenant_id`` like
every tenant-owned row, so the central tenant filter applies to reads, but it has no foreign
keys: a per-row constraint check would cost more than the insert itself at hundreds of thousands
of rows per second. The ingest path checks the asset and metric of a batch once, in the tenant,
before writing (see :mod:`somp.modules.telemetry.ingest`); deleting a tenant deletes its readings
through :func:`somp.modules.telemetry.service.purge_tenant`.

``readings_hourly`` is kept up to date in the same transaction as every batch (upsert of the
batch's per-hour min/max/sum/count/last), so hourly and coarser aggregates never scan raw rows,
and raw rows can be deleted after the retention period while the roll-ups stay.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Double, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import Base, IdType, TenantOwned, UTCDateTime, utcnow
from somp.core.identity import str_enum


class MetricKind(enum.StrEnum):
    gauge = "gauge"  # a level: pressure, temperature
    counter = "counter"  # a running total: delivered m³, energy kWh


class Metric(TenantOwned, Base):
    """A measured quantity in the tenant's catalogue (e.g. ``pressure`` in bar)."""

    __tablename__ = "metrics"
    __table_args__ = (UniqueConstraint("tenant_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(120))
    name_en: Mapped[str | None] = mapped_column(String(120))
    unit: Mapped[str | None] = mapped_column(String(24))
    kind: Mapped[MetricKind] = mapped_column(str_enum(MetricKind, "metric_kind"), default=MetricKind.gauge)
    min_valid: Mapped[float | None] = mapped_column(Double)
    max_valid: Mapped[float | None] = mapped_column(Double)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def _tenant_column() -> Mapped[int]:
    # tenant-owned without the per-row foreign key check (see the module docstring)
    return mapped_column(IdType, nullable=False)


class Reading(TenantOwned, Base):
    """One reading. The table has no primary key and no sequence (nothing to draw per row on
    COPY); the ORM identifies a row by (asset, metric, time), the order of the series index."""

    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_series", "asset_id", "metric_id", "ts"),)

    tenant_id: Mapped[int] = _tenant_column()  # type: ignore[assignment]
    asset_id: Mapped[int] = mapped_column(IdType)
    metric_id: Mapped[int] = mapped_column(IdType)
    ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    value: Mapped[float] = mapped_column(Double)

    __mapper_args__ = {"primary_key": [asset_id, metric_id, ts]}


class HourlyRollup(TenantOwned, Base):
    """Per asset, metric and UTC hour: min, max, sum, count and the last value."""

    __tablename__ = "readings_hourly"
    __table_args__ = (UniqueConstraint("asset_id", "metric_id", "bucket"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_column()  # type: ignore[assignment]
    asset_id: Mapped[int] = mapped_column(IdType)
    metric_id: Mapped[int] = mapped_column(IdType)
    bucket: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    min: Mapped[float] = mapped_column(Double)
    max: Mapped[float] = mapped_column(Double)
    sum: Mapped[float] = mapped_column(Double)
    count: Mapped[int] = mapped_column(IdType)
    last_ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_value: Mapped[float] = mapped_column(Double)


class IngestBatch(TenantOwned, Base):
    """A batch accepted once: a re-sent batch (same id) is acknowledged and not stored again."""

    __tablename__ = "ingest_batches"
    __table_args__ = (UniqueConstraint("tenant_id", "batch_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[str] = mapped_column(String(80))
    source: Mapped[str] = mapped_column(String(16))
    asset_id: Mapped[int | None] = mapped_column(IdType)
    readings: Mapped[int] = mapped_column(IdType)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DeadLetter(TenantOwned, Base):
    """A message that could not be stored, with the reason; the subscriber carries on.

    ``tenant_id`` is NULL when the sender could not be identified (an unknown device token):
    those rows are visible to the platform administrator only.
    """

    __tablename__ = "dead_letters"
    __tenant_optional__ = True
    __table_args__ = (Index("ix_dead_letters_tenant_received", "tenant_id", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(IdType, nullable=True)  # type: ignore[assignment]
    asset_id: Mapped[int | None] = mapped_column(IdType)
    source: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
