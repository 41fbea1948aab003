"""Regional evaluation (somp.modules.evaluation.regional): hand-worked indicators, missing data, the index
against scikit-criteria's weighted sum model with a min-max scaler, ranking and year-over-year changes."""

from __future__ import annotations

import numpy as np
import pytest
from skcriteria import mkdm
from skcriteria.agg.simple import WeightedSumModel
from skcriteria.preprocessing.scalers import MinMaxScaler

from somp.core.cn_codes import InvalidCode
from somp.modules.evaluation.regional import (
    DIMENSION_WEIGHTS,
    DIMENSIONS,
    INDICATORS,
    EnterpriseRecord,
    Region,
    RegionalInvalid,
    evaluate_regions,
    regional_indicators,
    year_over_year,
)

SUZHOU = Region("320500", "苏州市", 8657.0, {"manufacturing_enterprises": 200, "service_platforms@2024": 26})


def test_indicators_by_hand():
    recs = [
        EnterpriseRecord("a", "320500", 2024, leading_brand=True, maturity_level=4, supplier_spend=100,
                         supplier_spend_local=60, revenue=1000, service_revenue=350),
        EnterpriseRecord("b", "320500", 2024, demonstration=True, maturity_level=2, supplier_spend=300,
                         supplier_spend_local=60, revenue=500, service_revenue=50),
        EnterpriseRecord("c", "320500", 2024, maturity_level=None),
        EnterpriseRecord("d", "320500", 2024, som=False, supplier_spend=100, supplier_spend_local=0),
        EnterpriseRecord("e", "320500", 2023, leading_brand=True),  # another year
    ]
    ind = regional_indicators(SUZHOU, recs, 2024)
    assert ind["som_density"].value == pytest.approx(3 / 8657)
    assert ind["local_collaboration_rate"].value == pytest.approx((60 + 60 + 0) / (100 + 300 + 100))
    assert ind["local_collaboration_rate"].basis == 3
    assert ind["service_platforms_per_1000km2"].value == pytest.approx(26 / 8.657)
    assert ind["leading_brand_count"].value == 1 and ind["demonstration_count"].value == 1
    assert ind["average_maturity"].value == 3 and ind["average_maturity"].basis == 2  # c not evaluated
    assert ind["som_enterprise_share"].value == pytest.approx(3 / 200)
    assert ind["service_revenue_share"].value == pytest.approx(400 / 1500)
    # 2023: no platforms statistic for that year, no spend, no evaluations -> missing, not zero
    old = regional_indicators(SUZHOU, recs, 2023)
    assert old["service_platforms_per_1000km2"].value is None
    assert old["local_collaboration_rate"].value is None and "supplier spend" in old["local_collaboration_rate"].note
    assert old["average_maturity"].value is None and old["leading_brand_count"].value == 1


REGIONS = [
    Region("320500", "苏州市", 8657.0),
    Region("440300", "深圳市", 1997.0),
    Region("330100", "杭州市", 16850.0),
    Region("370200", "青岛市", 11293.0),
    Region("510100", "成都市", 14335.0),
    Region("420100", "武汉市", 8569.0),
]


def synthetic(seed: int, years=(2023, 2024)):
    rng = np.random.default_rng(seed)
    regions = [Region(r.code, r.name, r.area_km2, {f"manufacturing_enterprises@{y}": float(rng.integers(300, 900))
                                                    for y in years} | {"service_platforms": float(rng.integers(5, 40))})
               for r in REGIONS]
    recs = []
    for r in regions:
        for y in years:
            for k in range(int(rng.integers(8, 30))):
                spend = float(rng.uniform(10, 100))
                revenue = float(rng.uniform(100, 1000))
                recs.append(EnterpriseRecord(
                    f"{r.code}-{k}", r.code, y, som=bool(rng.random() < 0.8), leading_brand=bool(rng.random() < 0.15),
                    demonstration=bool(rng.random() < 0.2), maturity_level=int(rng.integers(0, 6)),
                    supplier_spend=spend, supplier_spend_local=spend * float(rng.uniform(0, 0.9)),
                    revenue=revenue, service_revenue=revenue * float(rng.uniform(0, 0.5))))
    return regions, recs


