"""REST routes of the brand KPIs: a tenant's own series, and the evaluator's cross-enterprise view."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from somp.api.deps import RequestContext, requires
from somp.modules.kpis import service
from somp.modules.kpis.brand import quarters, years
from somp.modules.kpis.schemas import BrandKpiSeries, EnterpriseBrandKpis

router = APIRouter(tags=["kpis"])


def _periods(granularity: str, until: dt.date, count: int):
    return quarters(until, count) if granularity == "quarter" else years(until, count)


@router.get("/kpis/brand", response_model=BrandKpiSeries)
def brand_kpis(
    c: Annotated[RequestContext, Depends(requires("kpis:read"))],
    granularity: Literal["quarter", "year"] = "quarter",
    until: Annotated[dt.date | None, Query(description="last period contains this day; default today")] = None,
    count: Annotated[int, Query(ge=1, le=40)] = 8,
):
    """Service revenue share, customer repurchase rate and service profit margin per period."""
    periods = _periods(granularity, until or dt.date.today(), count)
    return {
        "granularity": granularity,
        "periods": [service.to_read(k) for k in service.brand_kpi_series(c.session, periods)],
    }


@router.get("/evaluation/brand-kpis", response_model=list[EnterpriseBrandKpis], tags=["evaluation"])
def enterprise_brand_kpis(
    c: Annotated[RequestContext, Depends(requires("evaluation:read"))],
    year: Annotated[int, Query(ge=2000, le=2100)],
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
):
    """For evaluators: each active enterprise's profile and its brand KPIs for ``year``, measured
    from its platform data. Nothing else of a tenant is exposed."""
    return [
        EnterpriseBrandKpis(
            tenant_id=t.id,
            name=t.name,
            uscc=t.uscc,
            industry_code=t.industry_code,
            region_code=t.region_code,
            size_class=t.size_class,
            kpis=[service.to_read(k)],
        )
        for t, k in service.enterprise_brand_kpis(c.db, c.session, year, region_code)
    ]
