"""Pages of PSS design and delivery (framework nodes 2.1.2 and 2.1.5): the service blueprints of the
offerings (a version's diagram drawn server-side as SVG with its lanes and lines, in Chinese or
English, its summary and findings, the YAML export), the product-service interface matrix of an
offering, delivery projects (planned vs actual per stage, the event log) and the delivery KPIs of
the last twelve months (charts drawn by ``/static/pss/design_delivery_kpis.js`` with the Plotly.js of
the wheel). Templates: ``web/templates/pss/design_*.html``."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import func, select
from starlette.datastructures import FormData

from somp.core.errors import DomainError, NotFound, ValidationFailed
from somp.modules.catalog.models import Offering
from somp.modules.contracts.models import Contract
from somp.modules.pss import delivery, design
from somp.modules.pss.delivery_kpis import month_range
from somp.modules.pss.design_models import STAGE_ORDER, BlueprintVersion, DeliveryProject
from somp.modules.pss.design_schemas import BlueprintVersionCreate, DeliveryProgress
from somp.web.context import PageNotFound, check_csrf, flash, page, parse_id
from somp.web.crud import read_form
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
        return _blueprint(w, parse_id(request, "offering_id"), _version(request))


def _blueprint(w, oid: int, number: int | None, status: int = 200, **form: object) -> HTMLResponse:  # noqa: ANN001
    offering = w.session.get(Offering, oid)
    if offering is None:
        raise PageNotFound()
    versions = design.list_blueprint_versions(w.session, oid)
    view, svg = None, None
    if versions:
        try:
            row = design.get_blueprint_version(w.session, oid, number)
        except NotFound:
            raise PageNotFound() from None
        view = design.blueprint_view(w.session, row)
        svg = Markup(design.engine_svg(row, w.lang))  # drawn by the engine, every label escaped there
    values = {"problems": [], "note": ""} | form
    if "document" not in values:
        values["document"] = design.export_blueprint(w.session, oid) if versions else ""
    return render(w.request, "pss/design_blueprint.html", w, status=status, title=t_for(w.lang)("pss.page.blueprint"),
                  offering=offering, versions=versions, view=view, svg=svg, can_write=w.can("pss:write"),
                  based_on=versions[0].number if versions else 0, **values)  # fmt: skip


def blueprint_submit(request: Request, form: FormData = Depends(read_form)) -> Response:
    """A blueprint pasted or edited on the page (YAML or JSON): stored as the next version."""
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        oid = parse_id(request, "offering_id")
        if w.session.get(Offering, oid) is None:
            raise PageNotFound()
        text = form.get("document") if isinstance(form.get("document"), str) else ""
        note = form.get("note") if isinstance(form.get("note"), str) else ""
        based = form.get("based_on")
        try:
            data = BlueprintVersionCreate(
                document=text,
                note=note or None,
                based_on=int(based) if isinstance(based, str) and based.isdigit() else None,
            )
            row, created = design.add_blueprint_version(w.session, oid, data, w.principal.user_id)
        except DomainError as exc:
            w.rollback()
            zh = w.lang == "zh"
            problems = [exc.detail]  # e.g. a stale edit (409)
            if isinstance(exc, ValidationFailed):
                problems = [e.params["zh"] if zh and e.params else f"{e.field}: {e.message}" for e in exc.errors]
            return _blueprint(w, oid, None, exc.status, problems=problems, document=text, note=note)
        except (ValidationError, ValueError) as exc:
            w.rollback()
            return _blueprint(w, oid, None, 422, problems=[str(exc).splitlines()[-1].strip()], document=text, note=note)
        w.commit()
        flash(request, "pss.msg.blueprint_stored" if created else "pss.msg.blueprint_unchanged", version=row.number)
        return RedirectResponse(f"/pss/offerings/{oid}/blueprint", status_code=303)


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
        return render(request, "pss/design_project.html", w, title=d["number"], p=d, contract=contract,
                      can_write=w.can("pss:write"), stages=STAGE_ORDER, today=dt.date.today())  # fmt: skip


def project_progress(request: Request, form: FormData = Depends(read_form)) -> Response:
    """A stage started or completed, a failed commissioning attempt, or a cancellation, from the page."""
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        pid = parse_id(request, "project_id")
        back = RedirectResponse(f"/pss/delivery/{pid}", status_code=303)
        try:
            number = delivery.get_project(w.session, pid).number
        except NotFound:
            raise PageNotFound() from None
        raw = {k: form.get(k) or None for k in ("event", "stage", "on", "note")}
        if raw["event"] == "cancel":
            raw["stage"] = None
        try:
            delivery.progress(w.session, pid, DeliveryProgress(**raw), w.principal.user_id)
        except ValidationError as exc:
            w.rollback()
            flash(request, "pss.msg.progress_refused", reason="; ".join(e["msg"] for e in exc.errors()))
            return back
        except DomainError as exc:
            w.rollback()
            flash(request, "pss.msg.progress_refused", reason=str(exc))
            return back
        w.commit()
        flash(request, "pss.msg.progress_recorded", number=number)
        return back


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
router.add_api_route("/pss/offerings/{offering_id}/blueprint", blueprint_submit, methods=["POST"],
                     name="web_pss_blueprint_submit")  # fmt: skip
router.add_api_route("/pss/delivery/{project_id}/progress", project_progress, methods=["POST"],
                     name="web_pss_delivery_progress")  # fmt: skip
