"""SLA attainment stored per contract and month (framework nodes 2.1.6 after-sales and 2.1.2 SLA
terms; a platform-data source of the evaluation, 1.3.1).

:func:`compute` measures every live contract (active, expired or terminated during the month) of
the session's tenant for one month in China time and stores one :class:`~.models.SlaAttainmentRecord`
per contract and month (computing again replaces it):

* **availability** (ITIL: agreed service time minus downtime over agreed service time, MTRS, MTBF,
  MTBSI, :func:`.sla_attainment.availability`) from the covered assets' lifecycle timeline, the same
  outages billing uses (time ``failed``, and ``under_maintenance`` entered from ``failed``; planned
  maintenance is not downtime; overlaps count once). The timeline holds the failures recorded by
  hand and those the monitoring derives from telemetry (a critical alarm moves the asset to
  ``failed``, source ``monitoring``); the latter are counted in ``monitored_outages``. Counted on the
  SLA's service calendar (:mod:`somp.core.calendars`: ``24x7``, ``china_calendar``...), within the
  contract's term, up to now for a running month;
* **response and resolution** from the month's incident work orders (corrective, predictive) — on
  the SLA's per-priority targets and calendar when the contract's SLA terms set them, else on the
  work order's own deadlines — and the after-sales tickets on the contract, whose pausing clocks the
  after-sales module reads and hands over through :mod:`somp.core.sla_ports` (a work order opened for
  a ticket is counted once, as the ticket). Attainment = met / (met + breached); pending clocks do
  not count;
* **attained**: every measured commitment was kept (availability target reached, no clock
  breached); ``None`` when nothing was measured. Missing is never 0 or 100 %.

A month is ``final`` once computed after it ended; :func:`tick` (the server's periodic job) keeps
the running month fresh (at most hourly) and finalises the month before. :class:`StoredAttainment`
answers the core port for the evaluation indicator and the customer portal.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from somp.core import calendars, sla_ports
from somp.core.database import Database, utcnow
from somp.core.errors import FieldError, NotFound, ValidationFailed
from somp.core.pagination import Order
from somp.core.service import get_or_404, list_page
from somp.core.tenancy import Scope, current_scope
from somp.modules.assets.lifecycle import AssetState
from somp.modules.assets.models import AssetStateChange
from somp.modules.contracts.models import Contract, ContractStatus
from somp.modules.pss.billing import BILLED_STATUSES, INCIDENT_KINDS, _Contract, _contracts, _outages, instant
from somp.modules.pss.billing import parse_period as _parse_period
from somp.modules.pss.models import SlaAttainmentRecord
from somp.modules.pss.sla_attainment import Clock, Ticket, attainment, clock
from somp.modules.workorders.models import WorkOrder, WorkOrderStatus

log = logging.getLogger(__name__)
PCT = Decimal("0.0001")
HOUR = 3600.0
MONITORING = "monitoring"  # the source the lifecycle reactions give the state changes they make
REFRESH = dt.timedelta(hours=1)  # the periodic job recomputes the running month at most this often


def parse_period(text: str):  # noqa: ANN201
    return _parse_period(text)


def _pct(x: float | None) -> Decimal | None:
    return None if x is None else Decimal(repr(x * 100)).quantize(PCT, rounding=ROUND_HALF_UP)


def _hours(x: float | None) -> float | None:
    return None if x is None else round(x / HOUR, 4)


@dataclass
class ComputeResult:
    period: str
    final: bool
    records: list[SlaAttainmentRecord]


def compute(
    session: Session, period: str, *, now: dt.datetime | None = None, contract_id: int | None = None
) -> ComputeResult:
    """Measure and store the SLA attainment of the tenant's contracts (or one) for ``period``
    (YYYY-MM). The caller commits. A month that has not begun is refused."""
    scope = current_scope(session)
    if scope.tenant_id is None or scope.customer_id is not None:
        raise ValidationFailed(
            "SLA attainment in one tenant", [FieldError("scope", "run it as a tenant user", "scope")]
        )
    p = parse_period(period)
    now = now or utcnow()
    start, end = instant(p.start), instant(p.end)
    if start >= now:
        raise ValidationFailed(
            "period not begun", [FieldError("period", f"{period} begins {start.isoformat()}", "future")]
        )
    if contract_id is not None:
        get_or_404(session, Contract, contract_id, "contract")
    live = {
        c.id: c
        for c in _contracts(session, p).values()
        if c.status in BILLED_STATUSES and (contract_id is None or c.id == contract_id)
    }
    cals, notes = _calendars(live.values())
    stop = min(end, now)
    outages = _outages(session, {a for c in live.values() for a in c.assets}, start, stop)
    monitored = _monitored(session, {a for c in live.values() for a in c.assets}, start, stop)
    clocks, counted = _clocks(session, live, cals, start, end, now, notes)

    existing = dict(
        session.execute(
            select(SlaAttainmentRecord.contract_id, SlaAttainmentRecord.id).where(SlaAttainmentRecord.period == period)
        ).all()
    )
    new_rows, changed = [], []
    for c in live.values():
        rec = _Row(tenant_id=scope.tenant_id, contract_id=c.id, period=period)
        _fill(rec, c, p, start, end, now, cals.get(c.id), outages, monitored, clocks.get(c.id, []), counted.get(c.id),
              notes.get(c.id))  # fmt: skip
        if c.id in existing:
            changed.append(vars(rec) | {"b_id": existing[c.id]})
        else:
            new_rows.append(vars(rec))
    # set-based writes (one multi-row statement each), not an ORM object per contract
    table = SlaAttainmentRecord.__table__
    if new_rows:
        session.execute(insert(table), new_rows)
    if changed:
        cols = {k: bindparam(f"v_{k}") for k in changed[0] if k not in ("b_id", "tenant_id", "contract_id", "period")}
        session.execute(
            update(table).where(table.c.id == bindparam("b_id"), table.c.tenant_id == scope.tenant_id).values(cols),
            [{"b_id": r["b_id"]} | {f"v_{k}": r[k] for k in cols} for r in changed],
        )
    session.expire_all()
    rows = session.scalars(
        select(SlaAttainmentRecord)
        .where(SlaAttainmentRecord.period == period)
        .order_by(SlaAttainmentRecord.contract_id)
    )
    out = [r for r in rows if r.contract_id in live]
    return ComputeResult(period, end <= now, out)


class _Row:
    """The column values of one record while they are measured."""

    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def _fill(rec, c: _Contract, p, start, end, now, cal, outages, monitored, tickets, counted, note) -> None:  # noqa: ANN001
    rec.contract_number, rec.customer_id = c.number, c.customer_id
    rec.period_start, rec.period_end = p.start, p.end
    rec.computed_at, rec.final = now, end <= now
    rec.calendar = c.sla.calendar if c.sla else calendars.ALWAYS
    rec.assets = len(c.assets)
    target = c.sla.availability_target_pct if c.sla else None
    rec.availability_target_pct = target
    lo, hi = max(start, instant(c.start)), min(end, instant(c.end))
    wos, tks = counted or (0, 0)
    rec.work_orders, rec.tickets = wos, tks
    rec.note = note
    blank = dict(agreed_hours=None, downtime_hours=0.0, outages=0, monitored_outages=0, availability_pct=None,
                 availability_met=None, mtrs_hours=None, mtbf_hours=None, mtbsi_hours=None, response_met=0,
                 response_breached=0, response_pending=0, resolution_met=0, resolution_breached=0,
                 resolution_pending=0, response_attainment_pct=None, resolution_attainment_pct=None, attained=None,
                 breached=[])  # fmt: skip
    for k, v in blank.items():
        setattr(rec, k, v)
    if cal is None or hi <= lo:
        rec.note = note or "the contract's term does not overlap the month"
        return
    spans = [o for a in c.assets for o in outages.get(a, ())]
    try:
        res = attainment(tickets, spans, lo, hi, now, cal, float(target) / 100 if target else None)
    except calendars.CalendarNotCovered as exc:
        rec.note = f"calendar {rec.calendar}: {exc}"[:300]
        return
    av = res.availability
    if c.assets:
        rec.agreed_hours = _hours(av.agreed_seconds) if av.availability is not None else None
        rec.downtime_hours = _hours(av.downtime_seconds) or 0.0
        rec.outages = av.breaks
        rec.monitored_outages = sum(monitored.get(a, 0) for a in c.assets)
        rec.availability_pct = _pct(av.availability)
        rec.availability_met = res.availability_met
        rec.mtrs_hours, rec.mtbf_hours = _hours(av.mtrs_seconds), _hours(av.mtbf_seconds)
        rec.mtbsi_hours = _hours(av.mtbsi_seconds)
    else:
        rec.note = note or "no covered asset: availability not measured"
    rec.response_met, rec.response_breached, rec.response_pending = (
        res.response.met, res.response.breached, res.response.pending)  # fmt: skip
    rec.resolution_met, rec.resolution_breached, rec.resolution_pending = (
        res.resolution.met, res.resolution.breached, res.resolution.pending)  # fmt: skip
    rec.response_attainment_pct = _pct(res.response.attainment)
    rec.resolution_attainment_pct = _pct(res.resolution.attainment)
    rec.breached = list(res.breached_tickets)[:200]
    kept = [x for x in (rec.availability_met,) if x is not None]
    for tally in (res.response, res.resolution):
        if tally.met + tally.breached:
            kept.append(tally.breached == 0)
    rec.attained = all(kept) if kept else None


def _calendars(contracts) -> tuple[dict[int, Any], dict[int, str]]:  # noqa: ANN001
    out, notes, known = {}, {}, {}
    for c in contracts:
        name = c.sla.calendar if c.sla else calendars.ALWAYS
        if name not in known:
            try:
                known[name] = calendars.get(name)
            except LookupError:
                known[name] = None
        if known[name] is None:
            notes[c.id] = f"the SLA names service calendar {name!r}, which no installed module offers"
        else:
            out[c.id] = known[name]
    return out, notes


def _monitored(session: Session, assets: set[int], start: dt.datetime, stop: dt.datetime) -> dict[int, int]:
    """Failures the monitoring recorded (telemetry alarms moving an asset to ``failed``) per asset."""
    if not assets or stop <= start:
        return {}
    rows = session.execute(
        select(AssetStateChange.asset_id, func.count())
        .where(
            AssetStateChange.to_state == AssetState.failed, AssetStateChange.source == MONITORING,
            AssetStateChange.at >= start, AssetStateChange.at < stop,
        )
        .group_by(AssetStateChange.asset_id)
    )  # fmt: skip
    return {aid: n for aid, n in rows if aid in assets}


def _clocks(
    session: Session,
    live: dict[int, _Contract],
    cals: dict[int, Any],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    notes: dict[int, str],
) -> tuple[dict[int, list[Ticket]], dict[int, tuple[int, int]]]:
    """The month's clocks per contract: after-sales tickets (through the port) and incident work
    orders not opened for a ticket."""
    out: dict[int, list[Ticket]] = defaultdict(list)
    n_wo: dict[int, int] = defaultdict(int)
    n_tk: dict[int, int] = defaultdict(int)
    answer = sla_ports.ticket_clocks()
    from_tickets: set[int] = set()
    if answer is not None:
        for t in answer.clocks(session, start, end, now):
            if t.work_order_id:
                from_tickets.add(t.work_order_id)
            if t.contract_id in live and t.contract_id in cals:
                out[t.contract_id].append(Ticket(t.code, t.opened_at, Clock(t.response), Clock(t.resolution)))
                n_tk[t.contract_id] += 1
    by_asset = {a: c for c in live.values() for a in c.assets}
    rows = session.execute(
        select(
            WorkOrder.id, WorkOrder.number, WorkOrder.contract_id, WorkOrder.asset_id, WorkOrder.priority,
            WorkOrder.opened_at, WorkOrder.responded_at, WorkOrder.resolved_at, WorkOrder.response_due_at,
            WorkOrder.resolution_due_at,
        ).where(
            WorkOrder.opened_at >= start, WorkOrder.opened_at < end, WorkOrder.kind.in_(INCIDENT_KINDS),
            WorkOrder.status != WorkOrderStatus.cancelled,
        ).order_by(WorkOrder.id)
    )  # fmt: skip
    for wid, number, cid, aid, priority, opened, responded, resolved, resp_due, reso_due in rows:
        c = live.get(cid) if cid else by_asset.get(aid)
        if c is None or wid in from_tickets or c.id not in cals:
            continue
        target = (c.sla.targets if c.sla else {}).get(str(priority))
        try:
            if target:
                resp = clock(cals[c.id], opened, responded, float(target["response_hours"]) * HOUR, now)
                reso = clock(cals[c.id], opened, resolved, float(target["resolution_hours"]) * HOUR, now)
            else:  # the deadlines the work order got from the contract's offering SLA
                resp, reso = _due(responded, resp_due, now), _due(resolved, reso_due, now)
        except calendars.CalendarNotCovered as exc:
            notes[c.id] = f"calendar {c.sla.calendar}: {exc}"[:300]
            continue
        if resp is Clock.pending and reso is Clock.pending and not target and resp_due is None and reso_due is None:
            continue  # nothing agreed for this work order
        out[c.id].append(Ticket(number, opened, resp, reso))
        n_wo[c.id] += 1
    counted = {cid: (n_wo.get(cid, 0), n_tk.get(cid, 0)) for cid in set(n_wo) | set(n_tk)}
    return out, counted


def _due(done: dt.datetime | None, due: dt.datetime | None, now: dt.datetime) -> Clock:
    if due is None:
        return Clock.pending
    if done is not None and done <= now:
        return Clock.met if done <= due else Clock.breached
    return Clock.breached if now > due else Clock.pending


# ---- reads ---------------------------------------------------------------------------------------


def list_records(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    period: str | None = None,
    contract_id: int | None = None,
    attained: bool | None = None,
) -> tuple[list[SlaAttainmentRecord], str | None]:
    stmt = select(SlaAttainmentRecord)
    if period:
        stmt = stmt.where(SlaAttainmentRecord.period == period)
    if contract_id is not None:
        stmt = stmt.where(SlaAttainmentRecord.contract_id == contract_id)
    if attained is not None:
        stmt = stmt.where(SlaAttainmentRecord.attained.is_(attained))
    return list_page(session, stmt, SlaAttainmentRecord, limit=limit, cursor=cursor, order=order)


def trend(session: Session, contract_id: int, months: int = 24) -> tuple[Contract, list[SlaAttainmentRecord]]:
    """The contract's stored months, oldest first (the last ``months``)."""
    contract = get_or_404(session, Contract, contract_id, "contract")
    rows = session.scalars(
        select(SlaAttainmentRecord)
        .where(SlaAttainmentRecord.contract_id == contract_id)
        .order_by(SlaAttainmentRecord.period.desc())
        .limit(months)
    ).all()
    return contract, list(reversed(rows))


