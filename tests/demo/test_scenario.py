"""The scenario generator on its own (no database): determinism, reference data and invariants."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

import pytest

from somp.core import cn_codes
from somp.core.security import password_problems
from somp.demo.scenario import DEFAULT_SEED, Scenario, build_scenario, haversine_km, plan_brand_kpis
from somp.modules.assets.lifecycle import AssetFacts, check_initial_state, check_transition
from somp.modules.invoicing.service import money
from somp.modules.kpis.brand import quarters
from tests.demo.conftest import AS_OF


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return build_scenario(DEFAULT_SEED, AS_OF)


def fingerprint(sc: Scenario) -> str:
    h = hashlib.sha256()
    for t in sc.tenants:
        for a in t.assets:
            h.update(
                repr(
                    (a.serial, a.state, a.latitude, a.longitude, [(s.to_state, s.at, s.reason) for s in a.timeline])
                ).encode()
            )
        for k in t.contracts:
            h.update(
                repr((k.number, k.customer, k.status, k.start_date, k.end_date, k.periodic_fee, k.assets)).encode()
            )
        for w in t.work_orders:
            h.update(
                repr(
                    (
                        w.number,
                        w.kind,
                        w.status,
                        w.opened_at,
                        w.responded_at,
                        w.resolved_at,
                        w.labour_cost,
                        w.parts_cost,
                        w.travel_cost,
                    )
                ).encode()
            )
        for i in t.invoices:
            h.update(
                repr(
                    (i.number, i.status, i.issued_on, [(ln.description, ln.quantity, ln.unit_price) for ln in i.lines])
                ).encode()
            )
    return h.hexdigest()


def test_same_seed_and_day_give_the_same_scenario(sc: Scenario) -> None:
    assert fingerprint(build_scenario(DEFAULT_SEED, AS_OF)) == fingerprint(sc)
    assert fingerprint(build_scenario(DEFAULT_SEED + 1, AS_OF)) != fingerprint(sc)
    assert fingerprint(build_scenario(DEFAULT_SEED, AS_OF + dt.timedelta(days=1))) != fingerprint(sc)


def test_as_of_is_required() -> None:
    with pytest.raises(ValueError, match="as_of"):
        build_scenario(DEFAULT_SEED, None)


def test_identity_codes_are_valid(sc: Scenario) -> None:
    main = sc.main
    assert main.industry_code == "C3442"  # GB/T 4754-2017 气体压缩机械制造
    assert main.region_code == "320500" and main.size_class == "medium"
    for t in sc.tenants:
        assert cn_codes.validate_uscc(t.uscc) == t.uscc
        assert t.uscc[2:8] == t.region_code
    assert len({c.uscc for c in main.customers}) == len(main.customers)
    provinces = set()
    for c in main.customers:
        assert cn_codes.validate_uscc(c.uscc) == c.uscc and c.uscc[2:8] == c.region_code
        assert cn_codes.is_manufacturing(c.industry_code) and len(c.industry_code) == 5
        assert cn_codes.region(c.region_code).level == "prefecture"
        provinces.add(c.region_code[:2])
    assert len(provinces) >= 8


def test_sites_sit_at_their_prefecture_centre(sc: Scenario) -> None:
    centres = {p.code: (p.latitude, p.longitude) for p in cn_codes.prefectures()}
    for a in sc.main.assets:
        lat, lon = centres[a.site_region_code]
        assert abs(a.latitude - lat) <= 0.07 and abs(a.longitude - lon) <= 0.07, a.serial
        assert haversine_km((lat, lon), (a.latitude, a.longitude)) < 12


def test_catalog(sc: Scenario) -> None:
    products = sc.main.products
    assert 4 <= len(products) <= 5
    kws = sorted(p.spec.kw for p in products)
    assert kws[0] == 37 and kws[-1] == 132
    assert {p.spec.variable_speed for p in products} == {True, False}
    for p in products:
        assert {"rated_power_kw", "free_air_delivery_m3_min", "working_pressure_bar"} <= set(p.spec.spec)
        assert 6 <= len(p.spec.bom) <= 12
        roles = {b.role for b in p.spec.bom if b.spare_part}
        assert {"air_filter", "oil_filter", "separator", "bearings"} <= roles
        assert all(b.unit_cost > 0 for b in p.spec.bom)
        assert sum(b.unit_cost * b.quantity for b in p.spec.bom) < p.spec.unit_cost < p.spec.list_price
    models = {o.data["price_model"] for o in sc.main.offerings}
    assert models == {"one_time_sale", "subscription", "pay_per_use"}
    caas = next(o for o in sc.main.offerings if o.kind == "caas")
    assert caas.data["usage_unit"] == "m3" and caas.sla_stored["per_priority"]["critical"]["response_hours"] == 2
    assert caas.data["sla"]["availability_target_pct"] == 98.5


def test_demo_passwords_are_acceptable(sc: Scenario) -> None:
    for u in sc.users:
        assert password_problems(u.password) == [], u.username
    assert len({u.username for u in sc.users}) == len(sc.users)
    roles = {r for u in sc.users for r in u.roles}
    assert roles == {"platform_admin", "tenant_admin", "service_manager", "engineer", "customer_user", "evaluator"}


def test_timelines_walk_the_state_machine(sc: Scenario) -> None:
    for t in sc.tenants:
        for a in t.assets:
            first = a.timeline[0]
            assert first.from_state is None
            facts = AssetFacts(first.to_state, a.customer, True)
            check_initial_state(facts)
            dates: dict = {}
            for prev, st in zip(a.timeline, a.timeline[1:], strict=False):
                assert st.from_state == facts.state and st.at >= prev.at
                dates |= check_transition(
                    facts, st.to_state, st.at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
                )
                facts = AssetFacts(
                    st.to_state,
                    a.customer,
                    True,
                    **{k: dates.get(k) for k in ("delivered_on", "installed_on", "commissioned_on", "retired_on")},
                )
            assert facts.state == a.state
            for k in ("delivered_on", "installed_on", "commissioned_on", "retired_on"):
                assert dates.get(k) == getattr(a, k), (a.serial, k)


def test_amounts_are_exact(sc: Scenario) -> None:
    for t in sc.tenants:
        for inv in t.invoices:
            assert inv.lines
            for ln in inv.lines:
                assert ln.amount == money(ln.quantity * ln.unit_price) and ln.quantity > 0
                assert ln.quantity == ln.quantity.quantize(Decimal("0.0001"))
            assert inv.net_total == sum(ln.amount for ln in inv.lines)


@pytest.mark.parametrize(
    "seed,as_of", [(1, dt.date(2026, 6, 30)), (7, dt.date(2025, 12, 31)), (DEFAULT_SEED, dt.date(2026, 9, 30))]
)
def test_kpis_are_plausible_for_other_seeds_and_days(seed: int, as_of: dt.date) -> None:
    ks = plan_brand_kpis(build_scenario(seed, as_of).main, quarters(as_of, 8))
    for k in ks:
        assert 0.1 < k.service_revenue_share < 0.7
        assert 0 < k.repurchase_rate < 1
        assert 0.1 < k.service_profit_margin < 0.55
    shares = [k.service_revenue_share for k in ks]
    assert sum(shares[4:]) / 4 > sum(shares[:4]) / 4 + 0.05


def test_scaled_down_scenario() -> None:
    small = build_scenario(DEFAULT_SEED, AS_OF, scale=0.2)
    assert len(small.main.customers) == 8 and len(small.main.assets) == 60
    assert small.main.work_orders and small.main.invoices
