"""Health index and remaining useful life of installed assets from their telemetry (framework node
3.6, product health management, 预测性维护).

* The input of the RUL engine (:mod:`.rul`) is built from the hourly roll-ups of the telemetry
  store: one row per asset and hour (the mean of each metric in that hour), gaps carried forward,
  ``time`` in hours since the asset's first hour. Roll-ups, not raw readings, so a fleet of
  thousands of assets is read in pages of a few hundred thousand rows.
* Training (``somp lifecycle train``) uses the assets of a product that failed: their telemetry
  up to the failure recorded in the asset timeline (state ``failed``), the target being the hours
  left until that failure. A model is stored as gzip JSON with LightGBM text boosters.
* Scoring (``somp lifecycle score``) predicts every operating asset of each product with an
  active model, in process or on a Dask distributed cluster (:func:`predict`), and keeps the
  latest :class:`HealthScore` per asset. When the predicted RUL falls below the
  ``predictive_rul_hours`` of the offering of the contract covering the asset, a prediction alarm
  is raised (one open per asset; cleared when the RUL is back above 1.25 times the threshold), and
  the reactions open a predictive work order with the contract's SLA.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from itertools import chain
from typing import Any

import numpy as np
from sqlalchemy import Double, Select, cast, func, insert, select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import ValidationFailed, invalid
from somp.core.events import record
from somp.core.tenancy import Scope, current_scope, row_filter
from somp.modules.assets.lifecycle import AssetState
from somp.modules.assets.models import Asset, AssetStateChange
from somp.modules.catalog.models import Offering, Product
from somp.modules.contracts.models import Contract, ContractAsset
from somp.modules.contracts.service import LIVE
from somp.modules.lifecycle.events import AlarmCleared, AlarmRaised
from somp.modules.lifecycle.models import (
    Alarm,
    AlarmSeverity,
    AlarmSource,
    AlarmStatus,
    HealthScore,
    Reaction,
    RulModelRecord,
)
from somp.modules.lifecycle.rul import RulConfig, RulModel, RulPrediction, train
from somp.modules.lifecycle.rul_data import UnitSeries
from somp.modules.telemetry.models import HourlyRollup, Metric

HOUR = dt.timedelta(hours=1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
SCORED_STATES = (AssetState.in_service, AssetState.degraded, AssetState.upgraded, AssetState.installed)
HISTORY = dt.timedelta(days=60)  # telemetry read per asset for scoring (longest feature window ~ 42 days)
CLEAR_FACTOR = 1.25
PAGE_ASSETS = 500
MAX_CENSORED = 300  # never-failed assets used as right-censored training units


def _hour(t: dt.datetime) -> int:
    return int((t - EPOCH) // HOUR)


def metric_ids(session: Session, keys: list[str]) -> list[int]:
    rows = dict(session.execute(select(Metric.key, Metric.id).where(Metric.key.in_(keys))).all())
    missing = [k for k in keys if k not in rows]
    if missing:
        raise invalid("metrics", f"no readings of {', '.join(missing)} have been received", "unknown_metric")
    return [rows[k] for k in keys]


def hourly_series(
    session: Session,
    asset_ids: list[int],
    keys: list[str],
    until: dt.datetime | dict[int, dt.datetime],
    since: dt.datetime | dict[int, dt.datetime] | None = None,
) -> UnitSeries | None:
    """Hourly means of ``keys`` per asset in [since, until) (per-asset bounds allowed), forward
    filled; assets without any reading of one of the metrics are left out. None when empty."""
    mids = metric_ids(session, keys)
    lo = min(since.values()) if isinstance(since, dict) else since
    hi = max(until.values()) if isinstance(until, dict) else until
    hour = _epoch_hours(session, HourlyRollup.bucket)
    stmt = select(HourlyRollup.asset_id, HourlyRollup.metric_id, hour, HourlyRollup.sum / HourlyRollup.count).where(
        HourlyRollup.asset_id.in_(asset_ids), HourlyRollup.metric_id.in_(mids), HourlyRollup.bucket < hi
    )
    if lo is not None:
        stmt = stmt.where(HourlyRollup.bucket >= lo)
    if session.get_bind().dialect.name == "postgresql":
        data = _hourly_rows_pg(session, asset_ids, mids, lo, hi)
    else:
        rows = _scoped_rows(session, stmt, HourlyRollup)
        # numbers only (hours since the epoch computed by the database): no datetime per row
        data = np.fromiter(chain.from_iterable(rows), np.float64, 4 * len(rows)).reshape(len(rows), 4)
    if not len(data):
        return None
    order = np.argsort(data[:, 0], kind="stable")
    data = data[order]
    a, h, v = data[:, 0].astype(np.int64), np.rint(data[:, 2]).astype(np.int64), data[:, 3]
    lookup = np.full(max(mids) + 1, -1, np.int64)
    lookup[mids] = np.arange(len(mids))
    m = lookup[data[:, 1].astype(np.int64)]
    present, starts = np.unique(a, return_index=True)
    bounds = dict(zip(present.tolist(), zip(starts.tolist(), [*starts[1:].tolist(), len(a)], strict=True), strict=True))
    units, times, values = [], [], []
    for aid in asset_ids:
        if aid not in bounds:
            continue
        i, j = bounds[aid]
        ha, ma, va = h[i:j], m[i:j], v[i:j]
        end = _hour(until[aid]) if isinstance(until, dict) else _hour(until)
        start = _hour(since[aid]) if isinstance(since, dict) and aid in since else None
        keep = ha < end
        if start is not None:
            keep &= ha >= start
        ha, ma, va = ha[keep], ma[keep], va[keep]
        if len(ha) == 0 or len(np.unique(ma)) < len(mids):
            continue
        first = ha.min()
        grid = np.full((ha.max() - first + 1, len(mids)), np.nan)
        grid[ha - first, ma] = va
        grid = _fill(grid)
        units.append(np.full(len(grid), aid, np.int64))
        times.append(np.arange(len(grid), dtype=np.float64) + float(first))
        values.append(grid)
    if not units:
        return None
    return UnitSeries(
        np.concatenate(units), np.concatenate(times), np.zeros((sum(map(len, units)), 0)), np.vstack(values),
        (), tuple(keys),
    )  # fmt: skip


def _hourly_rows_pg(
    session: Session, asset_ids: list[int], mids: list[int], lo: dt.datetime | None, hi: dt.datetime
) -> np.ndarray:
    """(asset, metric, epoch hour, mean) rows of the roll-ups as a float array. One row per asset
    and metric comes back, its hours and means as float8 arrays in the binary protocol, which
    psycopg decodes in C: about 20x faster than a Python row per roll-up. The tenant rule is
    :func:`somp.core.tenancy.row_filter`'s, as for every read; every value is a bound parameter."""
    rule = row_filter(current_scope(session), HourlyRollup)
    if rule is None:
        return np.empty((0, 4))
    where = ["asset_id = ANY(%s)", "metric_id = ANY(%s)", "bucket < %s"]
    params: list[Any] = [list(asset_ids), list(mids), hi]
    if lo is not None:
        where.append("bucket >= %s")
        params.append(lo)
    for name, value in rule.items():  # column names of our own model, values bound
        where.append(f"{HourlyRollup.__table__.c[name].name} = %s")
        params.append(value)
    sql = (
        "SELECT asset_id, metric_id, array_agg(extract(epoch FROM bucket)::float8 / 3600), array_agg(sum / count) "
        f"FROM readings_hourly WHERE {' AND '.join(where)} GROUP BY asset_id, metric_id"
    )
    raw = session.connection().connection.driver_connection
    with raw.cursor(binary=True) as cur:
        cur.execute(sql, params)
        groups = cur.fetchall()
    if not groups:
        return np.empty((0, 4))
    sizes = [len(g[2]) for g in groups]
    out = np.empty((sum(sizes), 4))
    out[:, 0] = np.repeat([g[0] for g in groups], sizes)
    out[:, 1] = np.repeat([g[1] for g in groups], sizes)
    out[:, 2] = np.concatenate([np.asarray(g[2], dtype=np.float64) for g in groups])
    out[:, 3] = np.concatenate([np.asarray(g[3], dtype=np.float64) for g in groups])
    return out


