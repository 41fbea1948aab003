"""Evidence files of conformance self-checks and programme applications over HTTP (issue 4), on
SQLite and PostgreSQL: the maturity evidence's checks (size, content type recognised from the bytes,
sha256), tenant ownership, editability of the owner, and downloads only by whom may (the evaluator:
submitted self-checks and applications only)."""

from __future__ import annotations

import hashlib

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from somp.core.tenancy import Scope
from somp.modules.evaluation import evidence
from somp.modules.evaluation.models import RecordFile
from tests.evaluation.test_programmes_api import API, DEMO_DECLARED, _ok, people  # noqa: F401 - people: fixture

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _check(api) -> dict:
    std = next(s for s in _ok(api.get(f"{API}/standards"))["items"] if s["key"] == "gbt-43880-4")
    items = [{"clause": "A-SI", "judgement": "conforms"}, {"clause": "A-SO", "judgement": "partial"}]
    return _ok(api.post(f"{API}/conformance", json={"standard_id": std["id"], "items": items}), 201)


def test_self_check_files_are_checked_count_as_evidence_and_are_read_only_by_whom_may(people):  # noqa: F811
    a, b, ev = people["a"], people["b"], people["evaluator"]
    check = _check(a)
    cid = check["id"]
    assert check["summary"]["evidence_missing"] == ["A-SI", "A-SO"]
    r = a.post(f"{API}/conformance/{cid}/files", data={"clause": "A-SI"},
               files={"file": ("服务创新.pdf", PDF, "text/html")})  # fmt: skip
    row = _ok(r, 201)
    assert row["content_type"] == "application/pdf" and row["item"] == "A-SI" and row["check_id"] == cid
    assert row["sha256"] == hashlib.sha256(PDF).hexdigest() and row["size"] == len(PDF)
    # a clause with a stored file has evidence
    assert _ok(a.get(f"{API}/conformance/{cid}"))["summary"]["evidence_missing"] == ["A-SO"]
    # refused, nothing stored: a script named .pdf, a PNG named .pdf, too large, empty, unknown clause
    for clause, name, data, field, code in [
        ("A-SO", "x.pdf", b"<script>alert(1)</script>", "file", "content_type"),
        ("A-SO", "x.pdf", PNG, "file", "content_type"),
        ("A-SO", "big.pdf", b"%PDF-" + b"0" * evidence.MAX_BYTES, "file", "too_large"),
        ("A-SO", "empty.txt", b"", "file", "empty"),
        ("9.9", "a.pdf", PDF, "clause", "unknown_clause"),
    ]:
        r = a.post(f"{API}/conformance/{cid}/files", data={"clause": clause}, files={"file": (name, data)})
        assert r.status_code == 422, (name, r.text)
        assert (r.json()["errors"][0]["field"], r.json()["errors"][0]["code"]) == (field, code), r.text
    r = a.post(f"{API}/conformance/{cid}/files", data={"clause": "A-SO"})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "missing_file"
    assert [x["id"] for x in _ok(a.get(f"{API}/conformance/{cid}/files"))] == [row["id"]]
    r = a.get(f"{API}/record-files/{row['id']}")
    assert r.status_code == 200 and r.content == PDF and r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("attachment;")
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["content-security-policy"] == "sandbox"
    # another enterprise: 404 everywhere, before its file is read; the evaluator: not before submission
    assert b.get(f"{API}/record-files/{row['id']}").status_code == 404
    assert b.get(f"{API}/conformance/{cid}/files").status_code == 404
    r = b.post(f"{API}/conformance/{cid}/files", data={"clause": "A-SO"}, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 404
    assert b.delete(f"{API}/record-files/{row['id']}").status_code == 404
    assert ev.get(f"{API}/record-files/{row['id']}").status_code == 404
    assert ev.get(f"{API}/conformance/{cid}/files").status_code == 404
    # a second file, then removed: the summary follows
    second = _ok(a.post(f"{API}/conformance/{cid}/files", data={"clause": "A-SO"},
                        files={"file": ("运营.txt", "运营记录".encode())}), 201)  # fmt: skip
    assert _ok(a.get(f"{API}/conformance/{cid}"))["summary"]["evidence_missing"] == []
    assert a.delete(f"{API}/record-files/{second['id']}").status_code == 204
    latest = _ok(a.get(f"{API}/conformance/{cid}"))
    assert latest["summary"]["evidence_missing"] == ["A-SO"]
    # submitted: the evaluator downloads it; the enterprise changes nothing any more
    items = [{"clause": "A-SI", "judgement": "conforms"}, {"clause": "A-SO", "judgement": "partial"}]
    _ok(a.put(f"{API}/conformance/{cid}", json={"items": items, "submit": True, "version": latest["version"]}))
    r = ev.get(f"{API}/record-files/{row['id']}")
    assert r.status_code == 200 and hashlib.sha256(r.content).hexdigest() == row["sha256"]
    assert [x["item"] for x in _ok(ev.get(f"{API}/conformance/{cid}/files"))] == ["A-SI"]
    assert a.delete(f"{API}/record-files/{row['id']}").status_code == 409
    r = a.post(f"{API}/conformance/{cid}/files", data={"clause": "A-SO"}, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 409


def test_application_files_per_criterion_and_evaluator_reads_submitted_only(people):  # noqa: F811
    b, a, ev = people["b"], people["a"], people["evaluator"]
    app = _ok(b.post(f"{API}/applications", json={"programme": "demonstration_enterprise", "year": 2025,
                                                  "declared": DEMO_DECLARED}), 201)  # fmt: skip
    aid = app["id"]
    general = _ok(b.post(f"{API}/applications/{aid}/files", files={"file": ("申报书.pdf", PDF)}), 201)
    assert general["item"] == "" and general["application_id"] == aid and general["check_id"] is None
    share = _ok(b.post(f"{API}/applications/{aid}/files", data={"criterion": "service_revenue_share"},
                       files={"file": ("收入.png", PNG)}), 201)  # fmt: skip
    assert share["content_type"] == "image/png"
    r = b.post(f"{API}/applications/{aid}/files", data={"criterion": "nope"}, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_criterion"
    r = b.post(f"{API}/applications/{aid}/files", files={"file": ("a.exe", b"MZ\x90\x00")})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "content_type"
    assert [x["item"] for x in _ok(b.get(f"{API}/applications/{aid}/files"))] == ["", "service_revenue_share"]
    assert a.get(f"{API}/record-files/{general['id']}").status_code == 404
    assert a.get(f"{API}/applications/{aid}/files").status_code == 404
    assert ev.get(f"{API}/record-files/{general['id']}").status_code == 404  # a draft's
    _ok(b.post(f"{API}/applications/{aid}/submit", json={}))
    r = ev.get(f"{API}/record-files/{share['id']}")
    assert r.status_code == 200 and r.content == PNG
    assert len(_ok(ev.get(f"{API}/applications/{aid}/files"))) == 2
    assert b.delete(f"{API}/record-files/{general['id']}").status_code == 409
    # returned by the evaluator: editable again
    _ok(ev.post(f"{API}/applications/{aid}/decision", json={"to_status": "under_review"}))
    _ok(ev.post(f"{API}/applications/{aid}/decision", json={"to_status": "returned", "note": "补充材料"}))
    assert b.delete(f"{API}/record-files/{general['id']}").status_code == 204
    assert [x["id"] for x in _ok(b.get(f"{API}/applications/{aid}/files"))] == [share["id"]]


def test_regional_application_files_belong_to_the_evaluator_and_follow_its_review(people):  # noqa: F811
    """A regional application (filed by an evaluator, submitted at once, no tenant) takes evidence
    files until its review starts and again when returned; the evaluator reads them like an
    enterprise application's; no enterprise sees or writes them. A returned one is corrected and
    submitted again by the evaluator."""
    a, b, ev = people["a"], people["b"], people["evaluator"]
    region = _ok(ev.post(f"{API}/region-registry", json={"code": "320500", "name_zh": "苏州市", "area_km2": 8657}),
                 201)  # fmt: skip
    app = _ok(ev.post(f"{API}/region-applications", json={"programme": "innovation_highland",
                                                          "region_id": region["id"], "year": 2025}), 201)  # fmt: skip
    aid, files = app["id"], f"{API}/region-applications/{app['id']}/files"
    plan = _ok(ev.post(files, files={"file": ("高地建设方案.pdf", PDF)}), 201)
    assert plan["item"] == "" and plan["application_id"] == aid and plan["check_id"] is None
    assert plan["sha256"] == hashlib.sha256(PDF).hexdigest()
    density = _ok(ev.post(files, data={"criterion": "region_som_density"}, files={"file": ("名单.png", PNG)}), 201)
    r = ev.post(files, data={"criterion": "service_revenue_share"}, files={"file": ("a.pdf", PDF)})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "unknown_criterion"
    r = ev.post(files, files={"file": ("a.exe", b"MZ\x90\x00")})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "content_type"
    assert [x["item"] for x in _ok(ev.get(f"{API}/applications/{aid}/files"))] == ["", "region_som_density"]
    assert ev.get(f"{API}/record-files/{density['id']}").content == PNG
    # enterprises: neither write nor read
    assert a.post(files, files={"file": ("x.pdf", PDF)}).status_code == 403
    assert a.delete(f"{files}/{plan['id']}").status_code == 403
    assert a.get(f"{API}/record-files/{plan['id']}").status_code == 404
    assert a.get(f"{API}/applications/{aid}/files").status_code == 404
    assert a.delete(f"{API}/record-files/{plan['id']}").status_code == 404
    # an enterprise's application is not a regional one
    theirs = _ok(b.post(f"{API}/applications", json={"programme": "demonstration_enterprise", "year": 2025,
                                                     "declared": DEMO_DECLARED}), 201)  # fmt: skip
    _ok(b.post(f"{API}/applications/{theirs['id']}/submit", json={}))
    assert ev.post(f"{API}/region-applications/{theirs['id']}/files", files={"file": ("x.pdf", PDF)}).status_code == 404
    assert ev.delete(f"{API}/region-applications/{aid}/files/999999").status_code == 404
    # under review: frozen; returned: files, figures and a new submission
    _ok(ev.post(f"{API}/applications/{aid}/decision", json={"to_status": "under_review"}))
    assert ev.post(files, files={"file": ("late.pdf", PDF)}).status_code == 409
    assert ev.delete(f"{files}/{plan['id']}").status_code == 409
    assert ev.put(f"{API}/region-applications/{aid}", json={"declared": {}}).status_code == 409
    _ok(ev.post(f"{API}/applications/{aid}/decision", json={"to_status": "returned", "note": "补充建设方案"}))
    assert ev.delete(f"{files}/{plan['id']}").status_code == 204
    _ok(ev.post(files, files={"file": ("高地建设方案-修订.pdf", PDF)}), 201)
    correction = {"declared": {"region_index": 72}, "evidence": [{"name": "修订说明.pdf", "sha256": "a" * 64}]}
    fixed = _ok(ev.put(f"{API}/region-applications/{aid}", json=correction))
    assert fixed["status"] == "returned" and fixed["declared"] == {"region_index": 72}
    assert {c["metric"]: c["source"] for c in fixed["checks"]}["region_index"] in ("measured", "declared")
    again = _ok(ev.post(f"{API}/region-applications/{aid}/submit", json={}))
    assert again["status"] == "submitted"
    assert ev.post(f"{API}/region-applications/{aid}/submit", json={}).status_code == 409
    assert sorted(x["filename"] for x in _ok(ev.get(f"{API}/applications/{aid}/files"))) == [
        "名单.png", "高地建设方案-修订.pdf"]  # fmt: skip


def test_database_refuses_a_file_on_another_enterprises_record_or_with_two_owners(db, people):  # noqa: F811
    check = _check(people["a"])
    app = _ok(people["b"].post(f"{API}/applications", json={"programme": "demonstration_enterprise",
                                                            "year": 2025}), 201)  # fmt: skip
    base = {"item": "", "filename": "a.pdf", "content_type": "application/pdf", "size": 1, "sha256": "0" * 64,
            "content": b"%"}  # fmt: skip
    for values in ({"tenant_id": people["tenant_b"].id, "check_id": check["id"]},  # a's check, b's row
                   {"tenant_id": people["tenant_a"].id, "check_id": check["id"], "application_id": app["id"]},
                   {"tenant_id": people["tenant_a"].id},
                   {"tenant_id": None, "check_id": check["id"]},  # only a regional application's file has no tenant
                   {"tenant_id": None, "application_id": 999_999}):  # fmt: skip
        with db.session(Scope.all_tenants()) as s:
            try:
                s.execute(insert(RecordFile).values(**base, **values))
                s.flush()
            except IntegrityError:
                s.rollback()
            else:
                raise AssertionError(f"stored {values}")
