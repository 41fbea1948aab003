"""API contract of the brand KPIs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel

from somp.core.identity import SizeClass


class BrandKpiRead(BaseModel):
    period: str
    start: dt.date
    end: dt.date
    service_revenue: Decimal
    product_revenue: Decimal
    service_cost: Decimal
    service_revenue_share: float | None
    repurchase_base: int
    repurchasing_customers: int
    repurchase_rate: float | None
    service_profit_margin: float | None


class BrandKpiSeries(BaseModel):
    granularity: Literal["quarter", "year"]
    periods: list[BrandKpiRead]


class EnterpriseBrandKpis(BaseModel):
    """What an evaluator sees of one enterprise: its public profile and measured brand KPIs."""

    tenant_id: int
    name: str
    uscc: str
    industry_code: str
    region_code: str
    size_class: SizeClass
    source: Literal["platform_data"] = "platform_data"
    kpis: list[BrandKpiRead]
