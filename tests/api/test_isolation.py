"""Tenant isolation over every API route.

Two tenants, A and B, each with a full set of kernel data. Every row of B carries the marker
``BMARK`` in a name, code or number. The tests walk ``app.state.route_table`` (every route the app
serves) and prove, for each one:

* tenant A's administrator (who holds every tenant permission) can neither read nor change B's
  rows: lists and searches never return a B row, lookups of B's ids are 404, writes against B's
  ids are refused and B's data is byte-for-byte unchanged afterwards, and creating rows that
  reference B's rows is refused;
* the evaluator reaches only the evaluation routes (and their own identity, tokens, terminology);
* a platform administrator reaches tenants and users, not tenant business data;
* a customer user sees only their own customer's rows and writes nothing.

A route that this file does not know fails the test: adding a route means adding its case here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from somp.core.database import Base
from somp.core.identity import ApiToken, Role, Tenant, User
from somp.core.tenancy import Scope
from tests.customization.factories import model_text, seed_c2m
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_invoice,
    make_offering,
    make_product,
    make_tenant,
    make_user,
    make_work_order,
    token_for,
)

MARK = "BMARK"
API = "/api/v1"
PUBLIC = {("GET", f"{API}/health"), ("POST", f"{API}/auth/token")}


@dataclass
class World:
    tenant: Tenant
    admin: User
    customer_user: User
    ids: dict[str, int]


def _world(db, mark: str) -> World:
    t = make_tenant(db, name=f"企业{mark}")
    admin = make_user(db, t, Role.tenant_admin, username=f"admin{mark.lower()}")
    p = make_product(db, t, code=f"P{mark}", name=f"产品{mark}")
    o = make_offering(db, t, p.id, code=f"O{mark}", name=f"服务{mark}")
    c = make_customer(db, t, code=f"C{mark}", name=f"客户{mark}")
    c2 = make_customer(db, t, code=f"C2{mark}", name=f"客户二{mark}")
    a = make_asset(db, t, p.id, c.id, serial_number=f"SN{mark}", state="in_service", site_name=f"站点{mark}")
    a2 = make_asset(db, t, p.id, c2.id, serial_number=f"SN2{mark}", state="in_service", site_name=f"站点二{mark}")
    k = make_contract(db, t, c.id, o.id, [a.id], number=f"CT{mark}")
    w = make_work_order(db, t, a.id, number=f"WO{mark}", title=f"工单{mark}")
    w2 = make_work_order(db, t, a2.id, number=f"WO2{mark}", title=f"工单二{mark}")
    i = make_invoice(db, t, c.id, number=f"INV{mark}")
    cu = make_user(db, t, Role.customer_user, customer_id=c.id, username=f"cust{mark.lower()}")
    from somp.modules.assets.service import issue_device_token

    with db.session(Scope.tenant(t.id)) as s:
        dtok, _ = issue_device_token(s, a.id, f"gateway{mark}")
        s.commit()
    token_for(db, admin)
    with db.session(Scope.all_tenants()) as s:
        api_token_id = s.scalar(select(ApiToken.id).where(ApiToken.user_id == admin.id))
    metric_id = _telemetry(db, t, a.id, f"m{mark.lower()}")
    rule_id, alarm_id = _monitoring(db, t, p.id, a, mark)
    run_id = _billing(db, t, k.id, a.id, mark)
    programme_ids = _programmes(db, t, mark)
    aftersales = _aftersales(db, t, c.id, c2.id, a.id, a2.id, k.id, mark)
    system_id, evaluation_id, yearly_ids = _evaluation(db, t, mark)
    c2m = seed_c2m(db, t, offering_code=o.code, customer_id=c.id, code=f"CF{mark}")
    mfg = _marketplace(db, t, mark)
    reqs = _requirements(db, t, o.id, c.id, mark)
    design = _pss_design(db, t, p.id, o.id, k.id, mark)
    return World(
        t,
        admin,
        cu,
        dict(
            tenant=t.id,
            user=admin.id,
            product=p.id,
            offering=o.id,
            customer=c.id,
            other_customer=c2.id,
            asset=a.id,
            other_asset=a2.id,
            contract=k.id,
            work_order=w.id,
            other_work_order=w2.id,
            invoice=i.id,
            device_token=dtok.id,
            api_token=api_token_id,
            metric=metric_id,
            rule=rule_id,
            alarm=alarm_id,
            eval_system=system_id,
            evaluation=evaluation_id,
            billing_run=run_id,
            **programme_ids,
            **aftersales,
            **yearly_ids,
            **c2m,
            **mfg,
            **reqs,
            **design,
        ),
    )


def _aftersales(db, tenant, customer_id, other_customer_id, asset_id, other_asset_id, contract_id, mark) -> dict:
    """A ticket of each customer (with an escalation and a recovery action on the first), a
    survey with an answer of each customer, a participation event (2.1.6, 1.2.1)."""
    from somp.modules.aftersales import engagement
    from somp.modules.aftersales import service as aftersales
    from somp.modules.aftersales.schemas import (
        ParticipationCreate,
        RecoveryCreate,
        SurveyAnswerRecorded,
        SurveyCreate,
        TicketCreate,
    )

    opened = dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)
    with db.session(Scope.tenant(tenant.id)) as s:
        tk = aftersales.raise_ticket(
            s, TicketCreate(asset_id=asset_id, title=f"报修{mark}", category="breakdown", priority="critical",
                            number=f"TK{mark}", opened_at=opened), user_id=None, now=opened,
        )  # fmt: skip
        tk2 = aftersales.raise_ticket(
            s, TicketCreate(asset_id=other_asset_id, title=f"报修二{mark}", category="quality",
                            number=f"TK2{mark}", opened_at=opened), user_id=None, now=opened,
        )  # fmt: skip
        aftersales.escalate(s, opened + dt.timedelta(hours=3))
        rec = aftersales.add_recovery(s, tk.id, RecoveryCreate(kind="apology", description=f"补救{mark}"), user_id=None)
        survey = engagement.create_survey(
            s, SurveyCreate(code=f"S{mark}", kind="nps", title=f"调查{mark}", question=f"问题{mark}")
        )
        answers = []
        for cust in (customer_id, other_customer_id):
            answer = engagement.answer_survey(
                s, survey.id, SurveyAnswerRecorded(customer_id=cust, score=9, comment=f"意见{mark}"),
                customer_id=cust, user_id=None,
            )  # fmt: skip
            answers.append(answer.id)
        part = engagement.add_participation(
            s, ParticipationCreate(customer_id=customer_id, stage="co_design", occurred_at=opened,
                                   contract_id=contract_id, summary=f"参与{mark}"),
        )  # fmt: skip
        s.commit()
        ids = {"ticket": tk.id, "other_ticket": tk2.id, "recovery": rec.id, "survey": survey.id}
        return ids | {"participation": part.id, "survey_response": answers[0]}


def _requirements(db, tenant, offering_id: int, customer_id: int, mark: str) -> dict:
    """Requirements on the offering (titles carrying the marker), a Kano questionnaire with answers
    and the offering's house of quality (pss, 2.1.1)."""
    from tests.pss.requirements_factories import seed_requirements

    ids = seed_requirements(db, tenant, offering_id, customer_id, mark)
    return {"requirement": ids["requirement"], "kano_questionnaire": ids["kano_questionnaire"]}


