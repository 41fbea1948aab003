"""Metered usage from the hourly roll-ups (the telemetry side of somp.core.metering): equal to the
usage counted from the raw readings, counters with resets, gauges summed, only the tenant's rows."""

import datetime as dt
import random
from decimal import Decimal

import orjson
from sqlalchemy import update

from somp.core import metering
from somp.core.tenancy import Scope
from somp.modules.telemetry.ingest import Ingestor, Source
from somp.modules.telemetry.metering import HourlyRollupMeter
from somp.modules.telemetry.models import Metric, MetricKind
from somp.modules.telemetry.payloads import decode_json
from tests.factories import make_asset, make_product, make_tenant

NOW = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
START, END = dt.datetime(2026, 10, 1, tzinfo=dt.UTC), dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def send(db, tenant_id, asset_id, metric, points, tag):
    ing = Ingestor(db)
    for k in range(0, len(points), 500):
        part = points[k : k + 500]
        raw = orjson.dumps({
            "batch_id": f"{tag}-{k}",
            "readings": [{"metric": metric, "ts": ts.isoformat(), "value": v} for ts, v in part],
        })  # fmt: skip
        assert ing.ingest(Source(tenant_id, asset_id, "http"), decode_json(raw, NOW), raw, NOW).ok


def counter_series(rng, start, hours, reset_at=None):
    """A running total read every 20 minutes (shuffled arrival), with an optional reset to 0."""
    out, total = [], 1000.0
    for i in range(hours * 3):
        ts = start + dt.timedelta(minutes=20 * i + rng.randrange(0, 5))
        if reset_at is not None and i == reset_at:
            total = 0.0
        total += round(rng.uniform(0, 40), 3)
        out.append((ts, total))
    return out


def expected_increase(points, start, end, lookback=dt.timedelta(days=7)):
    """Independent count on the raw readings at hour resolution: per hour the last reading; the
    increase is each hour's last minus the previous hour's last (or the hour's minimum for the first
    hour), a drop counting the last value (a reset)."""
    hours: dict[dt.datetime, list[tuple[dt.datetime, float]]] = {}
    for ts, v in points:
        if start - lookback <= ts < end:
            hours.setdefault(ts.replace(minute=0, second=0, microsecond=0), []).append((ts, v))
    total, prev = 0.0, None
    for h in sorted(hours):
        last = max(hours[h])[1]
        step = last - (prev if prev is not None else min(v for _, v in hours[h]))
        if h >= start:
            total += step if step >= 0 else last
        prev = last
    return total


def test_counter_usage_equals_the_increase_counted_on_the_raw_readings(db):
    t = make_tenant(db)
    p = make_product(db, t)
    rng = random.Random(3)
    before = START - dt.timedelta(hours=5)
    assets = [make_asset(db, t, p.id) for _ in range(3)]
    series = {
        assets[0].id: counter_series(rng, before, 60),  # starts before the period
        assets[1].id: counter_series(rng, START + dt.timedelta(hours=2), 40, reset_at=50),  # reset inside
        assets[2].id: counter_series(rng, END - dt.timedelta(hours=3), 10),  # runs past the end
    }
    for aid, pts in series.items():
        send(db, t.id, aid, "air_m3", pts, f"a{aid}")
    with db.session(Scope.tenant(t.id)) as s:
        s.execute(update(Metric).where(Metric.key == "air_m3").values(kind=MetricKind.counter))
        s.commit()
    with db.session(Scope.tenant(t.id)) as s:
        got = HourlyRollupMeter().usage(s, [a.id for a in assets] + [999_999], "air_m3", START, END)
    assert set(got) == {a.id for a in assets}
    for aid, pts in series.items():
        want = expected_increase(pts, START, END)
        assert abs(got[aid] - Decimal(repr(want))) <= Decimal("0.001"), (aid, got[aid], want)
    assert got[assets[0].id] > 0


def test_gauge_usage_is_the_sum_of_the_readings_and_other_tenants_are_not_read(db):
    t, other = make_tenant(db), make_tenant(db)
    p, po = make_product(db, t), make_product(db, other)
    a, b = make_asset(db, t, p.id), make_asset(db, other, po.id)
    rng = random.Random(5)
    first = START - dt.timedelta(hours=2)
    pts = [(first + dt.timedelta(minutes=7 * i), round(rng.uniform(0, 3), 3)) for i in range(400)]
    send(db, t.id, a.id, "m3_delivered", pts, "ga")
    send(db, other.id, b.id, "m3_delivered", pts, "gb")
    with db.session(Scope.tenant(t.id)) as s:
        got = HourlyRollupMeter().usage(s, [a.id, b.id], "m3_delivered", START, END)
        assert HourlyRollupMeter().usage(s, [a.id], "no_such_metric", START, END) == {}
    want = sum(v for ts, v in pts if START <= ts < END)
    assert set(got) == {a.id}
    assert abs(got[a.id] - Decimal(repr(want))) <= Decimal("0.001")


def test_the_port_finds_the_telemetry_meter_through_the_manifest():
    assert isinstance(metering.meter(), HourlyRollupMeter)
    assert metering.quantity(0.1 + 0.2) == Decimal("0.300")
