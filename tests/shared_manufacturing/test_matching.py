"""The marketplace's pure rules (matching.py, demand.py) against references we did not write: the
haversine example of Rosetta Code, the IANA time-zone database (zoneinfo) minute by minute, pandas
for the demand aggregation, and Python's decimal rounding for prices."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from somp.modules.shared_manufacturing import demand
from somp.modules.shared_manufacturing.matching import (
    Offer,
    Placement,
    TransportModel,
    available_windows,
    check_calendar,
    diff_plans,
    eligible,
    haversine_km,
    hours,
    machine_cost,
    platform_fee,
    processing_minutes,
    requirement_unmet,
    subtract,
)

UTC = dt.UTC


def test_haversine_matches_the_rosetta_code_example():
    # Nashville BNA to Los Angeles LAX with R = 6372.8 km: 2887.2599506071106 km (rosettacode.org, Haversine formula)
    assert haversine_km(36.12, -86.67, 33.94, -118.40, radius=6372.8) == pytest.approx(2887.2599506071106, rel=1e-12)
    assert haversine_km(31.3, 120.6, 31.3, 120.6) == 0


def test_transport_time_is_handling_plus_road_time_and_none_within_a_site():
    t = TransportModel(speed_kmh=50, handling_minutes=60)
    assert t.minutes(0.4) == 0
    assert t.minutes(100) == 60 + 120
    assert t.minutes(101) == 60 + 122  # 121.2 minutes on the road, rounded up


@pytest.mark.parametrize(
    ("want", "offer", "met"),
    [
        ({"thickness_mm": 12}, {"max_thickness_mm": 20}, True),
        ({"thickness_mm": 25}, {"max_thickness_mm": 20}, False),
        ({"tonnage": 200}, {"min_tonnage": 100, "max_tonnage": 250}, True),
        ({"tonnage": 80}, {"min_tonnage": 100, "max_tonnage": 250}, False),
        ({"materials": "steel"}, {"materials": ["steel", "aluminium"]}, True),
        ({"materials": ["steel", "titanium"]}, {"materials": ["steel", "aluminium"]}, False),
        ({"axes": 5}, {"axes": 5}, True),
        ({"axes": 5}, {"axes": 3}, False),
        ({"axes": 5}, {}, False),
        ({"thickness_mm": "thick"}, {"max_thickness_mm": 20}, False),
    ],
)
def test_capability_requirements(want, offer, met):
    assert (requirement_unmet(want, offer) is None) is met


def test_processing_time_is_fixed_or_setup_plus_quantity_over_rate():
    assert processing_minutes(45, Decimal(100), Decimal(10), 30) == 45
    assert processing_minutes(None, Decimal(100), Decimal(40), 30) == 30 + 150
    assert processing_minutes(None, Decimal(7), Decimal(60), 0) == 7
    assert processing_minutes(None, Decimal("0.1"), Decimal(60), 0) == 1  # at least a minute
    assert processing_minutes(None, Decimal(7), None, 0) is None


def test_eligibility_needs_capability_grade_certifications_and_a_time():
    offers = [
        Offer(1, 2, frozenset({"ISO9001"}), Decimal(100), {"laser": ({"max_thickness_mm": 20}, None, 0)}),
        Offer(2, 3, frozenset(), Decimal(150), {"laser": ({"max_thickness_mm": 30}, Decimal(60), 10)}),
    ]
    got = eligible("laser", {"thickness_mm": 12}, None, Decimal(30), 1, (), offers)
    assert [(o.resource, m) for o, m in got] == [(2, 40)]  # offer 1 has no rate: no time known
    got = eligible("laser", {"thickness_mm": 12}, 50, Decimal(30), 1, ["ISO9001"], offers)
    assert [(o.resource, m) for o, m in got] == [(1, 50)]
    assert eligible("laser", {"thickness_mm": 12}, 50, Decimal(30), 3, (), offers)[0][0].resource == 2
    assert eligible("milling", {}, 50, Decimal(1), 1, (), offers) == []


def _brute_force_minutes(shifts, breaks, start, end, tz="Asia/Shanghai") -> int:
    """Minute by minute with the IANA zone: working when some shift (that began today or, for a
    night shift, yesterday) covers the local time and no break does."""
    zone, n, t = ZoneInfo(tz), 0, start
    while t < end:
        local = t.astimezone(zone)
        m = local.hour * 60 + local.minute
        ok = False
        for s in shifts:
            a = int(s["start"][:2]) * 60 + int(s["start"][3:])
            b = int(s["end"][:2]) * 60 + int(s["end"][3:])
            if b <= a:  # over midnight
                ok |= (local.weekday() in s["days"] and m >= a) or ((local.weekday() - 1) % 7 in s["days"] and m < b)
            else:
                ok |= local.weekday() in s["days"] and a <= m < b
        if ok and not any(int(x["start"][:2]) * 60 + int(x["start"][3:]) <= m < int(x["end"][:2]) * 60
                          + int(x["end"][3:]) for x in breaks):  # fmt: skip
            n += 1
        t += dt.timedelta(minutes=1)
    return n


@pytest.mark.parametrize(
    ("shifts", "breaks"),
    [
        ([{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}], [{"start": "12:00", "end": "13:00"}]),
        ([{"days": [0, 2, 4], "start": "22:00", "end": "06:00"}], [{"start": "02:00", "end": "02:30"}]),
        ([{"days": [5, 6], "start": "00:00", "end": "24:00"}, {"days": [1], "start": "07:30", "end": "11:45"}], []),
    ],
)
def test_calendar_windows_match_a_minute_by_minute_count_in_the_iana_zone(shifts, breaks):
    start = dt.datetime(2026, 3, 1, 17, 13, tzinfo=UTC)  # a Sunday evening UTC: Monday 01:13 in Beijing
    end = start + dt.timedelta(days=8, hours=3)
    cal = {"utc_offset_hours": 8, "shifts": shifts, "breaks": breaks}
    assert check_calendar(cal) == []
    windows = available_windows(cal, start, end)
    assert all(a < b for a, b in windows)
    assert all(b1 < a2 for (_, b1), (a2, _) in zip(windows, windows[1:], strict=False))
    assert round(hours(windows) * 60) == _brute_force_minutes(shifts, breaks, start, end)


def test_no_shifts_means_around_the_clock_and_blocks_are_subtracted():
    a = dt.datetime(2026, 3, 2, tzinfo=UTC)
    w = available_windows({}, a, a + dt.timedelta(days=1))
    assert w == [(a, a + dt.timedelta(days=1))]
    holes = [(a + dt.timedelta(hours=2), a + dt.timedelta(hours=3)), (a + dt.timedelta(hours=2, minutes=30),
             a + dt.timedelta(hours=4))]  # fmt: skip
    assert hours(subtract(w, holes)) == 22


def test_bad_calendars_are_named():
    problems = check_calendar({"utc_offset_hours": 30, "shifts": [{"days": [7], "start": "8", "end": "20:00"}],
                               "breaks": [{"start": "13:00", "end": "12:00"}]})  # fmt: skip
    assert [p.split(":")[0].split(" ")[0] for p in problems] == [
        "utc_offset_hours",
        "shifts[0].days",
        "shifts[0]",
        "breaks[0]",
    ]


def test_prices_round_half_up_to_the_fen():
    assert machine_cost(90, Decimal("100.00")) == Decimal("150.00")
    assert machine_cost(7, Decimal("100.00")) == Decimal("11.67")  # 11.666...
    assert machine_cost(1, Decimal("0.30")) == Decimal("0.01")  # 0.005 -> 0.01 (half up, not to even)
    assert platform_fee(Decimal("0.10"), Decimal("0.05")) == Decimal("0.01")  # 0.005 -> 0.01
    assert platform_fee(Decimal("480.00"), Decimal("0.05")) == Decimal("24.00")


def test_diff_names_each_kind_of_change():
    t = dt.datetime(2026, 3, 2, tzinfo=UTC)
    h = dt.timedelta(hours=1)
    old = {
        1: Placement(7, t, t + h),
        2: Placement(7, t + h, t + 2 * h),
        3: Placement(8, t, t + h),
        4: Placement(8, t, t + h),
    }
    new = {
        1: Placement(7, t, t + h),
        2: Placement(7, t + 2 * h, t + 3 * h),
        3: Placement(9, t, t + h),
        5: Placement(9, t, t + h),
    }
    assert [(c.operation, c.kind) for c in diff_plans(old, new)] == [
        (2, "moved"), (3, "reassigned"), (4, "unplanned"), (5, "new")]  # fmt: skip


def test_demand_analysis_equals_a_pandas_aggregation():
    rng = random.Random(7)
    t0 = dt.datetime(2026, 3, 2, tzinfo=UTC)
    caps = ["laser", "milling", "moulding"]
    capacity = []
    for _ in range(12):
        a = t0 + dt.timedelta(hours=rng.randint(0, 400))
        wins = tuple((a + dt.timedelta(hours=k * 24), a + dt.timedelta(hours=k * 24 + rng.randint(4, 12)))
                     for k in range(rng.randint(1, 10)))  # fmt: skip
        capacity.append(demand.CapacityItem(rng.choice(caps), wins))
    items = [demand.DemandItem(rng.choice(caps[:2]), t0 + dt.timedelta(hours=rng.uniform(0, 672)), rng.uniform(1, 30))
             for _ in range(200)]  # fmt: skip
    periods = demand.buckets(t0, 4)
    rows = demand.analyse(capacity, items, periods)

    edges = [a for a, _ in periods] + [periods[-1][1]]
    d = pd.DataFrame([{"capability": x.capability, "start": x.start, "hours": x.hours} for x in items])
    d["bucket"] = pd.cut(d["start"], bins=pd.DatetimeIndex(edges), right=False, labels=False)
    dem = d.groupby(["capability", "bucket"])["hours"].sum()
    w = pd.DataFrame([{"capability": c.capability, "a": a, "b": b} for c in capacity for a, b in c.windows])
    cap = {}
    for k, (pa, pb) in enumerate(periods):
        lo, hi = w["a"].clip(lower=pa, upper=pb), w["b"].clip(lower=pa, upper=pb)
        w["h"] = (hi - lo).dt.total_seconds() / 3600
        for c, v in w.groupby("capability")["h"].sum().items():
            cap[(c, k)] = v
    assert len(rows) == 3 * 4
    for r in rows:
        k = [a for a, _ in periods].index(r.bucket_start)
        assert r.demand_hours == pytest.approx(dem.get((r.capability, k), 0.0), abs=1e-3)
        assert r.capacity_hours == pytest.approx(cap.get((r.capability, k), 0.0), abs=1e-3)
    assert {r.verdict for r in rows if r.capability == "moulding"} == {"idle"}


def test_the_buyers_time_per_resource_limits_eligibility_to_the_listed_resources():
    offers = [
        Offer(1, 2, frozenset(), Decimal(100), {"laser": ({}, Decimal(60), 0)}),
        Offer(2, 2, frozenset(), Decimal(150), {"laser": ({}, None, 0)}),
        Offer(3, 1, frozenset(), Decimal(90), {"laser": ({}, None, 0)}),
    ]
    got = eligible("laser", {}, None, Decimal(30), 2, (), offers, {2: 25, 3: 10, 9: 5})
    assert [(o.resource, m) for o, m in got] == [(2, 25)]  # 1 is not listed, 3 is below the grade, 9 unknown
