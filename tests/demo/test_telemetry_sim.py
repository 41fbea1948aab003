"""The demo fleet's simulated telemetry: determinism, physical plausibility, degradation trends
against healthy assets (Mann-Kendall and least-squares slopes), failures that silence an asset,
ground truth consistent with the scenario, and the load through the ingest path."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import func, select

from somp.core.tenancy import Scope
from somp.demo.loader import load_demo, row_count
from somp.demo.scenario import DEFAULT_SEED, S, Scenario, build_scenario
from somp.demo.scenario.telemetry import (
    KINDS,
    METRIC_KEYS,
    METRICS,
    MODE_TITLES,
    TEMPERATURE_TRIP,
    VIBRATION_TRIP,
    VIBRATION_WARN,
    AssetSeries,
    FleetTelemetry,
    count_readings,
    kind_of_mode,
    simulate_telemetry,
    telemetry_days_for,
)
from somp.modules.assets.models import Asset
from somp.modules.telemetry.ingest import HOUR_US
from somp.modules.telemetry.models import DeadLetter, HourlyRollup, IngestBatch, Metric, ReadingChunk
from somp.modules.telemetry.service import stored_readings
from tests.demo.conftest import AS_OF

DAY_US = 86_400_000_000


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return build_scenario(DEFAULT_SEED, AS_OF)


@pytest.fixture(scope="module")
def tel(sc) -> FleetTelemetry:
    return simulate_telemetry(sc)


def _us(t: dt.datetime) -> int:
    return int(t.timestamp() * 1_000_000)


def _running(s: AssetSeries) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Times (days since the window's start) and every metric at the samples where the machine delivers air."""
    ts, flow = s.metric("flow")
    run = flow > 0.05
    return ts[run], {k: s.metric(k)[1][run] for k in METRIC_KEYS}


