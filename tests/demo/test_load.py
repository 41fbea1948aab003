"""The full-size demo loaded into a database (once per backend, SQLite and PostgreSQL), then read
back through the services' models, scopes and the KPI service."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from somp.core.auth import Authenticator
from somp.core.identity import Role, Tenant, User
from somp.core.sequences import NumberSequence
from somp.core.tenancy import Scope
from somp.demo.loader import demo_status, load_demo
from somp.demo.scenario import plan_brand_kpis
from somp.modules.assets.lifecycle import AssetFacts, AssetState, check_initial_state, check_transition
from somp.modules.assets.models import Asset, AssetStateChange
from somp.modules.catalog.models import Offering, Priority, Product
from somp.modules.contracts.models import Contract, ContractAsset, ContractStatus
from somp.modules.customers.models import Customer
from somp.modules.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from somp.modules.invoicing.service import money
from somp.modules.kpis.brand import quarters, years
from somp.modules.kpis.service import brand_kpi_series
from somp.modules.workorders.models import WorkOrder
from somp.modules.workorders.schemas import WorkOrderCreate
from somp.modules.workorders.service import open_work_order, sla_deadlines
from tests.demo.conftest import AS_OF, isolated_db

CST = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(scope="module")
def demo(engine):
    """The demo loaded once per backend, in a transaction rolled back after the module."""
    with isolated_db(engine) as database:
        assert demo_status(database) == "empty"
        loaded = load_demo(database, as_of=AS_OF)
        yield SimpleNamespace(db=database, loaded=loaded, tid=loaded.main_tenant_id, plan=loaded.scenario.main)


def in_tenant(demo, customer_id: int | None = None):
    return demo.db.session(Scope.tenant(demo.tid, customer_id))


def test_demo_is_recognised(demo) -> None:
    assert demo_status(demo.db) == "demo"


def test_counts(demo) -> None:
    with in_tenant(demo) as s:
        count = lambda m: s.scalar(select(func.count()).select_from(m))  # noqa: E731
        assert count(Customer) == 40
        assert count(Asset) == 300
        assert count(Product) == 5
        assert count(Offering) == 3
        assert count(Contract) > 2 * count(Customer)  # renewals and follow-on contracts
        assert count(WorkOrder) > 1000
        assert count(Invoice) > 1000
        first_wo, last_wo = s.execute(select(func.min(WorkOrder.opened_at), func.max(WorkOrder.opened_at))).one()
        first_inv, last_inv = s.execute(select(func.min(Invoice.issued_on), func.max(Invoice.issued_on))).one()
    assert (last_wo - first_wo).days >= 700 and last_wo.astimezone(CST).date() <= AS_OF
    assert (last_inv - first_inv).days >= 690 and last_inv <= AS_OF
    with demo.db.session(Scope.tenant(demo.loaded.tenant_ids["sme"])) as s:
        assert 5 <= s.scalar(select(func.count()).select_from(Asset)) <= 15
    with demo.db.session(Scope.all_tenants()) as s:
        roles = {r for (rs,) in s.execute(select(User.roles)) for r in rs}
    assert roles == {r.value for r in Role}


def test_lifecycle_states_are_realistic(demo) -> None:
    with in_tenant(demo) as s:
        states = dict(s.execute(select(Asset.state, func.count()).group_by(Asset.state)).all())
    assert states[AssetState.in_service] > 200
    for st in (
        AssetState.degraded,
        AssetState.failed,
        AssetState.under_maintenance,
        AssetState.upgraded,
        AssetState.retired,
        AssetState.recycled,
    ):
        assert 1 <= states.get(st, 0) <= 20, st
    assert 1 <= states.get(AssetState.delivered, 0) + states.get(AssetState.installed, 0) <= 10


def test_every_timeline_is_a_valid_walk_of_the_state_machine(demo) -> None:
    with in_tenant(demo) as s:
        assets = {a.id: a for a in s.scalars(select(Asset))}
        steps = defaultdict(list)
        for st in s.scalars(select(AssetStateChange).order_by(AssetStateChange.id)):
            steps[st.asset_id].append(st)
    assert set(steps) == set(assets)
    for aid, asset in assets.items():
        walk = steps[aid]
        assert walk[0].from_state is None
        facts = AssetFacts(walk[0].to_state, asset.customer_id, True)
        check_initial_state(facts)
        for prev, st in zip(walk, walk[1:], strict=False):
            assert st.from_state == facts.state and st.at >= prev.at
            sets = check_transition(facts, st.to_state, st.at.astimezone(CST).date())
            facts = AssetFacts(
                st.to_state,
                asset.customer_id,
                True,
                **{
                    k: sets.get(k, getattr(facts, k))
                    for k in ("delivered_on", "installed_on", "commissioned_on", "retired_on")
                },
            )
        assert facts.state == asset.state and walk[-1].at == asset.state_changed_at
        for k in ("delivered_on", "installed_on", "commissioned_on", "retired_on"):
            assert getattr(facts, k) == getattr(asset, k), (asset.serial_number, k)
        assert asset.version == len(walk)


def test_brand_kpis_are_defined_and_plausible_each_quarter(demo) -> None:
    with in_tenant(demo) as s:
        ks = brand_kpi_series(s, quarters(AS_OF, 8))
        ys = brand_kpi_series(s, years(AS_OF, 2))
    for k in ks + ys:
        assert 0.15 < k.service_revenue_share < 0.65, k
        assert k.repurchase_base >= 30 and 0 < k.repurchase_rate < 1, k
        assert 0.2 < k.service_profit_margin < 0.5, k
    # the service revenue share grows over the two years
    shares = [k.service_revenue_share for k in ks]
    assert sum(shares[4:]) / 4 > sum(shares[:4]) / 4 + 0.08
    assert ys[1].service_revenue_share > ys[0].service_revenue_share
    assert ys[0].service_revenue_share < 0.36 and ys[1].service_revenue_share > 0.38


def test_kpis_from_the_database_equal_those_of_the_plan(demo) -> None:
    periods = quarters(AS_OF, 8)
    with in_tenant(demo) as s:
        stored = brand_kpi_series(s, periods)
    planned = plan_brand_kpis(demo.plan, periods)
    for a, b in zip(stored, planned, strict=True):
        assert (a.service_revenue, a.product_revenue, a.service_cost) == (
            b.service_revenue,
            b.product_revenue,
            b.service_cost,
        )
        assert (a.repurchase_base, a.repurchasing_customers) == (b.repurchase_base, b.repurchasing_customers)


def test_customer_user_sees_only_its_customers_rows(demo) -> None:
    auth = Authenticator(demo.db, cache_seconds=0)
    p = auth.login("ruifeng.zhou", "demo-customer-01")
    assert p.roles == frozenset({Role.customer_user})
    scope = p.scope
    assert scope == Scope.tenant(demo.tid, p.customer_id)
    with in_tenant(demo) as s:
        expected = {
            m: s.scalar(select(func.count()).select_from(m).where(m.customer_id == p.customer_id))
            for m in (Asset, Contract, WorkOrder, Invoice)
        }
        all_assets = s.scalar(select(func.count()).select_from(Asset))
    assert expected[Asset] >= 3 and expected[Asset] < all_assets
    with demo.db.session(scope) as s:
        for model, n in expected.items():
            rows = s.scalars(select(model)).all()
            assert len(rows) == n and n > 0, model
            assert {r.customer_id for r in rows} == {p.customer_id}
        assert [c.id for c in s.scalars(select(Customer))] == [p.customer_id]
        assert s.scalars(select(Tenant)).all()[0].id == demo.tid


def test_tenants_are_isolated(demo) -> None:
    sme = demo.loaded.tenant_ids["sme"]
    with demo.db.session(Scope.tenant(sme)) as s:
        serials = set(s.scalars(select(Asset.serial_number)))
        assert serials and all(x.startswith("LQ") for x in serials)
        assert {t.id for t in s.scalars(select(Tenant))} == {sme}
    with in_tenant(demo) as s:
        assert all(x.startswith("CF") for x in s.scalars(select(Asset.serial_number)))
    with demo.db.session(Scope.evaluation()) as s:
        assert s.scalars(select(Asset)).all() == []


def test_work_orders_follow_the_sla_and_coverage_rules(demo) -> None:
    with in_tenant(demo) as s:
        offerings = {o.id: o for o in s.scalars(select(Offering))}
        contracts = {c.id: c for c in s.scalars(select(Contract))}
        covered = {tuple(r) for r in s.execute(select(ContractAsset.contract_id, ContractAsset.asset_id))}
        assets = {a.id: a for a in s.scalars(select(Asset))}
        wos = s.scalars(select(WorkOrder)).all()
    breached = 0
    for w in wos:
        assert w.customer_id == assets[w.asset_id].customer_id
        if w.contract_id is None:
            assert w.response_due_at is None
            continue
        k = contracts[w.contract_id]
        assert (k.id, w.asset_id) in covered
        day = w.opened_at.date()
        assert k.start_date <= day < k.end_date and k.signed_on <= day
        due = sla_deadlines(offerings[k.offering_id], Priority(w.priority), w.opened_at)
        assert (w.response_due_at, w.resolution_due_at) == due
        if w.responded_at and w.response_due_at and w.responded_at > w.response_due_at:
            breached += 1
        if w.resolved_at is not None:
            assert w.responded_at is not None and w.opened_at <= w.responded_at <= w.resolved_at
            assert w.labour_cost == money(w.labour_hours * Decimal("195")) and w.parts_cost is not None
    assert 0.01 < breached / len(wos) < 0.1


def test_no_asset_is_covered_twice(demo) -> None:
    with in_tenant(demo) as s:
        rows = s.execute(
            select(ContractAsset.asset_id, Contract.start_date, Contract.end_date, Contract.number)
            .join(Contract, Contract.id == ContractAsset.contract_id)
            .where(Contract.status.in_((ContractStatus.active, ContractStatus.expired, ContractStatus.terminated)))
        ).all()
    terms = defaultdict(list)
    for aid, start, end, _n in rows:
        terms[aid].append((start, end))
    for spans in terms.values():
        spans.sort()
        for (_s1, e1), (s2, _e2) in zip(spans, spans[1:], strict=False):
            assert s2 >= e1


def test_invoice_amounts_and_numbers(demo) -> None:
    with in_tenant(demo) as s:
        invoices = s.scalars(select(Invoice)).all()
        counters = dict(s.execute(select(NumberSequence.name, NumberSequence.value)).all())
        credit = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.kind == "credit_note"))
        void = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.status == InvoiceStatus.void))
        lines = s.scalar(select(func.count()).select_from(InvoiceLine))
    assert credit >= 3 and void >= 1 and lines > len(invoices)
    highest: dict[str, int] = {}
    for inv in invoices:
        assert inv.net_total == sum(ln.amount for ln in inv.lines)
        assert inv.tax_total == sum(money(ln.amount * ln.tax_rate) for ln in inv.lines)
        for ln in inv.lines:
            assert ln.amount == money(ln.quantity * ln.unit_price)
        prefix, year, n = inv.number.split("-")
        assert int(year) == inv.issued_on.year and prefix == ("CN" if inv.kind == "credit_note" else "INV")
        highest[f"{prefix}-{year}"] = max(highest.get(f"{prefix}-{year}", 0), int(n))
    for name, n in highest.items():
        assert counters[name] == n


def test_numbers_drawn_after_the_load_continue_the_sequence(demo) -> None:
    with in_tenant(demo) as s:
        asset = s.scalars(select(Asset).where(Asset.state == AssetState.in_service).order_by(Asset.id)).first()
        before = s.scalar(select(NumberSequence.value).where(NumberSequence.name == f"WO-{AS_OF.year}"))
        opened = dt.datetime.combine(AS_OF, dt.time(4, 0), dt.UTC)
        wo = open_work_order(
            s, WorkOrderCreate(kind="inspection", asset_id=asset.id, title="演示：新工单", opened_at=opened)
        )
        assert wo.number == f"WO-{AS_OF.year}-{before + 1:06d}"
        s.rollback()


def test_demo_has_a_configurable_compressor_ready_to_configure(demo) -> None:
    """The customization module's demo hook: the compressor model on the sale offering (3.2 C2M)."""
    from somp.modules.customization import service
    from somp.modules.customization.models import ConfigurableOffering
    from somp.modules.customization.schemas import ConfigureRequest

    with in_tenant(demo) as s:
        conf = s.scalar(select(ConfigurableOffering).where(ConfigurableOffering.code == "CF-C2M"))
        assert conf is not None and conf.current_version == 1
        assert s.get(Offering, conf.offering_id).code == "OF-SALE-24"
        result = service.configure(s, conf.id, ConfigureRequest(choices={"m37": True, "desiccant": True}))
        assert result.status == "conflict" and result.conflict.items[0].code == "small_desiccant"
