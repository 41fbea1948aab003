"""Reactions of full lifecycle management (framework node 3.6, remote operation and maintenance),
subscribed to domain events:

* readings stored -> alarm rules evaluated (:func:`service.evaluate_stored`);
* an alarm whose rule asks for it (or a prediction below the contract's threshold) -> a corrective
  or predictive work order, with SLA deadlines from the contract covering the asset, unless a
  corrective or predictive order is still open for that asset (the alarm is then linked to it);
* the asset's lifecycle state follows: a critical alarm -> failed, a major one -> degraded; work
  started on a corrective or predictive order -> under maintenance; the order resolved -> back in
  service.

A move the asset's state machine refuses (e.g. the asset was retired meanwhile) is skipped, never
retried: the reaction is advice on the current state, not a command that must happen.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from somp.core.database import Database
from somp.core.errors import DomainError
from somp.core.events import EventBus
from somp.core.tenancy import Scope
from somp.modules.assets.lifecycle import TRANSITIONS, AssetState
from somp.modules.assets.models import Asset
from somp.modules.assets.schemas import TransitionRequest
from somp.modules.assets.service import transition_asset
from somp.modules.catalog.models import Priority
from somp.modules.lifecycle import service
from somp.modules.lifecycle.events import AlarmRaised
from somp.modules.lifecycle.models import Alarm, AlarmRule, AlarmSeverity, AlarmSource, Reaction
from somp.modules.telemetry.events import ReadingsStored
from somp.modules.workorders.events import WorkOrderStatusChanged
from somp.modules.workorders.models import WorkOrder, WorkOrderKind, WorkOrderSource, WorkOrderStatus
from somp.modules.workorders.schemas import WorkOrderCreate
from somp.modules.workorders.service import OPEN_STATUSES, open_work_order

log = logging.getLogger(__name__)

PRIORITY = {
    AlarmSeverity.critical: Priority.critical,
    AlarmSeverity.major: Priority.high,
    AlarmSeverity.minor: Priority.medium,
    AlarmSeverity.warning: Priority.low,
}
ASSET_STATE = {AlarmSeverity.critical: AssetState.failed, AlarmSeverity.major: AssetState.degraded}
MAINTAINED = (WorkOrderKind.corrective, WorkOrderKind.predictive)


def on_readings_stored(session: Session, event: ReadingsStored) -> None:
    service.evaluate_stored(session, event)


def on_alarm_raised(session: Session, event: AlarmRaised) -> None:
    alarm = session.get(Alarm, event.alarm_id)
    asset = session.get(Asset, event.asset_id)
    if alarm is None or asset is None:
        return
    target = ASSET_STATE.get(event.severity)
    if target is not None and _may_move(asset, target):
        _move(session, asset, target, f"alarm {alarm.id}: {alarm.title}")
    reaction = Reaction.predictive if event.source is AlarmSource.prediction else event.reaction
    if reaction is Reaction.none:
        return
    open_wo = session.scalar(
        select(WorkOrder)
        .where(
            WorkOrder.asset_id == asset.id,
            WorkOrder.status.in_(OPEN_STATUSES),
            WorkOrder.kind.in_(MAINTAINED),  # an open repair of the asset, however it was opened
        )
        .order_by(WorkOrder.id)
        .limit(1)
    )
    if open_wo is None:
        kind = WorkOrderKind.predictive if reaction is Reaction.predictive else WorkOrderKind.corrective
        try:
            open_wo = open_work_order(
                session,
                WorkOrderCreate(
                    kind=kind,
                    priority=PRIORITY[event.severity],
                    asset_id=asset.id,
                    title=f"{alarm.title} ({asset.serial_number})"[:200],
                    description=alarm.message,
                    source=WorkOrderSource.prediction
                    if event.source is AlarmSource.prediction
                    else WorkOrderSource.alarm,
                    opened_at=alarm.raised_at,
                ),
            )
        except DomainError as exc:  # e.g. the asset is out of service for good
            log.info("no work order for alarm %s: %s", alarm.id, exc)
            return
    alarm.work_order_id = open_wo.id


def on_work_order_status_changed(session: Session, event: WorkOrderStatusChanged) -> None:
    if event.kind not in MAINTAINED:
        return
    asset = session.get(Asset, event.asset_id)
    if asset is None:
        return
    if event.to_status is WorkOrderStatus.in_progress and _may_move(asset, AssetState.under_maintenance):
        _move(session, asset, AssetState.under_maintenance, f"work order {event.work_order_id} in progress")
    elif event.to_status in (WorkOrderStatus.resolved, WorkOrderStatus.closed) and _may_move(
        asset, AssetState.in_service
    ):
        _move(session, asset, AssetState.in_service, f"work order {event.work_order_id} {event.to_status.value}")


def _may_move(asset: Asset, target: AssetState) -> bool:
    if asset.state == target or target not in TRANSITIONS[asset.state]:
        return False
    # never "improve" a state by an alarm: failed stays failed when a major alarm comes
    return not (target is AssetState.degraded and asset.state in (AssetState.failed, AssetState.under_maintenance))


def _move(session: Session, asset: Asset, target: AssetState, reason: str) -> None:
    try:
        transition_asset(session, asset.id, TransitionRequest(to_state=target, reason=reason), source="monitoring")
    except DomainError as exc:  # a guard of the state machine refused: leave the asset as it is
        log.info("asset %s stays %s: %s", asset.id, asset.state.value, exc)


TICK_GRACE = dt.timedelta(seconds=60)  # room for readings still on their way


def tick(db: Database, now: dt.datetime) -> None:
    """Periodic job: let time pass for timer rules (no data for N minutes, delays), tenant by
    tenant, a little behind the wall clock so late readings are still evaluated in order."""
    with db.session(Scope.all_tenants()) as s:
        tenants = s.scalars(select(AlarmRule.tenant_id).where(AlarmRule.enabled.is_(True)).distinct()).all()
    for tenant_id in tenants:
        with db.session(Scope.tenant(tenant_id)) as s:
            try:
                service.tick_rules(s, now - TICK_GRACE)
                s.commit()
            except StaleDataError:  # another worker ticked the same states meanwhile
                s.rollback()


def subscribe(bus: EventBus) -> None:
    bus.subscribe(ReadingsStored, on_readings_stored, "lifecycle.evaluate_rules")
    bus.subscribe(AlarmRaised, on_alarm_raised, "lifecycle.react_to_alarm")
    bus.subscribe(WorkOrderStatusChanged, on_work_order_status_changed, "lifecycle.asset_follows_work_order")
