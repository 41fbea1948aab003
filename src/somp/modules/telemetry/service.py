"""Telemetry service (framework node 2.2.1, query and use): the metric catalogue, time-bucketed
aggregates, latest values, dead letters, retention, and device authentication for ingest."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from somp.core.database import Database
from somp.core.errors import FieldError, ValidationFailed, invalid
from somp.core.pagination import Order
from somp.core.security import digest
from somp.core.service import apply_changes, get_or_404, list_page
from somp.core.tenancy import Scope
from somp.modules.assets.service import authenticate_device, get_asset
from somp.modules.telemetry.models import DeadLetter, HourlyRollup, Metric, Reading

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
    rows = session.execute(
        select(Reading.ts, Reading.value)
        .where(Reading.asset_id == asset_id, Reading.metric_id == metric_id, Reading.ts >= start, Reading.ts < end)
        .order_by(Reading.ts)
    )
    out: dict[int, list] = {}
    for ts, v in rows:
        k = int(ts.timestamp()) // seconds
        cur = out.get(k)
        if cur is None:
            out[k] = [v, v, v, 1, v]
        else:
            if v < cur[0]:
                cur[0] = v
            if v > cur[1]:
                cur[1] = v
            cur[2] += v
            cur[3] += 1
            cur[4] = v
    return [Bucket(_to_start(k, seconds), v[0], v[1], v[2] / v[3], v[4], v[3]) for k, v in sorted(out.items())]


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
    """Delete a tenant's raw readings older than ``keep_days``; the hourly roll-ups stay, so
    hourly and coarser series remain complete. One series (asset, metric) per transaction, each
    delete a range of the series index. Returns the rows deleted."""
    if keep_days < 1:
        raise invalid("keep_days", "keep at least one day of raw readings")
    cutoff = now - dt.timedelta(days=keep_days)
    with db.session(Scope.tenant(tenant_id)) as s:
        series = s.execute(
            select(HourlyRollup.asset_id, HourlyRollup.metric_id).where(HourlyRollup.bucket < cutoff).distinct()
        ).all()
    total = 0
    for asset_id, metric_id in series:
        with db.session(Scope.tenant(tenant_id)) as s:
            n = s.execute(
                delete(Reading)
                .where(Reading.asset_id == asset_id, Reading.metric_id == metric_id, Reading.ts < cutoff)
                .execution_options(synchronize_session=False)
            )
            s.commit()
            total += n.rowcount or 0
    return total


def purge_tenant(db: Database, tenant_id: int) -> None:
    """Remove every telemetry row of a tenant (these tables have no foreign keys to cascade)."""
    with db.session(Scope.tenant(tenant_id)) as s:
        for model in (Reading, HourlyRollup, DeadLetter):
            s.execute(delete(model).execution_options(synchronize_session=False))
        s.commit()


class DeviceAuthenticator:
    """Device tokens -> (tenant, asset), cached for ``seconds`` (a revoked token stops working on
    every process within that time)."""

    def __init__(self, db: Database, seconds: float = 10.0) -> None:
        self.db, self.seconds = db, seconds
        self._cache: dict[str, tuple[float, tuple[int, int] | None]] = {}
        self._lock = threading.Lock()

    def __call__(self, token: str) -> tuple[int, int] | None:
        key = digest(token)
        hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        with self.db.session(Scope.all_tenants()) as s:
            found = authenticate_device(s, token)
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[key] = (time.monotonic() + self.seconds, found)
        return found


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
    rows = session.execute(
        select(Reading.metric_id, Reading.ts, Reading.value)
        .where(Reading.asset_id == asset_id, Reading.metric_id.in_(list(keys)), Reading.ts.between(first, last))
        .order_by(Reading.ts)
    )
    return [(keys[m], ts, v) for m, ts, v in rows]
