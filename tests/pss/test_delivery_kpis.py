"""Delivery KPIs engine (2.1.5): percentiles checked against numpy and the standard library (Hyndman
and Fan definition 7), rates and lead times on hand-counted projects, periods."""

from __future__ import annotations

import datetime as dt
import random
import statistics

import numpy as np
import pytest

from somp.modules.pss.delivery_kpis import ProjectFacts, kpis, month_range, months, percentile

D = dt.date


def test_percentile_agrees_with_numpy_and_statistics_on_random_samples():
    rng = random.Random(7)
    for _ in range(300):
        xs = [rng.randint(0, 400) / rng.choice((1, 2, 7)) for _ in range(rng.randint(1, 40))]
        for q in (0, 10, 25, 50, 75, 90, 99, 100):
            assert percentile(xs, q) == pytest.approx(float(np.percentile(xs, q)), abs=1e-9)
        if len(xs) > 1:  # statistics' inclusive method is definition 7 too
            dec = statistics.quantiles(xs, n=10, method="inclusive")
            assert percentile(xs, 90) == pytest.approx(dec[8], abs=1e-9)
            assert percentile(xs, 50) == pytest.approx(statistics.median(xs), abs=1e-9)


def test_rates_and_lead_times_of_a_hand_counted_month():
    projects = [
        # accepted in October: on time, 30 days, first-time-right in October
        ProjectFacts(D(2026, 9, 10), D(2026, 10, 12), D(2026, 10, 10), D(2026, 10, 5), True),
        # accepted in October: 3 days late, 45 days, commissioned in September at the second attempt
        ProjectFacts(D(2026, 9, 1), D(2026, 10, 13), D(2026, 10, 16), D(2026, 9, 28), False),
        # accepted on the due day (on time), 61 days; commissioned in October, second attempt
        ProjectFacts(D(2026, 8, 31), D(2026, 10, 31), D(2026, 10, 31), D(2026, 10, 20), False),
        # not accepted yet; commissioned in October first time
        ProjectFacts(D(2026, 9, 15), D(2026, 11, 30), None, D(2026, 10, 25), True),
        # accepted in November: outside
        ProjectFacts(D(2026, 9, 1), D(2026, 10, 30), D(2026, 11, 1), D(2026, 10, 29), True),
    ]
    k = kpis(projects, *month_range("2026-10"))
    assert (k.accepted, k.on_time) == (3, 2)
    assert k.on_time_rate == pytest.approx(2 / 3)
    assert (k.commissioned, k.first_time_right) == (4, 3)  # 10-05, 10-20, 10-25, 10-29
    assert k.first_time_right_rate == pytest.approx(0.75)
    assert k.lead_time_median_days == 45.0
    assert k.lead_time_p90_days == pytest.approx(45 + 0.8 * (61 - 45))  # h = 1.8 over [30, 45, 61]
    assert k.lead_time_mean_days == pytest.approx((30 + 45 + 61) / 3)


def test_an_empty_period_has_no_rates_rather_than_zero():
    k = kpis([], *month_range("2026-02"))
    assert k.accepted == 0 and k.on_time_rate is None and k.first_time_right_rate is None
    assert k.lead_time_median_days is None and k.lead_time_p90_days is None


def test_periods_months_quarters_years():
    assert month_range("2026-12") == (D(2026, 12, 1), D(2027, 1, 1))
    assert month_range("2026-Q4") == (D(2026, 10, 1), D(2027, 1, 1))
    assert month_range("2026-Q1") == (D(2026, 1, 1), D(2026, 4, 1))
    assert month_range("2026") == (D(2026, 1, 1), D(2027, 1, 1))
    for bad in ("2026-13", "2026-Q5", "26-01", "2026-1"):
        with pytest.raises(ValueError):
            month_range(bad)
    assert months("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
