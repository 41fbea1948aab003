"""Telemetry service (framework node 2.2.1, query and use): the metric catalogue, time-bucketed
aggregates, latest values, dead letters, retention, and device authentication for ingest."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import LargeBinary, delete, func, select, update
from sqlalchemy.orm import Session

from somp.core.database import Database
from somp.core.errors import FieldError, ValidationFailed, invalid
from somp.core.pagination import Order
from somp.core.security import digest
from somp.core.service import apply_changes, get_or_404, list_page
from somp.core.tenancy import Scope
from somp.modules.assets.service import authenticate_devices, get_asset
from somp.modules.telemetry.chunks import HOUR_US, blob_times, blob_values, pg_times, pg_values
from somp.modules.telemetry.models import DeadLetter, HourlyRollup, IngestBatch, Metric, ReadingChunk
from somp.modules.telemetry.payloads import time_of, us_of

BUCKET = re.compile(r"^(\d{1,4})(s|m|h|d)$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_BUCKETS = 20_000


@dataclass(frozen=True, slots=True)
class Bucket:
    start: dt.datetime
    min: float
    max: float
    avg: float
    last: float
    count: int


def parse_bucket(text: str) -> int:
    """``30s``, ``15m``, ``1h``, ``1d`` -> seconds."""
    m = BUCKET.match(text.strip())
    if not m or int(m.group(1)) == 0:
        raise invalid("bucket", "use a size like 30s, 15m, 1h or 1d")
    return int(m.group(1)) * UNIT_SECONDS[m.group(2)]


def metric_by_key(session: Session, key: str) -> Metric:
    m = session.scalar(select(Metric).where(Metric.key == key))
    if m is None:
        raise ValidationFailed(
            "unknown metric", [FieldError("metric", f"no metric {key!r} has been received", "not_found")]
        )
    return m


def aggregate(
    session: Session, asset_id: int, metric: str, start: dt.datetime, end: dt.datetime, bucket_seconds: int
) -> list[Bucket]:
    """min/max/avg/last/count per bucket of one asset's metric over [start, end).

    Buckets are aligned to the Unix epoch (UTC). Whole-hour buckets are folded from the hourly
    roll-ups (never a scan of raw rows); shorter ones aggregate the raw readings of the range.
    """
    if end <= start:
        raise invalid("end", "must be after start")
    if (end - start).total_seconds() / bucket_seconds > MAX_BUCKETS:
        raise invalid("bucket", f"more than {MAX_BUCKETS} buckets; choose a larger bucket or a shorter range")
    asset = get_asset(session, asset_id)  # the asset must be visible in the caller's scope
    m = metric_by_key(session, metric)
    if bucket_seconds % 3600 == 0:
        return _from_rollups(session, asset.id, m.id, start, end, bucket_seconds)
    return _from_raw(session, asset.id, m.id, start, end, bucket_seconds)


def _to_start(n: float, seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(n) * seconds, dt.UTC)


def _from_rollups(
    session: Session, asset_id: int, metric_id: int, start: dt.datetime, end: dt.datetime, seconds: int
) -> list[Bucket]:
    rows = session.execute(
        select(
            HourlyRollup.bucket,
            HourlyRollup.min,
            HourlyRollup.max,
            HourlyRollup.sum,
            HourlyRollup.count,
            HourlyRollup.last_ts,
            HourlyRollup.last_value,
        )
        .where(
            HourlyRollup.asset_id == asset_id,
            HourlyRollup.metric_id == metric_id,
            HourlyRollup.bucket >= _floor(start, 3600),
            HourlyRollup.bucket < end,
        )
        .order_by(HourlyRollup.bucket)
    ).all()
    out: dict[int, list] = {}
    for b, lo, hi, total, n, lts, lv in rows:
        k = int(b.timestamp()) // seconds
        cur = out.get(k)
        if cur is None:
            out[k] = [lo, hi, total, n, lts, lv]
        else:
            cur[0], cur[1] = min(cur[0], lo), max(cur[1], hi)
            cur[2] += total
            cur[3] += n
            if lts >= cur[4]:
                cur[4], cur[5] = lts, lv
    return [Bucket(_to_start(k, seconds), v[0], v[1], v[2] / v[3], v[5], v[3]) for k, v in sorted(out.items())]


def _floor(t: dt.datetime, seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(int(t.timestamp()) // seconds * seconds, dt.UTC)


def _from_raw(
    session: Session, asset_id: int, metric_id: int, start: dt.datetime, end: dt.datetime, seconds: int
) -> list[Bucket]:
    r = stored_readings(session, asset_ids=[asset_id], metric_ids=[metric_id], start=start, end=end)
    if not len(r):
        return []
    key = r.ts // (seconds * 1_000_000)  # floor division: epoch-aligned buckets, also before 1970
    first = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    last = np.append(first[1:], len(key)) - 1
    lo, hi = np.minimum.reduceat(r.value, first), np.maximum.reduceat(r.value, first)
    total, count = np.add.reduceat(r.value, first), np.diff(np.append(first, len(key)))
    return [
        Bucket(_to_start(k, seconds), a, b, t / n, x, n)
        for k, a, b, t, n, x in zip(key[first].tolist(), lo.tolist(), hi.tolist(), total.tolist(), count.tolist(),
                                     r.value[last].tolist(), strict=True)
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoredReadings:
    """Readings as numpy columns, in time order (stable: equal times keep the order of storage);
    ``ts`` in microseconds since the Unix epoch."""

    asset: np.ndarray
    metric: np.ndarray
    ts: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.ts)

    def times(self) -> list[dt.datetime]:
        return [time_of(x) for x in self.ts.tolist()]


def stored_readings(
    session: Session,
    *,
    asset_ids: Iterable[int] | None = None,
    metric_ids: Iterable[int] | None = None,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    end_inclusive: bool = False,
) -> StoredReadings:
    """The readings in the caller's scope, optionally of some assets and metrics, in [start, end)
    (or [start, end] with ``end_inclusive``): the chunks of the hours concerned, read through the
    series index and unpacked with numpy."""
    pg = session.get_bind().dialect.name == "postgresql"
    c = ReadingChunk
    ts_col = func.array_send(c.ts, type_=LargeBinary) if pg else c.ts
    value_col = func.array_send(c.value, type_=LargeBinary) if pg else c.value
    q = select(c.asset_id, c.metric_id, ts_col, value_col).order_by(c.asset_id, c.metric_id, c.hour, c.id)
    if asset_ids is not None:
        q = q.where(c.asset_id.in_(sorted(set(asset_ids))))
    if metric_ids is not None:
        q = q.where(c.metric_id.in_(sorted(set(metric_ids))))
    if start is not None:
        q = q.where(c.hour >= time_of(us_of(start) // HOUR_US * HOUR_US), c.last_ts >= start)
    if end is not None:
        q = q.where(c.hour <= end, c.first_ts <= end)
    to_times, to_values = (pg_times, pg_values) if pg else (blob_times, blob_values)
    assets, metrics, times, values = [], [], [], []
    for a, m, tb, vb in session.execute(q):
        t = to_times(tb)
        assets.append(np.full(len(t), a, np.int64))
        metrics.append(np.full(len(t), m, np.int64))
        times.append(t)
        values.append(to_values(vb))
    if not times:
        empty = np.empty(0, np.int64)
        return StoredReadings(empty, empty, empty, np.empty(0, np.float64))
    a, m, t, v = (np.concatenate(x) for x in (assets, metrics, times, values))
    keep = np.ones(len(t), dtype=bool)
    if start is not None:
        keep &= t >= us_of(start)
    if end is not None:
        keep &= (t <= us_of(end)) if end_inclusive else (t < us_of(end))
    order = np.argsort(t[keep], kind="stable")
    return StoredReadings(a[keep][order], m[keep][order], t[keep][order], v[keep][order])


def latest(session: Session, asset_id: int) -> list[tuple[Metric, dt.datetime, float]]:
    """The last value of every metric of an asset (from the roll-ups of its latest hour)."""
    asset = get_asset(session, asset_id)
    newest = (
        select(HourlyRollup.metric_id, func.max(HourlyRollup.bucket).label("b"))
        .where(HourlyRollup.asset_id == asset.id)
        .group_by(HourlyRollup.metric_id)
        .subquery()
    )
    rows = session.execute(
        select(Metric, HourlyRollup.last_ts, HourlyRollup.last_value)
        .join(newest, (HourlyRollup.metric_id == newest.c.metric_id) & (HourlyRollup.bucket == newest.c.b))
        .join(Metric, Metric.id == HourlyRollup.metric_id)
        .where(HourlyRollup.asset_id == asset.id)
        .order_by(Metric.key)
    ).all()
    return [(m, ts, v) for m, ts, v in rows]


def list_metrics(session: Session, *, limit: int, cursor: str | None, order: Order = "asc"):  # noqa: ANN201
    return list_page(session, select(Metric), Metric, limit=limit, cursor=cursor, order=order)


def update_metric(session: Session, metric_id: int, changes: dict) -> Metric:
    m = get_or_404(session, Metric, metric_id, "metric")
    apply_changes(m, changes)
    if m.min_valid is not None and m.max_valid is not None and m.min_valid > m.max_valid:
        raise invalid("min_valid", "must not be above max_valid")
    session.flush()
    return m


def list_dead_letters(session: Session, *, limit: int, cursor: str | None, order: Order = "desc"):  # noqa: ANN201
    return list_page(session, select(DeadLetter), DeadLetter, limit=limit, cursor=cursor, order=order)


def apply_retention(db: Database, tenant_id: int, keep_days: int, now: dt.datetime) -> int:
    """Delete a tenant's raw readings older than ``keep_days``, in whole hours (the chunks of every
    hour that ended before the cut-off); the hourly roll-ups stay, so hourly and coarser series
    remain complete. One series (asset, metric) per transaction. Returns the readings deleted."""
    if keep_days < 1:
        raise invalid("keep_days", "keep at least one day of raw readings")
    cutoff = now - dt.timedelta(days=keep_days)
    last_hour = time_of(us_of(cutoff) // HOUR_US * HOUR_US - HOUR_US)  # hours ending at or before the cut-off
    with db.session(Scope.tenant(tenant_id)) as s:
        series = s.execute(
            select(ReadingChunk.asset_id, ReadingChunk.metric_id).where(ReadingChunk.hour <= last_hour).distinct()
        ).all()
    total = 0
    for asset_id, metric_id in series:
        old = (ReadingChunk.asset_id == asset_id, ReadingChunk.metric_id == metric_id, ReadingChunk.hour <= last_hour)
        with db.session(Scope.tenant(tenant_id)) as s:
            total += s.scalar(select(func.coalesce(func.sum(ReadingChunk.count), 0)).where(*old)) or 0
            s.execute(delete(ReadingChunk).where(*old).execution_options(synchronize_session=False))
            s.commit()
    return int(total)


def expire_batch_claims(db: Database, tenant_id: int, keep_days: int, now: dt.datetime, chunk: int = 50_000) -> int:
    """Delete a tenant's batch claims (``ingest_batches``, one row per accepted message) received
    more than ``keep_days`` ago, ``chunk`` rows per transaction; returns how many.

    A claim exists to recognise a batch sent again because its acknowledgement was lost: the
    broker redelivers within its session, an HTTP client retries within minutes. A claim older
    than a day has done that job, and kept forever the table grew by a row per message (about
    230 bytes with its index entries, 23 MB per 100,000 single readings). A batch re-sent after
    its claim expired is stored again."""
    if keep_days < 1:
        raise invalid("keep_days", "keep batch claims at least one day")
    cutoff = now - dt.timedelta(days=keep_days)
    total = 0
    while True:
        with db.session(Scope.tenant(tenant_id)) as s:
            old = (
                select(IngestBatch.id)
                .where(IngestBatch.tenant_id == tenant_id, IngestBatch.received_at < cutoff)
                .limit(chunk)
                .scalar_subquery()
            )
            n = s.execute(
                delete(IngestBatch).where(IngestBatch.id.in_(old)).execution_options(synchronize_session=False)
            ).rowcount
            s.commit()
        total += n
        if n < chunk:
            return total


def compact_chunks(db: Database, before: dt.datetime, limit: int = 1_000, rounds: int = 0) -> tuple[int, int]:
    """Merge the chunks of each series and hour (hours before ``before``) into one chunk in time
    order, ``limit`` series-hours per transaction, until none is left: a series written by many
    small transactions (single-reading messages) is read back from one row per hour. The work is
    found through the roll-ups' ``merge_pending`` flags (a partial index), never by scanning the chunks.
    Safe beside ingest: only the chunks read are deleted, and the count is decremented, not reset,
    so a chunk committed meanwhile stays and is merged next time. ``rounds`` > 0 stops after that
    many transactions. Returns (series-hours merged, chunks removed)."""
    merged = removed = 0
    h = HourlyRollup
    while True:
        with db.session(Scope.all_tenants()) as s:
            groups = s.execute(
                select(h.id, h.tenant_id, h.asset_id, h.metric_id, h.bucket, h.chunks)
                .where(h.merge_pending, h.bucket < before)
                .order_by(h.bucket)
                .limit(limit)
            ).all()
            if not groups:
                return merged, removed
            floor = func.greatest if _pg(s) else func.max  # SQLite's two-argument max() is a scalar
            for rollup_id, tenant_id, asset_id, metric_id, hour, seen in groups:
                gone = _merge_hour(s, tenant_id, asset_id, metric_id, hour)
                if gone >= 2:  # (decremented, not reset: chunks committed meanwhile keep it pending)
                    left = h.chunks - (gone - 1)
                    s.execute(update(h).where(h.id == rollup_id).values(chunks=floor(left, 1), merge_pending=left > 1))
                    removed += gone - 1
                    merged += 1
                else:
                    # Fewer than two: another worker merged them meanwhile (and set the flag), or
                    # retention removed the hour's chunks. Off the list with the true count, unless
                    # a chunk arrived since the roll-up was read (then the next pass sees it).
                    s.execute(update(h).where(h.id == rollup_id, h.chunks == seen)
                              .values(chunks=gone, merge_pending=False))  # fmt: skip
            s.commit()
            rounds -= 1
            if rounds == 0:
                return merged, removed


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _merge_hour(session: Session, tenant_id: int, asset_id: int, metric_id: int, hour: dt.datetime) -> int:
    """Replace the chunks of one series-hour by one; returns how many chunks it replaced."""
    c = ReadingChunk
    pg = _pg(session)
    ts_col = func.array_send(c.ts, type_=LargeBinary) if pg else c.ts
    value_col = func.array_send(c.value, type_=LargeBinary) if pg else c.value
    rows = session.execute(
        select(c.id, ts_col, value_col)
        .where(c.asset_id == asset_id, c.metric_id == metric_id, c.hour == hour)
        .order_by(c.id)
        .with_for_update()
    ).all()
    if len(rows) < 2:
        return len(rows)
    to_times, to_values = (pg_times, pg_values) if pg else (blob_times, blob_values)
    ts = np.concatenate([to_times(r[1]) for r in rows])
    value = np.concatenate([to_values(r[2]) for r in rows])
    order = np.argsort(ts, kind="stable")  # equal times keep the order they were stored in
    ts, value = ts[order], value[order]
    session.execute(delete(c).where(c.id.in_([r[0] for r in rows])).execution_options(synchronize_session=False))
    session.add(
        ReadingChunk(
            tenant_id=tenant_id, asset_id=asset_id, metric_id=metric_id, hour=hour, count=len(ts),
            first_ts=time_of(ts[0]), last_ts=time_of(ts[-1]),
            ts=[time_of(x) for x in ts.tolist()] if pg else ts.astype("<i8").tobytes(),
            value=value.tolist() if pg else value.astype("<f8").tobytes(),
        )
    )  # fmt: skip
    session.flush()
    return len(rows)


def compact_tick(db: Database, now: dt.datetime) -> None:
    """Periodic job (about once a minute): compact the hours that ended at least an hour ago, a
    bounded amount per run."""
    compact_chunks(db, before=time_of(us_of(now) // HOUR_US * HOUR_US - HOUR_US), limit=500, rounds=4)


def purge_tenant(db: Database, tenant_id: int) -> None:
    """Remove every telemetry row of a tenant (these tables have no foreign keys to cascade)."""
    with db.session(Scope.tenant(tenant_id)) as s:
        for model in (ReadingChunk, HourlyRollup, IngestBatch, DeadLetter):
            s.execute(delete(model).execution_options(synchronize_session=False))
        s.commit()


class DeviceAuthenticator:
    """Device tokens -> (tenant, asset), cached for ``seconds`` (a revoked token stops working on
    every process within that time)."""

    def __init__(self, db: Database, seconds: float = 10.0) -> None:
        self.db, self.seconds = db, seconds
        self._cache: dict[str, tuple[float, tuple[int, int] | None]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> tuple[bool, tuple[int, int] | None]:
        """(known, device) from the cache only: no database call, so an event loop may ask."""
        hit = self._cache.get(digest(token))
        if hit and hit[0] > time.monotonic():
            return True, hit[1]
        return False, None

    def __call__(self, token: str) -> tuple[int, int] | None:
        return self.many([token])[token]

    def many(self, tokens: Iterable[str]) -> dict[str, tuple[int, int] | None]:
        """Each token's device; the ones not cached are looked up together, in one query."""
        out: dict[str, tuple[int, int] | None] = {}
        missing: dict[str, str] = {}
        clock = time.monotonic()
        for token in tokens:
            key = digest(token)
            hit = self._cache.get(key)
            if hit and hit[0] > clock:
                out[token] = hit[1]
            else:
                missing[token] = key
        if missing:
            with self.db.session(Scope.all_tenants()) as s:
                found = authenticate_devices(s, missing)
            expires = time.monotonic() + self.seconds
            with self._lock:
                if len(self._cache) + len(missing) > 50_000:
                    self._cache.clear()
                for token, key in missing.items():
                    self._cache[key] = (expires, found[token])
            out.update(found)
        return out


def metric_keys(session: Session, metric_ids: Iterable[int]) -> dict[int, str]:
    """Key of each metric id (in the caller's tenant)."""
    ids = sorted(set(metric_ids))
    if not ids:
        return {}
    return dict(session.execute(select(Metric.id, Metric.key).where(Metric.id.in_(ids))).all())


def readings_between(
    session: Session, asset_id: int, metric_ids: Iterable[int], first: dt.datetime, last: dt.datetime
) -> list[tuple[str, dt.datetime, float]]:
    """``(metric key, time, value)`` of an asset's readings of the given metrics in [first, last],
    in time order: what monitoring evaluates as data arrives."""
    keys = metric_keys(session, metric_ids)
    if not keys:
        return []
    r = stored_readings(session, asset_ids=[asset_id], metric_ids=keys, start=first, end=last, end_inclusive=True)
    columns = zip(r.metric.tolist(), r.ts.tolist(), r.value.tolist(), strict=True)
    return [(keys[m], time_of(t), v) for m, t, v in columns]
