"""Billing runs (framework node 2.1.2, pricing; SLA credits from 2.1.6 after-sales data): one run
bills every contract of the tenant for one month, from its price plan, the metered usage of its
assets and its SLA attainment, into draft invoices and credit notes of the invoicing module.

Set-based, not a query per contract: the run reads the contracts, plans, SLA terms, billed
periods, covered assets, state changes and work orders of the tenant in one query each, the usage
of every pay-per-use contract in one read per metric (:mod:`somp.core.metering`), prices each
contract with the pure engines (:mod:`.pricing`, :mod:`.sla_attainment`), and writes invoices,
lines, billed periods and the run's report with multi-row inserts
(:func:`somp.modules.invoicing.service.create_many`).

Rules:

* **period**: a calendar month in China time (Asia/Shanghai, :data:`BILLING_TZ`); fees are monthly
  and prorated by days when the contract starts or ends inside the month (``end_date`` exclusive);
* **when**: a month is billed once it is over (a running month is refused);
* **who is billed**: contracts whose term overlaps the month and whose status is active, expired or
  terminated; suspended contracts are skipped (``suspended``); a contract billed for the month in
  any earlier run is skipped (``already_billed``) — the unique (contract, period) key of
  :class:`~.models.BilledPeriod` makes this hold under retries and concurrent runs too;
* **pay-per-use**: usage of the plan's metric summed over the covered assets; no reading from any
  of them gives ``no_usage`` (missing is not 0); some assets without readings is noted on the item;
* **availability**: outages from the covered assets' lifecycle timeline: time ``failed``, and
  ``under_maintenance`` entered from ``failed`` (a repair); maintenance entered from a working state
  is planned and not downtime. Availability is counted in the SLA's service calendar
  (:mod:`somp.core.calendars`, 24 x 7 by default, or e.g. ``china_calendar`` offered by the
  after-sales module; a calendar no installed module offers any more: ``unknown_calendar``; a month
  the calendar has no holiday data for: ``calendar_not_covered``). No covered asset:
  ``no_availability``;
* **availability-based plans**: the band bonus is an invoice line, the band penalty a credit note
  line (invoices carry no negative lines);
* **SLA credits** (credit note): the availability credit (% of the month's charges) when availability
  misses the SLA target (not for availability-based plans, whose bands already price it), plus a
  credit per corrective or predictive work order of the month past its resolution target (clocks on
  the service calendar, read when the run runs), together at most ``credit_cap_pct`` of the charges;
* **money**: ``Decimal`` CNY, half-up to the fen, VAT per line at the plan's rate.

The run is atomic: the caller commits once; any failure leaves nothing behind.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, select
from sqlalchemy.orm import Session

from somp.core import calendars, metering
from somp.core.database import utcnow
from somp.core.errors import FieldError, ValidationFailed
from somp.core.tenancy import current_scope
from somp.modules.assets.lifecycle import AssetState
from somp.modules.assets.models import AssetStateChange
from somp.modules.catalog.models import PriceModel
from somp.modules.contracts.models import Contract, ContractAsset, ContractStatus
from somp.modules.invoicing.models import InvoiceKind, RevenueCategory
from somp.modules.invoicing.service import InvoiceDraft, LineDraft, create_many
from somp.modules.pss import pricing
from somp.modules.pss.models import BilledPeriod, BillingOutcome, BillingRun, BillingRunItem, PricePlan, SlaTerms
from somp.modules.pss.sla_attainment import Clock, Outage, Ticket, availability, clock
from somp.modules.workorders.models import WorkOrder, WorkOrderKind, WorkOrderStatus

BILLING_TZ = ZoneInfo("Asia/Shanghai")
BILLED_STATUSES = (ContractStatus.active, ContractStatus.expired, ContractStatus.terminated)
LOOKED_AT = (*BILLED_STATUSES, ContractStatus.suspended)
INCIDENT_KINDS = (WorkOrderKind.corrective, WorkOrderKind.predictive)
DOWN = AssetState.failed
REPAIR = AssetState.under_maintenance
FEN = Decimal("0.01")
PCT = Decimal("0.0001")

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def money(x: Decimal) -> Decimal:
    return x.quantize(FEN, rounding=ROUND_HALF_UP)


def parse_period(text: str) -> pricing.Period:
    try:
        year, month = (int(x) for x in text.split("-"))
        return pricing.Period.month(year, month)
    except ValueError:
        raise ValidationFailed("invalid period", [FieldError("period", "a month as YYYY-MM", "format")]) from None


def instant(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in China time, as an aware instant."""
    return dt.datetime.combine(day, dt.time(), BILLING_TZ)


