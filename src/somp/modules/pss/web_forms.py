"""Page forms of the pss module (framework nodes 2.1.1 requirements engineering and 2.1.5 delivery),
Chinese and English, each with the session's CSRF token; what the API and CLI already did:

* ``/pss/requirements/new``: capture a requirement (offering, source kind and reference, priority,
  weight, Chinese and English title; a blank code takes the next ``REQ-<year>-<n>``);
* ``POST /pss/requirements/{id}``: edit a requirement or move its status (the allowed next
  statuses only) with a note, kept in its change history; a stale edit is refused (409);
* ``POST /pss/requirements/kano/{id}/answers``: upload a Kano answer table (CSV or Excel),
  stored whole or refused with every row's reason shown on the page;
* ``/pss/delivery/new``: a delivery project for a contract with its five planned stages;
* ``/portal/delivery``: a customer user's own delivery projects with their stages and dates
  (read-only; ``delivery:read`` of :mod:`somp.core.permissions`, rows narrowed by the customer
  scope of :mod:`somp.core.tenancy`).

A refused form is shown again with the values typed and every problem (status 409 or 422)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData, UploadFile

from somp.core.errors import DomainError, NotFound
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.customers.models import Customer
from somp.modules.pss import delivery
from somp.modules.pss import requirements as svc
from somp.modules.pss.design_models import STAGE_ORDER
from somp.modules.pss.design_schemas import DeliveryProjectCreate
from somp.modules.pss.requirements_io import TableInvalid, read_answers
from somp.modules.pss.requirements_models import RequirementPriority, RequirementSource
from somp.modules.pss.requirements_schemas import RequirementCreate, RequirementUpdate
from somp.modules.pss.web_requirements import _offerings, kano_view, requirement_view
from somp.web.context import PageNotFound, WebContext, check_csrf, flash, page, parse_id
from somp.web.crud import read_form
from somp.web.render import render

router = APIRouter(include_in_schema=False)
MAX_UPLOAD_BYTES = 5_000_000
REQ_FIELDS = ("code", "offering_id", "customer_id", "source_kind", "source_ref", "priority", "weight", "title",
              "title_en", "description")  # fmt: skip
EDIT_FIELDS = ("title", "title_en", "description", "source_kind", "source_ref", "priority", "weight", "status", "note")


def problems_of(exc: Exception, lang: str) -> list[str]:
    """Every reason a form was refused, one line each (the row of a table when there is one)."""
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(str(x) for x in e['loc']) or 'form'}: {e['msg']}" for e in exc.errors()]
    if isinstance(exc, DomainError) and exc.errors:
        out = []
        for e in exc.errors:
            zh = (e.params or {}).get("zh") if lang == "zh" else None
            row = (f"第 {e.row} 行：" if lang == "zh" else f"row {e.row}: ") if e.row is not None else ""
            out.append(row + (zh or f"{e.field}: {e.message}"))
        return out
    return [str(getattr(exc, "detail", exc))]


def _text(form: FormData, name: str) -> str | None:
    v = form.get(name)
    return v.strip() or None if isinstance(v, str) else None


def _customers(session: Any) -> list[tuple[int, str]]:
    rows = session.execute(select(Customer.id, Customer.code, Customer.name).order_by(Customer.code))
    return [(i, f"{code} {name}") for i, code, name in rows]


# ---------------------------------------------------------------- requirements (2.1.1)


def _requirement_form(w: WebContext, values: dict[str, Any], problems: list[str], status: int = 200) -> HTMLResponse:
    return render(w.request, "pss/forms_requirement.html", w, status=status, title_key="pss.form.new_requirement",
                  values=values, problems=problems, offerings=_offerings(w.session, w.lang),
                  customers=_customers(w.session), sources=[s.value for s in RequirementSource],
                  priorities=[p.value for p in RequirementPriority])  # fmt: skip


def requirement_new(request: Request) -> HTMLResponse:
    with page(request, "pss:write") as w:
        q = request.query_params
        values = {"source_kind": q.get("source_kind") or "customer", "priority": "should", "weight": "1",
                  "offering_id": q.get("offering_id") or "", "source_ref": q.get("source_ref") or ""}  # fmt: skip
        return _requirement_form(w, values, [])


def requirement_create(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        values = {k: _text(form, k) for k in REQ_FIELDS}
        try:
            data = {k: v for k, v in values.items() if v is not None}
            data["code"] = data.get("code") or svc.next_code(w.session)
            r = svc.create_requirement(w.session, RequirementCreate(**data), w.principal.user_id)
        except (ValidationError, DomainError) as exc:
            w.rollback()
            status = exc.status if isinstance(exc, DomainError) else 422
            return _requirement_form(w, {k: v or "" for k, v in values.items()}, problems_of(exc, w.lang), status)
        w.commit()
        flash(request, "pss.msg.requirement_stored", code=r.code)
        return RedirectResponse(f"/pss/requirements/{r.id}", status_code=303)


def requirement_edit(request: Request, form: FormData = Depends(read_form)) -> Response:
    """The detail page's form: changed fields and/or the next status, with a note."""
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        rid = parse_id(request, "requirement_id")
        try:
            svc.get_requirement(w.session, rid)
        except NotFound:
            raise PageNotFound() from None
        values = {k: _text(form, k) for k in EDIT_FIELDS}
        version = _text(form, "version")
        try:
            data = {k: v for k, v in values.items() if v is not None or k in svc.OPTIONAL_FIELDS}
            data["version"] = int(version) if version and version.isdigit() else None
            svc.update_requirement(w.session, rid, RequirementUpdate(**data), w.principal.user_id)
        except (ValidationError, DomainError) as exc:
            w.rollback()
            status = exc.status if isinstance(exc, DomainError) else 422
            return requirement_view(w, rid, problems=problems_of(exc, w.lang), values=values, status=status)
        w.commit()
        flash(request, "pss.msg.requirement_changed")
        return RedirectResponse(f"/pss/requirements/{rid}", status_code=303)


