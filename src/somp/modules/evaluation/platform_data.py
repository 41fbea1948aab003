"""Indicators computed from the enterprise's own platform data (framework node 1.3.1: "evaluation
computed from measured platform data where it exists").

Each name of :data:`somp.modules.evaluation.indicators.PLATFORM_FUNCTIONS` has a function here that
reads the tenant's rows (the session's scope: the tenant itself) for a period [start, end) and
returns a :class:`Measured`: the value with its numerator, denominator and a note. When the data
behind a value does not exist (no invoices, no work orders with an SLA...) the value is ``None``,
reported as missing and never scored as 0.

Definitions (docs/evaluation.md repeats them):

* ``service_revenue_share``, ``repurchase_rate``, ``service_profit_margin``: the brand KPIs of
  :mod:`somp.modules.kpis` (one definition across the platform); the profit margin is missing
  when no service cost at all is recorded in the period (a margin of 100 % would be invented);
* ``sla_attainment``: when SLA attainment is stored for months inside the period (the pss module,
  asked through the core port :mod:`somp.core.sla_ports`, never imported): contract-months whose SLA
  was attained (availability target reached, no response or resolution clock breached) among those
  with a measured commitment (missing when none); otherwise work orders whose resolution deadline
  falls in the period (cancelled ones excluded): the share not breached, by the work orders' rule;
* ``connected_asset_share``: installed-base assets (installed, in service, degraded, failed, under
  maintenance, upgraded) with a device token issued before the period's end and not revoked by it;
* ``predictive_work_order_share``: maintenance work orders (preventive, corrective, predictive)
  opened in the period: the share of kind predictive or opened by a failure prediction;
* ``mean_time_to_repair_hours``: corrective and predictive work orders resolved in the period: mean
  hours from opening to resolution;
* ``contract_renewal_rate``: contracts ending in the period (not draft or cancelled): the share
  that another contract renews (``renewal_of_id``);
* ``service_contract_revenue_growth``: net service revenue on invoices under a contract in the
  period over the same in the period of equal length before it, minus 1 (missing without the
  earlier revenue);
* ``first_time_fix_rate``, ``customer_satisfaction``: the platform does not record visits or
  surveys yet: always missing, with that note.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from somp.core import sla_ports
from somp.modules.assets.lifecycle import AssetState
from somp.modules.assets.models import Asset, DeviceToken
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.evaluation.indicators import PLATFORM_FUNCTIONS
from somp.modules.invoicing.models import Invoice, InvoiceKind, InvoiceLine, InvoiceStatus, RevenueCategory
from somp.modules.kpis.brand import BrandKpis, Period
from somp.modules.kpis.service import brand_kpi_series
from somp.modules.workorders.models import WorkOrder, WorkOrderKind, WorkOrderSource, WorkOrderStatus
from somp.modules.workorders.service import breaches

INSTALLED_BASE = (
    AssetState.installed,
    AssetState.in_service,
    AssetState.degraded,
    AssetState.failed,
    AssetState.under_maintenance,
    AssetState.upgraded,
)
MAINTENANCE = (WorkOrderKind.preventive, WorkOrderKind.corrective, WorkOrderKind.predictive)


@dataclass(frozen=True)
class Measured:
    """A computed indicator value; ``value`` None means missing (``note`` says why)."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    note: str = ""

    def detail(self) -> dict[str, float | str | None]:
        return asdict(self)


@dataclass
class Window:
    """The period [start, end) and what functions of the same run share (the brand KPIs)."""

    start: dt.date
    end: dt.date
    _brand: BrandKpis | None = None

    @property
    def start_ts(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), dt.UTC)

    @property
    def end_ts(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time(), dt.UTC)

    def brand(self, session: Session) -> BrandKpis:
        if self._brand is None:
            label = f"{self.start.isoformat()}/{self.end.isoformat()}"
            (self._brand,) = brand_kpi_series(session, [Period(self.start, self.end, label)])
        return self._brand


