"""Report pages and yearly data pages (1.3.1-1.3.3): the maturity page links the report, PDF, Excel
and badge; the report page names every figure's source; /evaluation/yearly shows the financial
statements' measures and the sustainability records; an enterprise sees its own, the evaluator all."""

from __future__ import annotations

import io

import openpyxl

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.evaluation import evidence, service, yearly
from somp.modules.evaluation.schemas import AnswerIn, AnswersIn, EvaluationCreate
from somp.modules.evaluation.schemas_reports import SustainabilityIn
from tests.evaluation.test_enterprise_io import ROWS, _csv
from tests.factories import make_tenant, make_user
from tests.web.helpers import RAW_KEY_RE, WebClient


def seed(db, tenant, *, submit: bool = True) -> int:
    """An evaluation with an answer and its evidence file, a statement and a sustainability record."""
    service.ensure_builtin_systems(db)
    with db.session(Scope.tenant(tenant.id)) as s:
        sid = next(r.id for r in service.list_systems(db, s) if r.builtin)
        ev = service.start_evaluation(
            db, s, EvaluationCreate(system_id=sid, year=2025, title=f"{tenant.name}评价"), None
        )
        service.set_answers(db, s, ev.id, AnswersIn(answers=[AnswerIn(indicator_code="SO1.1", value=3)]), None)
        evidence.upload(db, s, ev.id, "SO1.1", "规划.txt", "服务化规划".encode(), None)
        yearly.save_statement(s, year=2025, unit="10k CNY", filename="报表.csv", data=_csv(ROWS), user_id=None)
        yearly.save_sustainability(s, tenant.id, SustainabilityIn.model_validate({
            "year": 2025, "figures": {"employees": 50, "training_hours": 1000},
            "activities": [{"name": "grid", "scope": 2, "quantity": 100, "unit": "MWh", "factor": "g"}],
            "factors": [{"key": "g", "value": 0.5366, "unit": "tCO2/MWh"}]}), None)  # fmt: skip
        if submit:
            service.submit(db, s, ev.id, None)
        s.commit()
        return ev.id


def test_report_pages_exports_and_yearly_data(app, db):
    a, b = make_tenant(db, name="甲企业"), make_tenant(db, name="乙企业")
    ea, eb = seed(db, a), seed(db, b, submit=False)
    make_user(db, a, Role.tenant_admin, username="rpadmin")
    make_user(db, None, Role.evaluator, username="rpreviewer")

    web = WebClient(app, "rpadmin")
    r = web.get(f"/evaluation/maturity/{ea}")
    assert r.status_code == 200 and f'href="/evaluation/maturity/{ea}/report"' in r.text and "badge.svg" in r.text
    r = web.get(f"/evaluation/maturity/{ea}/report")
    assert r.status_code == 200 and "甲企业" in r.text and "问卷" in r.text and "规划.txt" in r.text
    assert not RAW_KEY_RE.findall(r.text)
    r = web.get(f"/evaluation/maturity/{ea}/report.xlsx")
    assert r.status_code == 200 and openpyxl.load_workbook(io.BytesIO(r.content))["summary"]["B1"].value == "甲企业"
    r = web.get(f"/evaluation/maturity/{ea}/badge.svg")
    assert r.status_code == 200 and r.text.startswith("<svg")
    for path in ("report", "report.xlsx", "report.pdf", "badge.svg"):
        assert web.get(f"/evaluation/maturity/{eb}/{path}").status_code == 404
    r = web.get("/evaluation/yearly")
    assert r.status_code == 200 and not RAW_KEY_RE.findall(r.text)
    assert "14.3%" in r.text or "14.29%" in r.text  # service input ratio 1/7 of the uploaded statement
    assert "53.66" in r.text and "报表.csv" in r.text and "乙企业" not in r.text
    assert '<a href="/evaluation/yearly"' in r.text  # in the navigation

    reviewer = WebClient(app, "rpreviewer", lang="en")
    r = reviewer.get(f"/evaluation/maturity/{ea}/report")
    assert r.status_code == 200 and "Questionnaire" in r.text and "甲企业" in r.text
    assert reviewer.get(f"/evaluation/maturity/{eb}/report").status_code == 404  # a draft
    r = reviewer.get("/evaluation/yearly")
    assert r.status_code == 200 and "甲企业" in r.text and "乙企业" in r.text  # yearly data of every enterprise


def test_evidence_and_statement_forms(app, db):
    from tests.evaluation.test_uploads_api import PDF

    a = make_tenant(db, name="丁企业")
    service.ensure_builtin_systems(db)
    with db.session(Scope.tenant(a.id)) as s:
        sid = next(r.id for r in service.list_systems(db, s) if r.builtin)
        eid = service.start_evaluation(db, s, EvaluationCreate(system_id=sid, year=2025), None).id
        s.commit()
    make_user(db, a, Role.tenant_admin, username="formadmin")
    web = WebClient(app, "formadmin")
    r = web.get(f"/evaluation/maturity/{eid}/evidence")
    assert r.status_code == 200 and 'enctype="multipart/form-data"' in r.text and not RAW_KEY_RE.findall(r.text)
    form = {"csrf_token": web.csrf, "indicator_code": "SO1.1"}
    r = web.http.post(f"/evaluation/maturity/{eid}/evidence", data=form, files={"file": ("规划.pdf", PDF)})
    assert r.status_code == 303
    r = web.get(f"/evaluation/maturity/{eid}/evidence")
    assert "已保存证明材料 规划.pdf" in r.text and "规划.pdf</a>" in r.text
    fid = int(r.text.split('href="/evaluation/maturity/evidence/')[1].split('"')[0])
    got = web.get(f"/evaluation/maturity/evidence/{fid}")
    assert got.status_code == 200 and got.content == PDF and got.headers["content-disposition"].startswith("attachment")
    r = web.http.post(f"/evaluation/maturity/{eid}/evidence", data=form, files={"file": ("x.pdf", b"<html>")})
    assert r.status_code == 303 and "证明材料未保存" in web.get(f"/evaluation/maturity/{eid}/evidence").text
    r = web.http.post(f"/evaluation/maturity/{eid}/evidence", data={"indicator_code": "SO1.1"},
                      files={"file": ("a.pdf", PDF)})  # fmt: skip
    assert r.status_code == 403  # no CSRF token

    st = {"csrf_token": web.csrf, "year": "2025", "unit": "10k CNY"}
    bad = _csv([("item", "amount"), ("nonsense", 1)])
    r = web.http.post("/evaluation/yearly/statement", data=st, files={"file": ("s.csv", bad)})
    assert r.status_code == 303
    page = web.get("/evaluation/yearly").text
    assert "财务报表未保存" in page and "row 2: unknown item" in page
    r = web.http.post("/evaluation/yearly/statement", data=st, files={"file": ("报表.csv", _csv(ROWS))})
    page = web.get("/evaluation/yearly").text
    assert "已保存 2025 年财务报表" in page and "14.3%" in page