def kano_upload(request: Request, form: FormData = Depends(read_form)) -> Response:
    """An answer table from the page: stored whole, or the page again with every row's reason."""
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        qid = parse_id(request, "questionnaire_id")
        try:
            svc.get_questionnaire(w.session, qid)
        except NotFound:
            raise PageNotFound() from None
        file = form.get("file")
        problems: list[str] = []
        rows = None
        if not isinstance(file, UploadFile) or not file.filename:
            problems = ["file: upload a .csv or .xlsx file"]
        else:
            name = file.filename.lower()
            fmt = "xlsx" if name.endswith((".xlsx", ".xlsm")) else "csv" if name.endswith((".csv", ".txt")) else None
            raw = file.file.read(MAX_UPLOAD_BYTES + 1)
            if fmt is None:
                problems = [f"file: {file.filename} is not a .csv or .xlsx file"]
            elif len(raw) > MAX_UPLOAD_BYTES:
                problems = [f"file: at most {MAX_UPLOAD_BYTES} bytes"]
            else:
                try:
                    rows = read_answers(raw, fmt)
                except TableInvalid as exc:
                    problems = problems_of(svc.refused(exc.problems), w.lang)
        status = 422
        if rows is not None:
            try:
                out = svc.record_answers(w.session, qid, rows)
            except DomainError as exc:
                w.rollback()
                problems, status = problems_of(exc, w.lang), exc.status
            else:
                w.commit()
                flash(request, "pss.msg.answers_stored", n=out["stored"], respondents=out["respondents"])
                return RedirectResponse(f"/pss/requirements/kano/{qid}", status_code=303)
        return kano_view(w, qid, problems=problems, status=status)


# ---------------------------------------------------------------- delivery (2.1.5)


def _contracts(session: Any) -> list[tuple[int, str]]:
    rows = session.execute(
        select(Contract.id, Contract.number, Customer.name)
        .join(Customer, Customer.id == Contract.customer_id)
        .where(Contract.status.notin_((ContractStatus.cancelled, ContractStatus.terminated, ContractStatus.expired)))
        .order_by(Contract.number)
    )
    return [(i, f"{number} · {name}") for i, number, name in rows]


def _delivery_form(w: WebContext, values: dict[str, Any], problems: list[str], status: int = 200) -> HTMLResponse:
    return render(w.request, "pss/forms_delivery.html", w, status=status, title_key="pss.form.new_delivery",
                  values=values, problems=problems, contracts=_contracts(w.session), stages=STAGE_ORDER)  # fmt: skip


def delivery_new(request: Request) -> HTMLResponse:
    with page(request, "pss:write") as w:
        cid = request.query_params.get("contract_id", "")
        start = dt.date.today()
        values: dict[str, Any] = {"contract_id": cid if cid.isdigit() else ""}
        for k, st in enumerate(STAGE_ORDER):  # a week per stage as a starting point
            values[f"{st.value}_start"] = (start + dt.timedelta(days=7 * k)).isoformat()
            values[f"{st.value}_end"] = (start + dt.timedelta(days=7 * k + 6)).isoformat()
        return _delivery_form(w, values, [])


def delivery_create(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        names = ["contract_id", "title", "ordered_on", "note"]
        names += [f"{st.value}_{x}" for st in STAGE_ORDER for x in ("start", "end")]
        values = {k: _text(form, k) for k in names}
        try:
            data = DeliveryProjectCreate(
                contract_id=values["contract_id"],
                title=values["title"],
                ordered_on=values["ordered_on"],
                note=values["note"],
                stages=[
                    {"stage": st, "planned_start": values[f"{st.value}_start"],
                     "planned_end": values[f"{st.value}_end"]}
                    for st in STAGE_ORDER
                ],
            )  # fmt: skip
            p = delivery.create_project(w.session, data, w.principal.user_id)
        except (ValidationError, DomainError) as exc:
            w.rollback()
            status = exc.status if isinstance(exc, DomainError) else 422
            return _delivery_form(w, {k: v or "" for k, v in values.items()}, problems_of(exc, w.lang), status)
        w.commit()
        flash(request, "pss.msg.delivery_created", number=p.number)
        return RedirectResponse(f"/pss/delivery/{p.id}", status_code=303)


# ---------------------------------------------------------------- the customer portal


def portal_delivery(request: Request) -> HTMLResponse:
    with page(request, "delivery:read") as w:
        return render(request, "pss/forms_portal_delivery.html", w, title_key="pss.page.portal_delivery",
                      projects=delivery.portal_projects(w.session))  # fmt: skip


router.add_api_route("/pss/requirements/new", requirement_new, methods=["GET"], name="web_pss_requirement_new")
router.add_api_route("/pss/requirements/new", requirement_create, methods=["POST"],
                     name="web_pss_requirement_create")  # fmt: skip
router.add_api_route("/pss/requirements/{requirement_id}", requirement_edit, methods=["POST"],
                     name="web_pss_requirement_edit")  # fmt: skip
router.add_api_route("/pss/requirements/kano/{questionnaire_id}/answers", kano_upload, methods=["POST"],
                     name="web_pss_kano_upload")  # fmt: skip
router.add_api_route("/pss/delivery/new", delivery_new, methods=["GET"], name="web_pss_delivery_new")
router.add_api_route("/pss/delivery/new", delivery_create, methods=["POST"], name="web_pss_delivery_create")
router.add_api_route("/portal/delivery", portal_delivery, methods=["GET"], name="web_portal_delivery")
