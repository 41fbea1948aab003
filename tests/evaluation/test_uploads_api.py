"""Evaluation uploads through the API (1.3.1-1.3.3): evidence files (size, content type from the bytes,
sha256, tenant-owned, download with authorisation), Excel uploads of indicator systems and of
questionnaire answers, financial statements (enterprise-level input-output) and sustainability
records (ESG figures and carbon footprint), each stored whole or refused with its reasons."""

from __future__ import annotations

import hashlib
import io

import openpyxl
import pytest

from somp.modules.evaluation import evidence
from tests.evaluation.test_api import API, default_system_id, people  # noqa: F401 - people: fixture
from tests.evaluation.test_enterprise_io import ROWS, _csv

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _draft(api) -> int:
    r = api.post(f"{API}/evaluations", json={"system_id": default_system_id(api), "year": 2025})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def test_evidence_files_are_checked_stored_with_digest_and_read_only_by_whom_may(people):  # noqa: F811
    a, b, ev_api = people["a"], people["b"], people["evaluator"]
    eid = _draft(a)
    r = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"},
               files={"file": ("战略规划.pdf", PDF, "text/html")})  # fmt: skip
    assert r.status_code == 201, r.text
    row = r.json()
    assert row["content_type"] == "application/pdf"  # recognised, not the client's claim
    assert row["sha256"] == hashlib.sha256(PDF).hexdigest() and row["size"] == len(PDF)
    fid = row["id"]
    # refused: a script named .pdf, a PNG named .pdf, too large, empty, unknown indicator
    for name, data, code in [("x.pdf", b"<script>alert(1)</script>", "content_type"),
                             ("x.pdf", PNG, "content_type"), ("a.exe", b"MZ\x90\x00", "content_type"),
                             ("big.pdf", b"%PDF-" + b"0" * evidence.MAX_BYTES, "too_large"),
                             ("empty.txt", b"", "empty")]:  # fmt: skip
        r = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"}, files={"file": (name, data)})
        assert r.status_code == 422 and r.json()["errors"][0]["code"] == code, (name, r.text)
    r = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "NOPE"}, files={"file": ("a.png", PNG)})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "indicator_code"
    r = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"},
               files={"file": ("../../etc/说明.txt", "年报摘要".encode())})  # fmt: skip
    assert r.status_code == 201 and r.json()["filename"] == "说明.txt" and r.json()["content_type"] == "text/plain"

    assert [x["id"] for x in a.get(f"{API}/evaluations/{eid}/evidence").json()][0] == fid
    r = a.get(f"{API}/evidence/{fid}")
    assert r.status_code == 200 and r.content == PDF and r.headers["content-type"] == "application/pdf"
    assert (
        r.headers["content-disposition"].startswith("attachment;") and r.headers["x-content-type-options"] == "nosniff"
    )
    # another enterprise and the evaluator (draft) see nothing
    assert b.get(f"{API}/evidence/{fid}").status_code == 404
    assert b.get(f"{API}/evaluations/{eid}/evidence").status_code == 404
    r = b.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"}, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 404
    assert ev_api.get(f"{API}/evidence/{fid}").status_code == 404
    # after submission: the evaluator downloads it; the enterprise can no longer change it
    assert a.post(f"{API}/evaluations/{eid}/submit", json={}).status_code == 200
    r = ev_api.get(f"{API}/evidence/{fid}")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == row["sha256"]
    assert a.delete(f"{API}/evidence/{fid}").status_code == 409
    r = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"}, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 409


def test_evidence_sniffing_of_office_documents():
    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    assert evidence.sniff(buf.getvalue(), "台账.xlsx").endswith("spreadsheetml.sheet")
    with pytest.raises(ValueError, match="name ends in .docx"):
        evidence.sniff(buf.getvalue(), "x.docx")
    import zipfile

    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("payload.sh", "rm -rf /")
    with pytest.raises(ValueError, match="not a Word, Excel or PowerPoint"):
        evidence.sniff(z.getvalue(), "x.xlsx")
    assert evidence.safe_name("C:\\Users\\x\\\x07报告.pdf") == "报告.pdf" and evidence.safe_name("...") == "evidence"


