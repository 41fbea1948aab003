"""Brand KPIs from platform data: reads invoices, contracts and work orders of one tenant (the
session's scope) and feeds :mod:`somp.modules.kpis.brand`.

:func:`brand_kpis_by_tenant` gives the same KPIs for many tenants at once with three grouped,
set-based statements (one per input: revenue, service cost, purchases), each carrying the tenant id,
instead of three statements per tenant; a test checks it equals :func:`brand_kpi_series` run in each
tenant's own scope.
"""

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


def _revenue_rows(session: Session, start: dt.date, end: dt.date, tenant_ids: list[int] | None = None):
    sign = case((Invoice.kind == InvoiceKind.credit_note, -1), else_=1)
    stmt = (
        select(
            Invoice.tenant_id,
            Invoice.issued_on,
            InvoiceLine.category,
            func.sum(InvoiceLine.amount * sign),
            func.sum(func.coalesce(InvoiceLine.cost_amount, 0) * sign),
        )
        .join(Invoice, and_(Invoice.id == InvoiceLine.invoice_id, Invoice.tenant_id == InvoiceLine.tenant_id))
        .where(Invoice.status.in_(COUNTED), Invoice.issued_on >= start, Invoice.issued_on < end)
        .group_by(Invoice.tenant_id, Invoice.issued_on, InvoiceLine.category)
    )
    if tenant_ids is not None:
        stmt = stmt.where(Invoice.tenant_id.in_(tenant_ids))
    for tid, day, cat, amount, cost in session.execute(stmt):
        service = RevenueCategory(cat) == RevenueCategory.service
        yield tid, RevenueLine(day, service, Decimal(amount or 0), Decimal(cost or 0))


def _revenue(session: Session, start: dt.date, end: dt.date) -> list[RevenueLine]:
    return [line for _tid, line in _revenue_rows(session, start, end)]


def _service_cost_rows(session: Session, start: dt.date, end: dt.date, tenant_ids: list[int] | None = None):
    start_ts = dt.datetime.combine(start, dt.time(), dt.UTC)
    end_ts = dt.datetime.combine(end, dt.time(), dt.UTC)
    total = (
        func.coalesce(WorkOrder.labour_cost, 0)
        + func.coalesce(WorkOrder.parts_cost, 0)
        + func.coalesce(WorkOrder.travel_cost, 0)
    )
    stmt = select(WorkOrder.tenant_id, WorkOrder.resolved_at, total).where(
        WorkOrder.contract_id.is_not(None), WorkOrder.resolved_at >= start_ts, WorkOrder.resolved_at < end_ts
    )
    if tenant_ids is not None:
        stmt = stmt.where(WorkOrder.tenant_id.in_(tenant_ids))
    for tid, at, amount in session.execute(stmt):
        yield tid, ServiceCost(at.date(), Decimal(amount or 0))


def _service_costs(session: Session, start: dt.date, end: dt.date) -> list[ServiceCost]:
    return [c for _tid, c in _service_cost_rows(session, start, end)]


def _purchase_rows(session: Session, end: dt.date, tenant_ids: list[int] | None = None):
    contracts = select(Contract.tenant_id, Contract.customer_id, Contract.signed_on).where(
        Contract.signed_on.is_not(None), Contract.signed_on < end, Contract.status != ContractStatus.cancelled
    )
    product_sales = (
        select(Invoice.tenant_id, Invoice.customer_id, Invoice.issued_on)
        .where(
            Invoice.kind == InvoiceKind.invoice,
            Invoice.status.in_(COUNTED),
            Invoice.issued_on < end,
            Invoice.id.in_(select(InvoiceLine.invoice_id).where(InvoiceLine.category == RevenueCategory.product)),
        )
        .distinct()
    )
    if tenant_ids is not None:
        contracts = contracts.where(Contract.tenant_id.in_(tenant_ids))
        product_sales = product_sales.where(Invoice.tenant_id.in_(tenant_ids))
    for stmt in (contracts, product_sales):
        for tid, cid, day in session.execute(stmt):
            yield tid, Purchase(cid, day)


def _purchases(session: Session, end: dt.date) -> list[Purchase]:
    return [p for _tid, p in _purchase_rows(session, end)]


def brand_kpis_by_tenant(db: Database, tenant_ids: list[int], periods: list[Period]) -> dict[int, list[BrandKpis]]:
    """Brand KPIs of many tenants over ``periods`` with three grouped statements in all (revenue by
    tenant, day and category; service costs and purchases with their tenant) instead of three per
    tenant. Reads every listed tenant's invoices, work orders and contracts in a platform session:
    the caller must already be allowed to see those tenants' KPIs (an evaluator, the system).
    A tenant with no data gets the KPIs of no data (shares ``None``), as :func:`brand_kpi_series`."""
    ids = sorted(set(tenant_ids))
    if not periods or not ids:
        return {t: [] for t in ids}
    start, end = periods[0].start, periods[-1].end
    revenue: dict[int, list[RevenueLine]] = {t: [] for t in ids}
    costs: dict[int, list[ServiceCost]] = {t: [] for t in ids}
    purchases: dict[int, list[Purchase]] = {t: [] for t in ids}
    with db.session(Scope.all_tenants()) as s:
        for chunk in (ids[k : k + 1000] for k in range(0, len(ids), 1000)):  # bounded IN lists
            for tid, line in _revenue_rows(s, start, end, chunk):
                revenue[tid].append(line)
            for tid, cost in _service_cost_rows(s, start, end, chunk):
                costs[tid].append(cost)
            for tid, purchase in _purchase_rows(s, end, chunk):
                purchases[tid].append(purchase)
    return {t: series(periods, revenue[t], costs[t], purchases[t]) for t in ids}


def enterprise_brand_kpis(
    db: Database, session: Session, year: int, region_code: str | None = None
) -> list[tuple[Tenant, BrandKpis]]:
    """For evaluators: every active enterprise (optionally under a GB/T 2260 prefix) with its brand
    KPIs for ``year`` (:func:`brand_kpis_by_tenant`). ``session`` lists the tenants."""
    stmt = select(Tenant).where(Tenant.active.is_(True)).order_by(Tenant.id)
    if region_code:
        stmt = stmt.where(Tenant.region_code.startswith(region_code, autoescape=True))
    period = years(dt.date(year, 12, 31), 1)
    tenants = list(session.scalars(stmt).all())
    kpis = brand_kpis_by_tenant(db, [t.id for t in tenants], period)
    return [(t, kpis[t.id][0]) for t in tenants]


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
