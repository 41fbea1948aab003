"""A generated marketplace (framework node 3.4) for the demo and the marketplace-sized benchmark:
factories in Yangtze-delta cities with machines, calendars and maintenance, and buyers with orders
of parts made by chains of operations. Deterministic for a seed; written through the services, so
every row passes the same validation as an API call.

Capabilities are ``<process>_<variant>`` codes (e.g. ``laser_cutting_2``), one per machine, so that
each operation has a handful of eligible machines (the benchmark's 2-5 on average) spread over
several factories.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from somp.core import cn_codes
from somp.core.database import Database
from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing import marketplace, service
from somp.modules.shared_manufacturing.models import BlockKind
from somp.modules.shared_manufacturing.schemas import BlockCreate, OrderCreate, ResourceCreate

CITIES = (  # name, GB/T 2260 code, latitude, longitude
    ("苏州", "320500", 31.30, 120.62),
    ("无锡", "320200", 31.49, 120.31),
    ("常州", "320400", 31.81, 119.97),
    ("南京", "320100", 32.06, 118.80),
    ("上海", "310100", 31.23, 121.47),
    ("杭州", "330100", 30.27, 120.16),
    ("宁波", "330200", 29.87, 121.55),
    ("合肥", "340100", 31.82, 117.23),
)
PROCESSES = (  # code, name, CNY per hour (low, high), pieces per hour
    ("cnc_milling", "数控铣", (90, 180), 12),
    ("cnc_turning", "数控车", (70, 140), 20),
    ("laser_cutting", "激光切割", (80, 160), 40),
    ("sheet_bending", "折弯", (50, 90), 60),
    ("welding", "焊接", (60, 110), 15),
    ("injection_moulding", "注塑", (100, 220), 120),
    ("grinding", "磨削", (80, 150), 10),
    ("surface_treatment", "表面处理", (40, 90), 80),
    ("heat_treatment", "热处理", (60, 120), 50),
    ("assembly", "装配", (50, 80), 25),
)
FAMILIES = ("steel", "stainless", "aluminium", "copper")  # setup families (material) with ``changeovers``
CHANGEOVER_DEFAULT = 30  # minutes between two families the matrix does not list
CHANGEOVER = {  # minutes: light to heavy cleaning / tooling changes
    "steel": {"stainless": 60, "aluminium": 45},
    "stainless": {"steel": 20, "aluminium": 45},
    "aluminium": {"steel": 20, "stainless": 60, "copper": 90},
    "copper": {"aluminium": 90},
}
CALENDARS = (
    {},  # around the clock
    {"utc_offset_hours": 8, "shifts": [{"days": [0, 1, 2, 3, 4, 5], "start": "06:00", "end": "22:00"}]},
    {
        "utc_offset_hours": 8,
        "shifts": [{"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "20:00"}],
        "breaks": [{"start": "12:00", "end": "13:00"}],
    },
)


def uscc(n: int, region: str) -> str:
    body = f"{n:08d}"
    first17 = "91" + region + body + cn_codes.org_code_check_character(body)
    return first17 + cn_codes.uscc_check_character(first17)


@dataclass
class FactoryPlan:
    name: str
    region: str
    resources: list[ResourceCreate] = field(default_factory=list)
    blocks: list[tuple[int, BlockCreate]] = field(default_factory=list)  # (resource index, block)


@dataclass
class BuyerPlan:
    name: str
    region: str
    orders: list[OrderCreate] = field(default_factory=list)


@dataclass
class MarketPlan:
    factories: list[FactoryPlan]
    buyers: list[BuyerPlan]

    @property
    def machines(self) -> int:
        return sum(len(f.resources) for f in self.factories)

    @property
    def orders(self) -> int:
        return sum(len(b.orders) for b in self.buyers)


def generate(
    *,
    seed: int = 3,
    factories: int = 4,
    machines: int = 12,
    buyers: int = 3,
    orders: int = 8,
    start: dt.datetime,
    ops: tuple[int, int] = (2, 4),
    variants: int | None = None,
    changeovers: bool = False,
) -> MarketPlan:
    """A marketplace plan: ``machines`` spread over ``factories``, ``orders`` over ``buyers``,
    each order one part of ``ops`` operations; ``variants`` per process (default: about four
    machines per capability code). ``changeovers``: every machine publishes the changeovers of
    ``CHANGEOVER`` (scaled by a factor of 0.5-1.5 per machine) and every operation has one of its
    families (drawn from a generator of their own: the rest of the plan is the same as without)."""
    rng = random.Random(seed)
    co_rng = random.Random(f"{seed}:changeovers")
    n_var = variants or max(1, machines // (len(PROCESSES) * 4))
    codes = [(p, v) for p in PROCESSES for v in range(1, n_var + 1)]
    plan = MarketPlan([], [])
    for f in range(factories):
        city = CITIES[f % len(CITIES)]
        plan.factories.append(FactoryPlan(f"{city[0]}共享工厂{f + 1:02d}", city[1]))
    offered: list[str] = []
    for m in range(machines):
        fp = plan.factories[m % factories]
        city = next(c for c in CITIES if c[1] == fp.region)
        (code, name, (lo, hi), rate), var = codes[m % len(codes)] if m < len(codes) else rng.choice(codes)
        cap = f"{code}_{var}"
        offered.append(cap)
        k = len(fp.resources) + 1
        fp.resources.append(
            ResourceCreate(
                code=f"M{k:03d}",
                name=f"{name}{var}号机",
                hourly_rate=Decimal(rng.randint(lo, hi)).quantize(Decimal("0.01")),
                quality_grade=rng.choice(["A", "B", "B", "C"]),
                certifications=["ISO9001"] if rng.random() < 0.6 else [],
                site_name=f"{fp.name}厂区",
                latitude=city[2] + rng.uniform(-0.05, 0.05),
                longitude=city[3] + rng.uniform(-0.05, 0.05),
                region_code=fp.region,
                calendar=rng.choice(CALENDARS),
                capabilities=[{"code": cap, "units_per_hour": str(rate), "setup_minutes": rng.choice([0, 15, 30])}],
            )
        )
        if changeovers:
            f = co_rng.uniform(0.5, 1.5)
            fp.resources[-1] = fp.resources[-1].model_copy(update={
                "changeover_minutes": round(CHANGEOVER_DEFAULT * f),
                "changeover": {a: {b: round(m * f) for b, m in row.items()} for a, row in CHANGEOVER.items()},
            })  # fmt: skip
        if rng.random() < 0.15:
            day = start + dt.timedelta(days=rng.randint(1, 5), hours=rng.randint(0, 20))
            fp.blocks.append((k - 1, BlockCreate(kind=BlockKind.maintenance, start_at=day,
                                                 end_at=day + dt.timedelta(hours=4), note="例行保养")))  # fmt: skip
    caps = sorted(set(offered))
    for b in range(buyers):
        city = CITIES[(b + 3) % len(CITIES)]
        plan.buyers.append(BuyerPlan(f"{city[0]}采购方{b + 1:02d}", city[1]))
    for n in range(orders):
        release = start + dt.timedelta(hours=rng.randint(0, 72))
        k = rng.randint(*ops)
        steps = [{"capability": rng.choice(caps), "minutes": rng.choice([30, 45, 60, 90, 120, 180, 240])}
                 for _ in range(k)]  # fmt: skip
        if changeovers:
            for step in steps:
                step["setup_family"] = co_rng.choice(FAMILIES)
        work = sum(s["minutes"] for s in steps)
        plan.buyers[n % buyers].orders.append(
            OrderCreate(
                title=f"外协订单 {n + 1}",
                release_at=release,
                due_at=release + dt.timedelta(minutes=work * rng.uniform(2.0, 6.0) + 24 * 60),
                weight=rng.choice([1, 1, 2, 3]),
                quality_grade="C",
                parts=[{"name": f"零件{n + 1}", "quantity": str(rng.randint(5, 200)), "operations": steps}],
            )
        )
    return plan


@dataclass
class Loaded:
    factory_ids: list[int]
    buyer_ids: list[int]
    resource_ids: list[int]
    order_ids: list[int]


def load(db: Database, plan: MarketPlan, *, first_uscc: int = 73_000_000, accept: bool = True) -> Loaded:
    """Write the plan: tenants (platform view), then each factory's resources and blocks and each
    buyer's orders in its own tenant session; orders are quoted and (``accept``) accepted."""
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant

    out = Loaded([], [], [], [])
    n = first_uscc
    with db.session(Scope.all_tenants()) as s:
        for party in [*plan.factories, *plan.buyers]:
            n += 1
            t = create_tenant(s, TenantCreate(name=party.name, uscc=uscc(n, party.region), industry_code="C3484",
                                              region_code=party.region, size_class="small"))  # fmt: skip
            (out.factory_ids if isinstance(party, FactoryPlan) else out.buyer_ids).append(t.id)
        s.commit()
    for tid, fp in zip(out.factory_ids, plan.factories, strict=True):
        with db.session(Scope.tenant(tid)) as s:
            ids = [service.create_resource(s, r).id for r in fp.resources]
            for k, block in fp.blocks:
                service.add_block(s, ids[k], block)
            s.commit()
            out.resource_ids += ids
    for tid, bp in zip(out.buyer_ids, plan.buyers, strict=True):
        with db.session(Scope.tenant(tid)) as s:
            for o in bp.orders:
                row = service.post_order(s, o, tid)
                marketplace.quote_order(db, s, row.id)
                if accept:
                    service.accept_order(s, row.id)
                out.order_ids.append(row.id)
            s.commit()
    return out
