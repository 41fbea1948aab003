"""pss service (framework node 2.1.2): price plans and SLA terms of contracts, billing runs
(:mod:`.billing`) and the sell-vs-serve comparison on the tenant's own data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from somp.core import calendars
from somp.core.errors import FieldError, NotFound, ValidationFailed
from somp.core.pagination import Order
from somp.core.service import get_or_404, list_page, require_ref
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Product
from somp.modules.contracts.models import Contract
from somp.modules.pss import pricing
from somp.modules.pss.models import BillingRun, BillingRunItem, PricePlan, SlaTerms
from somp.modules.pss.schemas import PricePlanIn, SellVsServeIn, SlaTermsIn
from somp.modules.workorders.models import WorkOrder, WorkOrderKind, WorkOrderStatus

WORK_ORDER_YEARS = 3


def _contract(session: Session, contract_id: int) -> Contract:
    return get_or_404(session, Contract, contract_id, "contract")


def get_price_plan(session: Session, contract_id: int) -> PricePlan:
    _contract(session, contract_id)
    plan = session.scalar(select(PricePlan).where(PricePlan.contract_id == contract_id))
    if plan is None:
        raise NotFound(f"contract {contract_id} has no price plan")
    return plan


def set_price_plan(session: Session, contract_id: int, data: PricePlanIn) -> PricePlan:
    """Create or replace the contract's price plan (validated by :class:`PricePlanIn`)."""
    contract = _contract(session, contract_id)
    values: dict[str, Any] = data.model_dump(exclude={"tiers", "bands"})
    values["included"] = values["included"] or Decimal(0)
    values["minimum_charge"] = values["minimum_charge"] or Decimal("0.00")
    values["tiers"] = [{"up_to": None if t.up_to is None else str(t.up_to), "unit_price": str(t.unit_price)}
                       for t in data.tiers or []]  # fmt: skip
    values["bands"] = [{"from_pct": str(b.from_pct), "adjust_pct": str(b.adjust_pct)} for b in data.bands or []]
    plan = session.scalar(select(PricePlan).where(PricePlan.contract_id == contract_id))
    if plan is None:
        plan = PricePlan(tenant_id=contract.tenant_id, contract_id=contract_id, **values)
        session.add(plan)
    else:
        for k, v in values.items():
            setattr(plan, k, v)
    session.flush()
    return plan


def get_sla_terms(session: Session, contract_id: int) -> SlaTerms:
    _contract(session, contract_id)
    terms = session.scalar(select(SlaTerms).where(SlaTerms.contract_id == contract_id))
    if terms is None:
        raise NotFound(f"contract {contract_id} has no SLA terms")
    return terms


def set_sla_terms(session: Session, contract_id: int, data: SlaTermsIn) -> SlaTerms:
    contract = _contract(session, contract_id)
    if data.calendar not in calendars.names():
        raise ValidationFailed(
            "unknown calendar",
            [FieldError("calendar", f"no service calendar {data.calendar!r}; known: {', '.join(calendars.names())}",
                        "not_found")],
        )  # fmt: skip
    values: dict[str, Any] = data.model_dump(exclude={"targets"})
    values["targets"] = {
        str(p): {"response_hours": str(t.response_hours), "resolution_hours": str(t.resolution_hours)}
        for p, t in data.targets.items()
    }
    terms = session.scalar(select(SlaTerms).where(SlaTerms.contract_id == contract_id))
    if terms is None:
        terms = SlaTerms(tenant_id=contract.tenant_id, contract_id=contract_id, **values)
        session.add(terms)
    else:
        for k, v in values.items():
            setattr(terms, k, v)
    session.flush()
    return terms


def list_runs(
    session: Session, *, limit: int, cursor: str | None, order: Order = "desc", period: str | None = None
) -> tuple[list[BillingRun], str | None]:
    stmt = select(BillingRun)
    if period:
        stmt = stmt.where(BillingRun.period == period)
    return list_page(session, stmt, BillingRun, limit=limit, cursor=cursor, order=order)


def get_run(session: Session, run_id: int) -> BillingRun:
    return get_or_404(session, BillingRun, run_id, "billing run")


def list_run_items(
    session: Session, run_id: int, *, limit: int, cursor: str | None, order: Order = "asc", outcome: str | None = None
) -> tuple[list[BillingRunItem], str | None]:
    get_run(session, run_id)
    stmt = select(BillingRunItem).where(BillingRunItem.run_id == run_id)
    if outcome:
        stmt = stmt.where(BillingRunItem.outcome == outcome)
    return list_page(session, stmt, BillingRunItem, limit=limit, cursor=cursor, order=order)


# ---- sell vs serve ---------------------------------------------------------------------------------


