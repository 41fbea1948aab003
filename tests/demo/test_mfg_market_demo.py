"""The shared-manufacturing demo market (framework node 3.4, manifest ``demo``): the main
enterprise and the second tenant each publish resources and post orders; the orders are quoted,
accepted and scheduled (proved optimal, deterministic mode), every operation is planned, the plan
keeps each changeover, nothing is dated from the wall clock. Two loads writing the same rows is
tests/demo/test_determinism.py's."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from somp.core.tenancy import Scope
from somp.demo.loader import load_demo
from somp.modules.shared_manufacturing.models import (
    Block,
    Booking,
    Operation,
    OperationStatus,
    Order,
    OrderStatus,
    Resource,
    ScheduleRun,
)
from tests.demo.conftest import AS_OF


def test_the_demo_market_is_published_ordered_and_scheduled_from_the_scenario(db) -> None:
    loaded = load_demo(db, as_of=AS_OF, scale=0.2)
    main, sme = loaded.tenant_ids["main"], loaded.tenant_ids["sme"]
    now = dt.datetime.combine(AS_OF, dt.time(0, 0), dt.UTC)
    with db.session(Scope.all_tenants()) as s:
        resources = {r.id: r for r in s.scalars(select(Resource))}
        orders = list(s.scalars(select(Order)))
        ops = list(s.scalars(select(Operation)))
        bookings = list(s.scalars(select(Booking)))
        blocks = list(s.scalars(select(Block)))
        run = s.scalar(select(ScheduleRun).order_by(ScheduleRun.id.desc()))
        assert {r.tenant_id for r in resources.values()} == {main, sme} and len(resources) == 5
        assert {o.tenant_id for o in orders} == {main, sme} and len(orders) == 4
        assert run.status == "optimal" and run.unplanned == 0 and run.changed == len(ops)
        assert all(o.status in (OrderStatus.scheduled, OrderStatus.in_progress) for o in orders)
        assert all(op.status in (OperationStatus.planned, OperationStatus.started) for op in ops)
        assert sum(op.status == OperationStatus.started for op in ops) == 1
        assert len(bookings) == len(ops) and all(b.start_at >= now for b in bookings)
        # each booking in the tenant of the resource's factory; buyers are the other tenant
        for b in bookings:
            assert b.tenant_id == resources[b.resource_id].tenant_id
        by_op = {op.id: op for op in ops}
        assert all(by_op[b.operation_id].tenant_id != b.tenant_id for b in bookings)
        # the press brake's plan: no overlap, the changeover kept, recorded and charged, not in maintenance
        bend = next(r for r in resources.values() if r.code == "WX-BEND")
        seq = sorted((b for b in bookings if b.resource_id == bend.id), key=lambda b: b.start_at)
        assert len(seq) == 3 and sum(b.setup_minutes > 0 for b in seq) >= 1
        for a, b in zip(seq, seq[1:], strict=False):
            fa, fb = by_op[a.operation_id].setup_family, by_op[b.operation_id].setup_family
            need = 0 if fa == fb else bend.changeover.get(fa, {}).get(fb, bend.changeover_minutes)
            assert b.start_at >= a.end_at + dt.timedelta(minutes=need) and b.setup_minutes == need
        for blk in blocks:
            assert not any(
                b.start_at < blk.end_at and blk.start_at < b.end_at for b in seq if blk.resource_id == bend.id
            )
        # dated from the scenario, not the clock
        assert {o.created_at for o in orders} == {now - dt.timedelta(days=1)}
        assert {r.updated_at for r in resources.values()} == {now - dt.timedelta(days=1)}