def _pss_design(db, tenant, product_id, offering_id, contract_id, mark) -> dict:
    """A component list, a blueprint, an interface and a delivery project under way (2.1.2, 2.1.5)."""
    from somp.modules.pss import delivery, design
    from somp.modules.pss.design_schemas import (
        BlueprintVersionCreate,
        ComponentsIn,
        DeliveryProgress,
        DeliveryProjectCreate,
        InterfacesIn,
    )

    bp = {"name": f"蓝图{mark}", "steps": [{"code": "C1", "lane": "customer", "column": 1, "label": f"报修{mark}",
                                           "touches": [f"K{mark}"]}]}  # fmt: skip
    day = dt.date(2026, 1, 5)
    stages = [{"stage": st, "planned_start": day, "planned_end": day} for st in
              ("plan", "ship", "install", "commission", "acceptance")]  # fmt: skip
    with db.session(Scope.tenant(tenant.id)) as s:
        design.set_components(s, product_id, ComponentsIn(components=[{"code": f"K{mark}", "name": f"部件{mark}"}]))
        design.add_blueprint_version(s, offering_id, BlueprintVersionCreate(blueprint=bp, note=f"版本{mark}"), None)
        design.set_interfaces(s, offering_id, InterfacesIn(interfaces=[
            {"service_line_no": 1, "component": f"K{mark}", "kind": "monitors", "note": f"接口{mark}"}]))  # fmt: skip
        dp = delivery.create_project(
            s, DeliveryProjectCreate(contract_id=contract_id, title=f"交付{mark}", stages=stages), None
        )
        delivery.progress(s, dp.id, DeliveryProgress(event="start", stage="plan", on=day, note=f"开始{mark}"), None)
        s.commit()
        return {"delivery_project": dp.id}


def _telemetry(db, tenant, asset_id: int, metric: str) -> int:
    """A few readings of ``asset_id`` under a metric key carrying the tenant's marker."""
    import datetime as dt

    from somp.modules.telemetry.ingest import Ingestor, Source
    from somp.modules.telemetry.models import Metric
    from somp.modules.telemetry.payloads import decode_json

    now = dt.datetime.now(dt.UTC)
    raw = (
        f'{{"readings":[{{"metric":"{metric}","ts":"{(now - dt.timedelta(minutes=5)).isoformat()}","value":1.5}}]}}'
    ).encode()
    assert Ingestor(db).ingest(Source(tenant.id, asset_id, "http"), decode_json(raw, now), raw, now).ok
    with db.session(Scope.tenant(tenant.id)) as s:
        return s.scalar(select(Metric.id).where(Metric.key == metric))


def _monitoring(db, tenant, product_id: int, asset, mark: str) -> tuple[int, int]:
    """An alarm rule on the product, an alarm it raised on ``asset`` and a health score."""
    import datetime as dt

    from somp.modules.lifecycle.models import Alarm, AlarmSource, HealthScore
    from somp.modules.lifecycle.schemas import AlarmRuleCreate
    from somp.modules.lifecycle.service import create_rule

    spec = {
        "severity": "major",
        "condition": {"kind": "threshold", "metric": f"m{mark.lower()}", "op": ">", "value": 9},
    }
    now = dt.datetime.now(dt.UTC)
    with db.session(Scope.tenant(tenant.id)) as s:
        rule = create_rule(s, AlarmRuleCreate(name=f"规则{mark}", product_id=product_id, spec=spec))
        alarm = Alarm(
            tenant_id=tenant.id, asset_id=asset.id, customer_id=asset.customer_id, rule_id=rule.id,
            source=AlarmSource.rule, severity="major", title=f"告警{mark}", reason="threshold",
            message=f"m{mark.lower()} above 9", raised_at=now,
        )  # fmt: skip
        s.add(alarm)
        s.add(HealthScore(tenant_id=tenant.id, asset_id=asset.id, health=81.0, rul=900.0, rul_low=700.0,
                          rul_high=1100.0, scored_at=now))  # fmt: skip
        s.commit()
        return rule.id, alarm.id


def _evaluation(db, tenant, mark: str) -> tuple[int, int, dict[str, int]]:
    """The tenant's own indicator system version and a draft evaluation against it, with an evidence
    file, a financial statement and a sustainability record (names carrying the marker)."""
    from somp.modules.evaluation import evidence, yearly
    from somp.modules.evaluation import service as evaluation
    from somp.modules.evaluation.indicators import default_maturity_system, dump_system
    from somp.modules.evaluation.schemas import EvaluationCreate, SystemCreate
    from somp.modules.evaluation.schemas_reports import SustainabilityIn

    text = dump_system(default_maturity_system()).replace("code: som-maturity", f"code: som-{mark}")
    statement = b"item,amount\nproduct_revenue,900\nservice_revenue,100\nmaterials,500\nenergy,50\n"
    with db.session(Scope.tenant(tenant.id)) as s:
        system = evaluation.create_system(s, SystemCreate(document=text), None)
        start = EvaluationCreate(system_id=system.id, year=2025, title=f"评价{mark}")
        ev = evaluation.start_evaluation(db, s, start, None)
        f = evidence.upload(db, s, ev.id, "SO1.1", f"证明{mark}.txt", f"证明{mark}".encode(), None)
        st = yearly.save_statement(s, year=2025, unit="10k CNY", filename=f"报表{mark}.csv", data=statement,
                                   user_id=None)  # fmt: skip
        su = yearly.save_sustainability(s, tenant.id, SustainabilityIn(year=2025, figures={"employees": 10}), None)
        s.commit()
        return system.id, ev.id, {"evidence": f.id, "statement": st.id, "sustainability": su.id}


def _billing(db, tenant, contract_id: int, asset_id: int, mark: str) -> int:
    """A price plan and SLA terms on the contract, and a billing run that looked at it (a sale of
    another month: skipped as nothing to bill, so the tenant's invoices stay as they are)."""
    from sqlalchemy import update

    from somp.modules.contracts.models import Contract
    from somp.modules.pss import billing
    from somp.modules.pss import service as pss
    from somp.modules.pss.schemas import PricePlanIn, SlaTermsIn

    with db.session(Scope.tenant(tenant.id)) as s:
        s.execute(update(Contract).where(Contract.id == contract_id).values(status="active"))
        plan = PricePlanIn(model="one_time_sale", price="9.00", sold_on="2025-06-01", notes=f"计划{mark}")
        pss.set_price_plan(s, contract_id, plan)
        pss.set_sla_terms(s, contract_id, SlaTermsIn(availability_target_pct="99", availability_credit_pct="5"))
        run = billing.run(s, "2026-01", now=dt.datetime(2026, 2, 2, tzinfo=dt.UTC))
        from somp.modules.pss import sla_records  # the month's SLA attainment, stored (rows carry CT<mark>)

        sla_records.compute(s, "2026-01", now=dt.datetime(2026, 2, 2, tzinfo=dt.UTC))
        s.commit()
        return run.id


def _programmes(db, tenant, mark: str) -> dict[str, int]:
    """A self-check against a catalogue standard, an application to a programme and membership of a
    region (platform row, code per world), each of the tenant's rows carrying the marker."""
    from somp.modules.evaluation import programmes, regions_service, standards

    standards.ensure_catalogue(db)
    with db.session(Scope.tenant(tenant.id)) as s:
        std = next(x for x in standards.list_standards(db, s) if x.clauses)
        items = [{"clause": std.clauses[0]["code"], "judgement": "partial", "note": f"证据{mark}"}]
        check = standards.start_check(db, s, std.id, items, None)
        evidence = [{"name": f"报告{mark}.pdf", "sha256": "0" * 64}]
        app = programmes.apply(db, s, {"programme": "leading_brand", "year": 2025, "evidence": evidence}, None)
        from somp.modules.evaluation import record_files  # an evidence file of the self-check

        rf = record_files.upload_for_check(db, s, check.id, std.clauses[0]["code"], f"证据{mark}.txt",
                                           f"证据{mark}".encode(), None)  # fmt: skip
        s.commit()
        ids = {"standard": std.id, "conformance_check": check.id, "application": app.id, "record_file": rf.id}
    code = "320500" if mark == MARK else "330100"
    region = regions_service.save_region(db, {"code": code, "name_zh": f"区域{code}", "area_km2": 1000.0})
    member = regions_service.add_member(db, region, tenant.id)
    return ids | {"region": region, "region_member": member}


