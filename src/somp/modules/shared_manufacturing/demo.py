"""Demo data of shared manufacturing (framework node 3.4, 共享制造), loaded by ``somp demo``
(manifest ``demo``) through the services and the marketplace broker, so every row passes the same
rules as an API call: a small market between the demo's main enterprise (the Suzhou compressor
maker, which publishes idle machining capacity and buys sheet-metal work) and the second tenant (the Wuxi
dryer maker, which publishes a laser, a press brake with changeovers between steel and
stainless, and a welding cell, and buys parts from Suzhou). Orders are quoted, accepted and
scheduled by the engine in deterministic mode; the first operation has started, the press brake
has half a day of maintenance.

Every time comes from the scenario (the as-of day, 08:00 Beijing time, is the market's "now"), and
the service-stamped times (created, quoted, accepted) are set from it as well, so the same
scenario writes the same rows (``tests/demo/test_determinism.py``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update

from somp.core.database import Database
from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing.models import BlockKind, Booking, Order, Resource, RunTrigger

SCHEDULE_LIMIT = 5.0  # deterministic time units; the demo market is proved optimal far sooner
DAY_SHIFT = {
    "utc_offset_hours": 8,
    "shifts": [{"days": [0, 1, 2, 3, 4, 5], "start": "08:00", "end": "20:00"}],
    "breaks": [{"start": "12:00", "end": "13:00"}],
}
TWO_SHIFTS = {"utc_offset_hours": 8, "shifts": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "06:00", "end": "22:00"}]}
METALS = ["steel", "aluminium", "stainless"]
ALU_320 = {"part_mm": 320, "materials": "aluminium"}
SUZHOU = {"site_name": "苏州吴中澄湖路厂区", "latitude": 31.262, "longitude": 120.632, "region_code": "320506"}
WUXI = {"site_name": "无锡惠山堰新路厂区", "latitude": 31.683, "longitude": 120.298, "region_code": "320206"}

MAIN_RESOURCES = (  # idle capacity of the compressor maker
    dict(code="SM-CNC5", name="五轴加工中心 DMU 65", hourly_rate="168.00", quality_grade="A",
         certifications=["ISO9001", "IATF16949"], calendar=DAY_SHIFT,
         capabilities=[{"code": "cnc_milling_5axis", "parameters": {"max_part_mm": 650, "materials": METALS}}],
         **SUZHOU),
    dict(code="SM-TURN", name="数控车床 CK6150", hourly_rate="96.00", quality_grade="B",
         certifications=["ISO9001"], calendar=DAY_SHIFT,
         capabilities=[{"code": "cnc_turning", "parameters": {"max_diameter_mm": 500}, "units_per_hour": "12"}],
         **SUZHOU),
)  # fmt: skip
SME_RESOURCES = (  # idle capacity of the dryer maker
    dict(code="WX-LASER", name="光纤激光切割机 6 kW", hourly_rate="130.00", quality_grade="B",
         certifications=["ISO9001"], calendar=TWO_SHIFTS,
         capabilities=[{"code": "laser_cutting", "units_per_hour": "30",
                        "parameters": {"max_thickness_mm": 20, "materials": ["steel", "stainless"]}}],
         **WUXI),
    dict(code="WX-BEND", name="数控折弯机 160 t", hourly_rate="85.00", quality_grade="B",
         certifications=["ISO9001"], calendar=TWO_SHIFTS, changeover_minutes=45,
         changeover={"steel": {"stainless": 90}, "stainless": {"steel": 30}},
         capabilities=[{"code": "sheet_bending", "parameters": {"max_length_mm": 3200}}],
         **WUXI),
    dict(code="WX-WELD", name="机器人焊接单元", hourly_rate="110.00", quality_grade="B",
         certifications=["ISO9001", "ISO3834"], calendar=TWO_SHIFTS,
         capabilities=[{"code": "welding", "parameters": {"materials": ["steel", "stainless"]}}],
         **WUXI),
)  # fmt: skip


def _orders_of_main(now: dt.datetime) -> list[dict[str, Any]]:
    """The compressor maker buys laser-cut, bent and welded sheet parts in Wuxi."""
    return [
        dict(number="MO-DEMO-01", title="空压机底座钣金件", release_at=now, due_at=now + dt.timedelta(days=3),
             weight=2, quality_grade="B", certifications=["ISO9001"],
             parts=[{"name": "底座侧板", "quantity": "40", "operations": [
                        {"capability": "laser_cutting", "parameters": {"thickness_mm": 8, "materials": "steel"}},
                        {"capability": "sheet_bending", "minutes": 120, "setup_family": "steel"},
                        {"capability": "welding", "minutes": 180, "parameters": {"materials": "steel"}}]},
                    {"name": "不锈钢罩壳", "quantity": "20", "operations": [
                        {"capability": "laser_cutting", "parameters": {"thickness_mm": 3, "materials": "stainless"}},
                        {"capability": "sheet_bending", "minutes": 90, "setup_family": "stainless"}]}]),
        dict(number="MO-DEMO-02", title="冷却器支架", release_at=now + dt.timedelta(hours=4),
             due_at=now + dt.timedelta(days=2), quality_grade="C",
             parts=[{"name": "支架", "quantity": "60", "operations": [
                        {"capability": "sheet_bending", "minutes": 60, "setup_family": "steel"}]}]),
    ]  # fmt: skip


def _orders_of_sme(now: dt.datetime) -> list[dict[str, Any]]:
    """The dryer maker buys five-axis milled and turned parts in Suzhou."""
    return [
        dict(number="MO-DEMO-01", title="干燥机阀体精加工", release_at=now, due_at=now + dt.timedelta(days=4),
             weight=3, quality_grade="B", certifications=["ISO9001"],
             parts=[{"name": "切换阀阀体", "quantity": "12", "operations": [
                        {"capability": "cnc_turning"},
                        {"capability": "cnc_milling_5axis", "minutes": 240, "parameters": ALU_320}]}]),
        dict(number="MO-DEMO-02", title="吸附塔法兰", release_at=now + dt.timedelta(days=1),
             due_at=now + dt.timedelta(days=5), quality_grade="B",
             parts=[{"name": "法兰", "quantity": "30", "operations": [{"capability": "cnc_turning"}]}]),
    ]  # fmt: skip


def load(db: Database, loaded: Any) -> None:
    from somp.modules.shared_manufacturing import marketplace, service
    from somp.modules.shared_manufacturing.schemas import BlockCreate, OrderCreate, ResourceCreate

    main, sme = loaded.tenant_ids.get("main"), loaded.tenant_ids.get("sme")
    if main is None or sme is None:
        return
    # the as-of day, 08:00 Beijing time: the market's "now"; the rows were set up the day before
    now = dt.datetime.combine(loaded.scenario.as_of, dt.time(0, 0), dt.UTC)
    created = now - dt.timedelta(days=1)
    for tenant_id, resources in ((main, MAIN_RESOURCES), (sme, SME_RESOURCES)):
        with db.session(Scope.tenant(tenant_id)) as s:
            ids = [service.create_resource(s, ResourceCreate(**r)).id for r in resources]
            if tenant_id == sme:  # the press brake's half-day maintenance on the third day
                start = now + dt.timedelta(days=2, hours=1)
                end = start + dt.timedelta(hours=4)
                block = BlockCreate(kind=BlockKind.maintenance, start_at=start, end_at=end, note="液压系统保养")
                service.add_block(s, ids[1], block)
            s.commit()
    for tenant_id, orders in ((main, _orders_of_main(now)), (sme, _orders_of_sme(now))):
        with db.session(Scope.tenant(tenant_id)) as s:
            for data in orders:
                o = service.post_order(s, OrderCreate(**data), tenant_id)
                marketplace.quote_order(db, s, o.id)
                service.accept_order(s, o.id)
            s.commit()
    marketplace.run_schedule(db, RunTrigger.manual, time_limit=SCHEDULE_LIMIT, now=now, workers=1, deterministic=True)
    # Wuxi's first booking (the laser, working from 06:00) has started on time
    with db.session(Scope.tenant(sme)) as s:
        first = s.scalar(select(Booking).order_by(Booking.start_at, Booking.operation_id).limit(1))
        if first is not None and first.start_at <= now:
            marketplace.record_progress(db, s, first.id, "started", first.start_at)
            s.commit()
    _stamp(db, [main, sme], created)


def _stamp(db: Database, tenant_ids: list[int], at: dt.datetime) -> None:
    """The service-stamped times from the scenario instead of the wall clock."""
    with db.session(Scope.all_tenants()) as s:
        conn = s.connection()
        r, o = Resource.__table__, Order.__table__
        conn.execute(update(r).where(r.c.tenant_id.in_(tenant_ids)).values(created_at=at, updated_at=at))
        conn.execute(
            update(o)
            .where(o.c.tenant_id.in_(tenant_ids))
            .values(created_at=at, updated_at=at, quoted_at=at, accepted_at=at)
        )
        s.commit()
