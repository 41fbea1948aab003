"""Delivery service (framework node 2.1.5 交付): delivery projects per contract with five stages
(plan, ship, install, commission, acceptance), their progress as a state machine, and the delivery
KPIs of a period (:mod:`.delivery_kpis`). No HTTP here: functions take a scoped session.

State machine: a project is ``planned`` until its first stage starts, then ``in_progress``; it is
``accepted`` when the acceptance stage completes (final) and may be ``cancelled`` before that
(final). Stages run in order: a stage starts only after the previous one is done, on or after the
day it was done, and completes on or after the day it started. A commissioning attempt that does not
pass is recorded as ``fail`` (the stage stays in progress); the one that passes completes the stage;
the project is first-time-right when it passed at the first attempt. The acceptance records the
customer's participation (:class:`somp.core.participation.CustomerParticipated`, kept by the
after-sales module) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from somp.core.errors import FieldError, IllegalTransition, ValidationFailed
from somp.core.events import record
from somp.core.pagination import Order
from somp.core.participation import CustomerParticipated
from somp.core.sequences import next_number
from somp.core.service import get_or_404, list_page, require_ref
from somp.modules.contracts.models import Contract
from somp.modules.pss import delivery_kpis as dk
from somp.modules.pss.design_models import (
    STAGE_ORDER,
    DeliveryEvent,
    DeliveryEventKind,
    DeliveryProject,
    DeliveryStage,
    DeliveryStatus,
    StageKind,
    StageStatus,
)
from somp.modules.pss.design_schemas import DeliveryProgress, DeliveryProjectCreate

CHINA = ZoneInfo("Asia/Shanghai")
FINAL = (DeliveryStatus.accepted, DeliveryStatus.cancelled)


def create_project(session: Session, data: DeliveryProjectCreate, user_id: int | None) -> DeliveryProject:
    contract = require_ref(session, Contract, data.contract_id, "contract_id", "contract")
    ordered_on = data.ordered_on or contract.signed_on or data.stages[0].planned_start
    if ordered_on > data.stages[0].planned_start:
        raise ValidationFailed(
            "invalid delivery plan",
            [FieldError("stages.0.planned_start", "the plan starts before the order (the contract's signing)",
                        "before_order")],
        )  # fmt: skip
    p = DeliveryProject(
        tenant_id=contract.tenant_id,
        number=next_number(session, contract.tenant_id, "DP", data.stages[0].planned_start.year),
        contract_id=contract.id,
        customer_id=contract.customer_id,
        title=data.title or f"{contract.number} 交付",
        ordered_on=ordered_on,
        due_on=data.stages[-1].planned_end,
        note=data.note,
    )
    session.add(p)
    session.flush()
    session.add_all(
        DeliveryStage(tenant_id=p.tenant_id, project_id=p.id, seq=k + 1, stage=s.stage, planned_start=s.planned_start,
                      planned_end=s.planned_end)
        for k, s in enumerate(data.stages)
    )  # fmt: skip
    _log(session, p, None, DeliveryEventKind.created, ordered_on, None, user_id)
    session.flush()
    return p


def _log(
    session: Session, p: DeliveryProject, stage: StageKind | None, kind: DeliveryEventKind, on: dt.date,
    note: str | None, user_id: int | None,
) -> None:  # fmt: skip
    session.add(DeliveryEvent(tenant_id=p.tenant_id, project_id=p.id, stage=stage, kind=kind, on=on, note=note,
                              by_user_id=user_id))  # fmt: skip


def get_project(session: Session, project_id: int) -> DeliveryProject:
    return get_or_404(session, DeliveryProject, project_id, "delivery project")


def stages_of(session: Session, project_id: int) -> list[DeliveryStage]:
    return list(session.scalars(select(DeliveryStage).where(DeliveryStage.project_id == project_id)
                                .order_by(DeliveryStage.seq)))  # fmt: skip


def events_of(session: Session, project_id: int) -> list[DeliveryEvent]:
    return list(session.scalars(select(DeliveryEvent).where(DeliveryEvent.project_id == project_id)
                                .order_by(DeliveryEvent.id)))  # fmt: skip


def detail(session: Session, project_id: int) -> dict:
    p = get_project(session, project_id)
    cols = (
        "id",
        "created_at",
        "updated_at",
        "version",
        "number",
        "contract_id",
        "customer_id",
        "title",
        "status",
        "ordered_on",
        "due_on",
        "commission_attempts",
        "commissioned_on",
        "first_time_right",
        "accepted_on",
        "note",
    )
    return {k: getattr(p, k) for k in cols} | {
        "stages": stages_of(session, p.id), "events": events_of(session, p.id)
    }  # fmt: skip


def list_projects(
    session: Session, *, limit: int, cursor: str | None, order: Order = "asc", contract_id: int | None = None,
    status: DeliveryStatus | None = None, customer_id: int | None = None,
) -> tuple[list[DeliveryProject], str | None]:  # fmt: skip
    stmt = select(DeliveryProject)
    for col, v in ((DeliveryProject.contract_id, contract_id), (DeliveryProject.status, status),
                   (DeliveryProject.customer_id, customer_id)):  # fmt: skip
        if v is not None:
            stmt = stmt.where(col == v)
    return list_page(session, stmt, DeliveryProject, limit=limit, cursor=cursor, order=order)


def _refuse(message: str, code: str = "illegal_transition", field: str = "event") -> IllegalTransition:
    return IllegalTransition(message, [FieldError(field, message, code)])


def progress(session: Session, project_id: int, data: DeliveryProgress, user_id: int | None) -> DeliveryProject:
    """Record what happened to the project (see the module docstring for the rules)."""
    p = get_project(session, project_id)
    if p.status in FINAL:
        raise _refuse(f"delivery project {p.number} is {p.status.value}: nothing more can happen to it")
    if data.event == "cancel":
        p.status = DeliveryStatus.cancelled
        _log(session, p, None, DeliveryEventKind.cancelled, data.on, data.note, user_id)
        session.flush()
        return p
    stages = stages_of(session, p.id)
    k = STAGE_ORDER.index(data.stage)
    st, prev = stages[k], stages[k - 1] if k else None
    if data.event == "start":
        if st.status is not StageStatus.pending:
            raise _refuse(f"stage {st.stage.value} is already {st.status.value}")
        if prev is not None and prev.status is not StageStatus.done:
            raise _refuse(f"stage {st.stage.value} starts after {prev.stage.value} is done")
        floor = prev.actual_end if prev is not None else p.ordered_on
        if data.on < floor:
            raise ValidationFailed("invalid date", [FieldError("on", f"before {floor.isoformat()}", "too_early")])
        st.status, st.actual_start = StageStatus.in_progress, data.on
        p.status = DeliveryStatus.in_progress
        _log(session, p, st.stage, DeliveryEventKind.started, data.on, data.note, user_id)
    else:
        if st.status is not StageStatus.in_progress:
            raise _refuse(f"stage {st.stage.value} is {st.status.value}, not in progress")
        if data.on < st.actual_start:
            raise ValidationFailed(
                "invalid date", [FieldError("on", f"before the stage started ({st.actual_start.isoformat()})",
                                            "too_early")])  # fmt: skip
        if st.stage is StageKind.commission:
            p.commission_attempts += 1
        if data.event == "fail":
            _log(session, p, st.stage, DeliveryEventKind.failed, data.on, data.note, user_id)
        else:
            st.status, st.actual_end = StageStatus.done, data.on
            _log(session, p, st.stage, DeliveryEventKind.completed, data.on, data.note, user_id)
            if st.stage is StageKind.commission:
                p.commissioned_on, p.first_time_right = data.on, p.commission_attempts == 1
            if st.stage is StageKind.acceptance:
                p.status, p.accepted_on = DeliveryStatus.accepted, data.on
                _participated(session, p, data.on, data.note)
    session.flush()
    return p


def _participated(session: Session, p: DeliveryProject, on: dt.date, note: str | None) -> None:
    on_time = "按期" if on <= p.due_on else f"逾期 {(on - p.due_on).days} 天"
    record(
        session,
        CustomerParticipated(
            tenant_id=p.tenant_id,
            customer_id=p.customer_id,
            stage="acceptance",
            at=dt.datetime.combine(on, dt.time(12), CHINA),
            contract_id=p.contract_id,
            channel="delivery",
            summary=f"交付验收 {p.number}（{on_time}）"[:300],
            detail=note,
            source=f"pss.delivery:{p.number}",
        ),
    )


# ---- KPIs ------------------------------------------------------------------------------------------


def kpis(session: Session, period: str) -> dict:
    """The delivery KPIs of a month ``YYYY-MM``, quarter ``YYYY-Qn`` or year ``YYYY``."""
    try:
        start, end = dk.month_range(period)
    except ValueError as exc:
        raise ValidationFailed("invalid period", [FieldError("period", str(exc), "pattern")]) from None
    return {"period": period} | vars(_kpis(session, start, end))


def kpi_series(session: Session, last: str, count: int = 12) -> list[dict]:
    """Monthly KPIs of the ``count`` months ending with ``last`` (one query for all of them)."""
    names = dk.months(last, count)
    start, _ = dk.month_range(names[0])
    _, end = dk.month_range(names[-1])
    facts = _facts(session, start, end)
    out = []
    for name in names:
        a, b = dk.month_range(name)
        out.append({"period": name} | vars(dk.kpis(facts, a, b)))
    return out


def _facts(session: Session, start: dt.date, end: dt.date) -> list[dk.ProjectFacts]:
    stmt = select(
        DeliveryProject.ordered_on, DeliveryProject.due_on, DeliveryProject.accepted_on,
        DeliveryProject.commissioned_on, DeliveryProject.first_time_right,
    ).where(
        or_(DeliveryProject.accepted_on.between(start, end), DeliveryProject.commissioned_on.between(start, end))
    )  # fmt: skip
    return [dk.ProjectFacts(*r) for r in session.execute(stmt)]


def _kpis(session: Session, start: dt.date, end: dt.date) -> dk.DeliveryKpis:
    return dk.kpis(_facts(session, start, end), start, end)


# ---- the customer portal (2.1.5 seen by the customer) ---------------------------------------------


def portal_projects(session: Session) -> list[dict[str, Any]]:
    """The delivery projects the session may see (a customer user's: their own) with their stages.
    The stages are read through their project, so the project's customer scope applies to them."""
    newest = (DeliveryProject.ordered_on.desc(), DeliveryProject.id.desc())
    projects = list(session.scalars(select(DeliveryProject).order_by(*newest).limit(200)))
    ids = [p.id for p in projects]
    stages: dict[int, list[DeliveryStage]] = {i: [] for i in ids}
    if ids:
        for st in session.scalars(
            select(DeliveryStage)
            .join(DeliveryProject, DeliveryProject.id == DeliveryStage.project_id)
            .where(DeliveryStage.project_id.in_(ids))
            .order_by(DeliveryStage.project_id, DeliveryStage.seq)
        ):
            stages[st.project_id].append(st)
    numbers = dict(session.execute(select(Contract.id, Contract.number).where(
        Contract.id.in_({p.contract_id for p in projects}))).all()) if projects else {}  # fmt: skip
    return [{"p": p, "stages": stages[p.id], "contract": numbers.get(p.contract_id, "")} for p in projects]


def portal_read(session: Session) -> list[dict[str, Any]]:
    """:func:`portal_projects` as the API's rows (no internal notes, no event log)."""
    cols = ("id", "number", "contract_id", "title", "status", "ordered_on", "due_on", "accepted_on")
    return [{k: getattr(x["p"], k) for k in cols} | {"contract_number": x["contract"], "stages": x["stages"]}
            for x in portal_projects(session)]  # fmt: skip