def _marketplace(db, tenant, mark: str) -> dict[str, int]:
    """The tenant as a factory (a published resource) and as a buyer (an order, quoted, accepted
    and scheduled on that resource: a booking). Capability codes are public (the catalogue), so
    they carry no marker; everything else does."""
    from somp.modules.shared_manufacturing import marketplace, service
    from somp.modules.shared_manufacturing.models import Booking
    from somp.modules.shared_manufacturing.schemas import OrderCreate, ResourceCreate

    cap = "laser_cutting" if mark == MARK else "cnc_milling"
    now = dt.datetime.now(dt.UTC)
    with db.session(Scope.tenant(tenant.id)) as s:
        r = service.create_resource(s, ResourceCreate(
            code=f"R{mark}", name=f"机床{mark}", hourly_rate="100.00", quality_grade="B", site_name=f"厂区{mark}",
            latitude=31.3, longitude=120.6, region_code="320500", capabilities=[{"code": cap}]))  # fmt: skip
        o = service.post_order(s, OrderCreate(
            number=f"MO{mark}", title=f"订单{mark}", release_at=now, due_at=now + dt.timedelta(days=2),
            parts=[{"name": f"零件{mark}", "quantity": "1", "operations": [{"capability": cap, "minutes": 60}]}]),
            tenant.id)  # fmt: skip
        s.commit()
        marketplace.quote_order(db, s, o.id)
        service.accept_order(s, o.id)
        s.commit()
    marketplace.run_schedule(db, time_limit=1.0)
    with db.session(Scope.tenant(tenant.id)) as s:
        booking = s.scalar(select(Booking.id).where(Booking.order_id == o.id))
    assert booking is not None
    return {"mfg_resource": r.id, "mfg_order": o.id, "mfg_booking": booking}


@pytest.fixture
def worlds(db):
    a = _world(db, "AMARK")
    b = _world(db, MARK)
    return a, b


def _snapshot(db, tenant_id: int) -> dict[str, list[tuple]]:
    """Every row of every tenant-owned table belonging to ``tenant_id`` (plus the tenant row)."""
    out = {}
    with db.session(Scope.all_tenants()) as s:
        for table in Base.metadata.sorted_tables:
            if "tenant_id" in table.c:
                rows = s.execute(select(table).where(table.c.tenant_id == tenant_id).order_by(*table.primary_key))
            elif table.name == "tenants":
                rows = s.execute(select(table).where(table.c.id == tenant_id))
            else:
                continue
            out[table.name] = [tuple(r) for r in rows]
    return out


PARAM_FOR = {
    "tenant_id": "tenant",
    "user_id": "user",
    "product_id": "product",
    "offering_id": "offering",
    "customer_id": "customer",
    "asset_id": "asset",
    "contract_id": "contract",
    "work_order_id": "work_order",
    "invoice_id": "invoice",
    "metric_id": "metric",
    "rule_id": "rule",
    "alarm_id": "alarm",
    "system_id": "eval_system",
    "evaluation_id": "evaluation",
    "run_id": "billing_run",
    "standard_id": "standard",
    "check_id": "conformance_check",
    "application_id": "application",
    "region_id": "region",
    "member_id": "region_member",
    "ticket_id": "ticket",
    "survey_id": "survey",
    "action_id": "recovery",
    "participation_id": "participation",
    "evidence_id": "evidence",
    "file_id": "record_file",
    "statement_id": "statement",
    "record_id": "sustainability",
    "configurable_id": "configurable",
    "model_version": "model_version",
    "order_id": "mfg_order",  # C2M orders under /customization/ (see _fill)
    "resource_id": "mfg_resource",
    "booking_id": "mfg_booking",
    "requirement_id": "requirement",
    "questionnaire_id": "kano_questionnaire",
    "project_id": "delivery_project",
    "response_id": "survey_response",
}
# GET routes of platform rows every enterprise reads (the standards catalogue): 200, and no B row.
PLATFORM_ROW_ROUTES = {"/evaluation/standards/{standard_id}"}
# Routes for devices (device tokens only): a user token is refused before anything is read.
DEVICE_ROUTES = {("POST", "/telemetry")}
# Required query parameters of some routes (filled so the lookup, not validation, decides).
QUERY = {
    "/assets/{asset_id}/telemetry": {"metric": "mbmark", "start": "2026-01-01T00:00:00Z"},
    "/pss/delivery-kpis": {"period": "2026-01"},
}
# the region report (evaluators only; every member enterprise's figures): the year is required
QUERY |= {f"/evaluation/region-report.{ext}": {"year": 2025} for ext in ("html", "pdf", "xlsx")}


