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

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from somp.core.errors import NotFound
from somp.modules.evaluation import reports, service, yearly
from somp.modules.evaluation.api_reports import XLSX, _download
from somp.modules.evaluation.report_render import PdfUnavailable, labels, render_html, render_pdf
from somp.web.context import PageForbidden, PageNotFound, WebContext, page, parse_id
from somp.web.render import ENV, render

router = APIRouter(include_in_schema=False)
READ_ANY = ("self_assessment:read", "evaluation:read")

YEARLY = ENV.from_string(
    (files("somp.modules.evaluation") / "templates" / "yearly.html").read_text(encoding="utf-8")
)  # extends the site's base.html


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
        return render(request, YEARLY, w, title_key="evaluation.yearly.title", statements=statements,
                      records=records, names=names, chart=chart,
                      show_enterprise=w.principal.tenant_id is None)  # fmt: skip


for path, fn, cls, name in (
    ("/evaluation/maturity/{evaluation_id}/report", report_page, HTMLResponse, "web_evaluation_report"),
    ("/evaluation/maturity/{evaluation_id}/report.pdf", report_pdf, Response, "web_evaluation_report_pdf"),
    ("/evaluation/maturity/{evaluation_id}/report.xlsx", report_xlsx, Response, "web_evaluation_report_xlsx"),
    ("/evaluation/maturity/{evaluation_id}/badge.svg", badge, Response, "web_evaluation_badge"),
    ("/evaluation/yearly", yearly_page, HTMLResponse, "web_evaluation_yearly"),
):
    router.add_api_route(path, fn, methods=["GET"], response_class=cls, name=name)
