"""Writes the demo scenario into a database.

Rules-bearing rows (tenants, users, products with their BOM, offerings, customers) go through the
services, so their validation runs. The high-volume rows (assets and their timelines, contracts,
work orders, invoices and lines, document-number counters) are bulk-inserted with SQLAlchemy Core
``executemany`` with an explicit ``tenant_id``, one transaction per tenant; the generator
(:mod:`somp.demo.scenario`) has already applied the services' rules to each of them.

Historic rows are loaded without domain events: the outbox is for things that happen, and
replaying two years of history through the event handlers would make them act on the past.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from somp.core.database import Database
from somp.core.errors import DomainError
from somp.core.identity import Tenant, User
from somp.core.modules import each
from somp.core.sequences import NumberSequence
from somp.core.tenancy import Scope
from somp.demo import reference as ref
from somp.demo.scenario import DEFAULT_SEED, Scenario, TenantPlan, UserPlan, build_scenario, local, uscc_for
from somp.demo.scenario.telemetry import METRICS, FleetTelemetry, count_readings, simulate_telemetry, telemetry_days_for
from somp.modules.assets.models import Asset, AssetStateChange
from somp.modules.catalog.models import Offering, Product
from somp.modules.contracts.models import Contract, ContractAsset
from somp.modules.customers.models import Customer
from somp.modules.invoicing.models import Invoice, InvoiceLine
from somp.modules.workorders.models import WorkOrder

Progress = Callable[[str, int], None]
"""``progress(description, rows_done)``: called as the load advances."""

DEMO_TENANT_USCC = uscc_for(ref.MAIN_TENANT["org_body"], ref.MAIN_TENANT["region_code"])


@dataclass
class DemoLoad:
    scenario: Scenario
    tenant_ids: dict[str, int]
    counts: dict[str, int]
    seconds: float = 0.0
    user_ids: dict[str, int] = field(default_factory=dict)
    telemetry: FleetTelemetry | None = None

    @property
    def main_tenant_id(self) -> int:
        return self.tenant_ids["main"]


def row_count(scenario: Scenario, telemetry_days: float | None = None) -> int:
    """Rows the load writes (for a progress bar's total), telemetry readings included."""
    n = len(scenario.platform_users) + len(scenario.tenants)
    n += count_readings(scenario, days=telemetry_days_for(scenario.scale, telemetry_days))
    for t in scenario.tenants:
        n += len(t.users) + len(t.products) + len(t.offerings) + len(t.customers)
        n += len(t.assets) + sum(len(a.timeline) for a in t.assets)
        n += len(t.contracts) + sum(len(k.assets) for k in t.contracts)
        n += len(t.work_orders) + len(t.invoices) + sum(len(i.lines) for i in t.invoices)
    return n


def demo_status(db: Database) -> str:
    """``"empty"`` (no tenant, no user), ``"demo"`` (the demo is loaded), ``"partial"`` (the demo
    manufacturer exists without its installed base: an interrupted load) or ``"other"``."""
    with db.session(Scope.all_tenants()) as s:
        tid = s.scalar(select(Tenant.id).where(Tenant.uscc == DEMO_TENANT_USCC))
        if tid is not None:
            assets = s.scalar(select(func.count()).select_from(Asset).where(Asset.tenant_id == tid))
            return "demo" if assets else "partial"
        tenants = s.scalar(select(func.count()).select_from(Tenant)) or 0
        users = s.scalar(select(func.count()).select_from(User)) or 0
    return "empty" if tenants == 0 and users == 0 else "other"


def load_demo(
    db: Database,
    *,
    seed: int = DEFAULT_SEED,
    as_of: dt.date,
    scale: float = 1.0,
    progress: Progress | None = None,
    scenario: Scenario | None = None,
    telemetry_days: float | None = None,
) -> DemoLoad:
    """Generate the scenario for ``(seed, as_of, scale)`` and write it; the database must not hold it yet.

    ``telemetry_days``: the window of simulated telemetry before the as-of day's end (default
    :func:`telemetry_days_for` the scale; 0 loads none)."""
    started = time.perf_counter()
    sc = scenario or build_scenario(seed, as_of, scale)
    report = progress or (lambda _d, _n: None)
    report("场景生成 scenario generated", 0)
    loaded = DemoLoad(sc, {}, {})
    _load_platform(db, sc, loaded, report)
    for t in sc.tenants:
        _load_tenant(db, t, loaded, report)
    _load_telemetry(db, sc, loaded, report, telemetry_days_for(sc.scale, telemetry_days))
    _load_monitoring(db, sc, loaded)
    _load_health(db, loaded)
    for _m, load_module_demo in each("demo"):  # the modules' own demo data (manifest ``demo``)
        load_module_demo(db, loaded)
    analyze(db)
    loaded.seconds = time.perf_counter() - started
    return loaded


BULK_TABLES = (
    "assets",
    "asset_state_changes",
    "contracts",
    "contract_assets",
    "work_orders",
    "invoices",
    "invoice_lines",
    "number_sequences",
    "customers",
    "users",
)


def analyze(db: Database) -> None:
    """Refresh the query planner's statistics of the bulk-loaded tables.

    Without them SQLite plans some joins badly on a freshly filled file (loading the lines of every
    invoice took 0.8 s instead of 10 ms here); PostgreSQL's autovacuum would get there, later.
    """
    from sqlalchemy import text

    with db.session(Scope.all_tenants()) as s:
        conn = s.connection()
        if conn.dialect.name == "sqlite":
            for name in BULK_TABLES:
                conn.execute(text(f"ANALYZE {name}"))
        else:
            conn.execute(text(f"ANALYZE {', '.join(BULK_TABLES)}"))
        s.commit()


# --------------------------------------------------------------------------- identity


def _user_create(u: UserPlan, tenant_id: int | None, customer_id: int | None) -> Any:
    from somp.modules.tenants.schemas import UserCreate

    return UserCreate(
        username=u.username,
        display_name=u.display_name,
        email=u.email,
        password=u.password,
        roles=u.roles,
        tenant_id=tenant_id,
        customer_id=customer_id,
        language=u.language,
    )


def _stamp(conn: Connection, table: Table, rows: Iterable[tuple[int, dt.datetime, dt.datetime]]) -> None:
    """Give service-created rows the scenario's creation times (the services stamp the wall clock)."""
    params = [{"_id": i, "_c": c, "_u": u} for i, c, u in rows]
    if not params:
        return
    values = {"created_at": bindparam("_c")}
    if "updated_at" in table.c:
        values["updated_at"] = bindparam("_u")
    conn.execute(update(table).where(table.c.id == bindparam("_id")).values(**values), params)


def _load_platform(db: Database, sc: Scenario, loaded: DemoLoad, report: Progress) -> None:
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant, create_user

    with db.session(Scope.all_tenants()) as s:
        stamps_u, stamps_t = [], []
        for u in sc.platform_users:
            user = create_user(s, _user_create(u, None, None))
            loaded.user_ids[u.username] = user.id
            stamps_u.append((user.id, u.created_at, u.created_at))
        for t in sc.tenants:
            tenant = create_tenant(
                s,
                TenantCreate(
                    name=t.name,
                    name_en=t.name_en,
                    uscc=t.uscc,
                    industry_code=t.industry_code,
                    region_code=t.region_code,
                    size_class=t.size_class,
                    address=t.address,
                ),
            )
            loaded.tenant_ids[t.key] = tenant.id
            stamps_t.append((tenant.id, t.created_at, t.created_at))
        conn = s.connection()
        _stamp(conn, User.__table__, stamps_u)
        _stamp(conn, Tenant.__table__, stamps_t)
        s.commit()
    report("平台用户与租户 platform users and tenants", len(sc.platform_users) + len(sc.tenants))


# --------------------------------------------------------------------------- one tenant


def _load_tenant(db: Database, t: TenantPlan, loaded: DemoLoad, report: Progress) -> None:
    from somp.modules.catalog.schemas import BomItemIn, OfferingCreate, ProductCreate
    from somp.modules.catalog.service import create_offering, create_product
    from somp.modules.customers.schemas import CustomerCreate
    from somp.modules.customers.service import create_customer
    from somp.modules.tenants.service import create_user

    tid = loaded.tenant_ids[t.key]
    with db.session(Scope.tenant(tid)) as s:
        conn = s.connection()
        # ---- catalog, customers and staff through the services
        product_ids: dict[str, int] = {}
        stamps: list[tuple[int, dt.datetime, dt.datetime]] = []
        for p in t.products:
            sp = p.spec
            row = create_product(
                s,
                ProductCreate(
                    code=sp.code,
                    name=sp.name,
                    name_en=sp.name_en,
                    category=sp.category,
                    description=sp.description,
                    spec=sp.spec,
                    list_price=sp.list_price,
                    unit_cost=sp.unit_cost,
                    bom=[
                        BomItemIn(
                            part_number=b.part_number,
                            description=b.description,
                            quantity=b.quantity,
                            unit=b.unit,
                            unit_cost=b.unit_cost,
                            spare_part=b.spare_part,
                        )
                        for b in sp.bom
                    ],
                ),
            )
            product_ids[sp.code] = row.id
            stamps.append((row.id, p.created_at, p.created_at))
        _stamp(conn, Product.__table__, stamps)
        offering_ids: dict[str, int] = {}
        stamps = []
        for o in t.offerings:
            data = {k: v for k, v in o.data.items() if k != "product"}
            row = create_offering(s, OfferingCreate(**data, product_id=product_ids[o.data["product"]]))
            offering_ids[o.code] = row.id
            stamps.append((row.id, o.created_at, o.created_at))
        _stamp(conn, Offering.__table__, stamps)
        report("产品与服务方案 products and offerings", len(t.products) + len(t.offerings))
        customer_ids: dict[str, int] = {}
        stamps = []
        for c in t.customers:
            row = create_customer(
                s,
                CustomerCreate(
                    code=c.code,
                    name=c.name,
                    name_en=c.name_en,
                    uscc=c.uscc,
                    industry_code=c.industry_code,
                    region_code=c.region_code,
                    contact_name=c.contact_name,
                    contact_phone=c.contact_phone,
                    contact_email=c.contact_email,
                    address=c.address,
                    notes=c.notes,
                ),
            )
            customer_ids[c.code] = row.id
            stamps.append((row.id, c.created_at, c.created_at))
        _stamp(conn, Customer.__table__, stamps)
        report("客户 customers", len(t.customers))
        user_ids = dict(loaded.user_ids)
        stamps = []
        for u in t.users:
            row = create_user(s, _user_create(u, tid, customer_ids[u.customer] if u.customer else None))
            user_ids[u.username] = loaded.user_ids[u.username] = row.id
            stamps.append((row.id, u.created_at, u.created_at))
        _stamp(conn, User.__table__, stamps)
        report("用户 users", len(t.users))
        s.flush()

        # ---- the installed base and its timelines (bulk)
        assets = Asset.__table__
        rows = [
            {
                "tenant_id": tid,
                "serial_number": a.serial,
                "product_id": product_ids[a.product],
                "customer_id": customer_ids[a.customer],
                "state": a.state.value,
                "state_changed_at": a.state_changed_at,
                "site_name": a.site_name,
                "site_address": a.site_address,
                "site_region_code": a.site_region_code,
                "latitude": a.latitude,
                "longitude": a.longitude,
                "manufactured_on": a.manufactured_on,
                "delivered_on": a.delivered_on,
                "installed_on": a.installed_on,
                "commissioned_on": a.commissioned_on,
                "warranty_until": a.warranty_until,
                "retired_on": a.retired_on,
                "notes": a.notes,
                "created_at": a.created_at,
                "updated_at": a.updated_at,
                "version": a.version,
            }
            for a in t.assets
        ]
        ids = _insert_returning(conn, assets, rows)
        asset_ids = {a.serial: i for a, i in zip(t.assets, ids, strict=True)}
        report("设备 assets", len(rows))
        changes = [
            {
                "tenant_id": tid,
                "asset_id": asset_ids[a.serial],
                "from_state": st.from_state.value if st.from_state else None,
                "to_state": st.to_state.value,
                "at": st.at,
                "by_user_id": user_ids.get(st.by) if st.by else None,
                "reason": st.reason,
                "source": st.source,
            }
            for a in t.assets
            for st in a.timeline
        ]
        _insert(conn, AssetStateChange.__table__, changes)
        report("设备履历 asset timelines", len(changes))

        # ---- contracts
        contracts = Contract.__table__
        rows = [
            {
                "tenant_id": tid,
                "number": k.number,
                "customer_id": customer_ids[k.customer],
                "offering_id": offering_ids[k.offering],
                "status": k.status,
                "signed_on": k.signed_on,
                "start_date": k.start_date,
                "end_date": k.end_date,
                "renewal_of_id": None,
                "periodic_fee": k.periodic_fee,
                "usage_unit_price": k.usage_unit_price,
                "total_value": k.total_value,
                "notes": k.notes,
                "created_at": k.created_at,
                "updated_at": k.updated_at,
                "version": k.version,
            }
            for k in t.contracts
        ]
        ids = _insert_returning(conn, contracts, rows)
        contract_ids = {k.seq: i for k, i in zip(t.contracts, ids, strict=True)}
        renewals = [
            {"_id": contract_ids[k.seq], "_prev": contract_ids[k.renewal_of.seq], "_u": k.updated_at}
            for k in t.contracts
            if k.renewal_of is not None
        ]
        if renewals:  # the earlier contract's id is known now (updated_at given: no onupdate stamp)
            conn.execute(
                update(contracts)
                .where(contracts.c.id == bindparam("_id"))
                .values(renewal_of_id=bindparam("_prev"), updated_at=bindparam("_u")),
                renewals,
            )
        covered = [
            {"tenant_id": tid, "contract_id": contract_ids[k.seq], "asset_id": asset_ids[s_]}
            for k in t.contracts
            for s_ in k.assets
        ]
        _insert(conn, ContractAsset.__table__, covered)
        report("合同 contracts", len(rows) + len(covered))

        # ---- work orders
        rows = [
            {
                "tenant_id": tid,
                "number": w.number,
                "kind": w.kind,
                "priority": w.priority,
                "status": w.status,
                "source": w.source,
                "asset_id": asset_ids[w.asset],
                "customer_id": customer_ids[w.customer],
                "contract_id": contract_ids[w.contract.seq] if w.contract else None,
                "title": w.title,
                "description": w.description,
                "assignee_user_id": user_ids.get(w.assignee) if w.assignee else None,
                "opened_at": w.opened_at,
                "responded_at": w.responded_at,
                "resolved_at": w.resolved_at,
                "closed_at": w.closed_at,
                "response_due_at": w.response_due_at,
                "resolution_due_at": w.resolution_due_at,
                "labour_hours": w.labour_hours,
                "labour_cost": w.labour_cost,
                "parts_cost": w.parts_cost,
                "travel_cost": w.travel_cost,
                "resolution_notes": w.resolution_notes,
                "created_at": w.created_at,
                "updated_at": w.updated_at,
                "version": w.version,
            }
            for w in t.work_orders
        ]
        _insert(conn, WorkOrder.__table__, rows)
        report("工单 work orders", len(rows))

        # ---- invoices and lines
        rows = [
            {
                "tenant_id": tid,
                "number": i.number,
                "kind": i.kind,
                "status": i.status,
                "customer_id": customer_ids[i.customer],
                "contract_id": contract_ids[i.contract.seq] if i.contract else None,
                "issued_on": i.issued_on,
                "period_start": i.period_start,
                "period_end": i.period_end,
                "due_on": i.due_on,
                "currency": "CNY",
                "net_total": i.net_total,
                "tax_total": i.tax_total,
                "notes": i.notes,
                "created_at": i.created_at,
                "updated_at": i.updated_at,
                "version": i.version,
            }
            for i in t.invoices
        ]
        ids = _insert_returning(conn, Invoice.__table__, rows)
        lines = [
            {
                "tenant_id": tid,
                "invoice_id": inv_id,
                "line_no": n,
                "category": ln.category,
                "description": ln.description,
                "quantity": ln.quantity,
                "unit": ln.unit,
                "unit_price": ln.unit_price,
                "amount": ln.amount,
                "tax_rate": ln.tax_rate,
                "cost_amount": ln.cost_amount,
                "asset_id": asset_ids[ln.asset] if ln.asset else None,
                "product_id": product_ids[ln.product] if ln.product else None,
            }
            for inv, inv_id in zip(t.invoices, ids, strict=True)
            for n, ln in enumerate(inv.lines, start=1)
        ]
        _insert(conn, InvoiceLine.__table__, lines)
        report("发票 invoices", len(rows) + len(lines))

        # ---- document-number counters, so numbers drawn later continue after the loaded ones
        _insert(
            conn,
            NumberSequence.__table__,
            [{"tenant_id": tid, "name": name, "value": value} for name, value in t.sequences.items()],
        )
        s.commit()
    loaded.counts[t.key] = len(t.assets)


# --------------------------------------------------------------------------- simulated telemetry
# (issue 3, framework node 3.6): readings of the main tenant's compressors, written through the
# telemetry ingest path (roll-ups and batch ids included); the metric catalogue is created first,
# with names, units and valid ranges, so the ingest finds it.

TELEMETRY_BATCH_READINGS = 200_000  # readings per ingest transaction


def _load_telemetry(db: Database, sc: Scenario, loaded: DemoLoad, report: Progress, days: float) -> None:
    from somp.modules.telemetry.ingest import Ingestor, Item, Source
    from somp.modules.telemetry.models import Metric, MetricKind

    if days <= 0:
        return
    tel = simulate_telemetry(sc, days=days)
    loaded.telemetry = tel
    tid = loaded.tenant_ids["main"]
    with db.session(Scope.tenant(tid)) as s:
        conn = s.connection()
        serials = [x.serial for x in tel.series]
        asset_ids = dict(
            conn.execute(select(Asset.serial_number, Asset.id).where(Asset.serial_number.in_(serials))).all()
        )
        created = local(sc.go_live, 9)  # the gateways have reported since the platform went live
        _insert(
            conn,
            Metric.__table__,
            [
                {
                    "tenant_id": tid,
                    "key": m.key,
                    "name": m.name,
                    "name_en": m.name_en,
                    "unit": m.unit,
                    "kind": MetricKind.gauge,
                    "min_valid": m.min_valid,
                    "max_valid": m.max_valid,
                    "created_at": created,
                }
                for m in METRICS
            ],
        )
        s.commit()
    ingestor = Ingestor(db)
    batch: list[Item] = []
    size = 0
    for n, series in enumerate(tel.series, start=1):
        batch.append(Item(Source(tid, asset_ids[series.serial], "file"), series.columns, b""))
        size += len(series.columns)
        last = n == len(tel.series)
        if size >= TELEMETRY_BATCH_READINGS or last:
            outcomes = ingestor.ingest_many(batch, tel.end)
            refused = [o for o in outcomes if not o.ok]
            if refused:
                raise RuntimeError(f"simulated telemetry refused by the ingest path: {refused[0].error}")
            report("遥测数据 simulated telemetry", size)
            batch, size = [], 0


# --------------------------------------------------------------------------- monitoring
# (issue 3, 3.6): alarm rules on the main tenant's compressors. They are evaluated when the server
# dispatches the telemetry's ReadingsStored events, so alarms, asset states and work orders
# appear on their own after `somp demo` starts (not written here).

DEMO_RULES = (
    # name, severity, condition, reaction
    (
        "振动超限（ISO 10816 C 区） Vibration in zone C",
        "major",
        {"kind": "threshold", "metric": "vibration", "op": ">", "value": 4.5, "clear_value": 3.8, "for_seconds": 3600},
        "predictive",
    ),
    (
        "振动达到停机值 Vibration at trip level",
        "critical",
        {"kind": "threshold", "metric": "vibration", "op": ">=", "value": 7.1, "clear_value": 4.5},
        "corrective",
    ),
    (
        "排气温度高 Discharge temperature high",
        "critical",
        {"kind": "threshold", "metric": "temperature", "op": ">=", "value": 100.0, "clear_value": 95.0,
         "for_seconds": 1800},
        "corrective",
    ),
    (
        "数据中断 No data for 6 hours",
        "minor",
        {"kind": "no_data", "metric": "power", "timeout_seconds": 21600},
        "none",
    ),
)  # fmt: skip


def _load_monitoring(db: Database, sc: Scenario, loaded: DemoLoad) -> None:
    from somp.modules.catalog.models import Product
    from somp.modules.lifecycle.models import RuleKind
    from somp.modules.lifecycle.schemas import AlarmRuleCreate
    from somp.modules.lifecycle.service import create_rule

    if loaded.telemetry is None:
        return
    tid = loaded.tenant_ids["main"]
    with db.session(Scope.tenant(tid)) as s:
        serials = [x.serial for x in loaded.telemetry.series]
        products = s.scalars(
            select(Product.id).join(Asset, Asset.product_id == Product.id).where(Asset.serial_number.in_(serials))
            .distinct().order_by(Product.id)
        ).all()  # fmt: skip
        rules = []
        for pid in products:
            for name, severity, condition, reaction in DEMO_RULES:
                spec = {"severity": severity, "condition": condition}
                rules.append(create_rule(s, AlarmRuleCreate(name=name, product_id=pid, spec=spec, reaction=reaction)))
            # a jump of vibration against its last day (72 readings), at least 10 robust standard
            # deviations and never less than 0.3 mm/s per deviation (load changes move it that much)
            anomaly = {"metric": "vibration", "window_size": 72, "raise_above": 10, "clear_below": 4, "min_scale": 0.3}
            rules.append(create_rule(s, AlarmRuleCreate(name="振动异常 Vibration anomaly", kind=RuleKind.anomaly,
                                                        product_id=pid, spec=anomaly)))  # fmt: skip
        for rule in rules:  # deterministic like every demo row: set up when the platform went live
            rule.created_at = rule.updated_at = local(sc.go_live, 9)
        s.commit()


def _load_health(db: Database, loaded: DemoLoad) -> None:
    """A RUL model per compressor model that failed at least twice inside the telemetry window
    (reduced training configuration: the demo has a few days of data, not years), then the fleet
    scored as of the window's end: health scores, and prediction alarms below the SLA threshold
    of the care and compressed-air offerings (their work orders follow when the server starts)."""
    from somp.modules.catalog.models import Product
    from somp.modules.lifecycle import health
    from somp.modules.lifecycle.models import RulModelRecord
    from somp.modules.lifecycle.rul import RulConfig

    tel = loaded.telemetry
    if tel is None:
        return
    tid = loaded.tenant_ids["main"]
    with db.session(Scope.tenant(tid)) as s:
        products = s.scalars(select(Product.id).order_by(Product.id)).all()
        candidates = [p for p in products if sum(1 for t in health.failures(s, p).values() if t > tel.start) >= 2]
    for pid in candidates:
        try:
            health.train_product_model(db, tid, pid, ["vibration", "temperature", "power"], config=RulConfig.fast())
        except DomainError:
            continue  # fewer than two failures with telemetry of every metric
    with db.session(Scope.tenant(tid)) as s:
        for rec in s.scalars(select(RulModelRecord)):
            rec.trained_at = tel.end  # deterministic, like every demo row
        s.commit()
    health.score_tenant(db, tid, now=tel.end)


# --------------------------------------------------------------------------- helpers


def _insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _insert_returning(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows and return their new ids in the order of ``rows`` (one round trip per batch)."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return [r[0] for r in conn.execute(stmt, rows)]