def _scoped_rows(session: Session, stmt: Select, model: type) -> list[tuple]:
    """Plain tuples of a column select, limited by the same tenant rule the ORM hook applies
    (:func:`somp.core.tenancy.row_filter`), read on the session's connection without ORM row
    processing (which costs more than the query for millions of roll-up rows)."""
    rule = row_filter(current_scope(session), model)
    if rule is None:
        return []
    for name, value in rule.items():
        stmt = stmt.where(getattr(model, name) == value)
    return session.connection().execute(stmt).all()


def _epoch_hours(session: Session, column):  # noqa: ANN001, ANN202
    """Hours since the Unix epoch of a UTC timestamp column, computed in SQL."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", column), Double) / 3600  # extract() is numeric: Decimal per row
    return cast(func.strftime("%s", column), Double) / 3600.0


def _fill(grid: np.ndarray) -> np.ndarray:
    """Carry the last value forward over gaps, and the first one backward before it."""
    n = len(grid)
    idx = np.where(np.isfinite(grid), np.arange(n)[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    out = grid[idx, np.arange(grid.shape[1])]
    first = np.argmax(np.isfinite(grid), axis=0)
    for j in range(grid.shape[1]):
        out[: first[j], j] = grid[first[j], j]
    return out


# ---------------------------------------------------------------------------------------------- training


@dataclass
class TrainingReport:
    model_id: int
    units: int
    rows: int
    info: dict[str, Any]


def failures(session: Session, product_id: int) -> dict[int, dt.datetime]:
    """Latest recorded failure of each asset of the product (from the asset timeline): the one
    the telemetry store most likely holds the run-up to."""
    rows = session.execute(
        select(AssetStateChange.asset_id, func.max(AssetStateChange.at))
        .join(Asset, Asset.id == AssetStateChange.asset_id)
        .where(Asset.product_id == product_id, AssetStateChange.to_state == AssetState.failed)
        .group_by(AssetStateChange.asset_id)
    ).all()
    return {a: t for a, t in rows}


def train_product_model(
    db: Database,
    tenant_id: int,
    product_id: int,
    keys: list[str],
    *,
    name: str | None = None,
    config: RulConfig | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> TrainingReport:
    """Train a RUL model (in hours) for a product from its assets' failures; stored as the
    product's active model (earlier ones are kept, inactive).

    Assets that have not failed are used too, right-censored: their rows at least ``cap`` hours
    before their last reading have a remaining life of at least ``cap``, which is the capped
    target exactly; later rows (remaining life unknown) are left out. Without them a model learns
    only from the run-up to failures and cannot tell a healthy machine (few failures and many
    healthy machines is the normal case of an installed base). At most ``MAX_CENSORED`` are used."""
    with db.session(Scope.tenant(tenant_id)) as s:
        product = s.get(Product, product_id)
        if product is None:
            raise invalid("product_id", f"no product with id {product_id}", "not_found")
        failed = failures(s, product_id)
        if len(failed) < 2:
            raise ValidationFailed(
                "not enough failures",
                [_field("product_id", f"{len(failed)} asset(s) of this product have a recorded failure; 2 needed")],
            )
        series = hourly_series(s, sorted(failed), keys, until=failed)
        if series is None or series.n_units < 2:
            raise invalid("metrics", "fewer than two failed assets have telemetry of every metric", "no_data")
        others = s.scalars(
            select(Asset.id)
            .where(Asset.product_id == product_id, Asset.id.not_in(list(failed)), Asset.state.in_(SCORED_STATES))
            .order_by(Asset.id)
            .limit(MAX_CENSORED)
        ).all()
        healthy = hourly_series(s, list(others), keys, until=utcnow() + HOUR) if others else None
    fail_hour = {a: _hour(t) for a, t in failed.items()}
    rul = np.array([fail_hour[u] for u in series.unit.tolist()], dtype=np.float64) - series.time
    # The cap (the RUL beyond which "healthy" is all the sensors can tell) in hours: the 90th
    # percentile of the training lives' remaining hours, within [48, 500].
    cap = float(min(500.0, max(48.0, np.percentile(rul, 90))))
    series, rul, censored = _with_censored(series, np.maximum(rul, 0.0), healthy, cap)
    # No "age" feature: a series starts at the first reading kept, not at the machine's birth, so
    # its position would only tell how long the telemetry window is (and confound failures, seen
    # late in their windows, with time).
    base = config or RulConfig()
    base = replace(base, cap=cap, features=replace(base.features, age=False))
    model = train(series, base, rul=rul, progress=progress)
    model.info["censored_units"] = censored
    with db.session(Scope.tenant(tenant_id)) as s:
        for old in s.scalars(select(RulModelRecord).where(RulModelRecord.product_id == product_id)):
            old.active = False
        rec = RulModelRecord(
            tenant_id=tenant_id,
            name=name or f"{product.code} RUL {utcnow():%Y-%m-%d}",
            product_id=product_id,
            metrics=keys,
            unit="h",
            report=model.info | {"cap_hours": model.config.cap},
            model=model.to_bytes(),
            active=True,
        )
        s.add(rec)
        s.commit()
        return TrainingReport(rec.id, series.n_units, len(series), model.info)


def _with_censored(
    series: UnitSeries, rul: np.ndarray, healthy: UnitSeries | None, cap: float
) -> tuple[UnitSeries, np.ndarray, int]:
    """Add the rows of never-failed units that lie at least ``cap`` before their last reading
    (target: ``cap``)."""
    if healthy is None:
        return series, rul, 0
    last = np.maximum.reduceat(healthy.time, healthy.starts)
    per_row_last = np.repeat(last, healthy.lengths)
    keep = healthy.time <= per_row_last - cap
    if not keep.any():
        return series, rul, 0
    h = healthy.take(np.flatnonzero(keep))
    merged = UnitSeries(
        np.concatenate([series.unit, h.unit]),
        np.concatenate([series.time, h.time]),
        np.zeros((len(series) + len(h), 0)),
        np.vstack([series.sensors, h.sensors]),
        (),
        series.sensor_names,
    )
    # UnitSeries keeps the units in first-appearance order: failed units, then the censored ones
    target = np.concatenate([rul, np.full(len(h), cap)])
    return merged, target, int(h.n_units)


def _field(name: str, message: str):  # noqa: ANN202
    from somp.core.errors import FieldError

    return FieldError(name, message, "too_few")


# ---------------------------------------------------------------------------------------------- scoring


@lru_cache(maxsize=8)
def _model(digest: str, blob: bytes) -> RulModel:  # keyed by digest; blob rides along
    return RulModel.from_bytes(blob)


def load_model(blob: bytes) -> RulModel:
    return _model(hashlib.sha256(blob).hexdigest(), blob)


def _predict_part(blob: bytes, series: UnitSeries) -> RulPrediction:
    return load_model(blob).predict(series)


def predict(blob: bytes, batches: Iterable[UnitSeries], scheduler: str | None = None) -> RulPrediction | None:
    """Predict batches of whole units in this process, or on the Dask distributed cluster at
    ``scheduler`` (``tcp://host:8786``): the model bytes are broadcast once, each batch is a task."""
    parts = [b for b in batches if b is not None and len(b)]
    if not parts:
        return None
    if scheduler is None:
        return RulPrediction.concat([_predict_part(blob, b) for b in parts])
    from dask.distributed import Client

    with Client(scheduler, set_as_default=False) as client:
        model = client.scatter(blob, broadcast=True)
        futures = client.map(_predict_part, [model] * len(parts), parts, pure=False)
        return RulPrediction.concat(client.gather(futures))


@dataclass
class ScoreReport:
    scored: int = 0
    skipped: int = 0
    alarms_raised: int = 0
    alarms_cleared: int = 0
    products: list[int] = field(default_factory=list)


def score_tenant(
    db: Database, tenant_id: int, *, now: dt.datetime | None = None, scheduler: str | None = None
) -> ScoreReport:
    """Score every scored-state asset of each product with an active model; keep the scores;
    raise or clear prediction alarms against the contracts' thresholds."""
    now = now or utcnow()
    report = ScoreReport()
    with db.session(Scope.tenant(tenant_id)) as s:
        models = s.scalars(select(RulModelRecord).where(RulModelRecord.active.is_(True))).all()
        for rec in models:
            asset_ids = s.scalars(
                select(Asset.id).where(Asset.product_id == rec.product_id, Asset.state.in_(SCORED_STATES))
            ).all()
            batches = _pages(s, list(asset_ids), rec.metrics, now)
            prediction = predict(rec.model, batches, scheduler)
            report.products.append(rec.product_id)
            if prediction is None:
                report.skipped += len(asset_ids)
                continue
            report.skipped += len(asset_ids) - len(prediction)
            _store(s, rec, prediction, now, report)
        s.commit()
    return report


def _pages(session: Session, asset_ids: list[int], keys: list[str], now: dt.datetime) -> Iterator[UnitSeries | None]:
    for i in range(0, len(asset_ids), PAGE_ASSETS):
        yield hourly_series(session, asset_ids[i : i + PAGE_ASSETS], keys, until=now, since=now - HISTORY)


def _store(session: Session, rec: RulModelRecord, p: RulPrediction, now: dt.datetime, report: ScoreReport) -> None:
    ids = [int(u) for u in p.unit.tolist()]
    existing: dict[int, HealthScore] = {}
    for chunk in _chunked(ids):
        existing.update(
            (h.asset_id, h) for h in session.scalars(select(HealthScore).where(HealthScore.asset_id.in_(chunk)))
        )
    thresholds = rul_thresholds(session, ids, now.date())
    open_alarms = _open_prediction_alarms(session, list(thresholds))
    new_rows = []
    for k, aid in enumerate(ids):
        values = {
            "health": round(float(p.health[k]), 2),
            "rul": round(float(p.rul[k]), 2),
            "rul_low": round(float(p.lower[k]), 2),
            "rul_high": round(float(p.upper[k]), 2),
            "unit": rec.unit,
            "model_id": rec.id,
            "scored_at": now,
            "data_until": EPOCH + HOUR * (float(p.time[k]) + 1),
        }
        row = existing.get(aid)
        if row is None:
            new_rows.append({"tenant_id": rec.tenant_id, "asset_id": aid, **values})
        else:
            for name, value in values.items():
                setattr(row, name, value)
        report.scored += 1
        threshold = thresholds.get(aid)
        if threshold is not None:
            _check_threshold(session, aid, threshold, open_alarms.get(aid), float(p.rul[k]), float(p.lower[k]), now,
                             report)  # fmt: skip
    if new_rows:
        session.execute(insert(HealthScore), new_rows)


def _chunked(ids: list[int], n: int = 1000) -> Iterator[list[int]]:
    for i in range(0, len(ids), n):
        yield ids[i : i + n]


def rul_thresholds(session: Session, asset_ids: list[int], on: dt.date) -> dict[int, float]:
    """``predictive_rul_hours`` of the offering of the live contract covering each asset on ``on``
    (assets without a contract, or whose offering sets none, are left out)."""
    out: dict[int, float] = {}
    for chunk in _chunked(asset_ids):
        rows = session.execute(
            select(ContractAsset.asset_id, Offering.sla, Contract.start_date)
            .join(Contract, Contract.id == ContractAsset.contract_id)
            .join(Offering, Offering.id == Contract.offering_id)
            .where(
                ContractAsset.asset_id.in_(chunk),
                Contract.status.in_(LIVE),
                Contract.start_date <= on,
                Contract.end_date > on,
            )
            .order_by(ContractAsset.asset_id, Contract.start_date)
        ).all()
        for aid, sla, _start in rows:  # the latest-starting live contract wins, as covering_contract
            value = (sla or {}).get("predictive_rul_hours")
            if isinstance(value, int | float):
                out[aid] = float(value)
            else:
                out.pop(aid, None)
    return out


def rul_threshold(session: Session, asset: Asset, on: dt.date) -> float | None:
    return rul_thresholds(session, [asset.id], on).get(asset.id)


def _open_prediction_alarms(session: Session, asset_ids: list[int]) -> dict[int, Alarm]:
    out: dict[int, Alarm] = {}
    for chunk in _chunked(asset_ids):
        for alarm in session.scalars(
            select(Alarm).where(
                Alarm.asset_id.in_(chunk),
                Alarm.source == AlarmSource.prediction,
                Alarm.status.in_((AlarmStatus.raised, AlarmStatus.acknowledged)),
            )
        ):
            out[alarm.asset_id] = alarm
    return out


def _check_threshold(
    session: Session,
    asset_id: int,
    threshold: float,
    open_alarm: Alarm | None,
    rul: float,
    low: float,
    now: dt.datetime,
    report: ScoreReport,
) -> None:
    if rul < threshold and open_alarm is None:
        asset = session.get(Asset, asset_id)
        alarm = Alarm(
            tenant_id=asset.tenant_id,
            asset_id=asset.id,
            customer_id=asset.customer_id,
            source=AlarmSource.prediction,
            severity=AlarmSeverity.major if low < threshold / 2 else AlarmSeverity.minor,
            title="Remaining useful life below the contract threshold",
            reason="rul_below_threshold",
            params={"rul": round(rul, 1), "rul_low": round(low, 1), "threshold": threshold, "unit": "h"},
            values={},
            message=f"predicted remaining useful life {rul:.0f} h (90% interval from {low:.0f} h) is below the "
            f"contract's {threshold:g} h",
            raised_at=now,
        )
        session.add(alarm)
        session.flush()
        record(
            session,
            AlarmRaised(
                tenant_id=asset.tenant_id,
                alarm_id=alarm.id,
                asset_id=asset.id,
                rule_id=None,
                source=AlarmSource.prediction,
                severity=alarm.severity,
                reaction=Reaction.predictive,
                title=alarm.title,
                message=alarm.message,
            ),
        )
        report.alarms_raised += 1
    elif open_alarm is not None and rul >= threshold * CLEAR_FACTOR:
        open_alarm.status = AlarmStatus.cleared
        open_alarm.cleared_at = now
        open_alarm.version += 1
        record(
            session,
            AlarmCleared(tenant_id=open_alarm.tenant_id, alarm_id=open_alarm.id, asset_id=asset_id, rule_id=None),
        )
        report.alarms_cleared += 1