def test_indicator_system_and_answers_through_excel(people):  # noqa: F811
    a, b = people["a"], people["b"]
    sid = default_system_id(a)
    r = a.get(f"{API}/systems/{sid}/excel")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxml")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert {"system", "indicators", "levels"} <= set(wb.sheetnames)
    for row in wb["system"].iter_rows():
        if row[0].value == "code":
            row[1].value = "own-from-excel"
    buf = io.BytesIO()
    wb.save(buf)
    r = a.post(f"{API}/systems/excel", files={"file": ("system.xlsx", buf.getvalue())})
    assert r.status_code == 201, r.text
    assert r.json()["code"] == "own-from-excel" and r.json()["indicators"] == 20
    assert b.get(f"{API}/systems/{r.json()['id']}/excel").status_code == 404
    r = a.post(f"{API}/systems/excel", files={"file": ("system.xlsx", b"not a workbook")})
    assert r.status_code == 422

    eid = _draft(a)
    assert a.post(f"{API}/evaluations/{eid}/compute", json={}).status_code == 200  # DR1.1 measured (invoices)
    r = a.get(f"{API}/evaluations/{eid}/answers.xlsx")
    assert r.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    ws = wb["answers"]
    header = [c.value for c in ws[1]]
    col = {k: header.index(k) for k in ("code", "value", "note", "options")}
    rows = {row[col["code"]].value: row for row in ws.iter_rows(min_row=2)}
    assert "3:" in rows["SO1.1"][col["options"]].value
    # a measured value is shown for information, not as an answer to send back
    assert rows["DR1.1"][col["value"]].value is None and rows["DR1.1"][header.index("platform_value")].value > 0
    rows["SO1.1"][col["value"]].value = 3
    rows["SO1.2"][col["value"]].value = "8%"
    rows["SO1.2"][col["note"]].value = "2025 年报"
    rows["SO2.1"][col["value"]].value = "缺失"
    buf = io.BytesIO()
    wb.save(buf)
    r = a.post(f"{API}/evaluations/{eid}/answers/excel", files={"file": ("answers.xlsx", buf.getvalue())})
    assert r.status_code == 200, r.text
    got = {x["indicator_code"]: x for x in r.json()["answers"]}
    assert got["SO1.1"]["value"] == 3 and got["SO1.1"]["source"] == "questionnaire"
    assert got["SO1.2"]["value"] == pytest.approx(0.08) and got["SO1.2"]["note"] == "2025 年报"
    assert got["SO2.1"]["value"] is None and got["DR1.1"]["source"] == "computed"
    # a level beyond the options and a text value: the whole batch is refused, rows named
    rows["SO1.1"][col["value"]].value = 9
    rows["SO2.2"][col["value"]].value = "很多"
    buf = io.BytesIO()
    wb.save(buf)
    r = a.post(f"{API}/evaluations/{eid}/answers/excel", files={"file": ("answers.xlsx", buf.getvalue())})
    assert r.status_code == 422 and r.json()["errors"][0]["row"] == list(rows).index("SO2.2") + 2
    rows["SO2.2"][col["value"]].value = None
    buf = io.BytesIO()
    wb.save(buf)
    r = a.post(f"{API}/evaluations/{eid}/answers/excel", files={"file": ("answers.xlsx", buf.getvalue())})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unscorable_value"
    assert r.json()["errors"][0]["row"] == list(rows).index("SO1.1") + 2
    now = {x["indicator_code"]: x["value"] for x in a.get(f"{API}/evaluations/{eid}").json()["answers"]}
    assert now["SO1.1"] == 3 and now.get("SO2.2") is None  # unchanged: the batch was refused whole


def test_financial_statement_upload_measures_and_refusals(people):  # noqa: F811
    a, b, ev_api = people["a"], people["b"], people["evaluator"]
    r = a.get(f"{API}/financial-statements/template.xlsx")
    assert (
        r.status_code == 200 and openpyxl.load_workbook(io.BytesIO(r.content)).active["A2"].value == "product_revenue"
    )
    r = a.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("2025.csv", _csv(ROWS))})
    assert r.status_code == 201, r.text
    st = r.json()
    m = st["result"]
    assert m["service_input_ratio"] == pytest.approx(1 / 7) and m["service_value_added"] == 1400
    assert st["unit"] == "10k CNY" and st["sha256"] == hashlib.sha256(_csv(ROWS)).hexdigest()
    # a second upload of the year replaces the first whole; a bad one changes nothing
    bad = [*ROWS[:3], ("nonsense", 1), ("energy", "x")]
    r = a.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("2025.csv", _csv(bad))})
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert {e["row"] for e in errors if e.get("row")} == {4, 5} and any("materials" in e["message"] for e in errors)
    assert a.get(f"{API}/financial-statements/{st['id']}").json()["version"] == st["version"]
    unbalanced = [r if r[0] != "operating_surplus" else ("operating_surplus", 2000) for r in ROWS]
    r = a.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("u.csv", _csv(unbalanced))})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unbalanced"
    assert b.get(f"{API}/financial-statements/{st['id']}").status_code == 404
    assert b.get(f"{API}/financial-statements").json() == []
    assert [x["id"] for x in ev_api.get(f"{API}/financial-statements", params={"year": 2025}).json()] == [st["id"]]