def _fill(path: str, ids: dict[str, int]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name == "token_id":
            return str(ids["device_token"] if "/device-tokens/" in path else ids["api_token"])
        if name == "key":
            return "service_revenue_share"
        if name == "order_id" and "/customization/" in path:
            return str(ids["c2m_order"])
        return str(ids[PARAM_FOR[name]])

    return re.sub(r"\{(\w+)\}", sub, path)


def bodies(b: dict[str, int], a: dict[str, int]) -> dict[tuple[str, str], Any]:
    """A valid request body per write route. Bodies of id routes target B's row (path); bodies
    of create routes reference B's rows (which must be refused)."""
    today = dt.date(2026, 1, 15).isoformat()
    return {
        ("POST", "/tenants"): {
            "name": "新企业",
            "uscc": "91350100M000100Y43",
            "industry_code": "C34",
            "region_code": "350100",
            "size_class": "small",
        },
        ("PATCH", "/tenants/{tenant_id}"): {"name": "改名"},
        ("POST", "/users"): {
            "username": "intruder",
            "display_name": "x",
            "password": "long-enough-1",
            "roles": ["customer_user"],
            "customer_id": b["customer"],
        },
        ("PATCH", "/users/{user_id}"): {"display_name": "hijacked"},
        ("POST", "/tokens"): {"name": "t"},
        ("DELETE", "/tokens/{token_id}"): None,
        ("POST", "/products"): None,  # references nothing: covered by the list/lookup checks
        ("PATCH", "/products/{product_id}"): {"name": "hijacked"},
        ("POST", "/offerings"): {
            "code": "O-NEW",
            "name": "x",
            "product_id": b["product"],
            "price_model": "subscription",
            "periodic_fee": "1.00",
        },
        ("PATCH", "/offerings/{offering_id}"): {"name": "hijacked"},
        ("POST", "/customers"): None,
        ("PATCH", "/customers/{customer_id}"): {"name": "hijacked"},
        ("POST", "/assets"): {"serial_number": "SN-NEW", "product_id": b["product"], "customer_id": a["customer"]},
        ("PATCH", "/assets/{asset_id}"): {"site_name": "hijacked"},
        ("POST", "/assets/{asset_id}/transitions"): {"to_state": "degraded"},
        ("POST", "/assets/{asset_id}/device-tokens"): {"name": "stolen"},
        ("DELETE", "/assets/{asset_id}/device-tokens/{token_id}"): None,
        ("POST", "/contracts"): {
            "customer_id": a["customer"],
            "offering_id": a["offering"],
            "start_date": today,
            "end_date": "2027-01-01",
            "asset_ids": [b["asset"]],
        },
        ("PATCH", "/contracts/{contract_id}"): {"notes": "hijacked"},
        ("POST", "/contracts/{contract_id}/transitions"): {"to_status": "terminated"},
        ("POST", "/work-orders"): {"kind": "corrective", "asset_id": b["asset"], "title": "x"},
        ("PATCH", "/work-orders/{work_order_id}"): {"title": "hijacked"},
        ("POST", "/work-orders/{work_order_id}/transitions"): {"to_status": "cancelled"},
        ("POST", "/invoices"): {
            "customer_id": b["customer"],
            "issued_on": today,
            "lines": [{"category": "service", "description": "x", "quantity": "1", "unit_price": "1"}],
        },
        ("PATCH", "/invoices/{invoice_id}"): {"notes": "hijacked"},
        ("POST", "/invoices/{invoice_id}/transitions"): {"to_status": "void"},
        ("POST", "/telemetry/import"): {
            "readings": [{"metric": "p", "ts": "2026-01-01T00:00:00Z", "value": 1, "asset": "SNBMARK"}]
        },
        ("PATCH", "/telemetry/metrics/{metric_id}"): {"unit": "hijacked"},
        ("POST", "/lifecycle/rules"): {
            "name": "x",
            "asset_id": b["asset"],
            "spec": {"severity": "minor", "condition": {"kind": "threshold", "metric": "p", "op": ">", "value": 1}},
        },
        ("PATCH", "/lifecycle/rules/{rule_id}"): {"name": "hijacked"},
        ("POST", "/lifecycle/alarms/{alarm_id}/acknowledge"): {},
        ("POST", "/evaluation/systems"): None,  # references nothing: covered by the list/lookup checks
        ("POST", "/evaluation/evaluations"): {"system_id": b["eval_system"], "year": 2025},
        ("POST", "/evaluation/evaluations/{evaluation_id}/answers"): {
            "answers": [{"indicator_code": "SO1.1", "value": 1}]
        },
        ("POST", "/evaluation/evaluations/{evaluation_id}/compute"): {},
        ("POST", "/evaluation/evaluations/{evaluation_id}/submit"): {},
        ("POST", "/evaluation/evaluations/{evaluation_id}/review"): {"to_status": "under_review"},
        ("POST", "/evaluation/ahp"): None,  # engines on the uploaded data only
        ("POST", "/evaluation/input-output"): None,
        ("POST", "/evaluation/carbon"): None,
        ("POST", "/evaluation/regions"): None,
        ("PUT", "/pss/contracts/{contract_id}/price-plan"): {"model": "subscription", "fee": "1.00"},
        ("PUT", "/pss/contracts/{contract_id}/sla"): {"availability_target_pct": "50"},
        ("POST", "/pss/billing-runs"): {"period": "2026-01"},
        ("POST", "/pss/sell-vs-serve"): {"product_id": b["product"], "service_fee": "1000.00"},
        ("POST", "/pss/requirements"): {
            "code": "R-NEW",
            "title": "x",
            "offering_id": b["offering"],
            "source_kind": "customer",
        },
        ("PATCH", "/pss/requirements/{requirement_id}"): {"title": "hijacked"},
        ("POST", "/pss/requirements/kano-questionnaires"): {
            "code": "KQ-NEW",
            "title": "x",
            "offering_id": a["offering"],
            "questions": [{"requirement_id": b["requirement"]}],
        },
        ("PATCH", "/pss/requirements/kano-questionnaires/{questionnaire_id}"): {"status": "closed"},
        ("POST", "/pss/requirements/kano-questionnaires/{questionnaire_id}/answers"): {
            "answers": [{"respondent": "x", "requirement": "R-QUIET", "functional": "like", "dysfunctional": "like"}]
        },
        ("POST", "/pss/requirements/kano-questionnaires/{questionnaire_id}/answers/upload"): {},
        ("PUT", "/pss/requirements/qfd/{offering_id}"): {
            "characteristics": [{"code": "c", "name": "c"}],
            "relationships": [],
        },
        ("POST", "/pss/offerings/{offering_id}/blueprint/versions"): {
            "blueprint": {"name": "x", "steps": [{"code": "C1", "lane": "customer", "column": 1, "label": "x"}]}
        },
        ("PUT", "/pss/products/{product_id}/components"): {"components": [{"code": "x", "name": "x"}]},
        ("PUT", "/pss/offerings/{offering_id}/interfaces"): {"interfaces": []},
        ("POST", "/pss/delivery-projects"): {
            "contract_id": b["contract"],
            "stages": [
                {"stage": st, "planned_start": today, "planned_end": today}
                for st in ("plan", "ship", "install", "commission", "acceptance")
            ],
        },
        ("POST", "/pss/delivery-projects/{project_id}/progress"): {"event": "cancel", "on": today},
        ("POST", "/pss/sla-attainment"): {"period": "2026-01", "contract_id": b["contract"]},
        ("POST", "/evaluation/standards"): {
            "key": "intruder",
            "title": {"zh": "x", "en": "x"},
            "status": "planned",
            "verification": "unverified",
        },
        ("PUT", "/evaluation/standards/{standard_id}"): {
            "key": "intruder",
            "title": {"zh": "x", "en": "x"},
            "status": "planned",
            "verification": "unverified",
        },
        ("POST", "/evaluation/conformance"): None,  # references a platform standard only: own row, stamped
        ("PUT", "/evaluation/conformance/{check_id}"): {"items": []},
        ("POST", "/evaluation/applications"): None,  # references nothing: own row, stamped
        ("PUT", "/evaluation/applications/{application_id}"): {"declared": {"major_incidents": 0}},
        ("POST", "/evaluation/applications/{application_id}/submit"): {},
        ("POST", "/evaluation/applications/{application_id}/decision"): {"to_status": "under_review"},
        ("POST", "/evaluation/region-applications"): {
            "programme": "innovation_highland",
            "region_id": b["region"],
            "year": 2025,
        },
        ("PUT", "/evaluation/region-applications/{application_id}"): {"declared": {}},  # evaluators only
        ("POST", "/evaluation/region-applications/{application_id}/submit"): {},
        ("POST", "/evaluation/region-applications/{application_id}/files"): {},
        ("DELETE", "/evaluation/region-applications/{application_id}/files/{file_id}"): None,
        ("POST", "/evaluation/region-registry"): {"code": "110000", "name_zh": "x", "area_km2": 1},
        ("PUT", "/evaluation/region-registry/{region_id}"): {"code": "110000", "name_zh": "x", "area_km2": 1},
        ("PUT", "/evaluation/region-registry/{region_id}/statistics"): {
            "statistics": [{"year": 2025, "name": "service_platforms", "value": 1}]
        },
        ("POST", "/evaluation/region-registry/{region_id}/members"): {"tenant_id": b["tenant"]},
        ("DELETE", "/evaluation/region-registry/{region_id}/members/{member_id}"): None,
        ("POST", "/evaluation/region-registry/ranking"): {"years": [2025]},
        ("POST", "/evaluation/region-memberships/{member_id}/figures"): {"year": 2025, "supplier_spend": 1},
        ("POST", "/aftersales/tickets"): {"asset_id": b["asset"], "title": "x", "category": "other"},
        ("PATCH", "/aftersales/tickets/{ticket_id}"): {"title": "hijacked"},
        ("POST", "/aftersales/tickets/{ticket_id}/transitions"): {"to_status": "in_progress"},
        ("POST", "/aftersales/tickets/{ticket_id}/comments"): {"note": "x"},
        ("POST", "/aftersales/tickets/{ticket_id}/work-order"): {},
        ("POST", "/aftersales/tickets/{ticket_id}/requirement"): {"offering_id": a["offering"]},
        ("POST", "/aftersales/tickets/{ticket_id}/recovery-actions"): {"kind": "apology", "description": "x"},
        ("PATCH", "/aftersales/recovery-actions/{action_id}"): {"status": "done"},
        ("POST", "/aftersales/escalations/check"): None,  # runs on the caller's own tickets only
        ("PUT", "/aftersales/sla-defaults"): None,  # the caller's own table
        ("POST", "/aftersales/participation"): {
            "customer_id": b["customer"],
            "stage": "feedback",
            "occurred_at": "2026-01-15T00:00:00Z",
            "summary": "x",
        },
        ("POST", "/aftersales/surveys"): None,  # references nothing
        ("PATCH", "/aftersales/surveys/{survey_id}"): {"title": "hijacked"},
        ("POST", "/aftersales/surveys/{survey_id}/responses"): {"customer_id": a["customer"], "score": 5},
        ("POST", "/aftersales/surveys/{survey_id}/responses/{response_id}/requirement"): {"offering_id": a["offering"]},
        ("POST", "/portal/surveys/{survey_id}/responses"): {"score": 5},
        # uploads look up the evaluation before reading the file: B's evaluation is a 404 whatever is sent
        ("POST", "/evaluation/evaluations/{evaluation_id}/evidence"): {},
        ("POST", "/evaluation/evaluations/{evaluation_id}/answers/excel"): {},
        ("DELETE", "/evaluation/evidence/{evidence_id}"): None,
        ("POST", "/evaluation/conformance/{check_id}/files"): {},  # B's self-check: 404 before the file
        ("POST", "/evaluation/applications/{application_id}/files"): {},
        ("DELETE", "/evaluation/record-files/{file_id}"): None,
        ("POST", "/evaluation/systems/excel"): None,  # references nothing (a new version of one's own)
        ("POST", "/evaluation/financial-statements"): None,  # one's own year: stamped with the caller's tenant
        ("POST", "/evaluation/sustainability"): None,
        ("POST", "/customization/offerings"): {
            "code": "CF-NEW",
            "name_zh": "x",
            "name_en": "x",
            "offering_id": b["offering"],
            "model": {
                "groups": [
                    {
                        "code": "g",
                        "name_zh": "g",
                        "name_en": "g",
                        "options": [{"code": "o", "name_zh": "o", "name_en": "o"}],
                    }
                ]
            },
        },  # fmt: skip
        # B's catalog offering by code: "no catalog offering has this code"
        ("POST", "/customization/import"): {"document": model_text("CF-NEW", "OBMARK", products=False)},
        ("PATCH", "/customization/offerings/{configurable_id}"): {"name_zh": "hijacked"},
        ("POST", "/customization/offerings/{configurable_id}/versions"): {
            "model": {
                "groups": [
                    {
                        "code": "g",
                        "name_zh": "g",
                        "name_en": "g",
                        "options": [{"code": "o", "name_zh": "o", "name_en": "o"}],
                    }
                ]
            },
        },  # fmt: skip
        ("POST", "/customization/offerings/{configurable_id}/configure"): {"choices": {"m55": True}},
        ("POST", "/customization/orders"): {
            "configurable_id": b["configurable"],
            "customer_id": a["customer"],
            "choices": {"m55": True},
        },
        ("POST", "/customization/orders/{order_id}/transitions"): {"to_status": "cancelled"},
        ("POST", "/shared-mfg/resources"): None,  # references nothing: covered by the list/lookup checks
        ("PATCH", "/shared-mfg/resources/{resource_id}"): {"name": "hijacked"},
        ("POST", "/shared-mfg/resources/{resource_id}/blocks"): {
            "kind": "breakdown",
            "start_at": "2026-01-01T00:00:00Z",
            "end_at": "2030-01-01T00:00:00Z",
        },
        ("POST", "/shared-mfg/orders"): None,  # operations name capabilities only: nothing of B to point at
        ("POST", "/shared-mfg/orders/{order_id}/quote"): {},
        ("POST", "/shared-mfg/orders/{order_id}/accept"): {},
        ("POST", "/shared-mfg/orders/{order_id}/cancel"): {},
        ("POST", "/shared-mfg/orders/{order_id}/settle"): {},
        ("POST", "/shared-mfg/bookings/{booking_id}/progress"): {"event": "started"},
        ("POST", "/shared-mfg/runs"): {"time_limit": 1},  # the platform operator's: 403 for a tenant
    }


# Create routes whose body references only the caller's own tenant (nothing of B to point at);
# their isolation is the before_flush stamp, checked by the snapshot comparison.
SELF_CONTAINED_CREATES = {
    ("POST", "/products"),
    ("POST", "/customers"),
    ("POST", "/tokens"),
    ("POST", "/tenants"),
    ("POST", "/pss/billing-runs"),  # bills the caller's own contracts (a billing test checks the tenant)
    ("POST", "/shared-mfg/resources"),
    ("POST", "/shared-mfg/orders"),
}

# Query parameters that take an id of another entity: lists are also probed with B's ids there.
FILTER_PARAMS = {
    "/assets": {"product_id": "product", "customer_id": "customer"},
    "/offerings": {"product_id": "product"},
    "/contracts": {"customer_id": "customer", "offering_id": "offering", "asset_id": "asset"},
    "/work-orders": {"asset_id": "asset", "customer_id": "customer", "contract_id": "contract"},
    "/invoices": {"customer_id": "customer", "contract_id": "contract"},
    "/lifecycle/rules": {"product_id": "product", "asset_id": "asset"},
    "/lifecycle/alarms": {"asset_id": "asset", "rule_id": "rule"},
    "/evaluation/evaluations": {"system_id": "eval_system", "tenant_id": "tenant"},
    "/aftersales/tickets": {"customer_id": "customer", "asset_id": "asset", "contract_id": "contract"},
    "/aftersales/participation": {"customer_id": "customer", "contract_id": "contract"},
    "/aftersales/escalations": {"ticket_id": "ticket"},
    "/aftersales/recovery-actions": {"ticket_id": "ticket"},
    "/customization/offerings": {"offering_id": "offering"},
    "/customization/orders": {"customer_id": "customer", "configurable_id": "configurable", "contract_id": "contract"},
    "/shared-mfg/bookings": {"resource_id": "mfg_resource", "order_id": "mfg_order"},
    "/pss/requirements": {"offering_id": "offering", "customer_id": "customer"},
    "/pss/requirements/kano-questionnaires": {"offering_id": "offering"},
    "/pss/delivery-projects": {"contract_id": "contract", "customer_id": "customer"},
    "/pss/sla-attainment": {"contract_id": "contract"},
}


def _without_echo(text: str, body: Any) -> str:
    """The response minus the caller's own input (an error may quote a value it was sent, such as
    a serial number that does not exist in the caller's tenant)."""

    def strings(x: Any) -> list[str]:
        if isinstance(x, str):
            return [x]
        if isinstance(x, dict):
            return [s for v in x.values() for s in strings(v)]
        if isinstance(x, list):
            return [s for v in x for s in strings(v)]
        return []

    for sent in sorted(strings(body), key=len, reverse=True):
        text = text.replace(sent, "")
    return text


def api_routes(app) -> list[tuple[str, str]]:
    """Every API route, reads first (so a write's own echo, e.g. a refused payload kept as a dead
    letter of the caller's tenant, cannot be mistaken for a leak)."""
    out = []
    for r in app.state.route_table:
        if not r.path.startswith(API):
            continue
        for m in sorted(r.methods - {"HEAD", "OPTIONS"}):
            out.append((m, r.path))
    return sorted(out, key=lambda mp: mp[0] != "GET")


def test_tenant_cannot_read_or_change_another_tenants_data_on_any_route(app, db, client_as, worlds):
    a, b = worlds
    api = client_as(a.admin)
    before = _snapshot(db, b.tenant.id)
    sample = bodies(b.ids, a.ids)
    seen = set()
    for method, path in api_routes(app):
        rel = path[len(API) :]
        key = (method, rel)
        if (method, path) in PUBLIC:
            seen.add(key)
            continue
        url = API + _fill(rel, b.ids)
        if key in DEVICE_ROUTES:
            r = api.request(method, url, json={"metric": "p", "ts": "2026-01-01T00:00:00Z", "value": 1})
            assert r.status_code == 401, (key, r.status_code, r.text)
            seen.add(key)
            continue
        if method == "GET":
            r = api.get(url, params=QUERY.get(rel))
            if "{" in rel:
                if rel.startswith("/terminology") or rel in PLATFORM_ROW_ROUTES:
                    assert r.status_code == 200, (key, r.text)
                else:
                    assert r.status_code in (403, 404), (key, r.status_code, r.text)
            else:
                assert r.status_code in (200, 403), (key, r.status_code, r.text)
                if rel == "/evaluation/brand-kpis":
                    assert r.status_code == 403, key
                for name, ent in FILTER_PARAMS.get(rel, {}).items():
                    rf = api.get(url, params={name: b.ids[ent]})
                    assert rf.status_code == 200 and rf.json()["items"] == [], (key, name, rf.text)
            assert MARK not in r.text, (key, "leaks a row of tenant B")
        else:
            assert key in sample, f"no isolation case for {method} {rel}: add one to bodies()"
            body = sample[key]
            if key in SELF_CONTAINED_CREATES or (body is None and "{" not in rel):
                seen.add(key)
                continue
            r = api.request(method, url, json=body)
            if "{" in rel:
                assert r.status_code in (403, 404), (key, r.status_code, r.text)
            else:
                assert r.status_code in (403, 404, 422), (key, r.status_code, r.text)
                assert r.headers["content-type"].startswith("application/problem+json")
            assert MARK not in _without_echo(r.text, body), (key, "leaks a row of tenant B")
        seen.add(key)
    assert _snapshot(db, b.tenant.id) == before, "tenant B's data changed"
    known = {(m, p[len(API) :]) for m, p in api_routes(app)}
    assert seen == known


def test_rows_created_by_a_tenant_are_stamped_with_that_tenant(app, db, client_as, worlds):
    a, b = worlds
    api = client_as(a.admin)
    r = api.post(f"{API}/customers", json={"code": "NEWC", "name": "新客户"})
    assert r.status_code == 201
    with db.session(Scope.tenant(b.tenant.id)) as s:
        from somp.modules.customers.models import Customer

        assert s.scalar(select(Customer).where(Customer.code == "NEWC")) is None
    r = api.post(f"{API}/products", json={"code": "NEWP", "name": "x", "category": "c"})
    assert r.status_code == 201
    assert api.get(f"{API}/products/{r.json()['id']}").status_code == 200
    assert client_as(b.admin).get(f"{API}/products/{r.json()['id']}").status_code == 404


EVALUATOR_ALLOWED = {
    "/evaluation/brand-kpis",
    "/evaluation/systems",
    "/evaluation/systems/{system_id}",
    "/evaluation/evaluations",
    "/evaluation/evaluations/{evaluation_id}",
    "/evaluation/evaluations/{evaluation_id}/review",
    "/evaluation/ahp",
    "/evaluation/input-output",
    "/evaluation/carbon",
    "/evaluation/regions",
    "/evaluation/standards",
    "/evaluation/standards/{standard_id}",
    "/evaluation/conformance",
    "/evaluation/conformance/{check_id}",
    "/evaluation/programmes",
    "/evaluation/programmes/dashboard",
    "/evaluation/applications",
    "/evaluation/applications/{application_id}",
    "/evaluation/applications/{application_id}/decision",
    "/evaluation/region-applications",
    "/evaluation/region-applications/{application_id}",
    "/evaluation/region-applications/{application_id}/submit",
    "/evaluation/region-applications/{application_id}/files",
    "/evaluation/region-applications/{application_id}/files/{file_id}",
    "/evaluation/region-registry",
    "/evaluation/region-registry/{region_id}",
    "/evaluation/region-registry/{region_id}/statistics",
    "/evaluation/region-registry/{region_id}/members",
    "/evaluation/region-registry/{region_id}/members/{member_id}",
    "/evaluation/region-registry/ranking",
    "/evaluation/evaluations/{evaluation_id}/evidence",
    "/evaluation/evidence/{evidence_id}",
    "/evaluation/conformance/{check_id}/files",
    "/evaluation/applications/{application_id}/files",
    "/evaluation/record-files/{file_id}",
    "/evaluation/systems/{system_id}/excel",
    "/evaluation/evaluations/{evaluation_id}/answers.xlsx",
    "/evaluation/financial-statements",
    "/evaluation/financial-statements/{statement_id}",
    "/evaluation/financial-statements/template.xlsx",
    "/evaluation/sustainability",
    "/evaluation/sustainability/{record_id}",
    "/evaluation/evaluations/{evaluation_id}/report.html",
    "/evaluation/evaluations/{evaluation_id}/report.pdf",
    "/evaluation/evaluations/{evaluation_id}/report.xlsx",
    "/evaluation/evaluations/{evaluation_id}/badge.svg",
    "/evaluation/region-report.html",
    "/evaluation/region-report.pdf",
    "/evaluation/region-report.xlsx",
    "/me",
    "/tokens",
    "/tokens/{token_id}",
    "/terminology/framework",
    "/terminology/terms",
    "/terminology/terms/{key}",
}


def test_evaluator_reaches_only_evaluation_routes(app, db, client_as, worlds):
    a, b = worlds
    evaluator = make_user(db, None, Role.evaluator, username="evaluator1")
    api = client_as(evaluator)
    for method, path in api_routes(app):
        rel = path[len(API) :]
        if (method, path) in PUBLIC or rel in EVALUATOR_ALLOWED:
            continue
        r = api.request(method, API + _fill(rel, b.ids), json={}, params=QUERY.get(rel))
        expected = 401 if (method, rel) in DEVICE_ROUTES else 403
        assert r.status_code == expected, (method, rel, r.status_code, r.text)
    r = api.get(f"{API}/evaluation/brand-kpis", params={"year": 2025})
    assert r.status_code == 200
    rows = r.json()
    assert {x["tenant_id"] for x in rows} >= {a.tenant.id, b.tenant.id}
    allowed_keys = {"tenant_id", "name", "uscc", "industry_code", "region_code", "size_class", "source", "kpis"}
    assert all(set(x) == allowed_keys for x in rows)
    # the enterprise's measured revenue is in it; nothing naming customers, assets or invoices
    assert "SNBMARK" not in r.text and "INVBMARK" not in r.text and "客户BMARK" not in r.text


def test_evaluator_session_sees_no_tenant_rows(db, worlds):
    from somp.modules.assets.models import Asset

    with db.session(Scope.evaluation()) as s:
        assert s.scalars(select(Asset)).all() == []
        assert len(s.scalars(select(Tenant)).all()) >= 2


def test_platform_admin_manages_tenants_and_users_but_not_business_data(app, db, client_as, worlds):
    a, b = worlds
    admin = make_user(db, None, Role.platform_admin, username="root1")
    api = client_as(admin)
    assert api.get(f"{API}/tenants").status_code == 200
    assert len(api.get(f"{API}/tenants").json()["items"]) >= 2
    assert api.get(f"{API}/users/{b.admin.id}").status_code == 200
    for rel in ("/assets", "/customers", "/contracts", "/work-orders", "/invoices", "/products", "/kpis/brand"):
        assert api.get(API + rel).status_code == 403, rel


def test_customer_user_sees_only_own_customers_rows_and_cannot_write(app, db, client_as, worlds):
    a, b = worlds
    api = client_as(a.customer_user)
    assets = api.get(f"{API}/assets").json()["items"]
    assert [x["id"] for x in assets] == [a.ids["asset"]]
    assert api.get(f"{API}/assets/{a.ids['other_asset']}").status_code == 404
    wos = api.get(f"{API}/work-orders").json()["items"]
    assert [x["id"] for x in wos] == [a.ids["work_order"]]
    assert api.get(f"{API}/work-orders/{a.ids['other_work_order']}").status_code == 404
    assert [x["id"] for x in api.get(f"{API}/invoices").json()["items"]] == [a.ids["invoice"]]
    assert [x["id"] for x in api.get(f"{API}/customization/orders").json()["items"]] == [a.ids["c2m_order"]]
    r = api.post(f"{API}/customization/orders/{a.ids['c2m_order']}/transitions", json={"to_status": "cancelled"})
    assert r.status_code == 403
    assert api.get(f"{API}/customers").status_code == 403
    r = api.patch(f"{API}/assets/{a.ids['asset']}", json={"site_name": "x"})
    assert r.status_code == 403
    r = api.post(f"{API}/assets/{a.ids['asset']}/transitions", json={"to_state": "degraded"})
    assert r.status_code == 403


def test_database_refuses_a_cross_tenant_reference_even_without_the_service_checks(db, worlds):
    """The composite (tenant_id, x_id) foreign keys stop a cross-tenant reference at the database."""
    from sqlalchemy import insert
    from sqlalchemy.exc import IntegrityError

    from somp.modules.assets.models import Asset

    a, b = worlds
    with db.session(Scope.all_tenants()) as s, pytest.raises(IntegrityError):
        s.execute(insert(Asset).values(tenant_id=a.tenant.id, serial_number="X1", product_id=b.ids["product"]))
        s.flush()


# ---------------------------------------------------------------------------------------------
# The same over every web page (server-rendered UI), signed in through the login form.

WEB_PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("POST", "/language")}
WEB_FORMS = {  # a form body per POST page; id pages target B's row through the path
    "/tenants/{tenant_id}/edit": {"name": "hijacked"},
    "/users/{user_id}/edit": {"display_name": "hijacked"},
    "/products/{product_id}/edit": {"name": "hijacked"},
    "/offerings/{offering_id}/edit": {"name": "hijacked"},
    "/customers/{customer_id}/edit": {"name": "hijacked"},
    "/assets/{asset_id}/edit": {"site_name": "hijacked"},
    "/assets/{asset_id}/transition": {"to_state": "degraded"},
    "/assets/{asset_id}/device-tokens": {"name": "stolen"},
    "/assets/{asset_id}/device-tokens/{token_id}/revoke": {},
    "/contracts/{contract_id}/edit": {"notes": "hijacked"},
    "/contracts/{contract_id}/transition": {"to_status": "terminated"},
    "/work-orders/{work_order_id}/edit": {"title": "hijacked"},
    "/work-orders/{work_order_id}/transition": {"to_status": "cancelled"},
    "/invoices/{invoice_id}/transition": {"to_status": "void"},
    "/invoices/{invoice_id}/edit": {"notes": "hijacked"},
    "/lifecycle/alarms/{alarm_id}/acknowledge": {"next": "/lifecycle"},
    "/tickets/{ticket_id}/edit": {"title": "hijacked"},
    "/tickets/{ticket_id}/transition": {"to_status": "in_progress"},
    "/tickets/{ticket_id}/comment": {"note": "hijacked"},
    "/portal/surveys/{survey_id}/answer": {"score": "5"},
    "/surveys/{survey_id}/edit": {"title": "hijacked", "question": "x", "status": "closed"},
    "/evaluation/maturity/{evaluation_id}/evidence": {"indicator_code": "SO1.1"},  # B's evaluation: 404
    "/evaluation/programmes/conformance/{check_id}": {"action": "submit", "judgement__A-SI": "conforms"},
    "/evaluation/programmes/applications/{application_id}": {"action": "submit"},
    "/evaluation/programmes/files/{file_id}/delete": {},  # B's evidence file: 404
    "/customization/offerings/{configurable_id}/confirm": {"query": "c=m55", "customer_id": "1", "quantity": "1"},
    "/customization/orders/{order_id}/transition": {"to_status": "cancelled"},
    "/shared-mfg/bookings/{booking_id}/progress": {"event": "started"},
    "/shared-mfg/resources/{resource_id}/breakdown": {"hours": "24"},
    "/shared-mfg/orders/{order_id}/accept": {},
    "/shared-mfg/orders/{order_id}/cancel": {},
    "/shared-mfg/orders/{order_id}/settle": {},
    "/pss/offerings/{offering_id}/blueprint": {"document": "name: x\nsteps: [{code: A, lane: customer, column: 1}]"},
    "/pss/delivery/{project_id}/progress": {"event": "cancel", "on": "2026-01-20"},
    "/pss/requirements/{requirement_id}": {"title": "hijacked", "weight": "1", "priority": "must"},
    "/pss/requirements/kano/{questionnaire_id}/answers": {},  # B's questionnaire: 404 before any file
    "/tickets/{ticket_id}/requirement": {"title": "hijacked"},
    "/surveys/{survey_id}/requirement": {"response_id": "1", "title": "hijacked"},
}


