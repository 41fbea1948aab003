"""The marketplace flow on SQLite and PostgreSQL: publish, post, quote, accept, schedule, track,
settle, reschedule after a breakdown, and who sees what (framework node 3.4)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest
from sqlalchemy import select

from somp.core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing import marketplace, service
from somp.modules.shared_manufacturing.matching import available_windows, haversine_km
from somp.modules.shared_manufacturing.models import (
    BlockKind,
    Booking,
    Operation,
    OperationStatus,
    Order,
    OrderStatus,
    Payout,
    Resource,
    RunTrigger,
    ScheduleChange,
)
from somp.modules.shared_manufacturing.schemas import BlockCreate, ResourceUpdate
from tests.factories import make_tenant
from tests.shared_manufacturing.market import DAY_SHIFT, MONDAY, order, post, publish, resource, run

LASER = {"code": "laser_cutting", "parameters": {"max_thickness_mm": 20, "materials": ["steel", "stainless"]}}
MILL = {"code": "cnc_milling_5axis", "parameters": {"max_part_mm": 500}}


def _ops(db, tenant_id: int, order_id: int) -> list[Operation]:
    with db.session(Scope.tenant(tenant_id)) as s:
        return list(s.scalars(select(Operation).where(Operation.order_id == order_id).order_by(Operation.id)))


def _bookings(db, tenant_id: int) -> list[Booking]:
    with db.session(Scope.tenant(tenant_id)) as s:
        return list(s.scalars(select(Booking).order_by(Booking.start_at)))


@pytest.fixture
def market(db):
    """Two factories 85 km apart (Suzhou, Shanghai) and one buyer."""
    suzhou, shanghai, buyer = (
        make_tenant(db, name="苏州精工"),
        make_tenant(db, name="上海激光"),
        make_tenant(db, name="买方甲"),
    )
    s_ids = publish(
        db,
        suzhou.id,
        resource("SZ-L1", [LASER], hourly_rate="100.00"),
        resource("SZ-M1", [MILL], hourly_rate="150.00", quality_grade="A", certifications=["ISO9001"]),
    )
    h_ids = publish(
        db,
        shanghai.id,
        resource(
            "SH-L1",
            [LASER],
            hourly_rate="160.00",
            site_name="上海金桥",
            latitude=31.25,
            longitude=121.60,
            region_code="310115",
        ),
    )
    return {"suzhou": suzhou, "shanghai": shanghai, "buyer": buyer, "sz": s_ids, "sh": h_ids}


def test_quote_is_the_price_range_of_eligible_published_resources_plus_the_platform_fee(db, market):
    data = order(
        [
            {
                "name": "底板",
                "quantity": "10",
                "operations": [
                    {
                        "capability": "laser_cutting",
                        "parameters": {"thickness_mm": 12, "materials": "steel"},
                        "minutes": 90,
                    }
                ],
            }
        ]
    )
    oid = post(db, market["buyer"].id, data, accept=False)
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        o = s.get(Order, oid)
        # 90 min at 100 and at 160 CNY/h: 150.00 .. 240.00; the binding ceiling 240.00 + 5 % = 12.00
        assert (o.quote_low, o.quote_cost, o.quote_fee, o.quote_total) == (
            Decimal("150.00"),
            Decimal("240.00"),
            Decimal("12.00"),
            Decimal("252.00"),
        )
        assert o.status == OrderStatus.quoted


def test_quote_refuses_an_operation_no_published_resource_can_do_and_names_it(db, market):
    data = order(
        [
            {
                "name": "厚板",
                "quantity": "1",
                "operations": [
                    {"capability": "laser_cutting", "parameters": {"thickness_mm": 12}, "minutes": 30},
                    {"capability": "laser_cutting", "parameters": {"thickness_mm": 25}, "minutes": 30},
                ],
            }
        ]
    )
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        o = service.post_order(s, data, market["buyer"].id)
        s.commit()
        with pytest.raises(ValidationFailed) as e:
            marketplace.quote_order(db, s, o.id)
    assert [x.field for x in e.value.errors] == ["parts[0].operations[1]"]
    assert e.value.errors[0].code == "no_capacity"


def test_grade_and_certifications_limit_the_eligible_resources(db, market):
    # grade A with ISO9001: only SZ-M1 qualifies (the lasers are grade B)
    data = order(
        [{"name": "壳体", "quantity": "4", "operations": [{"capability": "cnc_milling_5axis", "minutes": 60}]}],
        quality_grade="A",
        certifications=["ISO9001"],
    )
    oid = post(db, market["buyer"].id, data)
    run(db)
    (op,) = _ops(db, market["buyer"].id, oid)
    assert op.resource_id == market["sz"][1] and op.factory_label == "苏州精工"
    bad = order(
        [{"name": "壳体", "quantity": "4", "operations": [{"capability": "laser_cutting", "minutes": 60}]}],
        quality_grade="A",
    )
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        o = service.post_order(s, bad, market["buyer"].id)
        with pytest.raises(ValidationFailed):
            marketplace.quote_order(db, s, o.id)


def test_schedule_places_every_operation_feasibly_and_books_it_in_the_right_factory(db, market):
    with db.session(Scope.tenant(market["suzhou"].id)) as s:  # the Suzhou laser works day shifts only
        service.update_resource(s, market["sz"][0], ResourceUpdate(calendar=DAY_SHIFT))
        s.commit()
    parts = [
        {
            "name": f"件{k}",
            "quantity": "5",
            "operations": [
                {"capability": "laser_cutting", "minutes": 120},
                {"capability": "cnc_milling_5axis", "minutes": 90},
            ],
        }
        for k in range(3)
    ]
    oid = post(db, market["buyer"].id, order(parts, due_hours=24))
    r = run(db)
    assert r.status in ("optimal", "feasible") and r.operations == 6 and r.unplanned == 0
    ops = _ops(db, market["buyer"].id, oid)
    assert all(op.status == OperationStatus.planned for op in ops)
    by_part: dict[int, list[Operation]] = {}
    for op in ops:
        by_part.setdefault(op.part_id, []).append(op)
    sites = {market["sz"][0]: (31.30, 120.70), market["sz"][1]: (31.30, 120.70), market["sh"][0]: (31.25, 121.60)}
    for chain in by_part.values():
        a, b = sorted(chain, key=lambda o: o.position)
        assert a.planned_start >= MONDAY
        km = haversine_km(*sites[a.resource_id], *sites[b.resource_id])
        hop = 0 if km < 1 else 60 + math.ceil(km / 50 * 60)  # handling + road time at 50 km/h
        assert b.planned_start >= a.planned_end + dt.timedelta(minutes=hop)
    # no two operations overlap on a resource; the day-shift laser works only 08:00-20:00 Beijing time
    windows = available_windows(DAY_SHIFT, MONDAY, MONDAY + dt.timedelta(days=7))
    for rid in sites:
        mine = sorted((op for op in ops if op.resource_id == rid), key=lambda o: o.planned_start)
        for x, y in zip(mine, mine[1:], strict=False):
            assert x.planned_end <= y.planned_start
        if rid == market["sz"][0]:
            for op in mine:
                assert any(a <= op.planned_start and op.planned_end <= b for a, b in windows), op.planned_start
    # the bookings sit in the factories owning the resources, one per operation
    sz, sh = _bookings(db, market["suzhou"].id), _bookings(db, market["shanghai"].id)
    assert {b.operation_id for b in sz} | {b.operation_id for b in sh} == {op.id for op in ops}
    assert all(b.resource_id in market["sz"] for b in sz) and all(b.resource_id in market["sh"] for b in sh)
    assert all(b.buyer_label == "买方甲" for b in sz + sh)
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        assert s.get(Order, oid).status == OrderStatus.scheduled


def test_each_participant_sees_only_its_own_side(db, market):
    oid = post(
        db,
        market["buyer"].id,
        order(
            [
                {
                    "name": "底板",
                    "quantity": "1",
                    "operations": [
                        {"capability": "laser_cutting", "minutes": 60},
                        {"capability": "cnc_milling_5axis", "minutes": 60},
                    ],
                }
            ]
        ),
    )
    other = make_tenant(db, name="买方乙")
    post(
        db,
        other.id,
        order([{"name": "支架", "quantity": "1", "operations": [{"capability": "laser_cutting", "minutes": 60}]}]),
    )
    run(db)
    sz = _bookings(db, market["suzhou"].id)
    with db.session(Scope.tenant(market["shanghai"].id)) as s:
        assert all(b.resource_id == market["sh"][0] for b in s.scalars(select(Booking)))
        assert s.scalars(select(Resource)).all() and all(
            r.tenant_id == market["shanghai"].id for r in s.scalars(select(Resource))
        )
        assert s.scalars(select(Order)).all() == []  # a factory does not read the buyer's order
        for b in sz:
            with pytest.raises(NotFound):
                service.get_booking(s, b.id)
    with db.session(Scope.tenant(market["suzhou"].id)) as s:
        served = service.served_orders(s)
        assert {x.order_id for x in served} <= {b.order_id for b in sz}
        assert all(x.order_id == b.order_id for x in served for b in sz if b.order_id == x.order_id)
    with db.session(Scope.tenant(other.id)) as s:
        assert [o.number for o in s.scalars(select(Order))] != [] and s.get(Order, oid) is None
        with pytest.raises(NotFound):
            service.get_order(s, oid)
        with pytest.raises(NotFound):
            marketplace.quote_order(db, s, oid)
        with pytest.raises(NotFound):
            marketplace.settle_order(db, s, oid)
        assert s.scalars(select(Booking)).all() == []
    # the catalogue names no factory and shows no booking
    entries = marketplace.catalogue(db)
    assert {e.id for e in entries} == set(market["sz"] + market["sh"])
    assert "苏州" not in str([e.model_dump() for e in entries])


def test_progress_reaches_the_buyer_and_settlement_pays_each_factory_within_the_quote(db, market):
    oid = post(
        db,
        market["buyer"].id,
        order(
            [
                {
                    "name": "底板",
                    "quantity": "1",
                    "operations": [
                        {"capability": "laser_cutting", "minutes": 45},
                        {"capability": "cnc_milling_5axis", "minutes": 50},
                    ],
                }
            ]
        ),
    )
    run(db)
    ops = _ops(db, market["buyer"].id, oid)
    owner = {}
    for t in ("suzhou", "shanghai"):
        for b in _bookings(db, market[t].id):
            owner[b.operation_id] = (market[t].id, b.id)
    first, second = ops
    with db.session(Scope.tenant(owner[second.id][0])) as s, pytest.raises(Conflict):
        marketplace.record_progress(db, s, owner[second.id][1], "started")  # the first is not done yet
    t0 = MONDAY + dt.timedelta(hours=1)
    for k, op in enumerate(ops):
        tid, bid = owner[op.id]
        with db.session(Scope.tenant(tid)) as s:
            with pytest.raises(IllegalTransition):
                marketplace.record_progress(db, s, bid, "finished")
            marketplace.record_progress(db, s, bid, "started", t0 + dt.timedelta(hours=2 * k))
            marketplace.record_progress(db, s, bid, "finished", t0 + dt.timedelta(hours=2 * k + 1))
            s.commit()
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        o = service.get_order(s, oid)
        assert o.status == OrderStatus.completed
        assert all(op.status == OperationStatus.finished for op in s.scalars(select(Operation)))
        o = marketplace.settle_order(db, s, oid)
        s.commit()
        cost = sum((op.cost for op in s.scalars(select(Operation))), Decimal("0.00"))
        assert o.settled_cost == cost and o.settled_fee == (cost * Decimal("0.05")).quantize(Decimal("0.01"))
        assert o.settled_total == o.settled_cost + o.settled_fee <= o.quote_total
        assert o.status == OrderStatus.settled
        with pytest.raises(ValidationFailed):
            marketplace.settle_order(db, s, oid)
    paid = Decimal("0.00")
    for t in ("suzhou", "shanghai"):
        with db.session(Scope.tenant(market[t].id)) as s:
            paid += sum((p.amount for p in s.scalars(select(Payout))), Decimal("0.00"))
    assert paid == cost


def test_a_breakdown_replans_the_work_on_that_machine_and_stores_each_sides_diff(db, market):
    oid = post(
        db,
        market["buyer"].id,
        order(
            [
                {"name": f"件{k}", "quantity": "1", "operations": [{"capability": "laser_cutting", "minutes": 60}]}
                for k in range(4)
            ],
            due_hours=6,
        ),
    )
    run(db)
    on_sz = [b for b in _bookings(db, market["suzhou"].id)]
    assert on_sz, "the cheaper Suzhou laser gets work"
    with db.session(Scope.tenant(market["suzhou"].id)) as s:
        _block, hit = service.add_block(
            s,
            market["sz"][0],
            BlockCreate(kind=BlockKind.breakdown, start_at=MONDAY, end_at=MONDAY + dt.timedelta(days=2)),
        )
        s.commit()
    assert hit == len(on_sz)
    r = run(db, trigger=RunTrigger.breakdown)
    assert r.changed >= len(on_sz) and r.unplanned == 0
    ops = _ops(db, market["buyer"].id, oid)
    assert all(op.resource_id == market["sh"][0] for op in ops)  # all on the Shanghai laser now
    assert _bookings(db, market["suzhou"].id) == []
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        mine = list(s.scalars(select(ScheduleChange).where(ScheduleChange.run_id == r.id)))
        assert {c.operation_id for c in mine if c.kind == "reassigned"} >= {b.operation_id for b in on_sz}
        assert all(
            "苏州精工" in c.old_resource and "上海激光" in c.new_resource for c in mine if c.kind == "reassigned"
        )
    with db.session(Scope.tenant(market["suzhou"].id)) as s:
        lost = list(s.scalars(select(ScheduleChange).where(ScheduleChange.run_id == r.id)))
        assert {c.operation_id for c in lost} == {b.operation_id for b in on_sz}
        assert all(c.new_resource is None and "SZ-L1" in c.old_resource for c in lost)  # the other factory unnamed


def test_started_and_soon_starting_operations_keep_their_place_when_an_urgent_order_comes(db, market):
    first = post(
        db,
        market["buyer"].id,
        order(
            [
                {
                    "name": "件",
                    "quantity": "1",
                    "operations": [
                        {"capability": "cnc_milling_5axis", "minutes": 120},
                        {"capability": "cnc_milling_5axis", "minutes": 60},
                    ],
                }
            ]
        ),
    )
    run(db)
    a, b = _ops(db, market["buyer"].id, first)
    (bk,) = [x for x in _bookings(db, market["suzhou"].id) if x.operation_id == a.id]
    with db.session(Scope.tenant(market["suzhou"].id)) as s:
        late = a.planned_start + dt.timedelta(minutes=50)  # started 50 minutes late
        marketplace.record_progress(db, s, bk.id, "started", late)
        s.commit()
    post(
        db,
        market["buyer"].id,
        order(
            [{"name": "急件", "quantity": "1", "operations": [{"capability": "cnc_milling_5axis", "minutes": 30}]}],
            due_hours=3,
            urgent=True,
        ),
    )
    r = run(db, trigger=RunTrigger.urgent, now=MONDAY + dt.timedelta(minutes=60))
    assert r.frozen >= 1
    a2, b2 = _ops(db, market["buyer"].id, first)
    assert (a2.resource_id, a2.planned_start, a2.planned_end, a2.status) == (
        a.resource_id,
        a.planned_start,
        a.planned_end,
        OperationStatus.started,
    )
    # the next operation waits for the started one as it actually runs (from its late start)
    assert b2.planned_start >= late + (a.planned_end - a.planned_start)


def test_cancel_releases_the_bookings(db, market):
    oid = post(
        db,
        market["buyer"].id,
        order([{"name": "件", "quantity": "1", "operations": [{"capability": "laser_cutting", "minutes": 30}]}]),
    )
    run(db)
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        assert marketplace.cancel_order(db, s, oid).status == OrderStatus.cancelled
        s.commit()
    assert _bookings(db, market["suzhou"].id) + _bookings(db, market["shanghai"].id) == []


def test_demand_analysis_finds_short_and_idle_capabilities(db, market):
    # 3 x 40 h of milling against one around-the-clock mill (168 h a week): 71 % -> balanced;
    # a fourth week-long 60 h job makes it short; laser has two machines and no demand -> idle
    parts = [
        {"name": f"件{k}", "quantity": "1", "operations": [{"capability": "cnc_milling_5axis", "minutes": 2400}]}
        for k in range(3)
    ]
    post(db, market["buyer"].id, order(parts, due_hours=200), accept=False)
    rows = marketplace.demand_analysis(db, MONDAY, weeks=1)
    by = {r.capability: r for r in rows}
    assert by["cnc_milling_5axis"].capacity_hours == 168 and by["cnc_milling_5axis"].demand_hours == 120
    assert by["cnc_milling_5axis"].verdict == "balanced"
    assert by["laser_cutting"].capacity_hours == 336 and by["laser_cutting"].verdict == "idle"
    post(
        db,
        market["buyer"].id,
        order(
            [{"name": "大件", "quantity": "1", "operations": [{"capability": "cnc_milling_5axis", "minutes": 2400}]}],
            due_hours=200,
        ),
        accept=False,
    )
    assert {r.capability: r for r in marketplace.demand_analysis(db, MONDAY, 1)}["cnc_milling_5axis"].verdict == "short"


def _plan(db, tenant_id: int, order_id: int) -> dict[int, tuple]:
    return {op.id: (op.resource_id, op.planned_start, op.planned_end) for op in _ops(db, tenant_id, order_id)}


def test_accepting_another_order_reschedules_with_the_least_disruption(db, market):
    steps = [{"capability": "laser_cutting", "minutes": 90}, {"capability": "cnc_milling_5axis", "minutes": 60}]
    first = post(db, market["buyer"].id, order([{"name": f"件{k}", "quantity": "1", "operations": steps}
                                                for k in range(3)]))  # fmt: skip
    r0 = run(db, trigger=RunTrigger.accept)
    assert r0.full and r0.stats["engine"] == "solve"  # nothing planned yet: a full plan
    before = _plan(db, market["buyer"].id, first)
    second = post(db, market["buyer"].id, order([{"name": "新件", "quantity": "1", "operations": steps}], due_hours=4))
    r = run(db, trigger=RunTrigger.accept)
    # the engine's reschedule: the operation starting now is frozen, the 5 other planned ones may
    # move at a penalty, the new order's 2 are fitted in
    assert not r.full and r.stats["engine"] == "reschedule" and r.frozen == 1 and r.operations == 7
    assert r.status == "optimal" and r.stats["events"] == {"breakdowns": 0, "new_jobs": 1}
    after = _plan(db, market["buyer"].id, first)
    moved = {k for k in before if after[k] != before[k]}
    frozen = min(before, key=lambda k: (before[k][1], k))
    assert frozen not in moved and len(moved) == r.stats["summary"]["moved"] < 5
    assert all(op.status == OperationStatus.planned for op in _ops(db, market["buyer"].id, second))
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        lines = list(s.scalars(select(ScheduleChange).where(ScheduleChange.run_id == r.id)))
    assert sorted(c.kind for c in lines if c.kind == "new") == ["new", "new"]
    assert {c.operation_id for c in lines if c.kind != "new"} == moved and r.changed == 2 + len(moved)
    # a full re-plan (the operator's) may move everything that has not started
    full = run(db)
    assert full.full and full.frozen < 6 and full.operations == 8 - full.frozen  # only the frozen horizon stays


def test_a_breakdown_reschedule_moves_only_the_hit_work_and_the_rest_of_its_parts_here(db, market):
    parts = [
        {"name": "甲", "quantity": "1", "operations": [
            {"capability": "cnc_milling_5axis", "minutes": 60}, {"capability": "laser_cutting", "minutes": 60}]},
        {"name": "乙", "quantity": "1", "operations": [{"capability": "laser_cutting", "minutes": 45}]},
    ]  # fmt: skip
    oid = post(db, market["buyer"].id, order(parts, due_hours=72))
    run(db, trigger=RunTrigger.accept)
    before = _plan(db, market["buyer"].id, oid)
    ops = _ops(db, market["buyer"].id, oid)
    mill = next(op for op in ops if op.capability == "cnc_milling_5axis")
    with db.session(Scope.tenant(market["suzhou"].id)) as s:  # the mill breaks under the first operation
        down = BlockCreate(
            kind=BlockKind.breakdown, start_at=mill.planned_start, end_at=mill.planned_start + dt.timedelta(hours=5)
        )
        service.add_block(s, market["sz"][1], down)
        s.commit()
    r = run(db, trigger=RunTrigger.breakdown)
    after = _plan(db, market["buyer"].id, oid)
    moved = {k for k in after if after[k] != before[k]}
    chain = {op.id for op in ops if op.part_id == mill.part_id}
    # part 乙 has 72 h of slack: moving it would only cost penalty
    assert mill.id in moved and moved <= chain and r.status == "optimal"
    assert after[mill.id][1] >= mill.planned_start + dt.timedelta(hours=5)
    assert not r.full and r.stats["events"]["breakdowns"] == 1 and r.changed == len(moved)


def test_a_breakdown_reschedule_keeps_started_and_frozen_work_avoids_the_window_and_moves_less_than_a_full_replan(
    db, market
):
    """Deterministic by construction (objective makespan, every solve proved optimal): four 1-hour
    laser parts booked back to back on the cheap Suzhou laser from 00:00, two milling parts on the
    mill (00:00 started, 01:00 within the frozen hour at 00:15). The laser breaks down 00:00-02:00,
    hitting the two first laser parts. A full re-plan must give the laser one part at 02:00-03:00
    and the Shanghai laser three (makespan 03:15, every other split ends later), so it moves at
    least three laser parts; the reschedule moves only the two hit ones, since moving a third to
    Shanghai would save 3 units of makespan for a penalty of at least 10."""
    laser_parts = [{"name": f"L{k}", "quantity": "1", "operations": [{"capability": "laser_cutting", "minutes": 60}]}
                   for k in range(4)]  # fmt: skip
    mill_parts = [{"name": f"M{k}", "quantity": "1", "operations": [{"capability": "cnc_milling_5axis", "minutes": 60}]}
                  for k in range(2)]  # fmt: skip
    lasers = post(db, market["buyer"].id, order(laser_parts, due_hours=240))
    mills = post(db, market["buyer"].id, order(mill_parts, due_hours=240))
    run(db)
    laser_plan, mill_plan = _plan(db, market["buyer"].id, lasers), _plan(db, market["buyer"].id, mills)
    sz_laser = market["sz"][0]
    assert all(p[0] == sz_laser for p in laser_plan.values())  # the cheaper laser, back to back
    assert sorted(p[1] for p in laser_plan.values()) == [MONDAY + dt.timedelta(hours=h) for h in range(4)]
    first_mill = min(mill_plan, key=lambda k: mill_plan[k][1])
    (bk,) = [b for b in _bookings(db, market["suzhou"].id) if b.operation_id == first_mill]
    with db.session(Scope.tenant(market["suzhou"].id)) as s:
        marketplace.record_progress(db, s, bk.id, "started", MONDAY)
        s.commit()
        _block, hit = service.add_block(
            s, sz_laser, BlockCreate(kind=BlockKind.breakdown, start_at=MONDAY, end_at=MONDAY + dt.timedelta(hours=2))
        )
        s.commit()
    assert hit == 2
    now = MONDAY + dt.timedelta(minutes=15)
    full = run(db, trigger=RunTrigger.breakdown, now=now, full=True, objective="makespan", dry_run=True)
    assert full.full and full.status == "optimal" and full.changed >= 3
    assert _plan(db, market["buyer"].id, lasers) == laser_plan  # the dry run left the plan as it was
    r = run(db, trigger=RunTrigger.breakdown, now=now, objective="makespan")
    assert not r.full and r.status == "optimal" and r.stats["engine"] == "reschedule"
    after = _plan(db, market["buyer"].id, lasers)
    moved = {k for k in laser_plan if after[k] != laser_plan[k]}
    hit_ops = {k for k, p in laser_plan.items() if p[1] < MONDAY + dt.timedelta(hours=2)}
    assert moved == hit_ops and r.changed == 2 < full.changed
    assert _plan(db, market["buyer"].id, mills) == mill_plan  # started and frozen milling kept their place
    assert r.frozen == 2  # the started one (kept outside the engine) and the one within the frozen hour
    window = (MONDAY, MONDAY + dt.timedelta(hours=2))
    for b in _bookings(db, market["suzhou"].id) + _bookings(db, market["shanghai"].id):
        if b.resource_id == sz_laser:
            assert not (b.start_at < window[1] and window[0] < b.end_at)  # nothing in the breakdown
        assert b.start_at >= now or b.operation_id in mill_plan  # re-planned work starts from now


def test_processing_time_per_eligible_resource_from_the_buyer(db, market):
    sh = market["sh"][0]
    steps = [{"capability": "laser_cutting", "minutes_by_resource": {str(sh): 40, "999999": 5}}]
    oid = post(db, market["buyer"].id, order([{"name": "件", "quantity": "1", "operations": steps}]))
    with db.session(Scope.tenant(market["buyer"].id)) as s:
        o = s.get(Order, oid)
        assert o.quote_low == o.quote_cost == Decimal("106.67")  # 40 min at 160 CNY/h, the only listed resource
    run(db)
    (op,) = _ops(db, market["buyer"].id, oid)
    assert op.resource_id == sh and op.planned_end - op.planned_start == dt.timedelta(minutes=40)
    with pytest.raises(ValueError, match="not both"):
        order([{"name": "件", "quantity": "1", "operations": [{"capability": "x", "minutes": 5,
                                                             "minutes_by_resource": {"1": 5}}]}])  # fmt: skip