@dataclass
class _Contract:
    id: int
    number: str
    customer_id: int
    status: ContractStatus
    start: dt.date
    end: dt.date
    plan: PricePlan | None = None
    sla: SlaTerms | None = None
    assets: list[int] = field(default_factory=list)


@dataclass
class _Result:
    invoice_lines: list[LineDraft] = field(default_factory=list)
    credit_lines: list[LineDraft] = field(default_factory=list)
    usage: Decimal | None = None
    availability_pct: Decimal | None = None
    detail: str | None = None


class Skip(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


def run(
    session: Session,
    period: str,
    *,
    issued_on: dt.date | None = None,
    now: dt.datetime | None = None,
    by_user_id: int | None = None,
    progress: Progress | None = None,
) -> BillingRun:
    """Bill every contract of the session's tenant for ``period`` (YYYY-MM); returns the stored run.
    The caller commits (or rolls back: nothing is then left of the run)."""
    started = time.perf_counter()
    tick = progress or (lambda stage, done, total: None)
    scope = current_scope(session)
    if scope.tenant_id is None or scope.customer_id is not None:
        raise ValidationFailed("billing runs in one tenant", [FieldError("scope", "run it as a tenant user", "scope")])
    tenant_id = scope.tenant_id
    p = parse_period(period)
    now = now or utcnow()
    issued_on = issued_on or p.end
    start, end = instant(p.start), instant(p.end)
    if end > now:  # a month still running would be billed on part of its usage, and then never again
        raise ValidationFailed(
            "period not over", [FieldError("period", f"{period} ends {end.isoformat()}; bill it after that", "open")]
        )

    tick("read", 0, 1)
    contracts = _contracts(session, p)
    billed = set(session.scalars(select(BilledPeriod.contract_id).where(BilledPeriod.period == period)))
    tick("read", 1, 1)

    todo = [c for c in contracts.values() if c.id not in billed and c.status != ContractStatus.suspended and c.plan]
    cals = _calendars(todo)
    todo = [c for c in todo if c.id in cals]
    usage = _usage(session, todo, start, end, tick)
    need_av = [c for c in todo if _needs_availability(c)]
    outages = _outages(session, {a for c in need_av for a in c.assets}, start, end)
    tickets = _work_orders(session, [c for c in todo if c.sla and c.sla.targets], start, end, now, cals)

    items: list[dict] = []
    drafts: list[tuple[_Contract, _Result]] = []
    reasons: Counter[str] = Counter()
    total = len(contracts)
    for n, c in enumerate(contracts.values(), start=1):
        try:
            if c.id in billed:
                raise Skip("already_billed", f"billed for {period} by an earlier run")
            if c.status == ContractStatus.suspended:
                raise Skip("suspended", "the contract is suspended")
            if c.plan is None:
                raise Skip("no_price_plan", "no price plan agreed for the contract")
            if c.id not in cals:
                raise Skip("unknown_calendar", f"the SLA names service calendar {c.sla.calendar!r}, not installed")
            if isinstance(tickets.get(c.id), calendars.CalendarNotCovered):
                raise Skip("calendar_not_covered", str(tickets[c.id]))
            try:
                res = _price(c, p, start, end, now, usage, outages, tickets.get(c.id, ()), cals[c.id])
            except calendars.CalendarNotCovered as exc:  # a year without the calendar's holiday notice
                raise Skip("calendar_not_covered", str(exc)) from None
            if not res.invoice_lines and not res.credit_lines:
                raise Skip("nothing_to_bill", "no charge in this period")
            drafts.append((c, res))
        except Skip as s:
            reasons[s.reason] += 1
            items.append(_item(c, BillingOutcome.skipped, s.reason, s.detail))
        if n % 1000 == 0 or n == total:
            tick("price", n, total)

    tick("write", 0, 1)
    docs = []
    for c, res in drafts:
        common = dict(customer_id=c.customer_id, contract_id=c.id, issued_on=issued_on, period_start=p.start,
                      period_end=p.end - dt.timedelta(days=1))  # fmt: skip
        if res.invoice_lines:
            docs.append(InvoiceDraft(InvoiceKind.invoice, lines=res.invoice_lines, notes=f"{period}", **common))
        if res.credit_lines:
            docs.append(InvoiceDraft(InvoiceKind.credit_note, lines=res.credit_lines, notes=f"{period} SLA", **common))
    ids = iter(create_many(session, tenant_id, docs))
    run_row = BillingRun(
        tenant_id=tenant_id, period=period, period_start=p.start, period_end=p.end, issued_on=issued_on,
        started_at=now, by_user_id=by_user_id, contracts=total, skipped=sum(reasons.values()),
        skip_reasons=dict(sorted(reasons.items())),
    )  # fmt: skip
    session.add(run_row)
    session.flush()
    billed_rows = []
    inv_total = cred_total = Decimal("0.00")
    n_inv = n_cred = 0
    for c, res in drafts:
        inv_id = next(ids) if res.invoice_lines else None
        cn_id = next(ids) if res.credit_lines else None
        net = sum((money(ln.quantity * ln.unit_price) for ln in res.invoice_lines), Decimal("0.00"))
        cred = sum((money(ln.quantity * ln.unit_price) for ln in res.credit_lines), Decimal("0.00"))
        inv_total, cred_total = inv_total + net, cred_total + cred
        n_inv, n_cred = n_inv + (inv_id is not None), n_cred + (cn_id is not None)
        items.append(
            _item(c, BillingOutcome.billed, None, res.detail, inv_id, cn_id, net, cred, res.usage, res.availability_pct)
        )
        billed_rows.append({"tenant_id": tenant_id, "contract_id": c.id, "period": period, "run_id": run_row.id,
                            "invoice_id": inv_id, "credit_note_id": cn_id})  # fmt: skip
    if billed_rows:
        session.execute(insert(BilledPeriod.__table__), billed_rows)
    if items:
        for it in items:
            it["tenant_id"], it["run_id"] = tenant_id, run_row.id
        items.sort(key=lambda it: it["contract_id"])
        session.execute(insert(BillingRunItem.__table__), items)
    run_row.invoices, run_row.credit_notes = n_inv, n_cred
    run_row.net_invoiced, run_row.net_credited = inv_total, cred_total
    run_row.seconds = round(time.perf_counter() - started, 3)
    session.flush()
    tick("write", 1, 1)
    return run_row


def _item(c: _Contract, outcome, reason, detail, inv=None, cn=None, net=None, cred=None, usage=None, av=None):  # noqa: ANN001, ANN202
    return {
        "contract_id": c.id, "contract_number": c.number, "outcome": outcome, "reason": reason,
        "detail": (detail or None) and detail[:300], "invoice_id": inv, "credit_note_id": cn,
        "net_amount": net or Decimal("0.00"), "credit_amount": cred or Decimal("0.00"), "usage": usage,
        "availability_pct": av,
    }  # fmt: skip


# ---- reads: one query each for the whole tenant -------------------------------------------------


def _contracts(session: Session, p: pricing.Period) -> dict[int, _Contract]:
    live = and_(Contract.start_date < p.end, Contract.end_date > p.start, Contract.status.in_(LOOKED_AT))
    out = {
        r.id: _Contract(r.id, r.number, r.customer_id, ContractStatus(r.status), r.start_date, r.end_date)
        for r in session.execute(
            select(
                Contract.id, Contract.number, Contract.customer_id, Contract.status, Contract.start_date,
                Contract.end_date,
            ).where(live).order_by(Contract.id)
        )
    }  # fmt: skip
    if not out:
        return out
    ids = select(Contract.id).where(live)
    for plan in session.scalars(select(PricePlan).where(PricePlan.contract_id.in_(ids))):
        out[plan.contract_id].plan = plan
    for sla in session.scalars(select(SlaTerms).where(SlaTerms.contract_id.in_(ids))):
        out[sla.contract_id].sla = sla
    for cid, aid in session.execute(
        select(ContractAsset.contract_id, ContractAsset.asset_id)
        .where(ContractAsset.contract_id.in_(ids))
        .order_by(ContractAsset.contract_id, ContractAsset.asset_id)
    ):
        out[cid].assets.append(aid)
    return out


def _usage(session: Session, todo: list[_Contract], start, end, tick: Progress) -> dict[str, dict[int, Decimal]]:  # noqa: ANN001
    by_metric: dict[str, set[int]] = defaultdict(set)
    for c in todo:
        if c.plan.model == PriceModel.pay_per_use:
            by_metric[c.plan.metric].update(c.assets)
    if not by_metric:
        return {}
    meter = metering.meter()
    out = {}
    for k, (metric, assets) in enumerate(sorted(by_metric.items()), start=1):
        out[metric] = meter.usage(session, sorted(assets), metric, start, end)
        tick("usage", k, len(by_metric))
    return out


def _needs_availability(c: _Contract) -> bool:
    return c.plan.model == PriceModel.availability_based or bool(c.sla and c.sla.availability_target_pct)


def _outages(session: Session, assets: set[int], start: dt.datetime, end: dt.datetime) -> dict[int, list[Outage]]:
    """Outages per asset in [start, end) from the lifecycle timeline (the state at ``start`` is the
    last change before it)."""
    if not assets:
        return {}
    last_before = (
        select(func.max(AssetStateChange.id)).where(AssetStateChange.at < start).group_by(AssetStateChange.asset_id)
    )
    rows = session.execute(
        select(AssetStateChange.asset_id, AssetStateChange.from_state, AssetStateChange.to_state, AssetStateChange.at)
        .where((AssetStateChange.id.in_(last_before)) | ((AssetStateChange.at >= start) & (AssetStateChange.at < end)))
        .order_by(AssetStateChange.asset_id, AssetStateChange.at, AssetStateChange.id)
    )
    out: dict[int, list[Outage]] = {}
    current: dict[int, tuple[dt.datetime, bool] | None] = {}
    for aid, frm, to, at in rows:
        if aid not in assets:
            continue
        at = max(at, start)
        opened = current.get(aid)
        if opened is not None:  # the outage (or planned maintenance) ends with any change
            out.setdefault(aid, []).append(Outage(opened[0], at, planned=opened[1]))
            current[aid] = None
        if to == DOWN:
            current[aid] = (at, False)
        elif to == REPAIR:
            current[aid] = (at, frm != DOWN)  # maintenance entered from a working state is planned
    for aid, opened in current.items():
        if opened is not None:
            out.setdefault(aid, []).append(Outage(opened[0], end, planned=opened[1]))
    for spans in out.values():
        spans[:] = [o for o in spans if o.end is None or o.end > o.start]
    return out


def _calendars(todo: list[_Contract]) -> dict[int, calendars.ServiceCalendar]:
    """The service calendar of each contract (24 x 7 without SLA terms); a contract whose SLA names a
    calendar no installed module offers is left out (skipped as ``unknown_calendar``)."""
    known: dict[str, calendars.ServiceCalendar | None] = {}
    out = {}
    for c in todo:
        name = c.sla.calendar if c.sla else calendars.ALWAYS
        if name not in known:
            try:
                known[name] = calendars.get(name)
            except LookupError:
                known[name] = None
        if known[name] is not None:
            out[c.id] = known[name]
    return out


def _work_orders(
    session: Session,
    with_targets: list[_Contract],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    cal: dict[int, calendars.ServiceCalendar],
) -> dict[int, list[Ticket] | calendars.CalendarNotCovered]:
    """The month's incident work orders per contract (its own ``contract_id``, else the contract
    covering its asset), with their clocks read at ``now`` on the SLA's calendar."""
    if not with_targets:
        return {}
    by_id = {c.id: c for c in with_targets}
    by_asset = {a: c for c in with_targets for a in c.assets}
    rows = session.execute(
        select(
            WorkOrder.number, WorkOrder.contract_id, WorkOrder.asset_id, WorkOrder.priority, WorkOrder.opened_at,
            WorkOrder.responded_at, WorkOrder.resolved_at,
        ).where(
            WorkOrder.opened_at >= start, WorkOrder.opened_at < end, WorkOrder.kind.in_(INCIDENT_KINDS),
            WorkOrder.status != WorkOrderStatus.cancelled,
        )
    )  # fmt: skip
    out: dict[int, list[Ticket] | calendars.CalendarNotCovered] = defaultdict(list)
    for number, cid, aid, priority, opened, responded, resolved in rows:
        c = by_id.get(cid) if cid else by_asset.get(aid)
        if c is None or isinstance(out[c.id], calendars.CalendarNotCovered):
            continue
        target = c.sla.targets.get(str(priority))
        if not target:
            continue
        hours = 3600
        try:
            resp = clock(cal[c.id], opened, responded, float(target["response_hours"]) * hours, now)
            reso = clock(cal[c.id], opened, resolved, float(target["resolution_hours"]) * hours, now)
        except calendars.CalendarNotCovered as exc:  # the contract is skipped, the others are billed
            out[c.id] = exc
            continue
        out[c.id].append(Ticket(number, opened, resp, reso))
    return out


# ---- pricing one contract (pure) ----------------------------------------------------------------


def _model(plan: PricePlan) -> pricing.PriceModel:
    if plan.model == PriceModel.one_time_sale:
        return pricing.OneTimeSale(plan.price, plan.sold_on)
    if plan.model == PriceModel.subscription:
        return pricing.Subscription(plan.fee)
    if plan.model == PriceModel.pay_per_use:
        tiers = tuple(
            pricing.Tier(None if t["up_to"] is None else Decimal(t["up_to"]), Decimal(t["unit_price"]))
            for t in plan.tiers
        )
        return pricing.PayPerUse(plan.unit, tiers, plan.included, plan.minimum_charge)
    bands = tuple((Decimal(b["from_pct"]), Decimal(b["adjust_pct"])) for b in plan.bands)
    return pricing.AvailabilityBased(plan.fee, bands)


def _line(ln: pricing.InvoiceLine, category: RevenueCategory, tax: Decimal, credit: bool = False) -> LineDraft:
    """An engine line as an invoicing line, keeping the invoicing rule amount = quantity x unit price
    (a prorated fee or a percentage adjustment becomes one unit at its amount)."""
    amount = abs(ln.amount)
    qty, price, unit = ln.quantity, ln.unit_price, ln.unit
    if qty <= 0 or money(qty * price) != amount:
        qty, price, unit = Decimal(1), amount, "period" if not credit else "pcs"
    return LineDraft(category, f"{ln.text_zh} / {ln.text_en}"[:300], qty, price, unit[:16], tax)


def _price(
    c: _Contract,
    p: pricing.Period,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    usage: dict[str, dict[int, Decimal]],
    outages: dict[int, list[Outage]],
    tickets: list[Ticket] | tuple[()],
    cal: calendars.ServiceCalendar,
) -> _Result:
    plan, res = c.plan, _Result()
    notes = []
    kw: dict = {"active_from": c.start, "active_to": c.end}
    if plan.model == PriceModel.pay_per_use:
        got = usage.get(plan.metric, {})
        measured = [got[a] for a in c.assets if a in got]
        if not measured:
            raise Skip("no_usage", f"no reading of {plan.metric} from the covered assets in the period")
        if len(measured) < len(c.assets):
            notes.append(f"{plan.metric}: readings from {len(measured)} of {len(c.assets)} assets")
        kw["usage"] = res.usage = sum(measured, Decimal(0))
    av = None
    if _needs_availability(c):
        if not c.assets:
            if plan.model == PriceModel.availability_based:
                raise Skip("no_availability", "no covered asset to measure availability on")
        else:
            spans = [o for a in c.assets for o in outages.get(a, ())]
            a = availability(spans, max(start, instant(c.start)), min(end, instant(c.end)), cal, end)
            if a.availability is not None:
                av = res.availability_pct = Decimal(repr(a.availability * 100)).quantize(PCT, rounding=ROUND_HALF_UP)
            elif plan.model == PriceModel.availability_based:
                raise Skip("no_availability", "no agreed service time in the period")
        kw["availability"] = av
    if plan.model == PriceModel.one_time_sale:
        kw = {}
    lines = pricing.invoice_lines(_model(plan), p, **kw)
    category = RevenueCategory.product if plan.model == PriceModel.one_time_sale else RevenueCategory.service
    for ln in lines:
        if ln.amount < 0:
            res.credit_lines.append(_line(ln, category, plan.tax_rate, credit=True))
        elif ln.amount > 0:
            res.invoice_lines.append(_line(ln, category, plan.tax_rate))
    charges = sum((money(x.quantity * x.unit_price) for x in res.invoice_lines), Decimal("0.00"))
    res.credit_lines.extend(_sla_credits(c, charges, av, tickets, plan.tax_rate, notes))
    res.detail = "; ".join(notes) or None
    return res


def _sla_credits(c: _Contract, charges: Decimal, av: Decimal | None, tks, tax: Decimal, notes: list[str]):  # noqa: ANN001, ANN202
    sla = c.sla
    if sla is None or charges <= 0:
        return []
    lines = []
    target = sla.availability_target_pct
    if (
        target is not None and av is not None and av < target and sla.availability_credit_pct > 0
        and c.plan.model != PriceModel.availability_based
    ):  # fmt: skip
        amount = money(charges * sla.availability_credit_pct / 100)
        lines.append(LineDraft(
            RevenueCategory.service,
            f"可用率未达标补偿（{av}% < {target}%）/ availability credit ({av} % < {target} %)",
            Decimal(1), amount, "pcs", tax,
        ))  # fmt: skip
    late = sum(1 for t in tks if t.resolution is Clock.breached)
    if late and sla.breach_credit > 0:
        lines.append(LineDraft(
            RevenueCategory.service, "工单超时补偿 / credit per work order past its resolution target",
            Decimal(late), sla.breach_credit, "pcs", tax,
        ))  # fmt: skip
    total = sum((money(x.quantity * x.unit_price) for x in lines), Decimal("0.00"))
    cap = money(charges * sla.credit_cap_pct / 100)
    if total > cap:
        notes.append(f"SLA credits {total} capped at {sla.credit_cap_pct}% of charges")
        if cap <= 0:
            return []
        lines = [LineDraft(
            RevenueCategory.service, f"SLA 补偿（上限 {sla.credit_cap_pct}%）/ SLA credits (capped at "
            f"{sla.credit_cap_pct} % of the charges)", Decimal(1), cap, "pcs", tax,
        )]  # fmt: skip
    return lines
