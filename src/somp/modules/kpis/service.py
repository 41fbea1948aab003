"""Brand KPIs from platform data: reads invoices, contracts and work orders of one tenant (the
session's scope) and feeds :mod:`somp.modules.kpis.brand`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from somp.core.database import Database
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, RevenueCategory
from somp.modules.kpis.brand import BrandKpis, Period, Purchase, RevenueLine, ServiceCost, series, years
from somp.modules.workorders.models import WorkOrder

COUNTED = (InvoiceStatus.issued, InvoiceStatus.paid)


def _revenue(session: Session, start: dt.date, end: dt.date) -> list[RevenueLine]:
    sign = case((Invoice.kind == InvoiceKind.credit_note, -1), else_=1)
    rows = session.execute(
        select(
            Invoice.issued_on,
            InvoiceLine.category,
            func.sum(InvoiceLine.amount * sign),
            func.sum(func.coalesce(InvoiceLine.cost_amount, 0) * sign),
        )
        .join(Invoice, and_(Invoice.id == InvoiceLine.invoice_id, Invoice.tenant_id == InvoiceLine.tenant_id))
        .where(Invoice.status.in_(COUNTED), Invoice.issued_on >= start, Invoice.issued_on < end)
        .group_by(Invoice.issued_on, InvoiceLine.category)
    )
    return [
        RevenueLine(day, RevenueCategory(cat) == RevenueCategory.service, Decimal(amount or 0), Decimal(cost or 0))
        for day, cat, amount, cost in rows
    ]


def _service_costs(session: Session, start: dt.date, end: dt.date) -> list[ServiceCost]:
    start_ts = dt.datetime.combine(start, dt.time(), dt.UTC)
    end_ts = dt.datetime.combine(end, dt.time(), dt.UTC)
    total = (
        func.coalesce(WorkOrder.labour_cost, 0)
        + func.coalesce(WorkOrder.parts_cost, 0)
        + func.coalesce(WorkOrder.travel_cost, 0)
    )
    rows = session.execute(
        select(WorkOrder.resolved_at, total).where(
            WorkOrder.contract_id.is_not(None), WorkOrder.resolved_at >= start_ts, WorkOrder.resolved_at < end_ts
        )
    )
    return [ServiceCost(at.date(), Decimal(amount or 0)) for at, amount in rows]


def _purchases(session: Session, end: dt.date) -> list[Purchase]:
    contracts = session.execute(
        select(Contract.customer_id, Contract.signed_on).where(
            Contract.signed_on.is_not(None), Contract.signed_on < end, Contract.status != ContractStatus.cancelled
        )
    )
    product_sales = session.execute(
        select(Invoice.customer_id, Invoice.issued_on)
        .where(
            Invoice.kind == InvoiceKind.invoice,
            Invoice.status.in_(COUNTED),
            Invoice.issued_on < end,
            Invoice.id.in_(select(InvoiceLine.invoice_id).where(InvoiceLine.category == RevenueCategory.product)),
        )
        .distinct()
    )
    return [Purchase(cid, day) for cid, day in contracts] + [Purchase(cid, day) for cid, day in product_sales]


def enterprise_brand_kpis(
    db: Database, session: Session, year: int, region_code: str | None = None
) -> list[tuple[Tenant, BrandKpis]]:
    """For evaluators: every active enterprise (optionally under a GB/T 2260 prefix) with its brand
    KPIs for ``year``, each measured in that tenant's own scope. ``session`` lists the tenants."""
    stmt = select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)
    if region_code:
        stmt = stmt.where(Tenant.region_code.startswith(region_code, autoescape=True))
    period = years(dt.date(year, 12, 31), 1)
    out = []
    for tenant in session.scalars(stmt).all():
        with db.session(Scope.tenant(tenant.id)) as s:
            out.append((tenant, brand_kpi_series(s, period)[0]))
    return out


def brand_kpi_series(session: Session, periods: list[Period]) -> list[BrandKpis]:
    if not periods:
        return []
    start, end = periods[0].start, periods[-1].end
    return series(periods, _revenue(session, start, end), _service_costs(session, start, end), _purchases(session, end))


def to_read(k: BrandKpis) -> dict:
    return {
        "period": k.period.label,
        "start": k.period.start,
        "end": k.period.end,
        "service_revenue": k.service_revenue,
        "product_revenue": k.product_revenue,
        "service_cost": k.service_cost,
        "service_revenue_share": k.service_revenue_share,
        "repurchase_base": k.repurchase_base,
        "repurchasing_customers": k.repurchasing_customers,
        "repurchase_rate": k.repurchase_rate,
        "service_profit_margin": k.service_profit_margin,
    }
