"""Simulated telemetry of the demo fleet (issue 3, framework node 3.6): pure and deterministic.

:func:`simulate_telemetry` turns a built :class:`~somp.demo.scenario.plan.Scenario` into readings of
five metrics for every screw compressor of the main tenant that is operating at some time in a
window before the as-of day (default: the last 5 days every 20 minutes, about 490,000 readings for
the full fleet, which the ingest path writes to SQLite in about 5 s), plus the ground truth of the
faults they show. Nothing here touches a database or the clock; each asset draws
from a numpy ``Generator`` of its own, seeded from ``(seed, serial number)``, so the same scenario
gives the same arrays, and one asset's draws do not move another's.

Physics (oil-injected screw compressors; the product specifications give rated flow, working
pressure, drive and specific power):

* **demand**: the plant's shift pattern (1, 2 or 3 shifts, Beijing time; plants on 1 or 2 shifts
  stop at night and on Sundays), the asset's load factor, a daily shape with a lunch dip and an
  AR(1) disturbance;
* **flow** (m³/min) = rated free air delivery x demand; **power** (kW) = full-load package power
  (specific power x rated flow) x (27 % unloaded + 73 % x demand) for fixed-speed machines
  (load/unload control), about proportional to demand for the permanent-magnet VSD machines;
* **pressure** (bar): fixed-speed machines sample their load/unload band below the working
  pressure, VSD machines hold it within a few hundredths; a stopped machine's network bleeds down;
* **temperature** (discharge, °C): machine-room ambient (Suzhou-like seasons scaled by latitude,
  a daily cycle and day-to-day weather) + 40 °C + 14 °C x demand, kept above about 72 °C by the
  thermostatic valve, with a thermal lag (12 min heating, 90 min cooling);
* **vibration** (air-end RMS velocity, mm/s, ISO 10816-3 group 2): 1.1-2.6 mm/s healthy, growing
  with speed on VSD machines; 4.5 mm/s is the alarm boundary, 7.1 mm/s the trip level.

Faults follow the scenario: every ``degraded`` or ``failed`` step of an asset's timeline inside the
window (or whose effect reaches into it) gets a precursor whose shape matches the step's failure
or predictive mode (bearing wear: vibration and temperature rising exponentially over days;
cooler fouling: temperature; separator clogging and inlet restriction: power up for the same
flow; fan failure, stuck inlet valve, motor overload, drive fault and pressure-sensor fault: hours).
A predictive alert (``degraded``) is placed where the indicator crosses its warning level, a
failure where it crosses its trip level; the asset stops reporting at the failure and resumes,
healthy, when the timeline puts it back in service. A few in-service assets carry a latent fault
(onset inside the window, no alert yet; some cross the warning level in the last hours). Planned
visits stop and isolate the machine (no data), and every asset has noise, a few spikes and short
connectivity gaps.

:attr:`FleetTelemetry.faults` is the ground truth; :meth:`FleetTelemetry.ground_truth` gives it as
``(serial, kind, onset, failure time or None)`` tuples.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from somp.demo import reference as ref
from somp.demo.scenario.helpers import UTC, S, local
from somp.demo.scenario.records import AssetPlan, WorkOrderPlan
from somp.modules.assets.lifecycle import OPERATING
from somp.modules.telemetry.payloads import Columns

if TYPE_CHECKING:
    from somp.demo.scenario.plan import Scenario

DEFAULT_DAYS = 5.0
DEFAULT_STEP_MINUTES = 20
COMPRESSOR_CATEGORY = "screw_air_compressor"


@dataclass(frozen=True)
class MetricSpec:
    key: str
    name: str
    name_en: str
    unit: str
    min_valid: float
    max_valid: float
    decimals: int


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec("pressure", "排气压力", "Discharge pressure", "bar", 0.0, 16.0, 2),
    MetricSpec("temperature", "排气温度", "Discharge temperature", "°C", -30.0, 150.0, 1),
    MetricSpec("vibration", "主机振动速度", "Air-end vibration velocity (RMS)", "mm/s", 0.0, 50.0, 2),
    MetricSpec("power", "输入功率", "Input power", "kW", 0.0, 300.0, 1),
    MetricSpec("flow", "排气量", "Free air delivery", "m³/min", 0.0, 40.0, 2),
)
METRIC_KEYS = tuple(m.key for m in METRICS)

# warning / trip levels (ISO 10816-3 group 2 zone C/D boundary and trip; discharge temperature
# alarm and shutdown; specific power above the asset's baseline)
VIBRATION_WARN, VIBRATION_TRIP = 4.5, 7.1
TEMPERATURE_WARN, TEMPERATURE_TRIP = 100.0, 110.0
SPECIFIC_POWER_WARN, SPECIFIC_POWER_TRIP = 0.08, 0.15
UNLOADED_POWER = 0.27  # fixed-speed machine running unloaded, share of full-load power


@dataclass(frozen=True)
class FaultKind:
    """How a fault shows: ``indicator`` is what its warning / trip levels refer to."""

    key: str
    indicator: str  # vibration, temperature, specific_power, flow_loss, power, pressure_noise
    metrics: tuple[str, ...]
    slow: bool  # days (exponential growth) or hours
    duration: tuple[float, float]  # onset to alert / failure: days when slow, hours otherwise


KINDS: dict[str, FaultKind] = {
    k.key: k
    for k in (
        FaultKind("bearing_wear", "vibration", ("vibration", "temperature"), True, (6.0, 14.0)),
        FaultKind("cooler_fouling", "temperature", ("temperature",), True, (4.0, 10.0)),
        FaultKind("separator_clogging", "specific_power", ("power", "temperature"), True, (5.0, 12.0)),
        FaultKind("inlet_restriction", "specific_power", ("power", "flow"), True, (4.0, 10.0)),
        FaultKind("fan_failure", "temperature", ("temperature",), False, (3.0, 8.0)),
        FaultKind("inlet_valve_stuck", "flow_loss", ("flow", "power", "pressure"), False, (1.0, 3.0)),
        FaultKind("motor_overload", "power", ("power",), False, (2.0, 8.0)),
        FaultKind("drive_fault", "power", ("power",), False, (1.0, 4.0)),
        FaultKind("pressure_sensor", "pressure_noise", ("pressure",), False, (4.0, 16.0)),
    )
}

# the scenario's failure and predictive modes (titles in reference.py) -> fault kind, by keyword, first match
MODE_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("冷却风扇", "fan_failure"),  # 冷却风扇电机损坏
    ("振动", "bearing_wear"),  # 主机异响、振动超标 / 振动趋势上升：主机轴承剩余寿命预测不足 30 天
    ("排气温度", "cooler_fouling"),  # 排气温度过高停机 / 排气温度趋势偏高：冷却器换热效率下降
    ("分离芯", "separator_clogging"),  # 油气分离芯压差高、耗油量大 / 油气分离芯压差持续上升
    ("比功率", "inlet_restriction"),  # 比功率较基线上升 8%：进气阻力增大
    ("进气阀", "inlet_valve_stuck"),  # 进气阀卡滞，无法加载
    ("电机过载", "motor_overload"),  # 电机过载跳闸
    ("变频器", "drive_fault"),  # 变频器报过流故障
    ("压力传感器", "pressure_sensor"),  # 压力传感器故障，压力显示异常
)
MODE_TITLES = tuple(m["title"] for m in (*ref.FAILURE_MODES, *ref.PREDICTIVE_MODES))
LATENT_KINDS = (("bearing_wear", 3), ("inlet_restriction", 2), ("cooler_fouling", 2), ("separator_clogging", 1))
LATENT_SHARE = 0.03  # of the reporting assets, at least one
MAX_SLOW_DAYS = max(k.duration[1] for k in KINDS.values() if k.slow)


@dataclass(frozen=True)
class Fault:
    """Ground truth of one fault seen in the telemetry.

    ``onset``: when the indicator starts to move; ``warn_at``: when it crosses its warning level
    (None if it does not before the failure or the window's end); ``failure_at``: when the asset
    stops (it reports nothing from then on); ``cleared_at``: back in service after the repair,
    inside the window. ``source`` is ``timeline`` (the scenario's degraded / failed step, ``mode``
    its title) or ``latent`` (an in-service asset with no alert yet).
    """

    serial: str
    kind: str
    onset: dt.datetime
    failure_at: dt.datetime | None
    warn_at: dt.datetime | None
    cleared_at: dt.datetime | None
    metrics: tuple[str, ...]
    source: str
    mode: str = ""

    def as_tuple(self) -> tuple[str, str, dt.datetime, dt.datetime | None]:
        return (self.serial, self.kind, self.onset, self.failure_at)


@dataclass
class AssetSeries:
    """One asset's readings as ingest columns (metric-major, time-ordered; ``asset`` all None:
    the source names the asset), and its reporting window."""

    serial: str
    product: str
    columns: Columns
    first: dt.datetime | None
    last: dt.datetime | None

    def metric(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """``(ts, value)`` of one metric (a block of the metric-major columns: every metric has the
        same samples)."""
        n = len(self.columns) // len(METRIC_KEYS)
        k = METRIC_KEYS.index(key)
        return self.columns.ts[k * n : (k + 1) * n], self.columns.value[k * n : (k + 1) * n]


@dataclass
class FleetTelemetry:
    start: dt.datetime
    end: dt.datetime
    step: dt.timedelta
    series: list[AssetSeries] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)

    @property
    def readings(self) -> int:
        return sum(len(s.columns) for s in self.series)

    def ground_truth(self) -> list[tuple[str, str, dt.datetime, dt.datetime | None]]:
        """``(serial, kind, onset, failure time or None)`` per fault, in serial and onset order."""
        return [f.as_tuple() for f in self.faults]

    def by_serial(self) -> dict[str, AssetSeries]:
        return {s.serial: s for s in self.series}


# --------------------------------------------------------------------------- helpers


def stable_int(text: str) -> int:
    """A 64-bit integer of ``text`` that does not change between runs (``hash`` is salted)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def _us(t: dt.datetime) -> int:
    return (t - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


def window_of(as_of: dt.date, days: float, step_minutes: int) -> tuple[dt.datetime, dt.datetime, int]:
    """The window ends at midnight after the as-of day, Beijing time; ``days`` is rounded to whole steps."""
    end = local(as_of, 24)
    n = max(1, round(days * 24 * 60 / step_minutes))
    return end - dt.timedelta(minutes=n * step_minutes), end, n


def kind_of_mode(title: str) -> str | None:
    """The fault kind of a failure or predictive mode title (None: no telemetry signature)."""
    return next((kind for word, kind in MODE_KEYWORDS if word in title), None)


def _mode_of(reason: str | None) -> tuple[str, str] | None:
    """``(mode title, fault kind)`` of a timeline reason quoting a compressor failure or predictive mode."""
    title = next((t for t in MODE_TITLES if reason and t in reason), None)
    kind = kind_of_mode(title) if title else None
    return (title, kind) if kind else None


def _growth(x: np.ndarray, r: float) -> np.ndarray:
    """0 before the onset (x < 0), 1 at the marker (x = 1), exponential in between and after."""
    return np.where(x > 0, np.expm1(r * np.clip(x, 0, None)) / math.expm1(r), 0.0)


def _x_of(level: float, r: float) -> float:
    """Where :func:`_growth` reaches ``level``."""
    return math.log1p(level * math.expm1(r)) / r


@dataclass
class _Asset:
    """One reporting asset while the fleet is generated: its plan, draws and fault plan."""

    plan: AssetPlan
    spec: ref.ProductSpec
    shifts: int
    rng: np.random.Generator
    offset_s: int = 0  # the gateway's phase within a step
    state_ok: np.ndarray | None = None  # in an operating state at each sample
    forced: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)  # running whatever the shift
    lockouts: list[tuple[dt.datetime, dt.datetime]] = field(default_factory=list)
    # (fault, level at the marker in warning units or None for the trip level, onset-to-marker hours, marker µs)
    faults: list[tuple[Fault, float | None, float, int]] = field(default_factory=list)
    # draws
    v0: float = 1.7
    eff: float = 1.0
    band: float = 0.5
    leak_h: float = 3.0
    jitter: tuple[float, float] = (0.0, 0.0)
    saturday: bool = False
    weather: np.ndarray | None = None
    ar: np.ndarray | None = None
    u: np.ndarray | None = None
    z: np.ndarray | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)
    spikes: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)

    def draw(self, n: int, n_days: int, step_minutes: int) -> None:
        r = self.rng
        self.offset_s = int(r.integers(0, step_minutes * 60))
        self.v0 = float(np.clip(np.exp(r.normal(math.log(1.7), 0.2)), 1.1, 2.6))
        self.eff = float(r.uniform(0.97, 1.04))
        self.band = float(r.uniform(0.4, 0.7))
        self.leak_h = float(r.uniform(1.5, 5.0))
        self.jitter = (float(r.uniform(-0.4, 0.4)), float(r.uniform(-0.4, 0.4)))
        self.saturday = bool(r.random() < 0.5)
        self.weather = r.normal(0.0, 1.5, size=n_days)
        self.ar = r.normal(0.0, 1.0, size=n)
        self.u = r.random(size=n)
        self.z = r.normal(0.0, 1.0, size=(5, n))
        per_week = n * step_minutes / (7 * 24 * 60)
        self.gaps = [
            (float(r.uniform(0, n)), float(r.uniform(20, 180)) / step_minutes) for _ in range(r.poisson(per_week))
        ]
        self.spikes = []
        for k in range(len(METRICS)):
            at = r.integers(0, n, size=r.poisson(0.8 * per_week))
            self.spikes.append((k, at, r.random(size=len(at))))