def test_sustainability_record_with_footprint_and_esg_scores(people):  # noqa: F811
    a, b = people["a"], people["b"]
    a.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("2025.csv", _csv(ROWS))})
    body = {
        "year": 2025,
        "figures": {"employees": 400, "hours_worked": 800_000, "recordable_injuries": 6, "training_hours": 12_000,
                    "board_members": 9, "independent_directors": 3, "compliance_incidents": 0, "water_m3": None},
        "activities": [{"name": "grid", "scope": 2, "quantity": 2_000_000, "unit": "kWh", "factor": "grid",
                        "category": "purchased electricity"},
                       {"name": "furnace gas", "scope": 1, "quantity": 500, "unit": "GJ", "factor": "gas"}],
        "factors": [{"key": "grid", "value": 0.5366, "unit": "kgCO2/kWh", "source": "MEE/NBS 2022"},
                    {"key": "gas", "value": 56_100, "unit": "kg CO2/TJ", "source": "IPCC 2006 (unverified)"}],
    }  # fmt: skip
    r = a.post(f"{API}/sustainability", json=body)
    assert r.status_code == 200, r.text
    rec = r.json()
    res = rec["result"]
    assert res["footprint"]["by_scope"] == pytest.approx({"1": 28.05, "2": 1073.2, "3": 0})
    assert res["footprint"]["lines"][0]["factor_source"] == "MEE/NBS 2022"
    # revenue comes from the year's financial statement (10,500 in 10k CNY), and says so
    assert res["figure_sources"]["revenue"] == "financial statement 2025"
    assert res["indicators"]["E1"]["value"] == pytest.approx((28.05 + 1073.2) / 10_500)
    assert res["indicators"]["S1"]["value"] == pytest.approx(1.5) and res["indicators"]["E4"]["value"] is None
    assert "water_m3" in res["indicators"]["E4"]["note"]
    assert set(res["dimensions"]) == {"ENV", "SOC", "GOV"} and 0 < res["total"]["coverage"] < 1
    # refused as a whole: incompatible units, bad figures; a stale version
    bad = {**body, "activities": [{**body["activities"][0], "unit": "kg"}]}
    r = a.post(f"{API}/sustainability", json=bad)
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "incompatible_units"
    r = a.post(f"{API}/sustainability", json={**body, "figures": {"employees": -1, "nonsense": 2}})
    assert r.status_code == 422 and {e["field"] for e in r.json()["errors"]} == {
        "figures.employees",
        "figures.nonsense",
    }
    r = a.post(f"{API}/sustainability", json={**body, "version": rec["version"] + 5})
    assert r.status_code == 409
    assert a.get(f"{API}/sustainability/{rec['id']}").json()["result"] == res
    assert b.get(f"{API}/sustainability/{rec['id']}").status_code == 404 and b.get(f"{API}/sustainability").json() == []


def test_the_evaluator_writes_none_of_an_enterprises_data(people):  # noqa: F811
    a, ev_api = people["a"], people["evaluator"]
    eid = _draft(a)
    fid = a.post(f"{API}/evaluations/{eid}/evidence", data={"indicator_code": "SO1.1"},
                 files={"file": ("a.pdf", PDF)}).json()["id"]  # fmt: skip
    assert a.post(f"{API}/evaluations/{eid}/submit", json={}).status_code == 200
    assert ev_api.delete(f"{API}/evidence/{fid}").status_code == 403
    r = ev_api.post(f"{API}/financial-statements", data={"year": 2025}, files={"file": ("s.csv", _csv(ROWS))})
    assert r.status_code == 403
    assert ev_api.post(f"{API}/sustainability", json={"year": 2025}).status_code == 403
    assert ev_api.post(f"{API}/systems/excel", files={"file": ("s.xlsx", b"x")}).status_code == 403
    assert ev_api.get(f"{API}/evidence/{fid}").status_code == 200  # reading a submitted evaluation's file


def test_revenue_in_cny_from_the_statement_is_converted_to_10k_cny(people):  # noqa: F811
    a = people["a"]
    rows = [("item", "amount"), ("product_revenue", 80_000_000), ("service_revenue", 20_000_000),
            ("materials", 50_000_000), ("energy", 5_000_000)]  # fmt: skip
    r = a.post(f"{API}/financial-statements", data={"year": 2024, "unit": "CNY"}, files={"file": ("s.csv", _csv(rows))})
    assert r.status_code == 201 and r.json()["unit"] == "CNY"
    body = {"year": 2024, "figures": {"energy_tce": 500},
            "activities": [{"name": "grid", "scope": 2, "quantity": 1000, "unit": "MWh", "factor": "g"}],
            "factors": [{"key": "g", "value": 0.5, "unit": "tCO2/MWh"}]}  # fmt: skip
    res = a.post(f"{API}/sustainability", json=body).json()["result"]
    assert res["indicators"]["E2"]["value"] == pytest.approx(500 / 10_000)  # 100 M CNY = 10,000 x 10k CNY
    assert res["indicators"]["E1"]["value"] == pytest.approx(500 / 10_000)
