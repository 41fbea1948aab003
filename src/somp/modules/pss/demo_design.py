"""Demo data of PSS design and delivery (framework nodes 2.1.2 and 2.1.5) for the demo's main
enterprise, loaded through the services (so their validation runs) by ``somp demo`` (manifest
``demo``): a component list for each product, the smart-care blueprint (data/design_blueprint_care.yaml)
on every offering with remote monitoring, the product-service interfaces its service items imply,
and a delivery project for each contract signed in the year before the as-of day, progressed
through its stages up to that day (a seeded generator: the same scenario gives the same rows)."""

from __future__ import annotations

import datetime as dt
import random
from importlib.resources import files
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import select, update

from somp.core.database import Database
from somp.core.tenancy import Scope
from somp.modules.catalog.models import Offering, Product
from somp.modules.contracts.models import Contract

BLUEPRINT_FILE = files("somp.modules.pss") / "data" / "design_blueprint_care.yaml"
CHINA = ZoneInfo("Asia/Shanghai")
COMPONENTS = (
    ("airend", "主机（螺杆转子与轴承）", "Airend (rotors and bearings)"),
    ("motor", "电机", "Motor"),
    ("controller", "控制器与传感器", "Controller and sensors"),
    ("cooler", "冷却器", "Cooler"),
    ("separator", "油气分离器", "Oil separator"),
    ("filters", "空滤与油滤", "Air and oil filters"),
)
TOUCHES = {  # service kind -> (component, how)
    "installation": [(c, "installs") for c, *_ in COMPONENTS],
    "remote_monitoring": [("airend", "monitors"), ("motor", "monitors"), ("controller", "monitors")],
    "preventive_maintenance": [("filters", "replaces"), ("separator", "maintains"), ("cooler", "maintains")],
    "predictive_maintenance": [("airend", "inspects"), ("motor", "inspects")],
    "corrective_repair": [("airend", "repairs"), ("motor", "repairs"), ("controller", "repairs")],
    "consumables": [("filters", "replaces"), ("separator", "replaces")],
    "spare_parts": [("airend", "replaces"), ("separator", "replaces"), ("filters", "replaces")],
    "upgrade": [("controller", "upgrades")],
    "energy_audit": [("motor", "inspects"), ("controller", "inspects")],
    "recycling": [(c, "recycles") for c, *_ in COMPONENTS],
}
STAGES = ("plan", "ship", "install", "commission", "acceptance")
NOMINAL_DAYS = {"plan": 3, "ship": 6, "install": 2, "commission": 2, "acceptance": 2}


def load(db: Database, loaded: Any) -> None:
    tenant_id = loaded.tenant_ids.get("main")
    if tenant_id is None:
        return
    sc = loaded.scenario
    at = dt.datetime.combine(sc.go_live, dt.time(1, 0), dt.UTC)
    with db.session(Scope.tenant(tenant_id)) as s:
        _design(s, at)
        _deliveries(s, sc.as_of, random.Random(f"somp-demo:{sc.seed}:pss-delivery"))
        s.commit()


def _design(s, at: dt.datetime) -> None:  # noqa: ANN001
    from somp.modules.pss import design
    from somp.modules.pss.design_models import BlueprintVersion
    from somp.modules.pss.design_schemas import BlueprintVersionCreate, ComponentsIn, InterfacesIn

    comps = ComponentsIn(components=[{"code": c, "name": zh, "name_en": en} for c, zh, en in COMPONENTS])
    for pid in s.scalars(select(Product.id).order_by(Product.code)):
        design.set_components(s, pid, comps)
    doc = yaml.safe_load(BLUEPRINT_FILE.read_text(encoding="utf-8"))
    for o in s.scalars(select(Offering).order_by(Offering.code)):
        kinds = [i.kind.value for i in o.service_items]
        if "remote_monitoring" in kinds:
            row, _ = design.add_blueprint_version(s, o.id, BlueprintVersionCreate(blueprint=doc, note="demo"), None)
            s.execute(update(BlueprintVersion).where(BlueprintVersion.id == row.id).values(created_at=at))
        pairs = {}
        for item in o.service_items:
            for comp, how in TOUCHES.get(item.kind.value, ()):
                pairs.setdefault((item.line_no, comp), how)
        body = [{"service_line_no": n, "component": c, "kind": k} for (n, c), k in sorted(pairs.items())]
        design.set_interfaces(s, o.id, InterfacesIn(interfaces=body))


def _deliveries(s, as_of: dt.date, rng: random.Random) -> None:  # noqa: ANN001
    from somp.modules.pss import delivery
    from somp.modules.pss.design_models import DeliveryEvent, DeliveryProject
    from somp.modules.pss.design_schemas import DeliveryProgress, DeliveryProjectCreate

    first = as_of - dt.timedelta(days=365)
    contracts = s.scalars(
        select(Contract).where(Contract.signed_on >= first, Contract.signed_on <= as_of).order_by(Contract.number)
    ).all()
    for k in contracts:
        start = k.signed_on + dt.timedelta(days=rng.randint(1, 5))
        stages, day = [], start
        for st in STAGES:
            end = day + dt.timedelta(days=NOMINAL_DAYS[st] - 1 + (3 if st == "acceptance" else 0))  # buffer
            stages.append({"stage": st, "planned_start": day, "planned_end": end})
            day = end + dt.timedelta(days=1)
        p = delivery.create_project(s, DeliveryProjectCreate(contract_id=k.id, stages=stages), None)
        day, stamps = start + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2))), [k.signed_on]
        for st in STAGES:
            if day > as_of:
                break
            delivery.progress(s, p.id, DeliveryProgress(event="start", stage=st, on=day), None)
            stamps.append(day)
            length = (
                NOMINAL_DAYS[st] + rng.choice((-1, 0, 0, 0, 1, 2, 4)) if st in ("ship", "install") else NOMINAL_DAYS[st]
            )
            if st == "commission" and rng.random() < 0.18:  # commissioning did not pass the first time
                fail_on = day + dt.timedelta(days=1)
                if fail_on > as_of:
                    break
                delivery.progress(
                    s, p.id, DeliveryProgress(event="fail", stage=st, on=fail_on, note="压力露点未达标"), None
                )
                length += rng.randint(1, 3)
            end = day + dt.timedelta(days=max(1, length) - 1)
            if end > as_of:
                break
            delivery.progress(s, p.id, DeliveryProgress(event="complete", stage=st, on=end), None)
            stamps.append(end)
            day = end + dt.timedelta(days=1)
        created = dt.datetime.combine(stamps[0], dt.time(10), CHINA)
        updated = dt.datetime.combine(max(stamps), dt.time(17), CHINA)
        s.execute(
            update(DeliveryProject).where(DeliveryProject.id == p.id).values(created_at=created, updated_at=updated)
        )
        s.flush()
        for ev in s.scalars(select(DeliveryEvent).where(DeliveryEvent.project_id == p.id)):
            ev.recorded_at = dt.datetime.combine(ev.on, dt.time(17), CHINA)
    s.flush()