def _web_forms_creating_with_b_refs(b: dict[str, int], a: dict[str, int]) -> dict[str, dict[str, Any]]:
    return {
        "/assets/new": {"serial_number": "SN-WEB", "product_id": b["product"], "customer_id": a["customer"]},
        "/offerings/new": {
            "code": "OWEB",
            "name": "x",
            "product_id": b["product"],
            "price_model": "subscription",
            "periodic_fee": "1",
        },
        "/contracts/new": {
            "customer_id": b["customer"],
            "offering_id": a["offering"],
            "start_date": "2026-01-01",
            "end_date": "2027-01-01",
        },
        "/work-orders/new": {"kind": "corrective", "asset_id": b["asset"], "title": "x"},
        "/tickets/new": {"asset_id": b["asset"], "title": "x", "category": "other", "priority": "medium"},
        "/participation/new": {
            "customer_id": b["customer"],
            "stage": "feedback",
            "occurred_at": "2026-01-05",
            "summary": "x",
        },
        "/surveys/new": None,  # references nothing
        "/invoices/new": {"customer_id": b["customer"], "issued_on": "2026-01-01"},
        "/users/new": {
            "username": "webintruder",
            "display_name": "x",
            "password": "long-enough-1",
            "roles": "customer_user",
            "customer_id": b["customer"],
        },
        # the same service call as POST /api/v1/customization/import, whose case names B's offering;
        # the refused page shows the pasted file again, which would carry B's code as the caller's echo
        "/customization/offerings/import": None,
        # creating these references nothing of B; stamping is covered by the API test
        "/tenants/new": None,
        "/products/new": None,
        "/customers/new": None,
        "/evaluation/yearly/statement": None,  # the caller's own year
        "/evaluation/programmes/conformance": None,  # references a platform standard: own row, stamped
        "/evaluation/programmes/applications": None,  # references nothing: own row, stamped
        "/evaluation/yearly/sustainability": None,  # the caller's own year
        "/shared-mfg/orders/new": None,  # operations name capabilities only
        "/pss/sla": None,  # computes the caller's own contracts (a month, nothing of B to name)
        "/pss/requirements/new": {
            "offering_id": b["offering"],
            "customer_id": b["customer"],
            "title": "x",
            "source_kind": "customer",
            "priority": "should",
            "weight": "1",
        },  # fmt: skip
        "/pss/delivery/new": {"contract_id": b["contract"]}
        | {
            f"{st}_{x}": "2026-03-02"
            for st in ("plan", "ship", "install", "commission", "acceptance")
            for x in ("start", "end")
        },  # fmt: skip
    }


