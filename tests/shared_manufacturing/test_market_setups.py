"""Sequence-dependent setups (changeovers) in the marketplace (framework node 3.4), on SQLite and
PostgreSQL: a resource publishes changeover minutes between setup families, operations carry
their family, the engine gets the setup matrix, the stored plan leaves each changeover before its
operation and charges it, and the quote prices the worst changeover.

The stored plans are checked by :func:`_plan_violations`, written from the rules alone (it reads
the resource's published changeover document itself, sharing no code with the marketplace), and
each engine call by the engine's independent checker (``checker.violations``). The two-family
case is compared with a brute force over every order of the operations on the machine."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing import marketplace, service
from somp.modules.shared_manufacturing.models import Booking, Operation, OperationStatus, Resource
from somp.modules.shared_manufacturing.schemas import ResourceCreate
from tests.factories import make_tenant
from tests.shared_manufacturing.checker import violations
from tests.shared_manufacturing.market import MONDAY, order, post, publish, resource, run

BEND = {"code": "sheet_bending", "parameters": {"max_length_mm": 3000}}


def _changeover(doc: dict, default: int, a: str, b: str) -> int:
    """The rule as the docs state it, kept apart from the marketplace's code."""
    if a == b:
        return 0
    return int((doc or {}).get(a, {}).get(b, default))


def _plan_violations(db, factory_id: int) -> list[str]:
    """Every broken rule of the factory's stored plan: bookings on one resource do not overlap,
    and between two consecutive ones there is at least the changeover from the first's family to
    the second's, which the second booking records as its setup (and pays for)."""
    out = []
    with db.session(Scope.all_tenants()) as s:
        resources = {r.id: r for r in s.scalars(select(Resource).where(Resource.tenant_id == factory_id))}
        bookings = list(s.scalars(select(Booking).where(Booking.tenant_id == factory_id)))
        family = {o.id: o.setup_family or "" for o in s.scalars(select(Operation))}
    for rid, r in resources.items():
        seq = sorted((b for b in bookings if b.resource_id == rid), key=lambda b: b.start_at)
        for k, b in enumerate(seq):
            need = 0
            if k > 0:
                a = seq[k - 1]
                need = _changeover(r.changeover, r.changeover_minutes, family[a.operation_id], family[b.operation_id])
                if b.start_at < a.end_at + dt.timedelta(minutes=need):
                    out.append(f"{b.operation_label} starts {b.start_at}, before {a.end_at} + changeover {need} min")
            if b.setup_minutes != need:
                out.append(f"{b.operation_label} records setup {b.setup_minutes} min, not {need}")
            minutes = Decimal((b.end_at - b.start_at).total_seconds() / 60 + need)
            if b.cost != (minutes * r.hourly_rate / 60).quantize(Decimal("0.01")):
                out.append(f"{b.operation_label} costs {b.cost}, not its machine time with the changeover")
    return out


@pytest.fixture
def spy(monkeypatch):
    """Every engine call of the marketplace, with its problem and result (the real engine runs)."""
    calls = []
    real_solve, real_reschedule = marketplace.solve, marketplace.reschedule

    def solve(problem, opts):
        result = real_solve(problem, opts)
        calls.append((problem, result.operations, result))
        return result

    def reschedule(problem, schedule, now, events, opts):
        result = real_reschedule(problem, schedule, now, events, opts)
        calls.append((result.problem, result.operations, result))
        return result

    monkeypatch.setattr(marketplace, "solve", solve)
    monkeypatch.setattr(marketplace, "reschedule", reschedule)
    return calls


def _bender(**kw):
    return resource("BD-1", [BEND], hourly_rate="120.00", **kw)


def _single(family: str, minutes: int = 60, due_hours: float = 72) -> dict:
    return order(
        [{"name": f"板 {family}", "quantity": 1, "operations": [
            {"capability": "sheet_bending", "minutes": minutes, "setup_family": family}]}],
        due_hours=due_hours,
    )  # fmt: skip


def test_two_families_are_grouped_on_the_machine_the_exact_optimum_of_a_brute_force(db, spy):
    factory, buyer = make_tenant(db, name="折弯厂"), make_tenant(db, name="买方乙")
    publish(db, factory.id, _bender(changeover_minutes=120))
    families = ["steel", "aluminium", "steel", "aluminium"]
    for f in families:  # posted alternating: in posting order it would change over three times
        post(db, buyer.id, _single(f))
    r = run(db, objective="makespan", time_limit=10)
    assert r.status == "optimal" and r.gap == 0
    # brute force over every order of the four one-hour operations: 8 units per changeover (2 h)
    best = min(4 * 4 + 8 * sum(a != b for a, b in itertools.pairwise(seq)) for seq in itertools.permutations(families))
    assert best == 24 and r.objective == pytest.approx(best)
    problem, ops, _ = spy[-1]
    assert problem.machines[0].setup is not None and violations(problem, ops) == []
    assert _plan_violations(db, factory.id) == []
    with db.session(Scope.tenant(factory.id)) as s:
        seq = list(s.scalars(select(Booking).order_by(Booking.start_at)))
    with db.session(Scope.tenant(buyer.id)) as s:
        fam = {o.id: o.setup_family for o in s.scalars(select(Operation))}
        planned = {o.id: o for o in s.scalars(select(Operation))}
    order_of = [fam[b.operation_id] for b in seq]
    assert sum(a != b for a, b in itertools.pairwise(order_of)) == 1  # grouped by family
    assert [b.setup_minutes for b in seq] == [0, 0, 120, 0]
    assert seq[-1].end_at - MONDAY == dt.timedelta(hours=6)
    changed = seq[2]
    assert planned[changed.operation_id].setup_minutes == 120
    assert planned[changed.operation_id].cost == changed.cost == Decimal("360.00")  # (60 + 120) min at 120/h