def get_record(session: Session, contract_id: int, period: str) -> SlaAttainmentRecord:
    rec = session.scalar(
        select(SlaAttainmentRecord).where(
            SlaAttainmentRecord.contract_id == contract_id, SlaAttainmentRecord.period == period
        )
    )
    if rec is None:
        raise NotFound(f"no SLA attainment stored for contract {contract_id} in {period}")
    return rec


# ---- the core port: read by the evaluation indicator and the customer portal ----------------------


def _inside(start: dt.date, end: dt.date):  # noqa: ANN202
    return (SlaAttainmentRecord.period_start >= start) & (SlaAttainmentRecord.period_end <= end)


class StoredAttainment:
    """Answers :class:`somp.core.sla_ports.AttainmentSource` from the stored months."""

    def summary(self, session: Session, start: dt.date, end: dt.date) -> sla_ports.AttainmentSummary | None:
        rows = session.execute(
            select(SlaAttainmentRecord.attained, SlaAttainmentRecord.final).where(_inside(start, end))
        ).all()
        if not rows:
            return None
        return sla_ports.AttainmentSummary(
            attained=sum(1 for a, _f in rows if a is True),
            measured=sum(1 for a, _f in rows if a is not None),
            months=len(rows),
            provisional=sum(1 for _a, f in rows if not f),
        )

    def by_contract(self, session: Session, start: dt.date, end: dt.date) -> list[sla_ports.ContractMonth]:
        rows = session.scalars(
            select(SlaAttainmentRecord)
            .where(_inside(start, end))
            .order_by(SlaAttainmentRecord.contract_number, SlaAttainmentRecord.period)
        )

        def f(x: Decimal | None) -> float | None:
            return None if x is None else float(x)

        return [
            sla_ports.ContractMonth(
                contract_id=r.contract_id, contract_number=r.contract_number, customer_id=r.customer_id,
                period=r.period, availability_pct=f(r.availability_pct),
                availability_target_pct=f(r.availability_target_pct), availability_met=r.availability_met,
                downtime_hours=r.downtime_hours, outages=r.outages,
                response_attainment_pct=f(r.response_attainment_pct),
                resolution_attainment_pct=f(r.resolution_attainment_pct), attained=r.attained, final=r.final,
            )
            for r in rows
        ]  # fmt: skip


