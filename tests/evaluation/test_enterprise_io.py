"""Enterprise-level input-output measures from a financial statement (1.3.2,
somp.modules.evaluation.enterprise_io): a worked example computed by hand in the docstrings, the
enterprise's column checked against pymrio's direct coefficients, and the refusals."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd
import pytest

from somp.modules.evaluation.enterprise_io import StatementInvalid, item_code, measure, read_statement, validate

# A machine builder's year, in 10k CNY (万元). Worked by hand:
#   operating revenue R = 8,000 + 2,400 + 100 = 10,500; gross output X = R + 500 = 11,000
#   purchased services S = 300 + 200 + 250 + 100 + 80 + 70 = 1,000
#   intermediate inputs Z = 5,000 + 600 + 1,000 + 400 = 7,000; service input ratio 1,000 / 7,000 = 1/7
#   value added VA = 11,000 - 7,000 = 4,000 = 2,200 + 600 + 300 + 900 (income method, balanced)
#   service value added SVA = 2,400 - 1,000 = 1,400; SVA / R = 1,400 / 10,500 = 2/15; SVA / VA = 0.35
#   service revenue share 2,400 / 10,500 = 16/70
ROWS = [
    ("item", "amount"),
    ("产品销售收入", "8,000"),
    ("service_revenue", 2400),
    ("Other operating revenue", 100),
    ("inventory_change", 500),
    ("直接材料及外购零部件", 5000),
    ("energy", 600),
    ("svc_rd_design", 300),
    ("外购信息技术服务", 200),
    ("svc_logistics", 250),
    ("svc_finance", 100),
    ("svc_business", 80),
    ("svc_maintenance", 70),
    ("other_intermediate", 400),
    ("服务业务中间投入", 1000),
    ("labour_compensation", 2200),
    ("depreciation", 600),
    ("net_production_taxes", 300),
    ("operating_surplus", 900),
]


def _csv(rows) -> bytes:
    return "\n".join(",".join(f'"{c}"' for c in r) for r in rows).encode("utf-8-sig")


def _xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append([c for c in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_worked_example_from_csv_and_excel():
    for data, fmt in ((_csv(ROWS), "csv"), (_xlsx(ROWS), "xlsx")):
        m = measure(read_statement(data, fmt))
        assert m.operating_revenue == 10_500 and m.gross_output == 11_000
        assert m.intermediate_inputs == 7_000 and m.service_inputs == 1_000
        assert m.service_input_ratio == pytest.approx(1 / 7)
        assert m.service_input_shares["svc_rd_design"] == pytest.approx(0.3)
        assert m.value_added == 4_000 and m.value_added_income == 4_000 and m.balance_gap == 0
        assert m.service_value_added == 1_400
        assert m.service_value_added_share_of_revenue == pytest.approx(2 / 15)
        assert m.service_value_added_share_of_value_added == pytest.approx(0.35)
        assert m.service_revenue_share == pytest.approx(16 / 70)
        assert m.missing == {}


def test_service_input_ratio_equals_pymrio_direct_coefficients_of_the_enterprise_column():
    """The enterprise as the last column of an input-output table whose rows are its input kinds:
    pymrio's A = Z diag(x)^-1; the service rows' share of the column's coefficients is the ratio."""
    import pymrio

    st = read_statement(_csv(ROWS), "csv")
    m = measure(st)
    kinds = ["materials", "energy", "svc_rd_design", "svc_it", "svc_logistics", "svc_finance", "svc_business",
             "svc_maintenance", "svc_other", "other_intermediate"]  # fmt: skip
    names = [*kinds, "enterprise"]
    z = pd.DataFrame(0.0, index=names, columns=names)
    z.loc[kinds, "enterprise"] = [st.get(k) for k in kinds]
    x = pd.DataFrame({"indout": [1.0] * len(kinds) + [m.gross_output]}, index=names)
    a = pymrio.calc_A(z, x)
    col = a["enterprise"]
    services = [k for k in kinds if k.startswith("svc_")]
    assert col[services].sum() / col.sum() == pytest.approx(m.service_input_ratio, abs=1e-12)
    # value added per unit of output: 1 - column sum of A (pymrio's coefficients)
    assert 1 - col.sum() == pytest.approx(m.value_added / m.gross_output, abs=1e-12)
    assert np.isclose(col["materials"], 5_000 / 11_000)


def test_unbalanced_income_method_is_refused_with_both_figures():
    rows = [r if r[0] != "operating_surplus" else ("operating_surplus", 1100) for r in ROWS]
    with pytest.raises(StatementInvalid) as e:
        measure(read_statement(_csv(rows), "csv"))
    assert e.value.code == "unbalanced"
    assert "4000" in str(e.value) and "4200" in str(e.value) and "1.82%" in str(e.value)


def test_every_bad_row_is_reported_together():
    rows = [("项目", "金额"), ("product_revenue", "abc"), ("service_revenue", -5), ("nonsense", 1),
            ("energy", 3), ("energy", 4), ("labour_compensation", 10), ("materials", "")]  # fmt: skip
    with pytest.raises(StatementInvalid) as e:
        read_statement(_csv(rows), "csv")
    errs = e.value.errors
    assert "row 2: product_revenue amount 'abc' is not a number" in errs
    assert "row 3: service_revenue amount -5 is negative" in errs
    assert "row 4: unknown item 'nonsense'" in errs
    assert "row 6: item energy repeats row 5" in errs
    assert "row 8: materials has no amount (write 0 for none)" in errs
    assert len(errs) == 5  # required items with a bad row are not reported twice


def test_missing_service_business_inputs_leave_service_value_added_missing_not_the_revenue():
    st = validate([(2, "product_revenue", 900), (3, "service_revenue", 100), (4, "materials", 500),
                   (5, "energy", 50), (6, "svc_it", 50)])  # fmt: skip
    m = measure(st)
    assert m.service_value_added is None and "service_value_added" in m.missing
    assert m.service_input_ratio == pytest.approx(50 / 600) and m.value_added_income is None


def test_other_refusals():
    base = [(2, "product_revenue", 900), (3, "service_revenue", 100), (4, "materials", 500), (5, "energy", 50)]
    with pytest.raises(StatementInvalid, match="needs all four components: missing depreciation"):
        validate([*base, (6, "labour_compensation", 1), (7, "net_production_taxes", 1), (8, "operating_surplus", 1)])
    with pytest.raises(StatementInvalid, match="exceeds the intermediate inputs 550"):
        validate([*base, (6, "service_intermediate", 600)])
    with pytest.raises(StatementInvalid, match="required item materials"):
        validate(base[:2] + base[3:])
    with pytest.raises(StatementInvalid, match="header"):
        read_statement(b"a,b\n1,2\n", "csv")
    with pytest.raises(StatementInvalid, match="xlsx"):
        read_statement(b"not a zip", "xlsx")
    with pytest.raises(StatementInvalid, match="unit"):
        validate(base, unit="USD")


def test_blank_template_reads_back_once_filled():
    from somp.modules.evaluation.enterprise_io import template_workbook

    wb = openpyxl.load_workbook(io.BytesIO(template_workbook()))
    ws = wb.active
    amounts = dict(ROWS[1:])
    by_code = {item_code(k): v for k, v in amounts.items()}
    for row in ws.iter_rows(min_row=2):
        row[1].value = by_code.get(row[0].value, 0)
    buf = io.BytesIO()
    wb.save(buf)
    m = measure(read_statement(buf.getvalue(), "xlsx"))
    assert m.service_input_ratio == pytest.approx(1 / 7) and m.service_value_added == 1_400