# --------------------------------------------------------------------------- the generator


def simulate_telemetry(
    scenario: Scenario, *, days: float = DEFAULT_DAYS, step_minutes: int = DEFAULT_STEP_MINUTES, tenant: str = "main"
) -> FleetTelemetry:
    """Readings and ground truth for ``tenant``'s compressors over ``days`` before the as-of day's end."""
    start, end, _n = window_of(scenario.as_of, days, step_minutes)
    out = FleetTelemetry(start, end, dt.timedelta(minutes=step_minutes))
    plan = _plan(scenario, days, step_minutes, tenant)
    if plan is None:
        return out
    assets, ts, first_day, report = plan
    values = _signals(assets, ts, step_minutes, end, first_day)
    for i, x in enumerate(assets):
        sel = np.flatnonzero(report[i])
        k = len(sel)
        cols = Columns(
            metric=[m for m in METRIC_KEYS for _ in range(k)],
            ts=np.tile(ts[i, sel], len(METRIC_KEYS)),
            value=np.concatenate([np.round(values[m.key][i, sel], m.decimals) for m in METRICS]),
            asset=[None] * (k * len(METRIC_KEYS)),
            batch_id=f"demo-telemetry:{scenario.seed}:{x.plan.serial}:{start:%Y%m%dT%H%M}",
        )
        first, last = (_time(ts[i, sel[0]]), _time(ts[i, sel[-1]])) if k else (None, None)
        out.series.append(AssetSeries(x.plan.serial, x.plan.product, cols, first, last))
        out.faults.extend(f for f, *_ in x.faults)
    out.faults.sort(key=lambda f: (f.serial, f.onset))
    return out


