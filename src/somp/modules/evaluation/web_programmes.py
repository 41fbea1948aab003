"""Pages of the standards system, recognition programmes (issue 4) and the regional ranking (framework
node 1.3.4), in Chinese and English; included by :mod:`.web`.

* ``/evaluation/programmes``: progress toward the plan's 2028 targets (20 standards, 50 leading
  brands, 100 innovation highlands) as a chart and a table, every programme's applications by status,
  and the standards catalogue (status, verification, framework nodes). Enterprises see their own
  applications; the evaluator sees every applicant's.
* ``/evaluation/regions`` (evaluators): the stored regions ranked by the regional development index
  of a year, its three dimensions (产业生态, 发展成效, 融合程度), the year-over-year rank change, and a
  bar chart of the index by dimension (Plotly from the wheel, /static/evaluation/programmes.js), with
  links to the region report of the year;
* ``/evaluation/regions/report``, ``report.pdf``, ``report.xlsx`` (evaluators, ``?year=``): the region
  report (:mod:`.region_report`), the same document as the API's ``region-report.html``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from somp.core.errors import DomainError
from somp.modules.evaluation import programmes, regions_service, standards
from somp.web.context import PageForbidden, PageNotFound, page
from somp.web.render import render

router = APIRouter(include_in_schema=False)
READ_ANY = ("self_assessment:read", "evaluation:read")

DASHBOARD = "evaluation/programmes.html"

REGIONS = "evaluation/regions.html"


def programmes_page(request: Request) -> HTMLResponse:
    with page(request, None) as w:
        if not any(w.principal.can(p) for p in READ_ANY):
            raise PageForbidden(READ_ANY[0])
        dash = programmes.dashboard(w.request.app.state.db, w.session)
        by = {p["code"]: p for p in dash["programmes"]}
        t_goal = {"standards": ("20 项标准", "standards"), "leading_brand": ("领军品牌", "leading brands"),
                  "innovation_highland": ("创新发展高地", "innovation highlands")}  # fmt: skip
        goals = [{"key": "standards", "done": dash["standards"]["published"], "target": dash["standards"]["target"]}]
        goals += [{"key": k, "done": by[k]["approved"], "target": by[k]["target"]}
                  for k in ("leading_brand", "innovation_highland")]  # fmt: skip
        for g in goals:
            zh, en = t_goal[g["key"]]
            g["label"] = zh if w.lang == "zh" else en
            g["share"] = g["done"] / g["target"]
        defs = {p["code"]: p for p in programmes.programme_list()}
        progs = [p | {"criteria": defs[p["code"]]["criteria"]} for p in dash["programmes"]]
        stds = standards.list_standards(w.request.app.state.db, w.session)
        chart = {"kind": "targets", "labels": [g["label"] for g in goals], "done": [g["done"] for g in goals],
                 "target": [g["target"] for g in goals],
                 "names": {"done": "已完成" if w.lang == "zh" else "done",
                           "target": "2028 目标" if w.lang == "zh" else "2028 target"}}  # fmt: skip
        return render(request, DASHBOARD, w, title_key="evaluation.programmes.title", goals=goals, progs=progs,
                      statuses=list(progs[0]["by_status"]), stds=stds, chart=chart,
                      scope="all" if dash["scope"] == "all applicants" else "own")  # fmt: skip


def regions_page(request: Request) -> HTMLResponse:
    with page(request, "evaluation:read") as w:
        this_year = dt.date.today().year
        raw = request.query_params.get("year") or ""
        year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else this_year - 1
        rows: list[dict[str, Any]] = []
        error = None
        out: dict[str, Any] = {"dimensions": {}, "indicators": {}}
        if regions_service.list_regions(w.session):
            try:
                out = regions_service.evaluate(w.request.app.state.db, w.session, [year], year - 1)
            except DomainError as e:
                error = str(e)
            yoy = out.get("year_over_year") or {}
            rows = sorted((r for r in out.get("rows", []) if r["year"] == year),
                          key=lambda r: (r["rank"] is None, r["rank"] or 0))  # fmt: skip
            for r in rows:
                r["rank_change"] = (yoy.get(r["region"]) or {}).get("rank_change")
        dims = out.get("dimensions", {})
        chart = {
            "kind": "regions",
            "regions": [r["name"][w.lang] for r in rows],
            "dimensions": [{"name": n[w.lang], "values": [r["dimensions"][d] for r in rows]} for d, n in dims.items()],
            "index": [r["index"] for r in rows],
            "index_name": "指数" if w.lang == "zh" else "Index",
        }
        return render(request, REGIONS, w, title_key="evaluation.regions.title", rows=rows, year=year,
                      year_choices=list(range(this_year, this_year - 8, -1)), dims=dims, chart=chart,
                      indicators=out.get("indicators", {}), error=error)  # fmt: skip


def _region_report(request: Request) -> tuple[dict[str, Any], str]:
    from somp.modules.evaluation import region_report

    with page(request, "evaluation:read") as w:
        raw = request.query_params.get("year") or ""
        year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else dt.date.today().year - 1
        try:
            return region_report.region_report_data(w.request.app.state.db, w.session, year, lang=w.lang), w.lang
        except DomainError as e:
            raise PageNotFound() from e


def region_report_page(request: Request) -> HTMLResponse:
    from somp.modules.evaluation.report_render import render_region_html

    data, _ = _region_report(request)
    return HTMLResponse(render_region_html(data))


def region_report_pdf(request: Request) -> Response:
    from somp.modules.evaluation import region_report
    from somp.modules.evaluation.api_reports import _download
    from somp.modules.evaluation.report_render import PdfUnavailable, render_region_pdf

    data, _ = _region_report(request)
    try:
        pdf = render_region_pdf(data)
    except PdfUnavailable as e:
        return Response(str(e), status_code=503, media_type="text/plain; charset=utf-8")
    return _download(pdf, "application/pdf", region_report.filename(data, "pdf"))


def region_report_xlsx(request: Request) -> Response:
    from somp.modules.evaluation import region_report
    from somp.modules.evaluation.api_reports import XLSX, _download
    from somp.modules.evaluation.report_render import labels

    data, lang = _region_report(request)
    return _download(region_report.excel(data, labels(lang)[0]), XLSX, region_report.filename(data, "xlsx"))


router.add_api_route("/evaluation/programmes", programmes_page, methods=["GET"], response_class=HTMLResponse,
                     name="web_evaluation_programmes")  # fmt: skip
router.add_api_route("/evaluation/regions", regions_page, methods=["GET"], response_class=HTMLResponse,
                     name="web_evaluation_regions")  # fmt: skip
for _path, _fn, _name in (("/evaluation/regions/report", region_report_page, "web_evaluation_region_report"),
                          ("/evaluation/regions/report.pdf", region_report_pdf, "web_evaluation_region_report_pdf"),
                          ("/evaluation/regions/report.xlsx", region_report_xlsx, "web_evaluation_region_report_xlsx")):
    router.add_api_route(_path, _fn, methods=["GET"], response_class=Response, name=_name)  # fmt: skip
