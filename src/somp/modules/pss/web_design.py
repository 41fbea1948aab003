"""Pages of PSS design and delivery (framework nodes 2.1.2 and 2.1.5): the service blueprints of the
offerings (a version's diagram drawn server-side as SVG with its lanes and lines, in Chinese or
English, its summary and findings, the YAML export), the product-service interface matrix of an
offering, delivery projects (planned vs actual per stage, the event log) and the delivery KPIs of
the last twelve months (charts drawn by ``/static/pss/design_delivery_kpis.js`` with the Plotly.js of
the wheel). Templates: ``web/templates/pss/design_*.html``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup
from sqlalchemy import func, select

from somp.core.errors import NotFound, ValidationFailed
from somp.modules.catalog.models import Offering
from somp.modules.contracts.models import Contract
from somp.modules.pss import delivery, design
from somp.modules.pss.delivery_kpis import month_range
from somp.modules.pss.design_models import BlueprintVersion, DeliveryProject
from somp.web.context import PageNotFound, page, parse_id
from somp.web.render import render, t_for

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 200


def _version(request: Request) -> int | None:
    raw = request.query_params.get("version", "")
    return int(raw) if raw.isdigit() and 0 < len(raw) < 10 else None


def blueprints(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        latest = (
            select(BlueprintVersion.offering_id, func.max(BlueprintVersion.number).label("n"))
            .group_by(BlueprintVersion.offering_id).subquery()
        )  # fmt: skip
        rows = w.session.execute(
            select(Offering.id, Offering.code, Offering.name, Offering.name_en, latest.c.n)
            .outerjoin(latest, latest.c.offering_id == Offering.id)
            .order_by(Offering.code)
        ).all()
        return render(request, "pss/design_blueprints.html", w, title_key="pss.page.blueprints", offerings=rows)


def blueprint_page(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        oid = parse_id(request, "offering_id")
        offering = w.session.get(Offering, oid)
        if offering is None:
            raise PageNotFound()
        versions = design.list_blueprint_versions(w.session, oid)
        view, svg = None, None
        if versions:
            try:
                row = design.get_blueprint_version(w.session, oid, _version(request))
            except NotFound:
                raise PageNotFound() from None
            view = design.blueprint_view(w.session, row)
            svg = Markup(design.engine_svg(row, w.lang))  # drawn by the engine, every label escaped there
        return render(request, "pss/design_blueprint.html", w, title=t_for(w.lang)("pss.page.blueprint"),
                      offering=offering, versions=versions, view=view, svg=svg)  # fmt: skip


def blueprint_yaml(request: Request) -> Response:
    with page(request, "pss:read") as w:
        oid = parse_id(request, "offering_id")
        try:
            text = design.export_blueprint(w.session, oid, _version(request))
        except NotFound:
            raise PageNotFound() from None
        return Response(text, media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="blueprint-{oid}.yaml"'})  # fmt: skip


def interfaces_page(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        oid = parse_id(request, "offering_id")
        try:
            m = design.interface_matrix(w.session, oid)
        except NotFound:
            raise PageNotFound() from None
        cells = {f"{c['service_line_no']}:{c['component']}": c for c in m["cells"]}
        return render(request, "pss/design_interfaces.html", w, title_key="pss.page.interfaces",
                      offering=w.session.get(Offering, oid), m=m, cells=cells)  # fmt: skip


def projects(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        items, more = delivery.list_projects(w.session, limit=PAGE_SIZE, cursor=None, order="desc")
        numbers = dict(w.session.execute(select(Contract.id, Contract.number).where(
            Contract.id.in_({p.contract_id for p in items}))).all())  # fmt: skip
        return render(request, "pss/design_projects.html", w, title_key="pss.page.delivery", projects=items,
                      numbers=numbers, more=more is not None)  # fmt: skip


def project_page(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        pid = parse_id(request, "project_id")
        try:
            d = delivery.detail(w.session, pid)
        except NotFound:
            raise PageNotFound() from None
        contract = w.session.get(Contract, d["contract_id"])
        return render(request, "pss/design_project.html", w, title=d["number"], p=d, contract=contract)


def kpi_page(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        tr = t_for(w.lang)
        month = request.query_params.get("month") or _last_month_with_data(w.session)
        errors = []
        try:
            month_range(month)
            if len(month) != 7 or month[4] != "-" or month[5] == "Q":
                raise ValueError(month)
        except ValueError:
            errors, month = [tr("pss.msg.bad_month")], _last_month_with_data(w.session)
        try:
            series = delivery.kpi_series(w.session, month, 12)
        except ValidationFailed:  # pragma: no cover - the month was checked above
            raise PageNotFound() from None
        chart = {
            "periods": [s["period"] for s in series],
            "on_time": [s["on_time_rate"] for s in series],
            "ftr": [s["first_time_right_rate"] for s in series],
            "median": [s["lead_time_median_days"] for s in series],
            "p90": [s["lead_time_p90_days"] for s in series],
            "names": {k: tr(f"pss.kpi.{k}") for k in ("on_time_rate", "first_time_right_rate",
                                                        "lead_time_median_days", "lead_time_p90_days")},
            "titles": {"rate": tr("pss.chart.rate"), "days": tr("pss.chart.days")},
        }  # fmt: skip
        return render(request, "pss/design_kpis.html", w, title_key="pss.page.delivery_kpis", month=month,
                      series=series, current=series[-1], chart=chart, errors=errors)  # fmt: skip


def _last_month_with_data(session) -> str:  # noqa: ANN001
    last = session.scalar(select(func.max(DeliveryProject.accepted_on)))
    day = last or dt.date.today()
    return f"{day.year:04d}-{day.month:02d}"


for path, fn, name in (
    ("/pss/blueprints", blueprints, "web_pss_blueprints"),
    ("/pss/offerings/{offering_id}/blueprint", blueprint_page, "web_pss_blueprint"),
    ("/pss/offerings/{offering_id}/blueprint.yaml", blueprint_yaml, "web_pss_blueprint_yaml"),
    ("/pss/offerings/{offering_id}/interfaces", interfaces_page, "web_pss_interfaces"),
    ("/pss/delivery", projects, "web_pss_delivery"),
    ("/pss/delivery/{project_id}", project_page, "web_pss_delivery_project"),
    ("/pss/delivery-kpis", kpi_page, "web_pss_delivery_kpis"),
):
    router.add_api_route(path, fn, methods=["GET"], name=name)
