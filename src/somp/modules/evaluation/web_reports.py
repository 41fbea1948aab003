"""Pages of evaluation reports and yearly data (framework nodes 1.3.1-1.3.3).

* ``/evaluation/maturity/{id}/report``: the enterprise report (the same document as the API's
  ``report.html``, in the user's language), with its PDF, Excel and badge beside it at
  ``report.pdf``, ``report.xlsx`` and ``badge.svg``;
* ``/evaluation/yearly``: the financial statements (enterprise-level input-output, 1.3.2) and the
  sustainability records (carbon footprint and E/S/G scores, 1.3.3) per year, with a chart of the
  footprint by scope; every figure says where it came from.

The same reading rules as the API: an enterprise sees its own, the evaluator every enterprise's
(reports of submitted evaluations only).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from somp.core.database import utcnow
from somp.core.errors import Conflict, NotFound, ValidationFailed
from somp.modules.evaluation import evidence, reports, service, yearly
from somp.modules.evaluation import sustainability as su
from somp.modules.evaluation import yearly_carbon_form as cf
from somp.modules.evaluation.api_reports import XLSX, _download
from somp.modules.evaluation.carbon import GASES
from somp.modules.evaluation.report_render import PdfUnavailable, labels, render_html, render_pdf
from somp.web.context import CSRF_FIELD, PageForbidden, PageNotFound, WebContext, check_csrf, flash, page, parse_id
from somp.web.crud import read_form
from somp.web.render import ENV, render

router = APIRouter(include_in_schema=False)
READ_ANY = ("self_assessment:read", "evaluation:read")
YEARLY_URL = "/evaluation/yearly"


def _template(name: str):  # noqa: ANN202 - templates of this module that extend the site's base.html
    return ENV.from_string((files("somp.modules.evaluation") / "templates" / name).read_text(encoding="utf-8"))


YEARLY = _template("yearly.html")
EVIDENCE = _template("evidence_page.html")


def _allowed(w: WebContext) -> None:
    if not any(w.principal.can(p) for p in READ_ANY):
        raise PageForbidden(READ_ANY[0])


def _data(request: Request) -> tuple[dict[str, Any], str]:
    with page(request, None) as w:
        _allowed(w)
        eid = parse_id(request, "evaluation_id")
        try:
            return reports.report_data(request.app.state.db, w.session, eid, w.lang), w.lang
        except NotFound:
            raise PageNotFound() from None


def report_page(request: Request) -> HTMLResponse:
    data, _ = _data(request)
    return HTMLResponse(render_html(data))


def report_pdf(request: Request) -> Response:
    data, _ = _data(request)
    try:
        pdf = render_pdf(data)
    except PdfUnavailable as e:
        return Response(str(e), status_code=503, media_type="text/plain; charset=utf-8")
    return _download(pdf, "application/pdf", reports.filename(data, "pdf"))


def report_xlsx(request: Request) -> Response:
    data, lang = _data(request)
    return _download(reports.excel(data, labels(lang)[0]), XLSX, reports.filename(data, "xlsx"))


def badge(request: Request) -> Response:
    with page(request, None) as w:
        _allowed(w)
        try:
            ev = service.get_evaluation(w.session, parse_id(request, "evaluation_id"))
        except NotFound:
            raise PageNotFound() from None
        name = ((ev.result or {}).get("level_name") or {}).get(w.lang)
        svg = reports.badge_svg(ev.level, name, ev.score, w.lang)
    return Response(svg, media_type="image/svg+xml", headers={"X-Content-Type-Options": "nosniff"})


def yearly_page(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        _allowed(w)
        statements = yearly.list_statements(w.session)
        records = yearly.list_sustainability(w.session)
        names = service.enterprise_names(w.session, {r.tenant_id for r in [*statements, *records]})
        chart = [
            {"label": f"{names.get(r.tenant_id, '')} {r.year}".strip(),
             "by_scope": r.result["footprint"]["by_scope"]}
            for r in records if r.result.get("footprint")
        ]  # fmt: skip
        raw_year = request.query_params.get("year", "")
        year = int(raw_year) if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100 else utcnow().year - 1
        own = None  # the form shows the enterprise's record of the year to edit
        if w.principal.tenant_id is not None:
            own = yearly.sustainability_of(w.session, w.principal.tenant_id, year)
        rows = cf.rows_from_record(own.activities, own.factors) if own is not None else []
        rows += [{} for _ in range(cf.BLANK_ROWS)]
        return render(request, YEARLY, w, title_key="evaluation.yearly.title", statements=statements,
                      records=records, names=names, chart=chart, show_enterprise=w.principal.tenant_id is None,
                      can_upload=w.can("self_assessment:write"), csrf_field=CSRF_FIELD,
                      default_year=year, figures=su.FIGURES, own=own, carbon_rows=rows,
                      gases=GASES)  # fmt: skip


def upload_statement(request: Request, form: FormData = Depends(read_form)) -> Response:
    """The statement form of /evaluation/yearly: stored whole, or every reason shown."""
    with page(request, "self_assessment:write") as w:
        check_csrf(request, form)
        raw_year, unit, file = form.get("year"), form.get("unit"), form.get("file")
        year = int(raw_year) if isinstance(raw_year, str) and raw_year.strip().isdigit() else None
        if year is None or not 2000 <= year <= 2100 or unit not in ("CNY", "10k CNY") or not hasattr(file, "read"):
            flash(request, "evaluation.msg.statement_refused", reasons="year 2000-2100, unit and a file are required")
            return RedirectResponse(YEARLY_URL, status_code=303)
        data = file.file.read(yearly.MAX_STATEMENT_BYTES + 1)  # type: ignore[union-attr]
        try:
            yearly.save_statement(w.session, year=year, unit=unit, filename=file.filename or "", data=data,
                                  user_id=w.principal.user_id)  # type: ignore[union-attr]  # fmt: skip
        except ValidationFailed as e:
            w.rollback()
            flash(request, "evaluation.msg.statement_refused", reasons="; ".join(x.message for x in e.errors[:20]))
            return RedirectResponse(YEARLY_URL, status_code=303)
        w.commit()
        flash(request, "evaluation.msg.statement_stored", year=year)
        return RedirectResponse(YEARLY_URL, status_code=303)


def evidence_page(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        _allowed(w)
        eid = parse_id(request, "evaluation_id")
        try:
            ev = service.get_evaluation(w.session, eid)
        except NotFound:
            raise PageNotFound() from None
        files_ = evidence.list_for(w.session, ev.id)
        system = service.system_for_evaluation(request.app.state.db, w.session, ev)
        indicators = [{"code": i.code, "name": i.name.zh if w.lang == "zh" else i.name.en}
                      for i in system.indicators() if i.source.kind.value != "computed"]  # fmt: skip
        can_upload = w.can("self_assessment:write") and ev.status in service.EDITABLE
        return render(request, EVIDENCE, w, title_key="evaluation.evidence.title", ev=ev, files=files_,
                      indicators=indicators, can_upload=can_upload, csrf_field=CSRF_FIELD)  # fmt: skip


def upload_evidence(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "self_assessment:write") as w:
        check_csrf(request, form)
        eid = parse_id(request, "evaluation_id")
        service.get_evaluation(w.session, eid)  # another enterprise's: 404 before the file
        back = f"/evaluation/maturity/{eid}/evidence"
        file, code = form.get("file"), form.get("indicator_code")
        data = file.file.read(evidence.MAX_BYTES + 1) if hasattr(file, "read") else None  # type: ignore[union-attr]
        name = getattr(file, "filename", None)
        try:
            row = evidence.upload(request.app.state.db, w.session, eid, code if isinstance(code, str) else None,
                                  name, data, w.principal.user_id)  # fmt: skip
        except (ValidationFailed, Conflict) as e:
            w.rollback()
            flash(
                request, "evaluation.msg.evidence_refused", reasons="; ".join(x.message for x in e.errors[:5]) or str(e)
            )
            return RedirectResponse(back, status_code=303)
        w.commit()
        flash(request, "evaluation.msg.evidence_stored", name=row.filename, sha256=row.sha256[:12])
        return RedirectResponse(back, status_code=303)


def download_evidence(request: Request) -> Response:
    with page(request, None) as w:
        _allowed(w)
        try:
            row = evidence.get(w.session, parse_id(request, "evidence_id"))
        except NotFound:
            raise PageNotFound() from None
        return _download(row.content, row.content_type, row.filename)


for path, fn, cls, name in (
    ("/evaluation/maturity/{evaluation_id}/report", report_page, HTMLResponse, "web_evaluation_report"),
    ("/evaluation/maturity/{evaluation_id}/report.pdf", report_pdf, Response, "web_evaluation_report_pdf"),
    ("/evaluation/maturity/{evaluation_id}/report.xlsx", report_xlsx, Response, "web_evaluation_report_xlsx"),
    ("/evaluation/maturity/{evaluation_id}/badge.svg", badge, Response, "web_evaluation_badge"),
    ("/evaluation/yearly", yearly_page, HTMLResponse, "web_evaluation_yearly"),
    ("/evaluation/maturity/{evaluation_id}/evidence", evidence_page, HTMLResponse, "web_evaluation_evidence"),
    ("/evaluation/maturity/evidence/{evidence_id}", download_evidence, Response, "web_evaluation_evidence_file"),
):
    router.add_api_route(path, fn, methods=["GET"], response_class=cls, name=name)
router.add_api_route(YEARLY_URL + "/statement", upload_statement, methods=["POST"], response_class=HTMLResponse,
                     name="web_evaluation_statement_upload")  # fmt: skip
router.add_api_route("/evaluation/maturity/{evaluation_id}/evidence", upload_evidence, methods=["POST"],
                     response_class=HTMLResponse, name="web_evaluation_evidence_upload")  # fmt: skip
