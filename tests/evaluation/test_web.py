"""Maturity evaluation pages (1.3.1): the list with score, level and coverage, and one evaluation with
each indicator's value and data source; an enterprise sees its own, the evaluator submitted ones."""

from __future__ import annotations

import datetime as dt

from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.evaluation import service
from somp.modules.evaluation.schemas import AnswerIn, AnswersIn, EvaluationCreate
from tests.factories import make_customer, make_invoice, make_tenant, make_user
from tests.web.helpers import RAW_KEY_RE, WebClient


def _evaluation(db, tenant, *, submit: bool) -> int:
    service.ensure_builtin_systems(db)
    with db.session(Scope.tenant(tenant.id)) as s:
        sid = next(r.id for r in service.list_systems(db, s) if r.builtin)
        start = EvaluationCreate(system_id=sid, year=2025, title=f"{tenant.name}评价")
        ev = service.start_evaluation(db, s, start, None)
        service.set_answers(db, s, ev.id, AnswersIn(answers=[AnswerIn(indicator_code="SO1.1", value=2)]), None)
        if submit:
            service.submit(db, s, ev.id, None)
        else:
            service.compute(db, s, ev.id)
        s.commit()
        return ev.id


def test_enterprise_and_evaluator_pages(app, db):
    a, b = make_tenant(db, name="甲企业"), make_tenant(db, name="乙企业")
    c = make_customer(db, a)
    make_invoice(db, a, c.id, issued_on=dt.date(2025, 3, 31))
    ea = _evaluation(db, a, submit=True)
    eb = _evaluation(db, b, submit=False)
    make_user(db, a, Role.tenant_admin, username="evadmin")
    make_user(db, None, Role.evaluator, username="evreviewer")

    web = WebClient(app, "evadmin")
    r = web.get("/evaluation/maturity")
    assert r.status_code == 200
    assert "甲企业评价" in r.text and "乙企业评价" not in r.text and "已自评" in r.text
    assert '<a href="/evaluation/maturity"' in r.text  # in the navigation
    assert not RAW_KEY_RE.findall(r.text)
    r = web.get(f"/evaluation/maturity/{ea}")
    assert r.status_code == 200
    # every indicator with its source; the ones without data say so
    assert "SO1.1" in r.text and "问卷" in r.text and "缺失" in r.text and "DR1.1" in r.text
    assert web.get(f"/evaluation/maturity/{eb}").status_code == 404

    reviewer = WebClient(app, "evreviewer", lang="en")
    r = reviewer.get("/evaluation/maturity")
    assert r.status_code == 200 and "Self-assessed" in r.text and "甲企业" in r.text
    assert "乙企业评价" not in r.text  # a draft is not shown to evaluators
    assert reviewer.get(f"/evaluation/maturity/{eb}").status_code == 404
    r = reviewer.get(f"/evaluation/maturity/{ea}")
    assert r.status_code == 200 and "Questionnaire" in r.text and "Missing" in r.text

    make_user(db, a, Role.customer_user, customer_id=c.id, username="evcustomer")
    assert WebClient(app, "evcustomer").get("/evaluation/maturity").status_code == 403
