"""Test data of the marketplace, written through the services (so every row is valid)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from somp.core.database import Database
from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing import marketplace, service
from somp.modules.shared_manufacturing.schemas import OrderCreate, ResourceCreate

# Monday 2026-03-02 00:00 UTC: every test plans from here (08:00 Beijing time)
MONDAY = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC)
DAY_SHIFT = {"utc_offset_hours": 8, "shifts": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "08:00", "end": "20:00"}]}


def resource(code: str, caps: list[dict[str, Any]], **kw: Any) -> ResourceCreate:
    data = {
        "code": code,
        "name": f"机床 {code}",
        "hourly_rate": "120.00",
        "quality_grade": "B",
        "site_name": "苏州工业园",
        "latitude": 31.30,
        "longitude": 120.70,
        "region_code": "320500",
        "calendar": {},
        "capabilities": caps,
    } | kw
    return ResourceCreate(**data)


def publish(db: Database, tenant_id: int, *resources: ResourceCreate) -> list[int]:
    with db.session(Scope.tenant(tenant_id)) as s:
        ids = [service.create_resource(s, r).id for r in resources]
        s.commit()
        return ids


def order(
    parts: list[dict[str, Any]], *, release: dt.datetime = MONDAY, due_hours: float = 48, **kw: Any
) -> OrderCreate:
    data = {
        "title": "法兰盘",
        "release_at": release,
        "due_at": release + dt.timedelta(hours=due_hours),
        "parts": parts,
    } | kw
    return OrderCreate(**data)


def post(db: Database, tenant_id: int, data: OrderCreate, *, accept: bool = True) -> int:
    with db.session(Scope.tenant(tenant_id)) as s:
        o = service.post_order(s, data, tenant_id)
        s.commit()
        marketplace.quote_order(db, s, o.id)
        s.commit()
        if accept:
            service.accept_order(s, o.id)
            s.commit()
        return o.id


def run(db: Database, **kw: Any):
    kw.setdefault("now", MONDAY)
    kw.setdefault("time_limit", 2.0)
    return marketplace.run_schedule(db, **kw)