# ---- periodic job ----------------------------------------------------------------------------------


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def due_periods(session: Session, now: dt.datetime) -> list[str]:
    """What the periodic job computes for the session's tenant: the month before while any of its
    records is provisional (or none is stored), and the running month when last computed more
    than :data:`REFRESH` ago."""
    today = now.astimezone(instant(dt.date(2000, 1, 1)).tzinfo).date()
    current = _month(today)
    previous = _month(today.replace(day=1) - dt.timedelta(days=1))
    out = []
    n, provisional = session.execute(
        select(func.count(), func.count().filter(SlaAttainmentRecord.final.is_(False))).where(
            SlaAttainmentRecord.period == previous
        )
    ).one()
    if provisional or (n == 0 and _has_live(session, previous)):
        out.append(previous)
    last = session.scalar(
        select(func.max(SlaAttainmentRecord.computed_at)).where(SlaAttainmentRecord.period == current)
    )
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    if (last is None and _has_live(session, current)) or (last is not None and now - last >= REFRESH):
        out.append(current)
    return out


def _has_live(session: Session, period: str) -> bool:
    """Whether any contract is measured for ``period`` (nothing to do otherwise: one cheap query
    instead of a computation every minute)."""
    p = parse_period(period)
    live = (Contract.start_date < p.end) & (Contract.end_date > p.start) & Contract.status.in_(BILLED_STATUSES)
    return session.scalar(select(select(Contract.id).where(live).exists())) is True


def tick(db: Database, now: dt.datetime) -> None:
    """Periodic job (about once a minute): per tenant with live contracts, the due months
    (:func:`due_periods`), each in its own transaction."""
    with db.session(Scope.all_tenants()) as s:
        tenants = s.scalars(
            select(Contract.tenant_id)
            .where(Contract.status.in_((*BILLED_STATUSES, ContractStatus.suspended)))
            .distinct()
            .order_by(Contract.tenant_id)
        ).all()
    for tenant_id in tenants:
        try:
            with db.session(Scope.tenant(tenant_id)) as s:
                periods = due_periods(s, now)
            for period in periods:
                with db.session(Scope.tenant(tenant_id)) as s:
                    compute(s, period, now=now)
                    s.commit()
        except Exception:  # one tenant's failure must not stop the others; the next tick retries
            log.exception("SLA attainment of tenant %s failed", tenant_id)
