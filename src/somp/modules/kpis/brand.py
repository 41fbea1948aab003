"""The three brand KPIs of the 2025-2028 service-oriented manufacturing plan, as pure functions.

The plan's commentary names them as the financial measure of a leading brand (领军品牌): service
revenue share (服务收入占比), customer repurchase rate (客户复购率) and service profit margin
(服务利润率). The plan gives no formulas; somp's definitions (docs/kpis.md) are:

* service revenue share = S / (S + P) over a period, where S and P are the net service and
  product revenue of invoice lines of issued or paid invoices dated in the period (credit notes
  subtract; drafts and void invoices do not count);
* customer repurchase rate = |R| / |B|, where B is the set of customers that made a purchase
  before the period and R those of B that purchased again within it; a purchase is a signed
  contract or an issued invoice that sells a product;
* service profit margin = (S - C) / S, where C is the service cost of the period: the labour,
  parts and travel cost of work orders under a service contract resolved in the period, plus the
  direct cost recorded on service invoice lines of the period.

Each KPI is ``None`` when its denominator is empty: missing data is reported as missing, never as 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0")


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive
    label: str

    def contains(self, d: dt.date) -> bool:
        return self.start <= d < self.end


def quarters(last: dt.date, count: int) -> list[Period]:
    """The ``count`` calendar quarters ending with the quarter that contains ``last``."""
    q = (last.month - 1) // 3
    y = last.year
    out = []
    for _ in range(count):
        start = dt.date(y, 3 * q + 1, 1)
        end = dt.date(y + (q == 3), (3 * q + 3) % 12 + 1, 1)
        out.append(Period(start, end, f"{y}Q{q + 1}"))
        q -= 1
        if q < 0:
            q, y = 3, y - 1
    return out[::-1]


def years(last: dt.date, count: int) -> list[Period]:
    return [Period(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), str(y)) for y in range(last.year - count + 1, last.year + 1)]


@dataclass(frozen=True, slots=True)
class RevenueLine:
    day: dt.date
    service: bool
    amount: Decimal  # signed: credit notes negative
    cost: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ServiceCost:
    day: dt.date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Purchase:
    customer_id: int
    day: dt.date


@dataclass(frozen=True, slots=True)
class BrandKpis:
    period: Period
    service_revenue: Decimal
    product_revenue: Decimal
    service_cost: Decimal
    service_revenue_share: float | None
    repurchase_base: int
    repurchasing_customers: int
    repurchase_rate: float | None
    service_profit_margin: float | None


def _ratio(num: Decimal | int, den: Decimal | int) -> float | None:
    return None if not den else float(Decimal(num) / Decimal(den))


def brand_kpis(
    period: Period,
    revenue: Iterable[RevenueLine],
    costs: Iterable[ServiceCost],
    purchases: Iterable[Purchase],
) -> BrandKpis:
    s = p = c = ZERO
    for r in revenue:
        if not period.contains(r.day):
            continue
        if r.service:
            s += r.amount
            c += r.cost or ZERO
        else:
            p += r.amount
    for k in costs:
        if period.contains(k.day):
            c += k.amount
    before: set[int] = set()
    during: set[int] = set()
    for pu in purchases:
        if pu.day < period.start:
            before.add(pu.customer_id)
        elif pu.day < period.end:
            during.add(pu.customer_id)
    again = before & during
    return BrandKpis(
        period=period,
        service_revenue=s,
        product_revenue=p,
        service_cost=c,
        service_revenue_share=_ratio(s, s + p),
        repurchase_base=len(before),
        repurchasing_customers=len(again),
        repurchase_rate=_ratio(len(again), len(before)),
        service_profit_margin=None if s <= 0 else float((s - c) / s),
    )


def series(
    periods: list[Period], revenue: list[RevenueLine], costs: list[ServiceCost], purchases: list[Purchase]
) -> list[BrandKpis]:
    return [brand_kpis(p, revenue, costs, purchases) for p in periods]