def test_an_asymmetric_matrix_decides_the_order(db, spy):
    """steel -> aluminium takes 15 min, aluminium -> steel 3 h: aluminium goes second."""
    factory, buyer = make_tenant(db, name="折弯厂"), make_tenant(db, name="买方乙")
    publish(
        db,
        factory.id,
        _bender(changeover_minutes=60, changeover={"aluminium": {"steel": 180}, "steel": {"aluminium": 15}}),
    )
    alu = post(db, buyer.id, _single("aluminium"))
    steel = post(db, buyer.id, _single("steel"))
    r = run(db, objective="makespan", time_limit=10)
    assert r.status == "optimal" and r.objective == pytest.approx(4 + 1 + 4)  # 1 h, 15 min, 1 h in units
    problem, ops, _ = spy[-1]
    assert violations(problem, ops) == [] and _plan_violations(db, factory.id) == []
    with db.session(Scope.tenant(buyer.id)) as s:
        by_order = {o.order_id: o for o in s.scalars(select(Operation))}
    assert by_order[steel].planned_start == MONDAY and by_order[steel].setup_minutes == 0
    assert by_order[alu].planned_start == MONDAY + dt.timedelta(minutes=75) and by_order[alu].setup_minutes == 15


def test_a_new_order_leaves_room_for_the_changeover_after_started_work(db, spy):
    factory, buyer = make_tenant(db, name="折弯厂"), make_tenant(db, name="买方乙")
    publish(db, factory.id, _bender(changeover_minutes=90))
    first = post(db, buyer.id, _single("steel"))
    run(db, objective="makespan")
    with db.session(Scope.tenant(factory.id)) as s:
        bk = s.scalar(select(Booking))
        marketplace.record_progress(db, s, bk.id, "started", MONDAY)
        s.commit()
    second = post(db, buyer.id, _single("aluminium"))
    r = run(db, objective="makespan", now=MONDAY + dt.timedelta(minutes=15), full=True)
    assert r.status in ("optimal", "feasible")
    for problem, ops, _ in spy:
        assert violations(problem, ops) == []
    assert _plan_violations(db, factory.id) == []
    with db.session(Scope.tenant(buyer.id)) as s:
        by_order = {o.order_id: o for o in s.scalars(select(Operation))}
    assert by_order[first].status == OperationStatus.started
    # the started steel part runs 08:00-09:00 Beijing; aluminium after it and a 90-minute changeover
    assert by_order[second].planned_start >= MONDAY + dt.timedelta(minutes=150)
    assert by_order[second].setup_minutes == 90


def test_the_quote_prices_the_worst_changeover_into_the_family(db):
    factory, buyer = make_tenant(db, name="折弯厂"), make_tenant(db, name="买方乙")
    publish(db, factory.id, _bender(changeover_minutes=30, changeover={"steel": {"aluminium": 120}}))
    with db.session(Scope.tenant(buyer.id)) as s:
        o = service.post_order(s, _single("aluminium"), buyer.id)
        s.commit()
        marketplace.quote_order(db, s, o.id)
        s.commit()
        assert o.quote_low == Decimal("120.00")  # 60 min after another aluminium part: no changeover
        assert o.quote_cost == Decimal("360.00")  # 60 min + 120 min from steel, at 120 CNY/h
        assert o.quote_fee == Decimal("18.00") and o.quote_total == Decimal("378.00")


def test_changeover_documents_are_validated():
    base = _bender().model_dump()
    with pytest.raises(ValidationError, match="whole minutes"):
        ResourceCreate(**base | {"changeover": {"steel": {"aluminium": -5}}})
    with pytest.raises(ValidationError, match="from family"):
        ResourceCreate(**base | {"changeover": {"steel": 30}})
    with pytest.raises(ValidationError):
        ResourceCreate(**base | {"changeover_minutes": 24 * 60 + 1})
    ok = ResourceCreate(**base | {"changeover": {"steel": {"aluminium": 45}}, "changeover_minutes": 20})
    assert ok.changeover == {"steel": {"aluminium": 45}}