def web_routes(app) -> list[tuple[str, str]]:
    return [
        (m, r.path)
        for r in app.state.route_table
        if not r.path.startswith(API)
        for m in sorted(r.methods - {"HEAD", "OPTIONS"})
    ]


def test_tenant_cannot_reach_another_tenants_rows_through_any_web_page(app, db, worlds):
    from tests.web.helpers import WebClient

    a, b = worlds
    web = WebClient(app, a.admin.username)
    before = _snapshot(db, b.tenant.id)
    creates = _web_forms_creating_with_b_refs(b.ids, a.ids)
    seen = set()
    for method, path in web_routes(app):
        seen.add((method, path))
        if (method, path) in WEB_PUBLIC:
            continue
        url = _fill(path, b.ids)
        if method == "GET":
            r = web.get(url)
            expected = (403, 404) if "{" in path else (200, 403)
            assert r.status_code in expected, (path, r.status_code)
        elif "{" in path:
            assert path in WEB_FORMS, f"no isolation case for POST {path}: add one to WEB_FORMS"
            r = web.post(url, WEB_FORMS[path])
            assert r.status_code in (403, 404), (path, r.status_code)
        else:
            assert path in creates, f"no isolation case for POST {path}: add one"
            if creates[path] is None:
                continue
            r = web.post(url, creates[path])
            assert r.status_code in (200, 403, 422), (path, r.status_code)  # the form again, with the error
        assert MARK not in r.text, (method, path, "shows a row of tenant B")
    assert _snapshot(db, b.tenant.id) == before, "tenant B's data changed"
    assert seen == set(web_routes(app))