def measured_inputs(session: Session, product_id: int, as_of: dt.date) -> tuple[dict[str, Decimal], dict[str, str]]:
    """What the data says about ``product_id`` over the :data:`WORK_ORDER_YEARS` years before
    ``as_of``: list price and unit cost from the product; from the work orders of its assets,
    failures a year per asset (corrective work orders / asset-years in the field), the mean cost of
    a corrective work order (labour + parts + travel, among those with a cost) and the preventive
    cost a year per asset. A value the data cannot give is left out."""
    product = require_ref(session, Product, product_id, "product_id", "product")
    values: dict[str, Decimal] = {}
    sources: dict[str, str] = {}
    if product.list_price is not None:
        values["price"], sources["price"] = product.list_price, "product"
    if product.unit_cost is not None:
        values["manufacturing_cost"], sources["manufacturing_cost"] = product.unit_cost, "product"
    lo = as_of - dt.timedelta(days=365 * WORK_ORDER_YEARS)
    years = Decimal(0)
    for installed, retired in session.execute(
        select(func.coalesce(Asset.commissioned_on, Asset.installed_on, Asset.delivered_on), Asset.retired_on).where(
            Asset.product_id == product_id
        )
    ):
        if installed is None:
            continue
        s, e = max(installed, lo), min(retired or as_of, as_of)
        if e > s:
            years += Decimal((e - s).days) / Decimal(365)
    if years <= 0:
        return values, sources
    cost = (
        func.coalesce(WorkOrder.labour_cost, 0)
        + func.coalesce(WorkOrder.parts_cost, 0)
        + func.coalesce(WorkOrder.travel_cost, 0)
    )
    costed = (
        (WorkOrder.labour_cost.is_not(None))
        | (WorkOrder.parts_cost.is_not(None))
        | (WorkOrder.travel_cost.is_not(None))
    )
    window = and_(
        WorkOrder.asset_id.in_(select(Asset.id).where(Asset.product_id == product_id)),
        WorkOrder.opened_at >= dt.datetime.combine(lo, dt.time(), dt.UTC),
        WorkOrder.opened_at < dt.datetime.combine(as_of, dt.time(), dt.UTC),
        WorkOrder.status != WorkOrderStatus.cancelled,
    )
    n_fail, n_costed, total = session.execute(
        select(func.count(), func.count().filter(costed), func.sum(cost).filter(costed)).where(
            window, WorkOrder.kind == WorkOrderKind.corrective
        )
    ).one()
    sample = f"work_orders ({n_fail} corrective over {years:.1f} asset-years)"
    values["failure_rate"] = (Decimal(n_fail) / years).quantize(Decimal("0.000001"))
    sources["failure_rate"] = sample
    if n_costed:
        values["repair_cost"] = pricing.money(Decimal(total) / n_costed)
        sources["repair_cost"] = f"work_orders (mean of {n_costed} costed corrective)"
    prev_total = session.scalar(
        select(func.sum(cost)).where(window, WorkOrder.kind == WorkOrderKind.preventive, costed)
    )
    if prev_total is not None:
        values["preventive_cost"] = pricing.money(Decimal(prev_total) / years)
        sources["preventive_cost"] = f"work_orders (preventive cost over {years:.1f} asset-years)"
    return values, sources


def sell_vs_serve(session: Session, data: SellVsServeIn) -> dict[str, Any]:
    """:func:`pricing.compare` with the given inputs, the rest measured (:func:`measured_inputs`)."""
    given = data.model_dump(exclude={"product_id", "as_of"})
    sources = {k: "given" for k, v in given.items() if v is not None}
    inputs = dict(given)
    if data.product_id is not None:
        measured, msources = measured_inputs(session, data.product_id, data.as_of or dt.date.today())
        for k, v in measured.items():
            if inputs.get(k) is None:
                inputs[k], sources[k] = v, msources[k]
    missing = [k for k in ("price", "manufacturing_cost", "failure_rate", "repair_cost", "preventive_cost")
               if inputs.get(k) is None]  # fmt: skip
    if missing:
        raise ValidationFailed(
            "inputs missing",
            [FieldError(k, "not given and not measurable from the data (no product, or no work orders)", "missing")
             for k in missing],
        )  # fmt: skip
    m = pricing.Machine(
        price=inputs["price"], manufacturing_cost=inputs["manufacturing_cost"], life_years=inputs["life_years"],
        failure_rate=inputs["failure_rate"], repair_cost=inputs["repair_cost"],
        preventive_cost=inputs["preventive_cost"], operating_cost=inputs["operating_cost"],
        residual_value=inputs["residual_value"], service_efficiency=inputs["service_efficiency"],
    )  # fmt: skip
    r = pricing.compare(m, inputs["service_fee"], inputs["customer_rate"], inputs["manufacturer_rate"])

    def party(v: pricing.PartyView) -> dict[str, Any]:
        return {"flows": list(v.flows), "npv": v.npv, "lifecycle_cost": v.lifecycle_cost}

    return {
        "inputs": inputs,
        "sources": sources,
        "sale_customer": party(r.sale_customer),
        "sale_manufacturer": party(r.sale_manufacturer),
        "service_customer": party(r.service_customer),
        "service_manufacturer": party(r.service_manufacturer),
        "manufacturer_irr_service": r.manufacturer_irr_service,
        "customer_max_fee": r.customer_max_fee,
        "manufacturer_min_fee": r.manufacturer_min_fee,
        "fee_acceptable_to_both": r.manufacturer_min_fee <= inputs["service_fee"] <= r.customer_max_fee,
    }