def _indicator(s: AssetSeries, name: str) -> tuple[np.ndarray, np.ndarray]:
    """``(ts, value)`` of a fault indicator while running; specific power is taken relative to a
    power-versus-flow line fitted on the asset's first quarter of running samples."""
    ts, v = _running(s)
    if name in ("vibration", "temperature"):
        return ts, v[name]
    n0 = max(10, len(ts) // 4)
    a, b = np.polyfit(v["flow"][:n0], v["power"][:n0], 1)
    return ts, v["power"] / (a * v["flow"] + b)


def _relative_slope(ts: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope per day, relative to the median level."""
    return stats.linregress(ts / DAY_US, y).slope / float(np.median(y))


# --------------------------------------------------------------------------- determinism and shape


def test_same_seed_gives_identical_arrays() -> None:
    small = build_scenario(DEFAULT_SEED, AS_OF, 0.2)
    a, b = simulate_telemetry(small), simulate_telemetry(build_scenario(DEFAULT_SEED, AS_OF, 0.2))
    assert a.readings == b.readings > 0 and a.faults == b.faults and a.ground_truth() == b.ground_truth()
    for x, y in zip(a.series, b.series, strict=True):
        assert x.serial == y.serial and x.columns.batch_id == y.columns.batch_id
        assert x.columns.metric == y.columns.metric
        assert np.array_equal(x.columns.ts, y.columns.ts) and np.array_equal(x.columns.value, y.columns.value)
    other = simulate_telemetry(build_scenario(7, AS_OF, 0.2))
    assert [s.columns.value[:50].tolist() for s in other.series] != [s.columns.value[:50].tolist() for s in a.series]


def test_window_grid_and_columns(sc, tel) -> None:
    assert tel.end == dt.datetime(2026, 6, 30, 16, tzinfo=dt.UTC)  # midnight after the as-of day, Beijing time
    assert tel.end - tel.start == dt.timedelta(days=5) and tel.step == dt.timedelta(minutes=20)
    assert tel.readings == count_readings(sc) and 400_000 < tel.readings < 550_000
    compressors = {
        a.serial
        for a in sc.main.assets
        if a.state in (S.in_service, S.degraded, S.failed, S.under_maintenance, S.upgraded)
    }
    assert compressors <= {s.serial for s in tel.series}  # every installed compressor reports (dryers do not)
    step = tel.step // dt.timedelta(microseconds=1)
    for s in tel.series:
        c = s.columns
        n = len(c) // len(METRIC_KEYS)
        assert c.metric == [k for k in METRIC_KEYS for _ in range(n)] and c.asset == [None] * len(c)
        ts = c.ts[:n]
        assert all(np.array_equal(ts, c.ts[k * n : (k + 1) * n]) for k in range(len(METRIC_KEYS)))
        assert np.all(np.diff(ts) > 0) and ts[0] >= _us(tel.start) and ts[-1] < _us(tel.end)
        assert len(set(((ts - _us(tel.start)) % step).tolist())) == 1  # one gateway phase per asset
        assert c.batch_id.startswith("demo-telemetry:") and s.serial in c.batch_id and len(c.batch_id) <= 80
        assert np.array_equal(c.value, np.round(c.value, 2))


def test_every_compressor_mode_has_a_signature() -> None:
    assert all(kind_of_mode(t) in KINDS for t in MODE_TITLES)


# --------------------------------------------------------------------------- plausibility


def test_metric_ranges(sc, tel) -> None:
    specs = {p.spec.code: p.spec for p in sc.main.products}
    healthy = {s.serial for s in tel.series} - {f.serial for f in tel.faults}
    for m in METRICS:
        v = np.concatenate([s.metric(m.key)[1] for s in tel.series])
        assert m.min_valid <= v.min() and v.max() <= m.max_valid
    for s in tel.series:
        if s.serial not in healthy:
            continue
        spec = specs[s.product]
        _, v = _running(s)
        if len(v["flow"]) < 50:
            continue
        p1, p99 = np.percentile(v["pressure"], [1, 99])
        assert spec.pressure_bar - 1.2 < p1 and p99 < spec.pressure_bar + 0.1, s.serial
        t1, t99 = np.percentile(v["temperature"], [1, 99])
        assert t1 > 60 and t99 < 98, s.serial  # 70-95 °C running, a little less right after a start
        assert 0.8 < np.median(v["vibration"]) < 3.2 and np.percentile(v["vibration"], 99) < VIBRATION_WARN
        full = spec.specific_power * spec.fad_m3_min  # package power at full load
        assert 0.2 * full < np.median(v["power"]) < 1.05 * full and v["power"].max() < 1.4 * full
        assert v["flow"].max() < 1.25 * spec.fad_m3_min
        assert 0.3 < np.median(v["flow"]) / spec.fad_m3_min < 1.0
    medians = {p: np.median([np.median(_running(s)[1]["power"]) for s in tel.series if s.product == p]) for p in specs}
    assert 15 < medians["CF-37A"] < medians["CF-55V"] < medians["CF-75A"] < medians["CF-132V"] < 150


def test_load_cycles_and_stops(tel) -> None:
    """Plants on one or two shifts stop: air and power go to standby, the network bleeds down."""
    stopped = 0
    for s in tel.series:
        ts, flow = s.metric("flow")
        off = flow == 0
        stopped += int(off.sum())
        if off.sum() > 20:
            assert np.median(s.metric("power")[1][off]) < 0.5 and np.median(s.metric("vibration")[1][off]) < 0.3
            assert s.metric("pressure")[1][off].min() < 5.0
    assert 0.1 < stopped / (tel.readings / len(METRIC_KEYS)) < 0.5


# --------------------------------------------------------------------------- degradation and failures


def _trend_window(tel: FleetTelemetry, f) -> tuple[int, int]:  # noqa: ANN001
    return _us(max(f.onset, tel.start)), _us(f.cleared_at or f.failure_at or tel.end)


def test_degrading_assets_trend_up_against_healthy_ones(tel) -> None:
    faulty = {f.serial for f in tel.faults}
    by = tel.by_serial()
    healthy: dict[str, list[float]] = {"vibration": [], "temperature": [], "specific_power": []}
    for s in tel.series:
        ts, _ = _running(s)
        if s.serial in faulty or len(ts) < 100 or ts[-1] - ts[0] < 3.5 * DAY_US:
            continue
        for name in healthy:
            healthy[name].append(_relative_slope(*_indicator(s, name)))
    assert all(len(v) > 150 for v in healthy.values())
    tested = 0
    for f in tel.faults:
        kind = KINDS[f.kind]
        if not kind.slow:
            continue
        ts, y = _indicator(by[f.serial], kind.indicator)
        lo, hi = _trend_window(tel, f)
        sel = (ts >= lo) & (ts < hi)
        if sel.sum() < 60 or np.ptp(ts[sel]) < 2 * DAY_US:
            continue
        tau, p = stats.kendalltau(ts[sel], y[sel])  # Mann-Kendall: Kendall's tau of the series against time
        assert tau > 0.3 and p < 1e-6, (f, tau, p)
        assert _relative_slope(ts[sel], y[sel]) > 1.5 * max(healthy[kind.indicator]), f
        tested += 1
    assert tested >= 12


def test_failed_assets_stop_reporting_at_the_failure(sc, tel) -> None:
    by = tel.by_serial()
    failures = [f for f in tel.faults if f.failure_at is not None and f.failure_at >= tel.start]
    assert len(failures) >= 5
    for f in failures:
        ts = by[f.serial].metric("vibration")[0]
        silent = (ts >= _us(f.failure_at)) & (ts < _us(f.cleared_at or tel.end))
        assert not silent.any(), f
        before = ts[ts < _us(f.failure_at)]
        assert len(before) and _us(f.failure_at) - before[-1] < 4 * 3_600_000_000, f
        if f.cleared_at is not None:
            assert (ts >= _us(f.cleared_at)).any()
    # the assets the scenario leaves failed or under repair reported up to their failure, not after
    for a in sc.main.assets:
        if a.state in (S.failed, S.under_maintenance):
            failed_at = next(st.at for st in reversed(a.timeline) if st.to_state == S.failed)
            assert by[a.serial].last < failed_at
            assert any(f.serial == a.serial and f.failure_at == failed_at for f in failures)


def test_failures_cross_their_trip_levels(tel) -> None:
    by = tel.by_serial()
    checked = 0
    for f in tel.faults:
        if f.failure_at is None or f.failure_at < tel.start:
            continue
        ts, v = _running(by[f.serial])
        last = v["vibration"][ts < _us(f.failure_at)][-3:], v["temperature"][ts < _us(f.failure_at)][-3:]
        if f.kind == "bearing_wear":
            assert last[0].max() > VIBRATION_TRIP - 0.6, f
            checked += 1
        elif f.kind in ("cooler_fouling", "fan_failure"):
            assert last[1].max() > TEMPERATURE_TRIP - 4, f
            checked += 1
    assert checked >= 2


def test_ground_truth_follows_the_scenario(sc, tel) -> None:
    faults = {(f.serial, f.source): f for f in tel.faults}
    for a in sc.main.assets:
        st = a.timeline[-1]
        if a.state == S.degraded:  # the alert sits where the indicator crosses its warning level
            f = faults[(a.serial, "timeline")]
            assert f.failure_at is None and f.onset < st.at and f.mode in st.reason
            if KINDS[f.kind].indicator in ("vibration", "temperature", "specific_power"):
                assert f.warn_at == st.at
        elif a.state == S.failed:
            f = faults[(a.serial, "timeline")]
            assert f.failure_at == st.at and f.onset < st.at and f.mode in st.reason
    latent = [f for f in tel.faults if f.source == "latent"]
    assert 5 <= len(latent) <= 12
    assert all(f.failure_at is None and tel.start <= f.onset < tel.end and KINDS[f.kind].slow for f in latent)
    assert any(f.warn_at is not None for f in latent) and any(f.warn_at is None for f in latent)
    truth = tel.ground_truth()
    assert truth == sorted(truth, key=lambda x: (x[0], x[2])) and len(truth) == len(tel.faults)
    assert all(isinstance(t[0], str) and t[1] in KINDS and (t[3] is None or t[3] > t[2]) for t in truth)


def test_latent_faults_cross_warning_as_stated(tel) -> None:
    by = tel.by_serial()
    for f in tel.faults:
        if f.source != "latent" or KINDS[f.kind].indicator != "vibration":
            continue
        ts, v = _running(by[f.serial])
        late = v["vibration"][ts >= _us(tel.end - dt.timedelta(hours=3))]
        if f.warn_at is not None and len(late):
            assert np.median(late) > VIBRATION_WARN - 0.3
        elif len(late):
            assert np.median(late) < VIBRATION_WARN + 0.3


# --------------------------------------------------------------------------- the load


def test_telemetry_window_follows_the_scale() -> None:
    assert telemetry_days_for(1.0) == 5.0 and telemetry_days_for(2.0) == 5.0
    assert telemetry_days_for(0.2) == pytest.approx(0.2) and telemetry_days_for(0.2, 3) == 3
    assert telemetry_days_for(1.0, -1) == 0


def test_load_stores_readings_and_rollups(db) -> None:
    loaded = load_demo(db, as_of=AS_OF, scale=0.2, telemetry_days=1)
    tel = loaded.telemetry
    tid = loaded.main_tenant_id
    assert tel is not None and tel.readings > 10_000
    assert row_count(loaded.scenario, 1) - row_count(loaded.scenario, 0) == tel.readings
    # distinct (asset, metric, hour) buckets and readings per asset, from the generator
    buckets, per_asset = set(), {}
    for s in tel.series:
        hours = s.columns.ts // HOUR_US
        buckets |= set(zip([s.serial] * len(s.columns), s.columns.metric, hours.tolist(), strict=True))
        per_asset[s.serial] = len(s.columns)
    with db.session(Scope.tenant(tid)) as s:
        count = lambda m: s.scalar(select(func.count()).select_from(m))  # noqa: E731
        assert s.scalar(select(func.sum(ReadingChunk.count))) == tel.readings
        assert count(HourlyRollup) == len(buckets)
        assert s.scalar(select(func.sum(HourlyRollup.count))) == tel.readings
        assert count(IngestBatch) == len(tel.series) and count(DeadLetter) == 0
        rows = s.execute(
            select(Asset.serial_number, func.sum(ReadingChunk.count))
            .join(ReadingChunk, ReadingChunk.asset_id == Asset.id)
            .group_by(Asset.id)
        ).all()
        assert dict(rows) == per_asset
        metrics = {m.key: m for m in s.scalars(select(Metric))}
        assert set(metrics) == set(METRIC_KEYS)
        assert {k: (m.unit, m.name, m.name_en) for k, m in metrics.items()} == {
            m.key: (m.unit, m.name, m.name_en) for m in METRICS
        }
        assert metrics["temperature"].unit == "°C" and metrics["flow"].unit == "m³/min"
        # one asset's vibration, read back exactly, and its hourly roll-ups
        series = max(tel.series, key=lambda x: len(x.columns))
        ts, values = series.metric("vibration")
        aid = s.scalar(select(Asset.id).where(Asset.serial_number == series.serial))
        stored = stored_readings(s, asset_ids=[aid], metric_ids=[metrics["vibration"].id])
        assert stored.value.tolist() == values.tolist()
        assert stored.ts.tolist() == ts.tolist()
        rollups = s.execute(
            select(HourlyRollup.bucket, HourlyRollup.max, HourlyRollup.count)
            .where(HourlyRollup.asset_id == aid, HourlyRollup.metric_id == metrics["vibration"].id)
            .order_by(HourlyRollup.bucket)
        ).all()
        hours = ts // HOUR_US
        assert [(int(b.timestamp()) * 1_000_000 // HOUR_US, mx, n) for b, mx, n in rollups] == [
            (h, values[hours == h].max(), int((hours == h).sum())) for h in np.unique(hours).tolist()
        ]
