"""The evaluator's page (framework node 1.3.1): each active enterprise's public profile and its
brand KPIs for a year, measured from its platform data; the same data as
``GET /api/v1/evaluation/brand-kpis``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from somp.core.identity import Tenant
from somp.modules.kpis.brand import BrandKpis
from somp.modules.kpis.service import enterprise_brand_kpis
from somp.web.context import WebContext, page
from somp.web.render import render, t_for

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class EnterpriseRow:
    tenant: Tenant
    kpis: BrandKpis


def enterprise_kpis(w: WebContext, year: int, region_code: str | None) -> list[EnterpriseRow]:
    """As the API route: active tenants (optionally under a GB/T 2260 prefix), each measured in
    its own tenant scope, read only."""
    return [EnterpriseRow(t, k) for t, k in enterprise_brand_kpis(w.request.app.state.db, w.session, year, region_code)]


def evaluation(request: Request) -> HTMLResponse:
    with page(request, "evaluation:read") as w:
        t = t_for(w.lang)
        q = request.query_params
        errors = []
        year = dt.date.today().year - 1
        raw_year = (q.get("year") or "").strip()
        if raw_year:
            if raw_year.isdigit() and 2000 <= int(raw_year) <= 2100:
                year = int(raw_year)
            else:
                errors.append(f"{t('field.year')}: {t('error.invalid_filter')}")
        region = (q.get("region_code") or "").strip()
        if region and not re.fullmatch(r"\d{2,6}", region):
            errors.append(f"{t('field.region_code')}: {t('error.invalid_filter')}")
            region = ""
        rows = enterprise_kpis(w, year, region or None)
        this_year = dt.date.today().year
        return render(
            request,
            "evaluation.html",
            w,
            title_key="page.evaluation.title",
            rows=rows,
            year=year,
            region=region,
            errors=errors,
            year_choices=list(range(this_year, this_year - 10, -1)),
        )


router.add_api_route("/evaluation", evaluation, methods=["GET"], response_class=HTMLResponse, name="web_evaluation")
