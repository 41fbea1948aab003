"""Quality supervision reports of after-sales service (framework node 2.1.6 售后管理): per period,
the tickets opened, their SLA outcomes (met, breached, still pending) by category, priority and
contract, the escalations reached, the service recovery actions and the satisfaction answers, and
the availability per contract and month that the pss module stores (asked through the core port
:mod:`somp.core.sla_ports`, never imported).

The customer portal shows the same report narrowed to the customer's own tickets (the session's
scope does that) without the internal parts (escalations, recovery actions)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from somp.core import sla_ports
from somp.core.database import utcnow
from somp.core.errors import invalid
from somp.modules.aftersales import satisfaction as sat
from somp.modules.aftersales.models import (
    Escalation,
    RecoveryAction,
    RecoveryStatus,
    Survey,
    SurveyKind,
    SurveyResponse,
    Ticket,
    TicketStatus,
)
from somp.modules.aftersales.schemas import ClockTally, ContractAvailability, QualityReport, ReportRow
from somp.modules.aftersales.service import to_read
from somp.modules.contracts.models import Contract


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    if end <= start:
        raise invalid("end", "must be after start")
    return dt.datetime.combine(start, dt.time(), dt.UTC), dt.datetime.combine(end, dt.time(), dt.UTC)


def _tally(rows: list[ReportRow]) -> None:
    for r in rows:
        for c in (r.response, r.resolution):
            known = c.met + c.breached
            c.attainment_pct = round(100.0 * c.met / known, 2) if known else None


def quality_report(
    session: Session, start: dt.date, end: dt.date, *, internal: bool = True, now: dt.datetime | None = None
) -> QualityReport:
    """The report over tickets opened in ``[start, end)`` as of ``now``. A clock is met when it
    stopped before its target, breached when it reached the target (stopped since or not),
    pending while it runs or is paused within its target."""
    now = now or utcnow()
    lo, hi = _bounds(start, end)
    tickets = session.scalars(select(Ticket).where(Ticket.opened_at >= lo, Ticket.opened_at < hi)).all()
    contracts = dict(
        session.execute(
            select(Contract.id, Contract.number).where(
                Contract.id.in_({t.contract_id for t in tickets if t.contract_id})
            )
        ).all()
    )
    total = ReportRow(key="total")
    groups: dict[str, dict[str, ReportRow]] = {"category": {}, "priority": {}, "contract": {}}
    for t, r in zip(tickets, to_read(list(tickets), now), strict=True):
        keys = {
            "category": t.category.value,
            "priority": t.priority.value,
            "contract": contracts.get(t.contract_id, "-") if t.contract_id else "-",
        }
        rows = [total] + [groups[g].setdefault(k, ReportRow(key=k)) for g, k in keys.items()]
        done_response = t.responded_at is not None
        done_resolution = t.status in (TicketStatus.resolved, TicketStatus.closed)
        for row in rows:
            row.opened += 1
            row.resolved += done_resolution
            _count(row.response, r.response_breached, done_response)
            _count(row.resolution, r.resolution_breached, done_resolution)
    by = {g: sorted(v.values(), key=lambda x: x.key) for g, v in groups.items()}
    _tally([total, *by["category"], *by["priority"], *by["contract"]])
    report = QualityReport(
        start=start,
        end=end,
        as_of=now,
        total=total,
        by_category=by["category"],
        by_priority=by["priority"],
        by_contract=by["contract"],
    )
    report.availability = _availability(session, start, end)
    report.csat = _score(session, SurveyKind.csat, lo, hi)
    report.nps = _score(session, SurveyKind.nps, lo, hi)
    if internal:
        # escalations and recovery actions of the period's tickets (each ticket counted once per level)
        ids = [t.id for t in tickets]
        levels = (
            session.execute(
                select(Escalation.level, func.count(func.distinct(Escalation.ticket_id)))
                .where(Escalation.ticket_id.in_(ids))
                .group_by(Escalation.level)
            ).all()
            if ids
            else []
        )
        report.escalations_by_level = {str(lv): n for lv, n in sorted(levels)}
        actions = session.scalars(select(RecoveryAction).where(RecoveryAction.ticket_id.in_(ids))).all() if ids else []
        by_kind: dict[str, int] = {}
        for a in actions:
            by_kind[a.kind.value] = by_kind.get(a.kind.value, 0) + 1
        report.recovery_by_kind = dict(sorted(by_kind.items()))
        report.recovery_done = sum(1 for a in actions if a.status is RecoveryStatus.done)
        report.recovery_amount = sum(
            (a.amount or Decimal("0.00") for a in actions if a.status is not RecoveryStatus.cancelled), Decimal("0.00")
        )
    return report


def _availability(session: Session, start: dt.date, end: dt.date) -> list[ContractAvailability] | None:
    """The SLA attainment stored per contract and month (module pss, asked through the core port;
    the session's scope keeps a customer to their own contracts). None when no module stores it."""
    source = sla_ports.attainment_source()
    if source is None:
        return None
    return [ContractAvailability.model_validate(asdict(m)) for m in source.by_contract(session, start, end)]


def _count(c: ClockTally, breached: bool, stopped: bool) -> None:
    if breached:
        c.breached += 1
    elif stopped:
        c.met += 1
    else:
        c.pending += 1


def _score(session: Session, kind: SurveyKind, lo: dt.datetime, hi: dt.datetime):  # noqa: ANN202
    from somp.modules.aftersales.schemas import ScorePoint

    scores = list(
        session.scalars(
            select(SurveyResponse.score)
            .join(Survey, Survey.id == SurveyResponse.survey_id)
            .where(Survey.kind == kind, SurveyResponse.answered_at >= lo, SurveyResponse.answered_at < hi)
        )
    )
    if kind is SurveyKind.nps:
        r = sat.nps(scores)
        return ScorePoint(
            period="total", n=r.n, score=r.score, promoters=r.promoters, passives=r.passives, detractors=r.detractors
        )
    c = sat.csat(scores)
    return ScorePoint(period="total", n=c.n, score=c.score, satisfied=c.satisfied, mean=c.mean)


def report_for_period(
    session: Session, period: str, *, internal: bool = True, now: dt.datetime | None = None
) -> QualityReport:
    try:
        start, end = sat.period_bounds(period)
    except ValueError as exc:
        raise invalid("period", str(exc)) from None
    return quality_report(session, start, end, internal=internal, now=now)
