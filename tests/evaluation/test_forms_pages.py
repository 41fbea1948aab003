"""Web forms of the enterprise side (issue 4): the conformance self-check with evidence, programme
applications (draft -> submit, criteria checked on each save) and sustainability figures, through
the pages with the session's CSRF token, on SQLite and PostgreSQL. Each form goes through the API's
services: the figures below are the ones the API tests count by hand."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.evaluation import programmes, record_files, standards, yearly
from tests.evaluation.test_programmes_pages import raw_keys
from tests.factories import make_customer, make_invoice, make_tenant, make_user
from tests.web.helpers import WebClient

CONF = "/evaluation/programmes/conformance"
APPS = "/evaluation/programmes/applications"


@pytest.fixture
def web(app, db):
    a, b = make_tenant(db, name="甲企业"), make_tenant(db, name="乙企业")
    c = make_customer(db, a)
    inv = make_invoice(db, a, c.id, issued_on=dt.date(2025, 3, 31))  # product 250,000 + service 12,000
    from somp.modules.invoicing.models import Invoice

    with db.session(Scope.tenant(a.id)) as s:
        s.get(Invoice, inv.id).status = "issued"
        s.commit()
    make_user(db, a, Role.tenant_admin, username="forma")
    make_user(db, b, Role.tenant_admin, username="formb")
    make_user(db, None, Role.evaluator, username="formev")
    return {
        "a": WebClient(app, "forma"),
        "b": WebClient(app, "formb"),
        "ev": WebClient(app, "formev"),
        "ta": a,
        "tb": b,
    }


def _id(location: str) -> int:
    return int(location.rstrip("/").rsplit("/", 1)[1])


def test_conformance_self_check_through_the_form(web, db):
    a, b, ev = web["a"], web["b"], web["ev"]
    page = a.get(CONF)
    assert page.status_code == 200 and "GB/T 43880.4" in page.text and not raw_keys(page.text)
    with db.session(Scope.tenant(web["ta"].id)) as s:
        std = next(x for x in standards.list_standards(db, s) if x.key == "gbt-43880-4")
    assert a.post(CONF, {"standard_id": str(std.id)}, csrf=False).status_code in (400, 403)  # no CSRF token
    r = a.post(CONF, {"standard_id": str(std.id)})
    assert r.status_code == 303
    cid = _id(r.headers["location"])
    page = a.get(f"{CONF}/{cid}")
    assert page.status_code == 200 and 'name="judgement__A-SI"' in page.text and not raw_keys(page.text)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    pdf = b"%PDF-1.4 evidence of service innovation"
    form = {"version": version, "action": "save", "judgement__A-SI": "conforms", "note__A-SI": "服务创新中心",
            "judgement__A-SO": "partial", "judgement__A-SS": ""}  # fmt: skip
    r = a.http.post(f"{CONF}/{cid}", data=form | {"csrf_token": a.csrf},
                    files={"evidence__A-SI": ("创新.pdf", pdf, "application/pdf")})  # fmt: skip
    assert r.status_code == 303
    with db.session(Scope.tenant(web["ta"].id)) as s:
        row = standards.get_check(s, cid)
        items = {it["clause"]: it for it in row.items}
        stored = record_files.list_for_check(s, cid)  # the file itself, stored with the judgements
        assert [(f.item, f.filename, f.content_type, f.sha256) for f in stored] == [
            ("A-SI", "创新.pdf", "application/pdf", hashlib.sha256(pdf).hexdigest())]  # fmt: skip
        fid = stored[0].id
        assert items["A-SI"]["evidence"] == []  # no reference: the file is the evidence
        assert items["A-SI"]["note"] == "服务创新中心" and "A-SS" not in items  # not judged: missing
        assert row.summary["share"] == pytest.approx(0.75) and row.summary["evidence_missing"] == ["A-SO"]
        assert row.submitted_at is None
    # a bad judgement is refused whole: nothing changes
    assert "已保存" in a.get(r.headers["location"]).text  # the redirect shows the message
    page = a.get(f"{CONF}/{cid}")
    assert f'href="/evaluation/programmes/files/{fid}"' in page.text
    got = a.get(f"/evaluation/programmes/files/{fid}")
    assert got.status_code == 200 and got.content == pdf and got.headers["x-content-type-options"] == "nosniff"
    # a refused file (a script named .pdf): its reason is shown; neither it nor the judgement change is stored
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    r = a.http.post(f"{CONF}/{cid}", data={"version": version, "action": "save", "judgement__A-SI": "partial",
                                           "judgement__A-SO": "partial", "csrf_token": a.csrf},
                    files={"evidence__A-SO": ("运营.pdf", b"<script>alert(1)</script>", "application/pdf"),
                           "evidence__A-SS": ("支撑.txt", "保障记录".encode(), "text/plain")})  # fmt: skip
    follow = a.get(f"{CONF}/{cid}").text
    assert r.status_code == 303 and "未保存" in follow and "A-SO: 运营.pdf: not an accepted kind of file" in follow
    with db.session(Scope.tenant(web["ta"].id)) as s:
        assert [f.id for f in record_files.list_for_check(s, cid)] == [fid]
        assert standards.get_check(s, cid).items[0]["judgement"] == "conforms"
    assert b.get(f"/evaluation/programmes/files/{fid}").status_code == 404
    assert ev.get(f"/evaluation/programmes/files/{fid}").status_code == 404  # a draft's
    # a second file, removed with the button beside it (another enterprise cannot)
    page = a.get(f"{CONF}/{cid}").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    a.http.post(f"{CONF}/{cid}", data={"version": version, "action": "save", "judgement__A-SI": "conforms",
                                       "judgement__A-SO": "partial", "csrf_token": a.csrf},
                files={"evidence__A-SS": ("支撑.txt", "保障记录".encode(), "text/plain")})  # fmt: skip
    with db.session(Scope.tenant(web["ta"].id)) as s:
        extra = [f.id for f in record_files.list_for_check(s, cid) if f.item == "A-SS"][0]
    assert f'formaction="/evaluation/programmes/files/{extra}/delete"' in a.get(f"{CONF}/{cid}").text
    assert b.post(f"/evaluation/programmes/files/{extra}/delete", {}).status_code == 404
    r = a.post(f"/evaluation/programmes/files/{extra}/delete", {})
    assert r.status_code == 303 and "已删除佐证文件 支撑.txt" in a.get(r.headers["location"]).text
    with db.session(Scope.tenant(web["ta"].id)) as s:
        assert [f.id for f in record_files.list_for_check(s, cid)] == [fid]
    r = a.post(f"{CONF}/{cid}", {"judgement__A-SI": "maybe", "action": "save"})
    follow = a.get(f"{CONF}/{cid}")
    assert r.status_code == 303 and "未保存" in follow.text
    assert (
        b.get(f"{CONF}/{cid}").status_code == 404 and b.post(f"{CONF}/{cid}", {"action": "submit"}).status_code == 404
    )
    assert ev.get(f"{CONF}/{cid}").status_code == 404  # a draft: not the evaluator's yet
    form = {"action": "submit", "judgement__A-SI": "conforms", "judgement__A-SO": "partial",
            "judgement__A-SS": "not_conforming"}  # fmt: skip
    r = a.post(f"{CONF}/{cid}", form)
    assert r.status_code == 303 and "已提交" in a.get(r.headers["location"]).text
    seen = ev.get(f"{CONF}/{cid}")
    assert seen.status_code == 200 and "50.0%" in seen.text and 'name="judgement__' not in seen.text  # read-only
    with db.session(Scope.tenant(web["ta"].id)) as s:
        row = standards.get_check(s, cid)
        assert row.submitted_at is not None and row.summary["evidence_missing"] == ["A-SO"]
    r = a.post(f"/evaluation/programmes/files/{fid}/delete", {})  # submitted: final
    assert r.status_code == 303 and "未保存" in a.get(r.headers["location"]).text
    got = ev.get(f"/evaluation/programmes/files/{fid}")  # submitted: the evaluator downloads the file
    assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == hashlib.sha256(pdf).hexdigest()
    assert f'href="/evaluation/programmes/files/{fid}"' in seen.text


def test_programme_application_draft_checks_and_submit(web, db):
    """a's service revenue share is measured (12,000 / 262,000 = 4.58 %): a declared 0.6 is ignored and
    the leading-brand criterion is not met; years in operation and incidents are declared only."""
    a, b, ev = web["a"], web["b"], web["ev"]
    assert a.get(APPS).status_code == 200
    r = a.post(APPS, {"programme": "leading_brand", "year": "2025"})
    assert r.status_code == 303
    aid = _id(r.headers["location"])
    page = a.get(f"{APPS}/{aid}")
    assert page.status_code == 200 and not raw_keys(page.text) and 'name="declared__service_revenue_share"' in page.text
    r = a.post(f"{APPS}/{aid}", {"action": "save", "declared__service_revenue_share": "60%",
                                 "declared__major_incidents": "0"})  # fmt: skip
    assert r.status_code == 303 and "已保存" in a.get(r.headers["location"]).text
    with db.session(Scope.tenant(web["ta"].id)) as s:
        row = programmes.get_application(s, aid)
        checks = {c["metric"]: c for c in row.checks}
        assert row.declared == {"service_revenue_share": 0.6, "major_incidents": 0.0}
        assert checks["service_revenue_share"]["source"] == "measured"
        assert checks["service_revenue_share"]["value"] == pytest.approx(12_000 / 262_000)
        assert checks["service_revenue_share"]["met"] is False and row.eligible is False
        assert checks["major_incidents"]["source"] == "declared" and checks["major_incidents"]["met"] is True
    page = a.get(f"{APPS}/{aid}")
    assert "平台测算" in page.text and "企业填报" in page.text and "不满足" in page.text
    r = a.post(f"{APPS}/{aid}", {"action": "save", "declared__major_incidents": "x"})
    assert r.status_code == 303 and "未保存" in a.get(f"{APPS}/{aid}").text
    assert b.post(f"{APPS}/{aid}", {"action": "submit"}).status_code == 404
    assert ev.get(f"{APPS}/{aid}").status_code == 404  # a draft
    # evidence files with the figures: a refused one stores nothing and says why
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    r = a.http.post(f"{APPS}/{aid}", data={"action": "save", "declared__major_incidents": "0", "csrf_token": a.csrf},
                    files={"evidence__": ("申报书.docx", b"MZ\x90\x00", "application/pdf"),
                           "evidence__major_incidents": ("安全.png", png, "image/png")})  # fmt: skip
    assert r.status_code == 303 and "申报书.docx: not an accepted kind of file" in a.get(f"{APPS}/{aid}").text
    with db.session(Scope.tenant(web["ta"].id)) as s:
        assert record_files.list_for_application(s, aid) == []
    r = a.http.post(f"{APPS}/{aid}", data={"action": "submit", "declared__major_incidents": "0", "csrf_token": a.csrf},
                    files={"evidence__major_incidents": ("安全.png", png, "image/png")})  # fmt: skip
    assert r.status_code == 303 and "已提交" in a.get(r.headers["location"]).text
    with db.session(Scope.tenant(web["ta"].id)) as s:
        (f,) = record_files.list_for_application(s, aid)
        assert (f.item, f.content_type, f.size) == ("major_incidents", "image/png", len(png))
    assert ev.get(f"/evaluation/programmes/files/{f.id}").content == png
    assert b.get(f"/evaluation/programmes/files/{f.id}").status_code == 404
    with db.session(Scope.tenant(web["ta"].id)) as s:
        assert programmes.get_application(s, aid).status.value == "submitted"
    seen = ev.get(f"{APPS}/{aid}")
    assert seen.status_code == 200 and "已申报" in seen.text and 'name="declared__' not in seen.text
    assert a.post(f"{APPS}/{aid}", {"action": "save"}).status_code == 303  # no longer editable: refused
    assert "未保存" in a.get(f"{APPS}/{aid}").text
    dup = a.post(APPS, {"programme": "leading_brand", "year": "2025"})
    assert dup.status_code == 303 and dup.headers["location"] == APPS  # one open application per year


def test_regional_application_files_figures_and_resubmission_through_the_evaluators_form(web, db):
    """A regional application (filed submitted by an evaluator) takes files on its page until its
    review starts; returned, its figures and a new submission too; enterprises can do nothing."""
    from somp.modules.evaluation import regions_service

    a, ev = web["a"], web["ev"]
    region = regions_service.save_region(db, {"code": "320500", "name_zh": "苏州市", "area_km2": 8657.0})
    aid = programmes.file_region_application(db, {"programme": "innovation_highland", "region_id": region,
                                                  "year": 2025}, None)  # fmt: skip
    page = ev.get(f"{APPS}/{aid}")
    assert page.status_code == 200 and not raw_keys(page.text)
    assert 'name="evidence__region_index"' in page.text and 'name="declared__' not in page.text  # submitted
    assert 'value="submit"' not in page.text
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    r = ev.http.post(f"{APPS}/{aid}", data={"action": "save", "csrf_token": ev.csrf},
                     files={"evidence__region_index": ("指数测算.pdf", pdf, "application/pdf")})  # fmt: skip
    assert r.status_code == 303 and "已保存" in ev.get(r.headers["location"]).text
    with db.session(Scope.evaluation()) as s:
        (f,) = record_files.list_for_application(s, aid)
        assert (f.item, f.filename, f.tenant_id) == ("region_index", "指数测算.pdf", None)
    assert ev.get(f"/evaluation/programmes/files/{f.id}").content == pdf
    assert a.get(f"{APPS}/{aid}").status_code == 404
    assert a.get(f"/evaluation/programmes/files/{f.id}").status_code == 404
    assert a.post(f"{APPS}/{aid}", {"action": "save"}).status_code == 404
    assert a.post(f"/evaluation/programmes/files/{f.id}/delete", {}).status_code == 404
    # under review: nothing changes; returned: figures, files and a new submission
    _review(db, aid, {"to_status": "under_review"})
    assert 'type="file"' not in ev.get(f"{APPS}/{aid}").text
    r = ev.post(f"/evaluation/programmes/files/{f.id}/delete", {})
    assert r.status_code == 303 and "未保存" in ev.get(f"{APPS}/{aid}").text
    _review(db, aid, {"to_status": "returned", "note": "补充测算依据"})
    page = ev.get(f"{APPS}/{aid}")
    assert 'name="declared__region_index"' in page.text and 'value="submit"' in page.text
    r = ev.post(f"/evaluation/programmes/files/{f.id}/delete", {})
    assert r.status_code == 303 and "指数测算.pdf" in ev.get(f"{APPS}/{aid}").text  # the flash names it
    r = ev.http.post(f"{APPS}/{aid}", data={"action": "submit", "declared__region_index": "72", "csrf_token": ev.csrf},
                     files={"evidence__": ("建设方案.pdf", pdf, "application/pdf")})  # fmt: skip
    assert r.status_code == 303 and "已提交" in ev.get(r.headers["location"]).text
    with db.session(Scope.evaluation()) as s:
        row = programmes.get_application(s, aid)
        assert row.status.value == "submitted" and row.declared == {"region_index": 72.0}
        assert [(x.item, x.filename) for x in record_files.list_for_application(s, aid)] == [("", "建设方案.pdf")]


def _review(db, aid, decision):
    with db.session(Scope.evaluation()) as s:
        programmes.review(db, s, aid, decision, None)


def test_sustainability_figures_through_the_yearly_page(web, db):
    """4 recordable injuries in 180,000 h: 4 x 200,000 / 180,000 = 4.44 (OSHA's worked example)."""
    a = web["a"]
    page = a.get("/evaluation/yearly")
    assert page.status_code == 200 and 'name="figure__hours_worked"' in page.text and not raw_keys(page.text)
    r = a.post(
        "/evaluation/yearly/sustainability",
        {"year": "2025", "figure__hours_worked": "180,000", "figure__recordable_injuries": "4", "figure__water_m3": ""},
    )
    assert r.status_code == 303 and "已保存 2025 年可持续发展数据" in a.get(r.headers["location"]).text
    with db.session(Scope.tenant(web["ta"].id)) as s:
        rec = yearly.sustainability_of(s, web["ta"].id, 2025)
        assert rec.figures == {"hours_worked": 180_000.0, "recordable_injuries": 4.0}  # blank: not reported
        assert rec.result["indicators"]["S1"]["value"] == pytest.approx(4.44, abs=0.005)
        assert rec.result["indicators"]["E4"]["value"] is None
    r = a.post(
        "/evaluation/yearly/sustainability",
        {"year": "2025", "figure__hours_worked": "100", "figure__recordable_injuries": "2.5"},
    )
    assert r.status_code == 303 and "未保存" in a.get("/evaluation/yearly").text  # a fractional count
    with db.session(Scope.tenant(web["ta"].id)) as s:
        assert yearly.sustainability_of(s, web["ta"].id, 2025).figures["hours_worked"] == 180_000.0
    assert web["ev"].post("/evaluation/yearly/sustainability", {"year": "2025"}).status_code == 403