def _ratio(num: float, den: float, empty: str) -> Measured:
    if not den:
        return Measured(None, num, den, empty)
    return Measured(num / den, num, den)


def service_revenue_share(s: Session, w: Window) -> Measured:
    k = w.brand(s)
    if k.service_revenue_share is None:
        return Measured(None, float(k.service_revenue), float(k.service_revenue + k.product_revenue),
                        "no service or product revenue invoiced in the period")
    return Measured(k.service_revenue_share, float(k.service_revenue), float(k.service_revenue + k.product_revenue))


def repurchase_rate(s: Session, w: Window) -> Measured:
    k = w.brand(s)
    if k.repurchase_rate is None:
        return Measured(None, k.repurchasing_customers, k.repurchase_base, "no customer purchased before the period")
    return Measured(k.repurchase_rate, k.repurchasing_customers, k.repurchase_base)


def service_profit_margin(s: Session, w: Window) -> Measured:
    k = w.brand(s)
    if k.service_profit_margin is None:
        return Measured(None, None, float(k.service_revenue), "no service revenue in the period")
    if k.service_cost == 0:
        return Measured(None, None, float(k.service_revenue), "no service cost recorded in the period")
    return Measured(k.service_profit_margin, float(k.service_revenue - k.service_cost), float(k.service_revenue))


def sla_attainment(s: Session, w: Window) -> Measured:
    """The stored SLA attainment per contract and month (through :mod:`somp.core.sla_ports`, answered
    by the pss module) when any month of the window is stored; else the work orders' breach rule."""
    source = sla_ports.attainment_source()
    stored = source.summary(s, w.start, w.end) if source is not None else None
    if stored is not None:
        note = f"stored SLA attainment: {stored.months} contract-months"
        if stored.provisional:
            note += f", {stored.provisional} provisional"
        if stored.share is None:
            return Measured(None, stored.attained, stored.measured, note + ", none with a measured commitment")
        return Measured(stored.share, stored.attained, stored.measured, note)
    return _work_order_sla(s, w)


def _work_order_sla(s: Session, w: Window) -> Measured:
    rows = s.scalars(
        select(WorkOrder).where(
            WorkOrder.resolution_due_at >= w.start_ts,
            WorkOrder.resolution_due_at < w.end_ts,
            WorkOrder.status != WorkOrderStatus.cancelled,
        )
    ).all()
    # judged at the period's end: a work order still open then and past its deadline is breached
    judged = [breaches(wo, w.end_ts)[1] for wo in rows]
    flags = [b for b in judged if b is not None]
    return _ratio(sum(not b for b in flags), len(flags), "no work order with a resolution deadline in the period")


def connected_asset_share(s: Session, w: Window) -> Measured:
    base = select(Asset.id).where(Asset.state.in_(INSTALLED_BASE))
    total = s.scalar(select(func.count()).select_from(base.subquery())) or 0
    live = select(DeviceToken.asset_id).where(
        DeviceToken.created_at < w.end_ts, (DeviceToken.revoked_at.is_(None)) | (DeviceToken.revoked_at >= w.end_ts)
    )
    connected = s.scalar(select(func.count()).select_from(base.where(Asset.id.in_(live)).subquery())) or 0
    return _ratio(connected, total, "no installed assets")


def predictive_work_order_share(s: Session, w: Window) -> Measured:
    predictive = case(
        ((WorkOrder.kind == WorkOrderKind.predictive) | (WorkOrder.source == WorkOrderSource.prediction), 1), else_=0
    )
    total, pred = s.execute(
        select(func.count(), func.coalesce(func.sum(predictive), 0)).where(
            WorkOrder.kind.in_(MAINTENANCE),
            WorkOrder.status != WorkOrderStatus.cancelled,
            WorkOrder.opened_at >= w.start_ts,
            WorkOrder.opened_at < w.end_ts,
        )
    ).one()
    return _ratio(int(pred), int(total), "no maintenance work order opened in the period")