def global_weights():
    within = {d: sum(v[1] for v in INDICATORS.values() if v[0] == d) for d in DIMENSIONS}
    total = sum(DIMENSION_WEIGHTS.values())
    return np.array([DIMENSION_WEIGHTS[v[0]] / total * v[1] / within[v[0]] for v in INDICATORS.values()])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_index_equals_scikit_criteria_weighted_sum_on_minmax_scaled_indicators(seed):
    regions, recs = synthetic(seed)
    ev = evaluate_regions(regions, recs, [2023, 2024])
    rows = ev.rows
    matrix = np.array([[r.indicators[n].value for n in INDICATORS] for r in rows])
    dm = MinMaxScaler(target="matrix").transform(mkdm(matrix, [1] * len(INDICATORS), weights=global_weights()))
    ref = WeightedSumModel().evaluate(dm)
    np.testing.assert_allclose([r.index / 100 for r in rows], ref.e_.score, rtol=1e-10)
    assert all(r.coverage["index"] == pytest.approx(1.0) for r in rows)
    # per-year ranks agree with scikit-criteria's ranking of that year's rows alone on the same scaled matrix
    for y in (2023, 2024):
        idx = [i for i, r in enumerate(rows) if r.year == y]
        one = WeightedSumModel().evaluate(mkdm(dm.matrix.to_numpy()[idx], [1] * len(INDICATORS),
                                                weights=global_weights()))
        np.testing.assert_array_equal([rows[i].rank for i in idx], one.rank_)


def test_missing_indicator_lowers_coverage_not_the_score():
    regions, recs = synthetic(3, years=(2024,))
    # 苏州 stops reporting supplier spend: its ecosystem score rests on the other two indicators
    recs = [EnterpriseRecord(r.enterprise, r.region, r.year, r.som, r.leading_brand, r.demonstration,
                             r.maturity_level, None if r.region == "320500" else r.supplier_spend,
                             None if r.region == "320500" else r.supplier_spend_local, r.revenue, r.service_revenue)
            for r in recs]
    ev = evaluate_regions(regions, recs, [2024])
    sz = ev.get("320500", 2024)
    assert sz.indicators["local_collaboration_rate"].value is None
    assert sz.coverage["ecosystem"] == pytest.approx(0.6) and sz.coverage["index"] == pytest.approx(1 - 0.4 / 3)
    n = sz.normalised
    expected = 100 * (0.4 * n["som_density"] + 0.2 * n["service_platforms_per_1000km2"]) / 0.6
    assert sz.dimensions["ecosystem"] == pytest.approx(expected)
    assert sorted(r.rank for r in ev.year(2024)) == [1, 2, 3, 4, 5, 6]


def test_year_over_year_changes_and_rank_moves():
    regions, recs = synthetic(4)
    ev = evaluate_regions(regions, recs, [2023, 2024])
    yoy = year_over_year(ev, 2024, 2023)
    for code, item in yoy.items():
        now, before = ev.get(code, 2024), ev.get(code, 2023)
        assert item["rank_change"] == before.rank - now.rank
        c = item["changes"]["leading_brand_count"]
        assert c.delta == now.indicators["leading_brand_count"].value - before.indicators["leading_brand_count"].value
        assert item["changes"]["index"].delta == pytest.approx(now.index - before.index)
    assert sum(item["rank_change"] for item in yoy.values()) == 0
    with pytest.raises(RegionalInvalid):
        year_over_year(ev, 2025, 2024)


def test_invalid_inputs():
    with pytest.raises(InvalidCode):
        evaluate_regions([Region("999999", "x", 1.0)], [], [2024])
    with pytest.raises(RegionalInvalid) as e:
        evaluate_regions([SUZHOU], [EnterpriseRecord("a", "440300", 2024)], [2024])
    assert e.value.code == "unknown_region"
    with pytest.raises(RegionalInvalid) as e:
        regional_indicators(SUZHOU, [EnterpriseRecord("a", "320500", 2024, supplier_spend=10,
                                                      supplier_spend_local=20)], 2024)
    assert e.value.code == "bad_spend"
    with pytest.raises(RegionalInvalid):
        regional_indicators(Region("320500", "x", 0.0), [], 2024)
