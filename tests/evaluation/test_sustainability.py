"""Sustainability indicators (1.3.3, somp.modules.evaluation.sustainability): the social rates
against published worked examples, the default ESG system scoring them, missing figures kept
missing, and the refusals."""

from __future__ import annotations

import pytest

from somp.modules.evaluation import sustainability as su


def test_recordable_injury_rate_follows_the_osha_incidence_rate_examples():
    """OSHA incidence rate (N / EH) x 200,000 (NSC Injury Facts, "TRIR"; COMAR 09.12.24.08). Two
    published worked examples, found with the search tool: 4 recordable cases in 180,000 hours give
    4.44 (costcalculator.calculator.city, "recordable rate calculation"); 2 cases in 28,400 hours
    give 14.08 (tierralab.org, "incident rate formula osha")."""
    v = su.compute(su.validate_figures({"recordable_injuries": 4, "hours_worked": 180_000}))
    assert round(v["S1"].value, 2) == 4.44
    v = su.compute(su.validate_figures({"recordable_injuries": 2, "hours_worked": 28_400}))
    assert round(v["S1"].value, 2) == 14.08


def test_lost_time_injury_frequency_rate_per_million_hours():
    """LTIFR = lost-time injuries x 1,000,000 / hours: 6 in 2,500,000 hours give 2.4 (tierralab.org,
    same page as above)."""
    v = su.compute(su.validate_figures({"recordable_injuries": 6, "lost_time_injuries": 6,
                                        "hours_worked": 2_500_000}))  # fmt: skip
    assert v["S2"].value == pytest.approx(2.4)


def test_full_year_values_and_esg_scores():
    figures = {
        "revenue": 50_000, "energy_tce": 4_000, "electricity_kwh": 12_000_000, "renewable_electricity_kwh": 3_000_000,
        "water_m3": 250_000, "waste_t": 800, "waste_recycled_t": 600, "employees": 400, "hours_worked": 800_000,
        "recordable_injuries": 6, "lost_time_injuries": 2, "training_hours": 12_000, "leavers": 40,
        "board_members": 9, "independent_directors": 3, "female_directors": 2, "compliance_incidents": 0,
        "anticorruption_trained": 380,
    }  # fmt: skip
    v = su.compute(su.validate_figures(figures), carbon_t=15_000)
    assert v["E1"].value == pytest.approx(0.3) and v["E2"].value == pytest.approx(0.08)
    assert v["E3"].value == pytest.approx(0.25) and v["E4"].value == pytest.approx(5)
    assert v["E5"].value == pytest.approx(0.75) and v["S1"].value == pytest.approx(1.5)
    assert v["S2"].value == pytest.approx(2.5) and v["S3"].value == pytest.approx(30)
    assert v["S4"].value == pytest.approx(0.1) and v["G1"].value == pytest.approx(1 / 3)
    assert v["G3"].value == 0 and v["G4"].value == pytest.approx(0.95)
    ev = su.score(v)
    assert ev.total.coverage == pytest.approx(1.0)
    ind = ev.indicators
    # linear bands: E1 from 1.0 (0) to 0.1 (100): 0.3 -> 700/9; S3 8 -> 40 h: 30 h -> 68.75
    assert ind["E1"].score == pytest.approx(70 / 0.9) and ind["S3"].score == pytest.approx(68.75)
    # thresholds: one third of the board independent reaches the legal minimum (60); no incident: 100
    assert ind["G1"].score == 60 and ind["G3"].score == 100
    assert set(ev.dimensions) == {"ENV", "SOC", "GOV"}


def test_missing_figures_stay_missing_and_zero_denominators_too():
    v = su.compute(su.validate_figures({"training_hours": 100, "employees": 0, "revenue": 10}), carbon_t=None)
    assert v["S3"].value is None and v["S3"].note == "employees is zero"
    assert v["E1"].value is None and "carbon_t" in v["E1"].note
    ev = su.score(v)
    assert ev.total.score is None and ev.total.coverage == 0


def test_bad_figures_are_refused_together():
    with pytest.raises(su.FiguresInvalid) as e:
        su.validate_figures({"employees": 10.5, "water_m3": -1, "nonsense": 1, "board_members": 5,
                             "independent_directors": 6})  # fmt: skip
    errs = " | ".join(e.value.errors)
    assert "employees: 10.5 is a count" in errs and "water_m3: -1" in errs and "nonsense: unknown" in errs
    assert "independent_directors (6) exceeds board_members (5)" in errs