def mean_time_to_repair_hours(s: Session, w: Window) -> Measured:
    rows = s.execute(
        select(WorkOrder.opened_at, WorkOrder.resolved_at).where(
            WorkOrder.kind.in_((WorkOrderKind.corrective, WorkOrderKind.predictive)),
            WorkOrder.resolved_at >= w.start_ts,
            WorkOrder.resolved_at < w.end_ts,
        )
    ).all()
    hours = [(resolved - opened).total_seconds() / 3600 for opened, resolved in rows]
    return _ratio(sum(hours), len(hours), "no corrective or predictive work order resolved in the period")


def contract_renewal_rate(s: Session, w: Window) -> Measured:
    ending = select(Contract.id).where(
        Contract.end_date >= w.start,
        Contract.end_date < w.end,
        Contract.status.not_in((ContractStatus.draft, ContractStatus.cancelled)),
    )
    total = s.scalar(select(func.count()).select_from(ending.subquery())) or 0
    renewed_ids = select(Contract.renewal_of_id).where(
        Contract.renewal_of_id.is_not(None), Contract.status != ContractStatus.cancelled
    )
    renewed = s.scalar(select(func.count()).select_from(ending.where(Contract.id.in_(renewed_ids)).subquery())) or 0
    return _ratio(renewed, total, "no contract ended in the period")


def _contract_service_revenue(s: Session, start: dt.date, end: dt.date) -> Decimal:
    sign = case((Invoice.kind == InvoiceKind.credit_note, -1), else_=1)
    total = s.scalar(
        select(func.sum(InvoiceLine.amount * sign))
        .join(Invoice, and_(Invoice.id == InvoiceLine.invoice_id, Invoice.tenant_id == InvoiceLine.tenant_id))
        .where(
            Invoice.status.in_((InvoiceStatus.issued, InvoiceStatus.paid)),
            Invoice.contract_id.is_not(None),
            InvoiceLine.category == RevenueCategory.service,
            Invoice.issued_on >= start,
            Invoice.issued_on < end,
        )
    )
    return Decimal(total or 0)


def service_contract_revenue_growth(s: Session, w: Window) -> Measured:
    now = _contract_service_revenue(s, w.start, w.end)
    before = _contract_service_revenue(s, w.start - (w.end - w.start), w.start)
    if before <= 0:
        return Measured(None, float(now), float(before), "no service contract revenue in the previous period")
    return Measured(float(now / before) - 1.0, float(now), float(before))


def first_time_fix_rate(s: Session, w: Window) -> Measured:
    return Measured(None, note="the platform does not record site visits per work order yet")


def customer_satisfaction(s: Session, w: Window) -> Measured:
    return Measured(None, note="the platform does not record customer surveys yet")


FUNCTIONS: dict[str, Callable[[Session, Window], Measured]] = {
    "service_revenue_share": service_revenue_share,
    "repurchase_rate": repurchase_rate,
    "service_profit_margin": service_profit_margin,
    "sla_attainment": sla_attainment,
    "connected_asset_share": connected_asset_share,
    "predictive_work_order_share": predictive_work_order_share,
    "mean_time_to_repair_hours": mean_time_to_repair_hours,
    "first_time_fix_rate": first_time_fix_rate,
    "contract_renewal_rate": contract_renewal_rate,
    "customer_satisfaction": customer_satisfaction,
    "service_contract_revenue_growth": service_contract_revenue_growth,
}
assert set(FUNCTIONS) == set(PLATFORM_FUNCTIONS), "every platform function named by indicator systems is implemented"


def measure(session: Session, names: Iterable[str], start: dt.date, end: dt.date) -> dict[str, Measured]:
    """Compute the named platform functions for [start, end) in the session's tenant."""
    if end <= start:
        raise ValueError(f"period end {end} must be after its start {start}")
    window = Window(start, end)
    out = {}
    for name in dict.fromkeys(names):
        if name not in FUNCTIONS:
            raise KeyError(f"unknown platform function {name!r}")
        out[name] = FUNCTIONS[name](session, window)
    return out
