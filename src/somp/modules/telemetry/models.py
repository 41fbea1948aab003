"""The product-service database for telemetry (framework node 2.2.1): a metric catalogue, an
append-only store of readings, hourly roll-ups, accepted batches and dead letters.

A reading is (asset, metric, time, value). They are stored per series and hour in
``reading_chunks``: one row holds the readings of one (asset, metric) within one UTC hour that
arrived in one transaction, as two parallel arrays (times and values). A batch of 1,000
readings from one device is 5-10 rows instead of 1,000, so the series index gets one entry per
chunk rather than one per reading: a B-tree entry per reading capped binary COPY at about 0.2 M
rows/s on this machine kind, chunks take about 1-2 M readings/s (benchmarks/telemetry_ingest.py).
On PostgreSQL the arrays are ``timestamptz[]`` and ``float8[]`` and the view ``readings`` unnests
them into narrow rows (tenant_id, asset_id, metric_id, ts, value) for SQL users; on SQLite they are
little-endian int64 microseconds since the Unix epoch and float64 blobs. Chunks of one series and
hour are merged into one by :func:`somp.modules.telemetry.service.compact_chunks`.

Chunks (and accepted batch ids) carry ``tenant_id`` like every tenant-owned row, so the central
tenant filter applies to reads, but no foreign keys: the ingest path checks the asset and metric of a batch once, in the
tenant, before writing (see :mod:`somp.modules.telemetry.ingest`); deleting a tenant deletes its
readings through :func:`somp.modules.telemetry.service.purge_tenant`.

``readings_hourly`` is kept up to date in the same transaction as every batch (upsert of the
batch's per-hour min/max/sum/count/last), so hourly and coarser aggregates never read chunks, and
chunks can be deleted after the retention period while the roll-ups stay. It also counts the
chunks of each series-hour, so compaction finds its work through a small partial index.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Double,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
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


# PostgreSQL arrays; SQLite blobs of little-endian int64 microseconds / float64
CHUNK_TIMES = ARRAY(DateTime(timezone=True)).with_variant(LargeBinary(), "sqlite")
CHUNK_VALUES = ARRAY(Double()).with_variant(LargeBinary(), "sqlite")


class ReadingChunk(TenantOwned, Base):
    """Readings of one series (asset, metric) within one UTC ``hour``, written together: ``ts``
    and ``value`` are parallel arrays of ``count`` elements in time order, ``first_ts`` and
    ``last_ts`` their span. Several chunks of the same series and hour may exist until compacted."""

    __tablename__ = "reading_chunks"
    __table_args__ = (Index("ix_reading_chunks_series", "asset_id", "metric_id", "hour"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_column()  # type: ignore[assignment]
    asset_id: Mapped[int] = mapped_column(IdType)
    metric_id: Mapped[int] = mapped_column(IdType)
    hour: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(Integer)
    first_ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_ts: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    ts: Mapped[Any] = mapped_column(CHUNK_TIMES)
    value: Mapped[Any] = mapped_column(CHUNK_VALUES)


class HourlyRollup(TenantOwned, Base):
    """Per asset, metric and UTC hour: min, max, sum, count and the last value."""

    __tablename__ = "readings_hourly"
    __table_args__ = (
        UniqueConstraint("asset_id", "metric_id", "bucket"),
        # the series-hours stored in more than one chunk: what compaction has left to do
        Index("ix_readings_hourly_merge_pending", "bucket", postgresql_where=text("merge_pending"),
              sqlite_where=text("merge_pending = 1")),
        # room in each page for the next versions of its rows: updates stay on the page (HOT)
        {"postgresql_with": {"fillfactor": 70}},
    )  # fmt: skip

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
    chunks: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))  # rows in reading_chunks
    # set when a second chunk arrives, cleared by compaction. The index of the hours to compact
    # reads this flag, not ``chunks``: a column an index reads must keep its value for an update
    # to stay on its page without new index entries (HOT), and ``chunks`` changes every upsert.
    merge_pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class IngestBatch(TenantOwned, Base):
    """A batch accepted once: a re-sent batch (same id) is acknowledged and not stored again.

    One row per accepted message, so like the chunks it has no foreign key (a per-row check of
    the tenant cost about a third of the claim). Besides its unique key, one index on
    ``received_at`` for retention (``service.expire_batch_claims``): a BRIN index on PostgreSQL,
    which an insert in the table's last, not yet summarised block range does not touch; a B-tree
    on SQLite, which has no BRIN."""

    __tablename__ = "ingest_batches"
    __table_args__ = (
        UniqueConstraint("tenant_id", "batch_id"),
        Index("ix_ingest_batches_received", "received_at", postgresql_using="brin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = _tenant_column()  # type: ignore[assignment]
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
