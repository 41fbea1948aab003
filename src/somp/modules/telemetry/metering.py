"""Metered usage from the hourly roll-ups (framework node 2.2.1 serving 2.1.2 pay-per-use pricing):
the telemetry side of the :mod:`somp.core.metering` port.

One set-based read of ``readings_hourly`` for all the assets asked about (no row per reading, no
query per asset):

* a **counter** metric (a running total, e.g. delivered m³ or kWh) is used by its increase over
  the period: the sum over the period's hours of (the hour's last value - the previous hour's last
  value), the previous hour found with ``LAG`` over the hours since :data:`LOOKBACK` before the
  period; the first hour of a series with no earlier hour counts from its own minimum; a drop is
  a counter reset, and the hour then counts its last value (like Prometheus ``increase``);
* a **gauge** metric that reports the quantity since the previous reading (e.g. m³ delivered per
  minute) is used by the sum of its readings.

The tenant rule is :func:`somp.core.tenancy.row_filter`'s, as for every read; every value is bound.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, case, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.sql import any_, bindparam

from somp.core.metering import quantity
from somp.core.tenancy import current_scope, row_filter
from somp.modules.telemetry.models import HourlyRollup, Metric, MetricKind

LOOKBACK = dt.timedelta(days=7)  # how far before the period a counter's previous value is looked for
SQLITE_CHUNK = 5000  # asset ids per IN list on SQLite (PostgreSQL takes one array)


class HourlyRollupMeter:
    """:class:`somp.core.metering.UsageMeter` on the hourly roll-ups."""

    def usage(
        self, session: Session, asset_ids: Sequence[int], metric: str, start: dt.datetime, end: dt.datetime
    ) -> dict[int, Decimal]:
        if end <= start:
            raise ValueError("the period must end after it starts")
        found = session.execute(select(Metric.id, Metric.kind).where(Metric.key == metric)).first()
        rule = row_filter(current_scope(session), HourlyRollup)
        if found is None or rule is None or not asset_ids:
            return {}
        mid, kind = found
        ids = sorted(set(asset_ids))
        pg = session.get_bind().dialect.name == "postgresql"
        chunks = [ids] if pg else [ids[i : i + SQLITE_CHUNK] for i in range(0, len(ids), SQLITE_CHUNK)]
        out: dict[int, Decimal] = {}
        for part in chunks:
            stmt = _statement(MetricKind(kind), mid, part, start, end, rule, pg)
            for aid, total in session.connection().execute(stmt):
                out[int(aid)] = quantity(float(total))
        return out


def _statement(
    kind: MetricKind, mid: int, ids: list[int], start: dt.datetime, end: dt.datetime, rule: dict[str, Any], pg: bool
):  # noqa: ANN202
    h = HourlyRollup.__table__.c
    assets = h.asset_id == any_(bindparam("ids", ids, type_=ARRAY(BigInteger))) if pg else h.asset_id.in_(ids)
    scope = [h[name] == value for name, value in rule.items()]
    if kind is MetricKind.gauge:
        return (
            select(h.asset_id, func.sum(h.sum))
            .where(h.metric_id == mid, assets, h.bucket >= start, h.bucket < end, *scope)
            .group_by(h.asset_id)
        )
    prev = func.lag(h.last_value).over(partition_by=h.asset_id, order_by=h.bucket)
    hours = (
        select(h.asset_id, h.bucket, h.last_value, (h.last_value - func.coalesce(prev, h.min)).label("step"))
        .where(h.metric_id == mid, assets, h.bucket >= start - LOOKBACK, h.bucket < end, *scope)
        .subquery()
    )
    step = case((hours.c.step >= 0, hours.c.step), else_=hours.c.last_value)
    return select(hours.c.asset_id, func.sum(step)).where(hours.c.bucket >= start).group_by(hours.c.asset_id)
