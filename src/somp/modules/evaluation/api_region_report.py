"""REST routes of the region report (framework node 1.3.4) under ``/api/v1/evaluation``: the stored
regions ranked by the regional development index of a year, as HTML, PDF (headless Chromium) and
Excel (:mod:`.region_report`). Evaluators only (``evaluation:read``): the report reads every member
enterprise's figures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from somp.api.deps import RequestContext, requires
from somp.modules.evaluation import region_report
from somp.modules.evaluation.api_reports import XLSX, Lang, PdfPrintingUnavailable, _download

router = APIRouter(tags=["evaluation"])
EvalRead = Annotated[RequestContext, Depends(requires("evaluation:read"))]
Year = Annotated[int, Query(ge=2000, le=2100, description="the year ranked")]
Previous = Annotated[int | None, Query(ge=2000, le=2100, description="the year compared with (default: year - 1)")]


def _data(c: RequestContext, year: int, previous_year: int | None, lang: str) -> dict:
    return region_report.region_report_data(c.db, c.session, year, previous_year, lang=lang)


@router.get("/evaluation/region-report.html", response_class=Response,
            responses={200: {"content": {"text/html": {}}}})  # fmt: skip
def region_report_html(c: EvalRead, year: Year, previous_year: Previous = None, lang: Lang = "zh"):
    """The region report as one HTML document (charts drawn by the Plotly.js this server serves)."""
    from somp.modules.evaluation.report_render import render_region_html

    return Response(render_region_html(_data(c, year, previous_year, lang)), media_type="text/html; charset=utf-8")


@router.get("/evaluation/region-report.pdf", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}}})  # fmt: skip
def region_report_pdf(c: EvalRead, year: Year, previous_year: Previous = None, lang: Lang = "zh"):
    """The region report printed to PDF by headless Chromium (A4 landscape, charts included)."""
    from somp.modules.evaluation.report_render import PdfUnavailable, render_region_pdf

    data = _data(c, year, previous_year, lang)
    c.session.rollback()  # nothing to keep: end the read before the (slow) printing
    try:
        pdf = render_region_pdf(data)
    except PdfUnavailable as e:
        raise PdfPrintingUnavailable(str(e)) from None
    return _download(pdf, "application/pdf", region_report.filename(data, "pdf"))


@router.get("/evaluation/region-report.xlsx", response_class=Response,
            responses={200: {"content": {XLSX: {}}}})  # fmt: skip
def region_report_xlsx(c: EvalRead, year: Year, previous_year: Previous = None, lang: Lang = "zh"):
    """The region report as an Excel workbook (ranking with a stacked chart, indicators with their
    basis, statistics with sources, members' figure sources, year over year with a chart)."""
    from somp.modules.evaluation.report_render import labels

    data = _data(c, year, previous_year, lang)
    return _download(region_report.excel(data, labels(lang)[0]), XLSX, region_report.filename(data, "xlsx"))
