"""The brand KPIs of a tenant plan (service revenue share, repurchase rate, service profit margin)."""

from __future__ import annotations

from somp.demo.scenario.helpers import D
from somp.demo.scenario.plan import TenantPlan


def plan_brand_kpis(tenant: TenantPlan, periods: list) -> list:
    """The brand KPIs of a tenant plan, computed with :mod:`somp.modules.kpis.brand` exactly as the
    kpis service computes them from the stored rows (used to check the loaded data, and to tune)."""
    from somp.modules.kpis.brand import Purchase, RevenueLine, ServiceCost, series

    revenue, costs, purchases = [], [], []
    for inv in tenant.invoices:
        if inv.status not in ("issued", "paid"):
            continue
        sign = -1 if inv.kind == "credit_note" else 1
        for ln in inv.lines:
            revenue.append(
                RevenueLine(inv.issued_on, ln.category == "service", ln.amount * sign, (ln.cost_amount or D(0)) * sign)
            )
        if inv.kind == "invoice" and any(ln.category == "product" for ln in inv.lines):
            purchases.append(Purchase(hash(inv.customer), inv.issued_on))
    for wo in tenant.work_orders:
        if wo.contract is not None and wo.resolved_at is not None:
            total = (wo.labour_cost or D(0)) + (wo.parts_cost or D(0)) + (wo.travel_cost or D(0))
            costs.append(ServiceCost(wo.resolved_at.date(), total))
    for k in tenant.contracts:
        if k.signed_on is not None and k.status != "cancelled":
            purchases.append(Purchase(hash(k.customer), k.signed_on))
    return series(periods, revenue, costs, purchases)
