"""Carbon activities on the yearly sustainability form (1.3.3), on SQLite and PostgreSQL: rows of
activity, quantity and unit with the emission factor and its unit; units checked by the carbon engine;
every refused row's reason shown and nothing stored; the stored year's rows shown again for editing.

Hand-counted footprint of the rows below:
  scope 1: diesel 10 t x 3.0959 t CO2/t = 30.959 t;
           natural gas 1,000 m3 x 0.0389 GJ/m3 (heating value) x 56.1 kg CO2/GJ = 2.18229 t
  scope 2: electricity 1,000,000 kWh = 1,000 MWh x 0.5703 t CO2/MWh = 570.3 t
"""

from __future__ import annotations

import pytest

from somp.core.tenancy import Scope
from somp.modules.evaluation import yearly
from somp.modules.evaluation import yearly_carbon_form as cf
from tests.evaluation.test_forms_pages import web  # noqa: F401 - fixture
from tests.evaluation.test_programmes_pages import raw_keys

ROWS = [
    {"name": "柴油", "scope": "1", "category": "固定燃烧", "quantity": "10", "unit": "t", "factor": "3.0959",
     "factor_unit": "tCO2/t", "source": "企业实测"},
    {"name": "外购电力", "scope": "2", "quantity": "1,000,000", "unit": "kWh", "factor": "0.5703",
     "factor_unit": "tCO2/MWh", "source": "全国电网平均排放因子"},
    {"name": "天然气", "scope": "1", "quantity": "1000", "unit": "m3", "factor": "56.1", "factor_unit": "kgCO2/GJ",
     "conversion_value": "0.0389", "conversion_unit": "GJ/m3"},
]  # fmt: skip


def _form(rows, blank=2, **extra):
    out = {"year": "2025", "carbon_rows": str(len(rows) + blank)} | extra
    for i, r in enumerate(rows):
        out |= {f"act__{i}__{k}": v for k, v in r.items()}
    for i in range(len(rows), len(rows) + blank):
        out[f"act__{i}__scope"], out[f"act__{i}__gas"] = "1", "CO2e"  # a blank row as the browser sends it
    return out


def test_carbon_activities_through_the_yearly_form(web, db):  # noqa: F811
    a = web["a"]
    page = a.get("/evaluation/yearly")
    assert 'name="act__0__factor_unit"' in page.text and 'name="carbon_rows"' in page.text and not raw_keys(page.text)
    r = a.post("/evaluation/yearly/sustainability", _form(ROWS, figure__hours_worked="180000"))
    assert r.status_code == 303 and "已保存 2025 年可持续发展数据" in a.get(r.headers["location"]).text
    with db.session(Scope.tenant(web["ta"].id)) as s:
        rec = yearly.sustainability_of(s, web["ta"].id, 2025)
        fp = rec.result["footprint"]
        assert fp["by_scope"]["1"] == pytest.approx(30.959 + 2.18229)
        assert fp["by_scope"]["2"] == pytest.approx(570.3) and fp["by_scope"]["3"] == 0
        assert [x["activity"] for x in fp["lines"]] == ["柴油", "外购电力", "天然气"]
        assert fp["lines"][1]["factor_source"] == "全国电网平均排放因子"
        assert rec.figures == {"hours_worked": 180_000.0}
        version = rec.version
    # the year's record comes back in the form, and saving it unchanged stores the same footprint
    page = a.get("/evaluation/yearly?year=2025").text
    assert 'value="外购电力"' in page and 'value="tCO2/MWh"' in page and 'value="180000"' in page
    # every bad row is named, the others too; nothing is stored
    bad = [ROWS[0] | {"unit": "m3"}, ROWS[1] | {"factor_unit": "tCO2/兆瓦时"}, ROWS[2] | {"conversion_value": ""},
           {"name": "钢材", "scope": "3", "quantity": "x", "unit": "t", "factor": "", "factor_unit": "tCO2/t"},
           {"name": "制冷剂", "scope": "1", "quantity": "2", "unit": "kg", "factor": "1", "factor_unit": "kg/kg",
            "gas": "HFCs"}]  # fmt: skip
    r = a.post("/evaluation/yearly/sustainability", _form(bad, figure__recordable_injuries="2.5"))
    text = a.get(r.headers["location"]).text
    assert r.status_code == 303 and "未保存" in text
    for reason in ["activity 1 (柴油): activity &#39;柴油&#39; is in m3 but factor",
                   "activity 2 (外购电力): unknown unit &#39;tCO2/兆瓦时&#39;",
                   "activity 3 (天然气): row: Value error, give conversion_value and conversion_unit together",
                   "activity 4 (钢材): quantity: &#39;x&#39; is not a number", "activity 4 (钢材): factor: required",
                   "activity 5 (制冷剂): factor &#39;F5 制冷剂&#39; is for HFCs: give its GWP",
                   "recordable_injuries"]:  # fmt: skip
        assert reason in text, reason
    with db.session(Scope.tenant(web["ta"].id)) as s:
        rec = yearly.sustainability_of(s, web["ta"].id, 2025)
        assert rec.version == version and len(rec.activities) == 3
    # the form without its activity table (an older page) keeps the stored activities
    r = a.post("/evaluation/yearly/sustainability", {"year": "2025", "figure__hours_worked": "200000"})
    with db.session(Scope.tenant(web["ta"].id)) as s:
        rec = yearly.sustainability_of(s, web["ta"].id, 2025)
        assert len(rec.activities) == 3 and rec.figures == {"hours_worked": 200_000.0}
    # an empty table clears them
    a.post("/evaluation/yearly/sustainability", _form([], blank=3))
    with db.session(Scope.tenant(web["ta"].id)) as s:
        rec = yearly.sustainability_of(s, web["ta"].id, 2025)
        assert rec.activities == [] and rec.result["footprint"] is None


def test_rows_of_a_record_entered_through_the_api_round_trip():
    """Two activities sharing one factor (as the API allows) become two rows with that factor's
    values; parsed back they give the same footprint."""
    from somp.modules.evaluation import carbon

    activities = [{"name": "电力A", "scope": 2, "quantity": 500.0, "unit": "MWh", "factor": "grid", "category": ""},
                  {"name": "电力B", "scope": 2, "quantity": 250_000.0, "unit": "kWh", "factor": "grid",
                   "category": "", "conversion_value": None, "conversion_unit": None}]  # fmt: skip
    factors = [{"key": "grid", "value": 0.5703, "unit": "tCO2/MWh", "source": "MEE 2022", "gas": "CO2e", "gwp": None}]
    rows = cf.rows_from_record(activities, factors)
    assert [r["factor"] for r in rows] == ["0.5703", "0.5703"] and rows[1]["quantity"] == "250000"
    form = {f"act__{i}__{k}": v for i, r in enumerate(rows) for k, v in r.items()}
    acts, facs, problems = cf.parse_rows(form.get, len(rows))
    assert problems == []
    fp = carbon.footprint(
        [carbon.Activity(x["name"], carbon.Scope(x["scope"]), x["quantity"], x["unit"], x["factor"]) for x in acts],
        [carbon.EmissionFactor(f["key"], f["value"], f["unit"], f["source"]) for f in facs],
    )
    assert fp.total_t == pytest.approx(750 * 0.5703)
