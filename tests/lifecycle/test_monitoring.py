"""Monitoring as data arrives (3.6): rules on products and assets evaluated from stored readings
through the ReadingsStored event, the alarm lifecycle, reactions (work orders with SLA deadlines
from the contract, deduplicated while open; the asset's state follows), no-data ticks, anomaly
detectors, and the API."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import func, select

from somp.api.app import build_bus
from somp.core.identity import Role
from somp.core.tenancy import Scope
from somp.modules.assets.models import Asset, AssetState, AssetStateChange
from somp.modules.contracts.schemas import ContractTransition
from somp.modules.contracts.service import transition_contract
from somp.modules.lifecycle import service
from somp.modules.lifecycle.models import Alarm, AlarmStatus, Reaction, RuleKind
from somp.modules.lifecycle.schemas import AlarmRuleCreate
from somp.modules.telemetry.ingest import Ingestor, Item, Source
from somp.modules.telemetry.payloads import Columns, us_of
from somp.modules.workorders.models import WorkOrder, WorkOrderKind, WorkOrderSource, WorkOrderStatus
from somp.modules.workorders.schemas import WorkOrderTransition
from somp.modules.workorders.service import transition_work_order
from tests.factories import (
    make_asset,
    make_contract,
    make_customer,
    make_offering,
    make_product,
    make_tenant,
    make_user,
)

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
VIBRATION = {
    "severity": "major",
    "condition": {"kind": "threshold", "metric": "vibration", "op": ">", "value": 4.5, "clear_value": 3.5},
}


@pytest.fixture
def fleet(db):
    t = make_tenant(db)
    p = make_product(db, t)
    c = make_customer(db, t)
    a = make_asset(db, t, p.id, c.id, serial_number="SN-1", state="in_service")
    b = make_asset(db, t, p.id, c.id, serial_number="SN-2", state="in_service")
    o = make_offering(db, t, p.id)
    contract = make_contract(db, t, c.id, o.id, [a.id, b.id])
    with db.session(Scope.tenant(t.id)) as s:
        transition_contract(s, contract.id, ContractTransition(to_status="active", on=dt.date(2025, 1, 1)))
        s.commit()
    return t, p, a, b


def rule(db, t, **kw):
    data = {"name": "振动超限", "product_id": None, "spec": VIBRATION} | kw
    with db.session(Scope.tenant(t.id)) as s:
        r = service.create_rule(s, AlarmRuleCreate(**data))
        s.commit()
        return r


def send(db, t, asset, metric, values, start=T0, step=60):
    n = len(values)
    cols = Columns(
        [metric] * n,
        us_of(start) + np.arange(n, dtype=np.int64) * step * 1_000_000,
        np.asarray(values, dtype=np.float64),
        [None] * n,
    )
    out = Ingestor(db).ingest_many(
        [Item(Source(t.id, asset.id, "http"), cols, repr((metric, values, start)).encode())], NOW
    )
    assert out[0].ok, out[0].error


def dispatch(db):
    bus = build_bus()
    while bus.dispatch_pending(db):
        pass


def alarms(db, t):
    with db.session(Scope.tenant(t.id)) as s:
        return list(s.scalars(select(Alarm).order_by(Alarm.id)))


def test_a_product_rule_raises_and_clears_with_hysteresis(db, fleet):
    t, p, a, b = fleet
    rule(db, t, product_id=p.id)
    send(db, t, a, "vibration", [2.0, 3.0, 4.6, 5.0, 4.0, 3.6])  # above 4.5 at minute 2; 4.0 is not below 3.5
    send(db, t, b, "vibration", [2.0, 2.1])
    dispatch(db)
    (al,) = alarms(db, t)
    assert (al.asset_id, al.status, al.severity.value) == (a.id, AlarmStatus.raised, "major")
    assert al.raised_at == T0 + dt.timedelta(minutes=2) and al.values == {"vibration": 4.6}
    send(db, t, a, "vibration", [3.4, 2.0], start=T0 + dt.timedelta(minutes=10))
    dispatch(db)
    (al,) = alarms(db, t)
    assert al.status is AlarmStatus.cleared and al.cleared_at == T0 + dt.timedelta(minutes=10)
    with db.session(Scope.tenant(t.id)) as s:
        assert s.get(Asset, a.id).state is AssetState.degraded  # a major alarm degrades the asset
        assert s.get(Asset, b.id).state is AssetState.in_service


def test_alarm_opens_one_work_order_with_sla_and_the_asset_follows(db, fleet):
    t, p, a, _ = fleet
    rule(db, t, asset_id=a.id, reaction=Reaction.corrective,
         spec=VIBRATION | {"severity": "critical"})  # fmt: skip
    temp = rule(db, t, asset_id=a.id, name="排气温度高", reaction=Reaction.corrective,
                spec={"severity": "critical", "condition": {"kind": "threshold", "metric": "temperature",
                                                            "op": ">=", "value": 105}})  # fmt: skip
    send(db, t, a, "vibration", [5.0])
    send(db, t, a, "temperature", [106.0], start=T0 + dt.timedelta(minutes=1))
    dispatch(db)
    first, second = alarms(db, t)
    assert second.rule_id == temp.id
    with db.session(Scope.tenant(t.id)) as s:
        (wo,) = s.scalars(select(WorkOrder)).all()  # the second alarm joins the open work order
        assert (wo.kind, wo.source, wo.priority.value) == (WorkOrderKind.corrective, WorkOrderSource.alarm, "critical")
        assert wo.contract_id is not None and wo.opened_at == first.raised_at
        assert wo.resolution_due_at == wo.opened_at + dt.timedelta(hours=8)  # the offering's SLA for critical
        assert first.work_order_id == second.work_order_id == wo.id
        assert s.get(Asset, a.id).state is AssetState.failed
        transition_work_order(s, wo.id, WorkOrderTransition(to_status=WorkOrderStatus.in_progress))
        s.commit()
    dispatch(db)
    with db.session(Scope.tenant(t.id)) as s:
        assert s.get(Asset, a.id).state is AssetState.under_maintenance
        transition_work_order(s, wo.id, WorkOrderTransition(to_status=WorkOrderStatus.resolved))
        s.commit()
    dispatch(db)
    with db.session(Scope.tenant(t.id)) as s:
        assert s.get(Asset, a.id).state is AssetState.in_service
        changes = s.scalars(
            select(AssetStateChange).where(AssetStateChange.asset_id == a.id).order_by(AssetStateChange.id)
        )
        history = [(c.to_state.value, c.source) for c in changes][-3:]
    assert history == [("failed", "monitoring"), ("under_maintenance", "monitoring"), ("in_service", "monitoring")]
    # a new alarm after the order was resolved opens a new order
    send(db, t, a, "vibration", [2.0, 5.5], start=T0 + dt.timedelta(hours=1))
    dispatch(db)
    with db.session(Scope.tenant(t.id)) as s:
        assert s.scalar(select(func.count()).select_from(WorkOrder)) == 2


def test_no_data_rule_raises_on_tick(db, fleet):
    t, p, a, b = fleet
    silence = {"kind": "no_data", "metric": "power", "timeout_seconds": 900}
    rule(db, t, product_id=p.id, name="无数据", spec={"severity": "minor", "condition": silence})
    send(db, t, a, "power", [30.0, 31.0])
    dispatch(db)
    with db.session(Scope.tenant(t.id)) as s:
        assert service.tick_rules(s, T0 + dt.timedelta(minutes=10)) == 0
        n = service.tick_rules(s, T0 + dt.timedelta(minutes=30))
        s.commit()
    # a went silent after minute 1; b never reported, and its silence counts from the first tick
    assert n == 2
    by_asset = {al.asset_id: al for al in alarms(db, t)}
    assert by_asset[a.id].raised_at == T0 + dt.timedelta(minutes=16)
    assert by_asset[b.id].raised_at == T0 + dt.timedelta(minutes=25)
    assert by_asset[a.id].reason == by_asset[b.id].reason


def test_anomaly_detector_raises_on_a_spike(db, fleet):
    t, p, a, _ = fleet
    spec = {"metric": "vibration", "window_size": 30, "raise_above": 6, "clear_below": 3, "min_scale": 0.01}
    rule(db, t, product_id=p.id, kind=RuleKind.anomaly, name="振动异常", spec=spec)
    rng = np.random.default_rng(7)
    normal = (2.0 + rng.normal(0, 0.1, 60)).tolist()
    send(db, t, a, "vibration", normal[:40])
    send(db, t, a, "vibration", [*normal[40:], 3.5, *normal[:10]], start=T0 + dt.timedelta(minutes=40))
    dispatch(db)
    (al,) = alarms(db, t)
    assert al.source.value == "anomaly" and al.values == {"vibration": 3.5} and al.status is AlarmStatus.cleared


def test_rule_validation_names_the_field(db, fleet, client_as):
    t, p, a, _ = fleet
    admin = client_as(make_user(db, t, Role.tenant_admin))
    tilde = {"kind": "threshold", "metric": "v", "op": "~", "value": 1}
    bad = {"name": "x", "product_id": p.id, "spec": {"severity": "major", "condition": tilde}}
    r = admin.post("/api/v1/lifecycle/rules", json=bad)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "spec.condition.op"
    both = {"name": "x", "product_id": p.id, "asset_id": a.id, "spec": VIBRATION}
    assert admin.post("/api/v1/lifecycle/rules", json=both).status_code == 422
    ok = admin.post("/api/v1/lifecycle/rules", json={"name": "振动", "product_id": p.id, "spec": VIBRATION})
    assert ok.status_code == 201 and ok.json()["metrics"] == ["vibration"] and ok.json()["severity"] == "major"
    rid = ok.json()["id"]
    off = admin.patch(f"/api/v1/lifecycle/rules/{rid}", json={"enabled": False, "version": 1})
    assert off.status_code == 200 and off.json()["enabled"] is False
    assert admin.patch(f"/api/v1/lifecycle/rules/{rid}", json={"enabled": True, "version": 1}).status_code == 409


def test_acknowledge_records_who_and_once(db, fleet, client_as):
    t, p, a, _ = fleet
    rule(db, t, product_id=p.id)
    send(db, t, a, "vibration", [5.0])
    dispatch(db)
    engineer = make_user(db, t, Role.engineer)
    c = client_as(engineer)
    listed = c.get("/api/v1/lifecycle/alarms", params={"status": "open"}).json()["items"]
    assert [x["asset_id"] for x in listed] == [a.id]
    r = c.post(f"/api/v1/lifecycle/alarms/{listed[0]['id']}/acknowledge", json={})
    assert r.status_code == 200 and r.json()["status"] == "acknowledged" and r.json()["acknowledged_by"] == engineer.id
    again = c.post(f"/api/v1/lifecycle/alarms/{listed[0]['id']}/acknowledge", json={})
    assert again.status_code == 409
    assert (
        c.post("/api/v1/lifecycle/rules", json={"name": "x", "product_id": p.id, "spec": VIBRATION}).status_code == 403
    )


def test_events_handled_out_of_order_give_the_same_alarms(db, fleet):
    """Two dispatchers may take the events of two transactions in either order."""
    from somp.core.events import OutboxEvent
    from somp.modules.telemetry.events import ReadingsStored

    t, p, a, _ = fleet
    rule(db, t, product_id=p.id)
    send(db, t, a, "vibration", [1.0], start=T0 - dt.timedelta(hours=1))
    dispatch(db)  # the rule has a state on the asset from here on
    send(db, t, a, "vibration", [2.0, 3.0, 4.6, 5.0])
    send(db, t, a, "vibration", [3.0, 2.0], start=T0 + dt.timedelta(minutes=10))
    with db.session(Scope.all_tenants()) as s:
        stmt = select(OutboxEvent).where(OutboxEvent.name == "ReadingsStored", OutboxEvent.dispatched_at.is_(None))
        events = [ReadingsStored.model_validate(r.payload) for r in s.scalars(stmt.order_by(OutboxEvent.id.desc()))]
    assert len(events) == 2
    for event in events:  # the later transaction first
        with db.session(Scope.tenant(t.id)) as s:
            service.evaluate_stored(s, event)
            s.commit()
    (al,) = alarms(db, t)
    assert al.raised_at == T0 + dt.timedelta(minutes=2) and al.cleared_at == T0 + dt.timedelta(minutes=10)


def test_the_server_ticks_timer_rules_periodically(db, fleet):
    from somp.api.app import EventDispatcher

    t, p, a, b = fleet
    silence = {"kind": "no_data", "metric": "power", "timeout_seconds": 900}
    rule(db, t, asset_id=a.id, name="无数据", spec={"severity": "minor", "condition": silence})
    send(db, t, a, "power", [30.0])
    dispatcher = EventDispatcher(db, build_bus(), 1.0)
    while dispatcher.bus.dispatch_pending(db):
        pass
    from somp.modules.lifecycle import reactions

    assert reactions.tick in dispatcher.jobs
    reactions.tick(db, T0 + dt.timedelta(minutes=10))
    assert alarms(db, t) == []
    reactions.tick(db, T0 + dt.timedelta(minutes=17))  # 16 minutes of wall clock after the grace minute
    (al,) = alarms(db, t)
    assert al.raised_at == T0 + dt.timedelta(minutes=15) and al.severity.value == "minor"