def test_evaluator_sees_no_tenant_page(app, db, worlds):
    from tests.web.helpers import WebClient

    _a, b = worlds
    make_user(db, None, Role.evaluator, username="webevaluator")
    web = WebClient(app, "webevaluator")
    for method, path in web_routes(app):
        if (
            method != "GET"
            or path in ("/login", "/evaluation", "/terminology", "/")
            or path.startswith(("/evaluation/maturity", "/evaluation/regions", "/evaluation/programmes"))
            or path == "/evaluation/yearly"  # every enterprise's statements and ESG records: the evaluator's
            or path.startswith("/evaluation/maturity")
        ):
            continue
        r = web.get(_fill(path, b.ids))
        assert r.status_code == 403, (path, r.status_code)
    r = web.get("/evaluation?year=2025")
    assert r.status_code == 200 and "企业BMARK" in r.text and "SNBMARK" not in r.text


def test_customer_portal_shows_and_takes_only_the_customers_own_rows(app, db, client_as, worlds):
    """The portal (2.1.6): a customer user sees their own tickets, assets, contracts, invoices and
    SLA report, raises tickets on their own assets, comments, answers surveys; no staff route."""
    a, b = worlds
    api = client_as(a.customer_user)
    mine = api.get(f"{API}/aftersales/tickets").json()["items"]
    assert [x["id"] for x in mine] == [a.ids["ticket"]]
    assert api.get(f"{API}/aftersales/tickets/{a.ids['other_ticket']}").status_code == 404
    assert api.get(f"{API}/aftersales/tickets/{b.ids['ticket']}").status_code == 404
    detail = api.get(f"{API}/aftersales/tickets/{a.ids['ticket']}")
    assert detail.status_code == 200 and "补救AMARK" not in detail.text  # internal history stays internal
    assert {e["kind"] for e in detail.json()["events"]} == {"opened"}
    body = {"asset_id": a.ids["asset"], "title": "压力低", "category": "performance", "priority": "high"}
    r = api.post(f"{API}/aftersales/tickets", json=body)
    assert r.status_code == 201 and r.json()["customer_id"] == a.ids["customer"] and r.json()["channel"] == "portal"
    r = api.post(f"{API}/aftersales/tickets", json=body | {"asset_id": a.ids["other_asset"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "asset_id"
    r = api.post(f"{API}/aftersales/tickets", json=body | {"asset_id": None, "customer_id": a.ids["other_customer"]})
    assert r.status_code == 201 and r.json()["customer_id"] == a.ids["customer"]  # always their own
    tid = a.ids["ticket"]
    assert api.post(f"{API}/aftersales/tickets/{tid}/transitions", json={"to_status": "resolved"}).status_code == 403
    assert api.post(f"{API}/aftersales/tickets/{tid}/comments", json={"note": "还在漏气"}).status_code == 200
    r = api.post(f"{API}/aftersales/tickets/{tid}/comments", json={"note": "x", "internal": True})
    assert r.status_code == 422
    for rel in ("/aftersales/quality-report", "/aftersales/escalations", "/aftersales/surveys", "/customers"):
        assert api.get(API + rel).status_code == 403, rel
    ov = api.get(f"{API}/portal/overview").json()
    assert [x["id"] for x in ov["assets"]] == [a.ids["asset"]]
    from somp.modules.contracts.models import Contract

    with db.session(Scope.tenant(a.tenant.id)) as s:  # the world's contract and its C2M order's draft
        own = set(s.scalars(select(Contract.id).where(Contract.customer_id == a.ids["customer"])))
    assert a.ids["contract"] in own and {x["id"] for x in ov["contracts"]} == own
    assert ov["invoices"] == []  # the customer's only invoice is a draft
    assert {x["customer_id"] for x in ov["open_tickets"]} == {a.ids["customer"]}
    rep = api.get(f"{API}/portal/sla-report", params={"period": "2026-01"}).json()
    # one ticket of theirs in January, on the world's contract (active since its price plan was set)
    assert rep["total"]["opened"] == 1 and [x["key"] for x in rep["by_contract"]] == ["CTAMARK"]
    assert rep["escalations_by_level"] is None and rep["recovery_by_kind"] is None
    # the stored SLA attainment of January (pss, through the core port): their own contract only
    assert [x["contract_number"] for x in rep["availability"]] == ["CTAMARK"]
    surveys = api.get(f"{API}/portal/surveys").json()
    assert [(x["id"], x["answered"]) for x in surveys] == [(a.ids["survey"], False)]
    r = api.post(f"{API}/portal/surveys/{a.ids['survey']}/responses", json={"score": 8})
    assert r.status_code == 201 and r.json()["customer_id"] == a.ids["customer"]
    assert api.post(f"{API}/portal/surveys/{a.ids['survey']}/responses", json={"score": 8}).status_code == 409
    assert api.post(f"{API}/portal/surveys/{b.ids['survey']}/responses", json={"score": 8}).status_code == 404
    assert api.get(f"{API}/portal/surveys").json()[0]["answered"] is True
    assert client_as(a.admin).get(f"{API}/portal/overview").status_code == 403


def test_marketplace_crosses_tenants_only_through_the_published_catalogue(app, db, client_as, worlds):
    """Both tenants are factories and buyers on one marketplace: each lists only its own orders,
    the bookings on its own resources and its own diff lines; the shared catalogue lists both
    published resources and names neither factory."""
    a, b = worlds
    api = client_as(a.admin)
    base = f"{API}/shared-mfg"
    assert [o["id"] for o in api.get(f"{base}/orders").json()["items"]] == [a.ids["mfg_order"]]
    assert [x["id"] for x in api.get(f"{base}/bookings").json()["items"]] == [a.ids["mfg_booking"]]
    assert [x["order_id"] for x in api.get(f"{base}/served-orders").json()] == [a.ids["mfg_order"]]
    assert {x["order_number"] for x in api.get(f"{base}/changes").json()["items"]} <= {"MOAMARK"}
    catalogue = api.get(f"{base}/catalogue")
    assert {x["id"] for x in catalogue.json()} == {a.ids["mfg_resource"], b.ids["mfg_resource"]}
    assert "AMARK" not in catalogue.text and MARK not in catalogue.text
    assert api.get(f"{base}/orders/{b.ids['mfg_order']}").status_code == 404
    r = api.post(f"{base}/bookings/{b.ids['mfg_booking']}/progress", json={"event": "started"})
    assert r.status_code == 404
    with db.session(Scope.tenant(b.tenant.id)) as s:
        from somp.modules.shared_manufacturing.models import Booking

        assert s.get(Booking, b.ids["mfg_booking"]).status == "planned"


def test_portal_delivery_projects_are_the_customers_own(app, db, client_as, worlds):
    """The portal's delivery projects (2.1.5, ``delivery:read``): the customer user sees their own
    customer's projects with stages and dates, not another customer's of the same tenant nor
    tenant B's; staff and the evaluator do not hold the portal route."""
    from somp.modules.pss import delivery
    from somp.modules.pss.design_schemas import DeliveryProjectCreate
    from tests.web.helpers import WebClient

    a, b = worlds
    other = make_contract(db, a.tenant, a.ids["other_customer"], a.ids["offering"], [], number="CT2AMARK")
    day = dt.date(2026, 2, 2)
    stages = [{"stage": st, "planned_start": day, "planned_end": day} for st in
              ("plan", "ship", "install", "commission", "acceptance")]  # fmt: skip
    with db.session(Scope.tenant(a.tenant.id)) as s:
        hidden = delivery.create_project(s, DeliveryProjectCreate(contract_id=other.id, title="别家交付",
                                                                  stages=stages), None)  # fmt: skip
        hidden_number = hidden.number
        s.commit()
    api = client_as(a.customer_user)
    rows = api.get(f"{API}/portal/delivery-projects").json()
    assert [r["id"] for r in rows] == [a.ids["delivery_project"]]
    assert [st["stage"] for st in rows[0]["stages"]] == ["plan", "ship", "install", "commission", "acceptance"]
    assert rows[0]["stages"][0]["status"] == "in_progress" and "note" not in rows[0]
    assert api.get(f"{API}/pss/delivery-projects").status_code == 403  # the staff route
    assert client_as(a.admin).get(f"{API}/portal/delivery-projects").status_code == 403
    web = WebClient(app, a.customer_user.username)
    page = web.get("/portal/delivery")
    assert page.status_code == 200 and "CTAMARK" in page.text and "交付AMARK" in page.text
    assert hidden_number not in page.text and "CT2AMARK" not in page.text and MARK not in page.text
    assert web.get(f"/pss/delivery/{a.ids['delivery_project']}").status_code == 403