def telemetry_days_for(scale: float, days: float | None = None) -> float:
    """The window the demo loads: ``days`` if given, else :data:`DEFAULT_DAYS` x scale² below scale
    1 (a scale-0.2 test load gets 4.8 hours of its 60 assets: small scales are for tests)."""
    if days is not None:
        return max(0.0, days)
    return DEFAULT_DAYS * min(1.0, scale) ** 2


def count_readings(scenario: Scenario, *, days: float = DEFAULT_DAYS, step_minutes: int = DEFAULT_STEP_MINUTES) -> int:
    """How many readings :func:`simulate_telemetry` gives, without computing them (a progress total)."""
    if days <= 0:
        return 0
    plan = _plan(scenario, days, step_minutes, "main")
    return 0 if plan is None else int(plan[3].sum()) * len(METRICS)


def _plan(scenario: Scenario, days: float, step_minutes: int, tenant: str):  # noqa: ANN202
    """The reporting assets with their draws, faults and sample times, and the report mask."""
    t = next(x for x in scenario.tenants if x.key == tenant)
    start, end, n = window_of(scenario.as_of, days, step_minutes)
    specs = {p.spec.code: p.spec for p in t.products}
    shifts = {c.code: c.shifts for c in t.customers}
    first_day = _us(start) // 86_400_000_000
    n_days = int((_us(end) + 8 * 3_600_000_000) // 86_400_000_000 - first_day + 2)
    assets: list[_Asset] = []
    for a in t.assets:  # serial order
        spec = specs[a.product]
        if spec.category != COMPRESSOR_CATEGORY or a.commissioned_on is None:
            continue
        x = _Asset(a, spec, shifts.get(a.customer, 2), np.random.default_rng([scenario.seed, stable_int(a.serial)]))
        x.draw(n, n_days, step_minutes)
        assets.append(x)
    grid = np.arange(n, dtype=np.int64) * (step_minutes * 60_000_000) + _us(start)
    ts = grid[None, :] + np.array([x.offset_s for x in assets], np.int64)[:, None] * 1_000_000
    _states(assets, ts)
    keep = [i for i, x in enumerate(assets) if x.state_ok.any()]
    assets, ts = [assets[i] for i in keep], ts[keep]
    if not assets:
        return None
    _lockouts(assets, t.work_orders, start, end)
    _timeline_faults(assets, start, end)
    _latent_faults(assets, scenario.seed, start, end)
    return assets, ts, first_day, _report_mask(assets, ts, end)


def _time(us: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=UTC) + dt.timedelta(microseconds=int(us))


def _states(assets: list[_Asset], ts: np.ndarray) -> None:
    """Which samples fall in an operating state (in service, degraded, upgraded) of the timeline."""
    for i, x in enumerate(assets):
        tl = x.plan.timeline
        at = np.array([_us(st.at) for st in tl], np.int64)
        ok = np.array([st.to_state in OPERATING for st in tl] + [False])  # the last entry: before any step
        x.state_ok = ok[np.searchsorted(at, ts[i], side="right") - 1]


def _lockouts(assets: list[_Asset], work_orders: Iterable[WorkOrderPlan], start: dt.datetime, end: dt.datetime) -> None:
    """Planned visits stop the machine and isolate it (lock-out): no data while the engineer works."""
    by_serial = {x.plan.serial: x for x in assets}
    for w in work_orders:
        x = by_serial.get(w.asset)
        if x is None or w.kind not in ("preventive", "inspection") or w.responded_at is None:
            continue
        done = w.resolved_at or end
        if done > start and w.responded_at < end:
            x.lockouts.append((w.responded_at, done))


def _timeline_faults(assets: list[_Asset], start: dt.datetime, end: dt.datetime) -> None:
    """A fault for every degraded / failed step quoting a failure or predictive mode whose effect
    reaches into the window: the alert sits at the warning level, the failure at the trip level."""
    for x in assets:
        tl = x.plan.timeline
        for n, st in enumerate(tl):
            if st.to_state not in (S.degraded, S.failed) or not (
                start - dt.timedelta(days=MAX_SLOW_DAYS + 1) <= st.at < end
            ):
                continue
            found = _mode_of(st.reason)
            if found is None:
                continue
            title, key = found
            kind = KINDS[key]
            cleared = next((s.at for s in tl[n + 1 :] if s.to_state in (S.in_service, S.upgraded)), None)
            if cleared is not None and cleared <= start:
                continue
            hard = st.to_state == S.failed
            hours = float(x.rng.uniform(*kind.duration)) * (24 if kind.slow else 1)
            f = Fault(
                x.plan.serial,
                key,
                st.at - dt.timedelta(hours=hours),
                st.at if hard else None,
                None,
                cleared if cleared is not None and cleared < end else None,
                kind.metrics,
                "timeline",
                title,
            )
            x.faults.append((f, None if hard else 1.0, hours, _us(st.at)))
            # the machine was running when it failed, and when the alert came
            x.forced.append(
                (st.at - dt.timedelta(hours=4 if hard else 2), st.at + dt.timedelta(hours=0 if hard else 1))
            )


def _latent_faults(assets: list[_Asset], seed: int, start: dt.datetime, end: dt.datetime) -> None:
    """A few assets in service all along degrade without an alert yet (what a prediction should
    find): onset inside the window, 55-125 % of the warning level at its end."""
    rng = np.random.default_rng([seed, stable_int("latent-faults")])
    calm = [
        x
        for x in assets
        if x.state_ok.all()
        and not x.lockouts
        and not any(st.at >= start - dt.timedelta(days=MAX_SLOW_DAYS) for st in x.plan.timeline)
    ]
    n = min(len(calm), max(1, round(LATENT_SHARE * len(assets))))
    keys = [k for k, _ in LATENT_KINDS]
    weights = np.array([w for _, w in LATENT_KINDS], float)
    span_h = (end - start).total_seconds() / 3600
    for j in sorted(rng.choice(len(calm), size=n, replace=False).tolist()):
        x = calm[j]
        key = keys[int(rng.choice(len(keys), p=weights / weights.sum()))]
        hours = span_h * float(rng.uniform(0.35, 0.9))
        level = float(rng.uniform(0.55, 1.25))
        f = Fault(x.plan.serial, key, end - dt.timedelta(hours=hours), None, None, None, KINDS[key].metrics, "latent")
        x.faults.append((f, level, hours, _us(end)))


# --------------------------------------------------------------------------- signals


def _column(assets: list[_Asset], get) -> np.ndarray:  # noqa: ANN001
    return np.array([get(x) for x in assets], dtype=float)[:, None]


def _signals(
    assets: list[_Asset], ts: np.ndarray, step_minutes: int, end: dt.datetime, first_day: int
) -> dict[str, np.ndarray]:
    """Every metric at every sample of every asset (assets x samples)."""
    n_a, n = ts.shape
    step_h = step_minutes / 60
    idx = np.arange(n)
    # ---- the calendar: Beijing time of day, day, weekday (1970-01-01 was a Thursday: 0 = Monday)
    local_s = ts // 1_000_000 + 8 * 3600
    hour = (local_s % 86_400) / 3600.0
    day = local_s // 86_400
    weekday = (day + 3) % 7
    # ---- schedule: running while the plant works, and around the scenario's alerts and failures
    lf = _column(assets, lambda x: x.plan.load_factor)
    shifts = _column(assets, lambda x: x.shifts)
    j0, j1 = _column(assets, lambda x: x.jitter[0]), _column(assets, lambda x: x.jitter[1])
    sat = _column(assets, lambda x: x.saturday) > 0
    two = (weekday < 6) & (hour >= 7.5 + j0) & (hour < 23.5 + j1)
    one = ((weekday < 5) & (hour >= 7.75 + j0) & (hour < 17.75 + j1)) | (
        sat & (weekday == 5) & (hour >= 8 + j0) & (hour < 12)
    )
    running = np.where(shifts >= 3, True, np.where(shifts == 2, two, one))
    for i, x in enumerate(assets):
        for a, b in x.forced:
            running[i] |= (ts[i] >= _us(a)) & (ts[i] < _us(b))
    state_ok = np.stack([x.state_ok for x in assets])
    running &= state_ok
    # ---- demand: load factor x daily shape (lunch dip) + AR(1) disturbance with a 1-hour memory
    phi = math.exp(-step_h)
    eps = np.stack([x.ar for x in assets]) * (0.08 * math.sqrt(1 - phi * phi))
    ar = np.empty((n_a, n))
    ar[:, 0] = eps[:, 0] / math.sqrt(1 - phi * phi)
    for k in range(1, n):
        ar[:, k] = phi * ar[:, k - 1] + eps[:, k]
    shape = 1 + 0.08 * np.sin(2 * np.pi * (hour - 9) / 24) - 0.15 * np.exp(-(((hour - 12.25) / 0.5) ** 2))
    shape = np.where((shifts >= 3) & (weekday == 6), 0.7 * shape, shape)
    d = np.clip(lf * shape + ar, 0.12, 1.0)
    # ---- healthy machine
    vsd = _column(assets, lambda x: x.spec.variable_speed) > 0
    fad = _column(assets, lambda x: x.spec.fad_m3_min)
    p_full = _column(assets, lambda x: x.spec.specific_power * x.spec.fad_m3_min * x.eff)
    p_set = _column(assets, lambda x: x.spec.pressure_bar)
    band = _column(assets, lambda x: x.band)
    v0 = _column(assets, lambda x: x.v0)
    u = np.stack([x.u for x in assets])
    z = np.stack([x.z for x in assets], axis=1)  # (metric, asset, sample)
    vib = v0 * np.where(vsd, 0.7 + 0.45 * d, 0.9 + 0.15 * d)
    lat = _column(assets, lambda x: x.plan.latitude)
    doy = day % 365.2425  # days since 1970-01-01 folded to a year: within a day of the day of year
    season = 16.5 + 0.6 * (31.3 - lat) - (12.5 + 0.3 * (lat - 31.3)) * np.cos(2 * np.pi * (doy - 20.0) / 365.2425)
    weather = np.stack([x.weather[day[i] - first_day] for i, x in enumerate(assets)])
    room = season + 3.5 * np.cos(2 * np.pi * (hour - 14.5) / 24) + weather + 6.0
    t_run = np.maximum(72.0 + 3.0 * d, room + 40.0 + 14.0 * d)
    # ---- faults: what they add while the machine runs
    t_extra = np.zeros((n_a, n))
    p_mult = np.ones((n_a, n))
    f_mult = np.ones((n_a, n))
    stuck = np.zeros((n_a, n))
    p_noise = np.zeros((n_a, n))
    p_spike = np.zeros((n_a, n), bool)
    for i, x in enumerate(assets):
        done = []
        for f, level, hours, marker in x.faults:
            kind = KINDS[f.kind]
            r = 2.5 if kind.slow else 2.0
            hard = f.failure_at is not None
            m = int(np.searchsorted(ts[i], marker))  # the first sample at or after the marker
            if hard and m > 0 and ts[i, m - 1] > _us(f.onset):
                # the trip level is reached at the last sample before the failure: that reading stopped the machine
                m -= 1
                hours = (ts[i, m] - _us(f.onset)) / 3.6e9
            m = min(m, n - 1)
            g = _growth((ts[i] - _us(f.onset)) / (hours * 3.6e9), r)
            if f.cleared_at is not None:
                g = np.where(ts[i] < _us(f.cleared_at), g, 0.0)
            warn_level = None  # the marker's level in warning units, when the fault has a warning level
            if kind.indicator == "vibration":
                e_warn, e_trip = VIBRATION_WARN - vib[i, m], VIBRATION_TRIP + 0.3 - vib[i, m]
                warn_level = e_trip / e_warn if hard else level
                e = g * warn_level * e_warn
                e = e if hard else np.minimum(e, 0.9 * e_trip)
                vib[i] += e
                t_extra[i] += 2.0 * e  # bearing friction heats the oil
            elif kind.indicator == "temperature":
                e_warn, e_trip = TEMPERATURE_WARN - t_run[i, m], TEMPERATURE_TRIP + 1.5 - t_run[i, m]
                warn_level = e_trip / e_warn if hard else level
                e = g * warn_level * e_warn
                t_extra[i] += e if hard else np.minimum(e, 0.9 * e_trip)
            elif kind.indicator == "specific_power":
                warn_level = SPECIFIC_POWER_TRIP / SPECIFIC_POWER_WARN if hard else level
                e = g * warn_level * SPECIFIC_POWER_WARN
                e = e if hard else np.minimum(e, 0.9 * SPECIFIC_POWER_TRIP)
                if f.kind == "inlet_restriction":  # less air in, more work per m³
                    p_mult[i] *= 1 + 2 * e / 3
                    f_mult[i] *= 1 - e / 3
                else:  # separator: higher internal pressure, hotter oil
                    p_mult[i] *= 1 + e
                    t_extra[i] += 40.0 * e
            elif kind.indicator == "flow_loss":
                stuck[i] = np.maximum(stuck[i], np.clip(g, 0, 1))
            elif kind.indicator == "power":
                p_mult[i] *= 1 + 0.12 * g
                p_spike[i] |= (g > 0.15) & (u[i] < 0.3 * np.clip(g, 0, 1))
            else:  # pressure_noise
                p_noise[i] += np.clip(g, 0, 1)
            warn_at = None
            if warn_level is not None and warn_level >= 1.0:
                warn_at = f.onset + dt.timedelta(hours=hours * _x_of(1.0 / warn_level, r))
                if warn_at >= (f.failure_at or f.cleared_at or end):
                    warn_at = None
            done.append((replace(f, warn_at=warn_at), level, hours, marker))
        x.faults = done
    # ---- flow and power from the effective load; a stuck inlet valve leaves the machine unloaded
    load = d * (1 - stuck)
    flow = fad * load * f_mult
    power = np.where(
        vsd, p_full * (0.02 + load * (1 + 0.08 * (1 - load))), p_full * (UNLOADED_POWER + (1 - UNLOADED_POWER) * load)
    )
    power = power * p_mult * np.where(p_spike, 1.35, 1.0)
    u_band = np.where(vsd, 0.05 - 0.04 * z[0], band * u - 0.02 * z[0])
    p_run = p_set - u_band - 3.0 * np.clip(d - 0.95, 0, None) - 1.5 * stuck
    # ---- thermal lag (12 min heating, 90 min cooling) and the stopped machine's network bleed-down
    t_target = np.where(running, t_run - 14.0 * (d - load) + t_extra, room)  # unloaded runs cooler
    a_heat, a_cool = 1 - math.exp(-step_minutes / 12), 1 - math.exp(-step_minutes / 90)
    temp = np.empty((n_a, n))
    temp[:, 0] = t_target[:, 0]
    for k in range(1, n):
        a = np.where(running[:, k], a_heat, a_cool)
        temp[:, k] = temp[:, k - 1] + a * (t_target[:, k] - temp[:, k - 1])
    last_run = np.maximum.accumulate(np.where(running, idx, -1), axis=1)
    off_h = np.where(last_run >= 0, (idx - last_run) * step_h, 12.0)
    p_last = np.where(last_run >= 0, np.take_along_axis(p_run, np.clip(last_run, 0, None), axis=1), p_set)
    leak = _column(assets, lambda x: x.leak_h)
    pressure = np.where(running, p_run, 0.3 + (p_last - 0.3) * np.exp(-off_h / leak))
    # ---- measurement noise, stopped machines, spikes
    values = {
        "pressure": pressure + np.where(running, 0.0, 0.01 * z[1]) + 0.6 * p_noise * z[1],
        "temperature": temp + 0.4 * z[2],
        "vibration": np.where(running, vib * (1 + 0.04 * z[3]) + 0.03 * z[3], 0.12 + 0.04 * np.abs(z[3])),
        "power": np.where(running, power * (1 + 0.015 * z[4]), 0.2 + 0.05 * np.abs(z[4])),
        "flow": np.where(running, flow * (1 + 0.015 * z[4]), 0.0),
    }
    for i, x in enumerate(assets):
        for k, at, r in x.spikes:
            on = running[i, at]
            at, r = at[on], r[on]
            key = METRIC_KEYS[k]
            if key == "vibration":  # an impact or a start-up transient: one reading, up to zone C/D
                values[key][i, at] += 1.0 + 1.5 * r
            elif key == "pressure":  # a demand surge
                values[key][i, at] -= 0.6 + 0.8 * r
            elif key == "power":  # a motor start
                values[key][i, at] *= 1.12 + 0.18 * r
            elif key == "flow":
                values[key][i, at] *= 1.1 + 0.1 * r
    for spec in METRICS:
        np.clip(values[spec.key], spec.min_valid, spec.max_valid, out=values[spec.key])
    return values


def _report_mask(assets: list[_Asset], ts: np.ndarray, end: dt.datetime) -> np.ndarray:
    """Reported samples: operating, not locked out, not in a connectivity gap, not failed."""
    idx = np.arange(ts.shape[1])
    report = np.stack([x.state_ok for x in assets])
    for i, x in enumerate(assets):
        for a, b in x.lockouts:
            report[i] &= (ts[i] < _us(a)) | (ts[i] >= _us(b))
        before_failure = np.zeros(len(idx), bool)  # the link holds in the hours before a failure
        for f, *_ in x.faults:
            if f.failure_at is not None:
                before_failure |= (ts[i] >= _us(f.failure_at) - 3 * 3_600_000_000) & (ts[i] < _us(f.failure_at))
        for g0, glen in x.gaps:
            report[i] &= (idx < g0) | (idx >= g0 + glen) | before_failure
        for f, *_ in x.faults:
            if f.failure_at is not None:  # silent from the failure until back in service
                report[i] &= (ts[i] < _us(f.failure_at)) | (ts[i] >= _us(f.cleared_at or end))
    return report
