"""The marketplace broker of shared manufacturing (framework node 3.4, 共享制造): the only code that
works across tenants. It reads in the platform scope and writes each fact into the tenant that may
see it (see :mod:`.models`), in one transaction per step:

* :func:`catalogue`: the published resources without owner or bookings;
* :func:`quote_order`: a price range per operation from the eligible published resources'
  hourly rates, the binding ceiling plus the platform fee (exact Decimal CNY);
* :func:`run_schedule`: the engine over the published resources and the open accepted orders,
  within the run's time limit (reading and writing included): a full re-plan
  (:func:`.scheduling.solve`; operations finished, started or starting within the frozen horizon
  keep their place) for manual runs, the engine's reschedule (:func:`.reschedule.reschedule`:
  frozen horizon, penalty on moved operations, blocks over planned work as breakdowns, new work
  fitted in) after an acceptance, an urgent order or a breakdown; bookings are written into the
  factories, the plan into the buyers' operations, and the diff (operation, resource, start, end,
  old against new) into every tenant concerned, for the operations that changed;
* :func:`record_progress`: a factory's "started"/"finished" on its booking reaches the buyer;
* :func:`settle_order`: the buyer pays the machine cost of the operations done plus the fee (never
  above the quote), each factory gets its payout;
* :func:`demand_analysis`: demand by capability and week against the published capacity.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import bindparam, delete, insert, select, text, update
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.errors import Conflict, FieldError, ValidationFailed, illegal_transition
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
from somp.modules.shared_manufacturing import demand as demand_engine
from somp.modules.shared_manufacturing.matching import (
    Offer,
    Placement,
    TransportModel,
    available_windows,
    changeover,
    diff_plans,
    eligible,
    has_changeovers,
    haversine_km,
    machine_cost,
    merge,
    platform_fee,
    subtract,
)
from somp.modules.shared_manufacturing.models import (
    GRADE_RANK,
    OPEN_ORDER_STATUSES,
    Block,
    BlockKind,
    Booking,
    BookingStatus,
    Capability,
    ChangeKind,
    Operation,
    OperationStatus,
    Order,
    OrderStatus,
    Part,
    Payout,
    Resource,
    RunTrigger,
    ScheduleChange,
    ScheduleRun,
)
from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, ObjectiveWeights, Problem, ScheduledOperation
from somp.modules.shared_manufacturing.problem import Operation as EngineOperation
from somp.modules.shared_manufacturing.reschedule import Breakdown, RescheduleOptions, UrgentOrder, reschedule
from somp.modules.shared_manufacturing.scheduling import SolveOptions, solve
from somp.modules.shared_manufacturing.schemas import CapabilityRead, CatalogueEntry

FEE_RATE = Decimal("0.05")  # platform fee on machine cost
MINUTES_PER_UNIT = 15  # the engine's time unit
FROZEN_MINUTES = 60  # planned operations starting this soon keep their place in a re-plan
CALENDAR_DAYS = 28  # calendars are expanded at least this far (and 14 days past the latest due date)
MIX = ObjectiveWeights(makespan=0.01, tardiness=1.0, cost=0.01)  # 1 unit (15 min) late ~ 100 CNY
TRANSPORT = TransportModel()
SHIFT_WEIGHT = 1.0  # re-plans: penalty per unit (15 min) a planned operation's start moves ...
MOVE_WEIGHT = 10.0  # ... and per planned operation that changes resource
WRITE_RESERVE = (0.5, 0.0006)  # seconds of the run's limit kept for writing and commit: fixed + per operation
MIN_ENGINE_SECONDS = 0.2
ADVISORY_LOCK = 73_400_034  # PostgreSQL advisory lock: one schedule run at a time


def _platform(db: Database) -> Session:
    return db.new_session(Scope.all_tenants())


def _joined(db: Database, session: Session) -> Session:
    """A platform-scope session in the caller's transaction (its connection): the broker's writes
    and the caller's commit or roll back together; the caller commits."""
    return db.new_session(Scope.all_tenants(), bind=session.connection())


# ------------------------------------------------------------------------------ catalogue


@dataclass(frozen=True)
class _Published:
    row: Resource
    caps: dict[str, Capability]

    @property
    def offer(self) -> Offer:
        return Offer(
            resource=self.row.id,
            grade_rank=GRADE_RANK[self.row.quality_grade],
            certifications=frozenset(self.row.certifications or ()),
            hourly_rate=self.row.hourly_rate,
            capabilities={c.code: (c.parameters or {}, c.units_per_hour, c.setup_minutes) for c in self.caps.values()},
            changeover_minutes=self.row.changeover_minutes or 0,
            changeover=self.row.changeover,
        )


def _published(s: Session) -> list[_Published]:
    rows = list(s.scalars(select(Resource).where(Resource.published.is_(True)).order_by(Resource.id)))
    caps: dict[int, dict[str, Capability]] = defaultdict(dict)
    if rows:
        for c in s.scalars(select(Capability).where(Capability.resource_id.in_([r.id for r in rows]))):
            caps[c.resource_id][c.code] = c
    return [_Published(r, caps[r.id]) for r in rows]


def catalogue(db: Database, capability: str | None = None) -> list[CatalogueEntry]:
    """Every published resource, anonymous: kind, rate, grade, certifications, region, capabilities."""
    with _platform(db) as s:
        out = []
        for p in _published(s):
            if capability and capability not in p.caps:
                continue
            out.append(
                CatalogueEntry(
                    id=p.row.id,
                    kind=p.row.kind,
                    hourly_rate=p.row.hourly_rate,
                    quality_grade=p.row.quality_grade,
                    certifications=list(p.row.certifications or []),
                    region_code=p.row.region_code,
                    changeover_minutes=p.row.changeover_minutes or 0,
                    changeover=p.row.changeover,
                    capabilities=[
                        CapabilityRead.model_validate(c) for c in sorted(p.caps.values(), key=lambda c: c.code)
                    ],
                )
            )
        return out


def _eligible_for(order: Order, part: Part, op: Operation, offers: list[Offer]) -> list[tuple[Offer, int]]:
    return eligible(
        op.capability,
        op.parameters or {},
        op.minutes,
        part.quantity,
        GRADE_RANK[order.quality_grade],
        order.certifications or (),
        offers,
        None if op.minutes_by_resource is None else {int(k): int(v) for k, v in op.minutes_by_resource.items()},
    )


# ------------------------------------------------------------------------------ quote


def quote_order(db: Database, session: Session, order_id: int) -> Order:
    """Price the buyer's order (``session`` is the buyer's) from the published resources: per
    operation, the cheapest machine time (no changeover: it follows its own family) to the dearest
    machine time plus the resource's worst changeover into the operation's setup family."""
    from somp.modules.shared_manufacturing.service import get_order, parts_of

    order = get_order(session, order_id)
    if order.status not in (OrderStatus.posted, OrderStatus.quoted):
        raise ValidationFailed(
            "order not open for quoting",
            [FieldError("status", f"a {order.status.value} order is not quoted again", "not_quotable")],
        )
    with _joined(db, session) as s:
        published = _published(s)
        s.expunge_all()
    offers = [p.offer for p in published]
    rates = {p.row.id: p.row.hourly_rate for p in published}
    errors, low, high = [], Decimal("0.00"), Decimal("0.00")
    for part, ops in parts_of(session, [order.id])[order.id]:
        for op in ops:
            family = op.setup_family or ""
            found = _eligible_for(order, part, op, offers)
            costs = [machine_cost(m, rates[o.resource]) for o, m in found]
            worst = [machine_cost(m + o.worst_changeover(family), rates[o.resource]) for o, m in found]
            if not costs:
                errors.append(
                    FieldError(
                        f"parts[{part.position - 1}].operations[{op.position - 1}]",
                        f"no published resource offers {op.capability} with these requirements, grade "
                        f"{order.quality_grade.value} and certifications {order.certifications or []}",
                        "no_capacity",
                        params={"capability": op.capability},
                    )
                )
                continue
            op.quote_low, op.quote_high = min(costs), max(worst)
            low += op.quote_low
            high += op.quote_high
    if errors:
        raise ValidationFailed("no capacity for some operations", errors)
    order.quote_low, order.quote_cost = low, high
    order.quote_fee = platform_fee(high, FEE_RATE)
    order.quote_total = high + order.quote_fee
    order.quoted_at = utcnow()
    order.status = OrderStatus.quoted
    session.flush()
    return order


# ------------------------------------------------------------------------------ schedule


def _ceil_units(minutes: float) -> int:
    return max(1, math.ceil(minutes / MINUTES_PER_UNIT))


def _units(origin: dt.datetime, t: dt.datetime, *, up: bool) -> int:
    minutes = (t - origin).total_seconds() / 60
    return math.ceil(minutes / MINUTES_PER_UNIT) if up else math.floor(minutes / MINUTES_PER_UNIT)


def _at(origin: dt.datetime, units: int) -> dt.datetime:
    return origin + dt.timedelta(minutes=units * MINUTES_PER_UNIT)


def _label(resource: Resource) -> str:
    return f"{resource.name} ({resource.code})"


def _seen_by(
    viewer: int, buyer: int, p: Placement | None, resources: dict[int, Resource], factories: dict[int, str]
) -> str | None:
    """How a diff line names a placement for ``viewer``: the buyer sees factory and resource, a
    factory its own resource, and nothing of another factory's."""
    if p is None or p.resource not in resources:
        return None
    r = resources[p.resource]
    if viewer == buyer:
        return f"{factories.get(r.tenant_id, '')} · {_label(r)}"
    return _label(r) if r.tenant_id == viewer else None


@dataclass
class _Task:
    op: Operation
    part: Part
    order: Order
    modes: list[tuple[Offer, int]]


@dataclass
class _Chain:
    """The part of a part's chain a run plans: its operations and the earliest its first one may
    start (the order's release; after a kept prefix, that prefix's end plus the longest transport to
    the next operation's eligible sites)."""

    tasks: list[_Task]
    ready: dt.datetime


@dataclass
class _Market:
    """What a run reads, in the platform scope."""

    published: list[_Published]
    res_by_id: dict[int, Resource]
    all_res: dict[int, Resource]  # published ones and those holding bookings
    offers: list[Offer]
    factories: dict[int, str]
    # the next four: rows of the tables (Core), read through the models' attribute names
    orders: list[Order]
    parts: dict[int, Part]
    ops: list[Operation]
    bookings: dict[int, Booking]
    blocks: dict[int, list[tuple[dt.datetime, dt.datetime]]]
    breakdowns: dict[int, list[tuple[dt.datetime, dt.datetime]]]
    families: dict[str, int] = field(default_factory=dict)  # setup family -> engine family ("" = none: 0)

    def changeover(self, resource_id: int, a: str, b: str) -> int:
        """Minutes to change ``resource_id`` over from family ``a`` to ``b`` (0 for an unknown resource)."""
        r = self.all_res.get(resource_id)
        return 0 if r is None else changeover(r.changeover_minutes or 0, r.changeover, a, b)

    def pads(self, resource_id: int, family: str) -> tuple[int, int]:
        """The longest changeover into and out of ``family`` on the resource, over the run's
        families: kept work is busy time to the engine, widened by these so that whatever the
        engine puts next to it leaves room for the changeover."""
        into = max((self.changeover(resource_id, f, family) for f in self.families), default=0)
        out = max((self.changeover(resource_id, family, f) for f in self.families), default=0)
        return into, out


def run_schedule(
    db: Database,
    trigger: RunTrigger = RunTrigger.manual,
    *,
    time_limit: float = 5.0,
    objective: str = "mix",
    now: dt.datetime | None = None,
    workers: int = 2,
    full: bool | None = None,
    dry_run: bool = False,
    deterministic: bool = False,
) -> ScheduleRun:
    """Re-plan the marketplace and store the run, the plan, the bookings and the diff (one
    transaction). ``time_limit`` bounds the whole run: reading the market, the engine and writing
    the plan (the engine gets what reading leaves, less a reserve for writing); the run records its
    status, bound, gap and the seconds of each phase.

    ``full`` (default for ``manual`` runs): :func:`.scheduling.solve` re-plans every operation that
    has not started and does not start within the frozen horizon. Otherwise (``accept``, ``urgent``,
    ``breakdown``) :func:`.reschedule.reschedule` re-plans with the least disruption: operations
    started or starting within the frozen horizon keep their place unless a block hits them, the
    others may move at a penalty (``SHIFT_WEIGHT`` per 15 minutes, ``MOVE_WEIGHT`` per change of
    resource), the new and pending work is fitted in, and blocks hitting planned work are the
    breakdowns. With nothing planned yet a re-plan is a full one.

    ``dry_run``: roll everything back and return the run (detached) with what it would have changed.

    ``deterministic``: the engine counts ``time_limit`` in CP-SAT's deterministic time (not
    seconds; reading and writing are not counted), so the same market gives the same plan (the
    demo market, :mod:`.demo`)."""
    if full is None:
        full = trigger == RunTrigger.manual
    now = now or utcnow()
    origin = now.replace(second=0, microsecond=0)
    origin += dt.timedelta(minutes=(-origin.minute) % MINUTES_PER_UNIT)
    with _platform(db) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        t0 = time.perf_counter()  # the limit counts from here (not the wait for another run)
        run = _run(s, trigger, origin, t0 + time_limit, time_limit, objective, workers, full, deterministic)
        if dry_run:
            s.expunge(run)
            s.rollback()
        else:
            s.commit()
        run.stats = {**run.stats, "wall_seconds": round(time.perf_counter() - t0, 3)}
        return run


def _read(s: Session, origin: dt.datetime) -> _Market:
    """The open market in a few set-based statements."""
    published = _published(s)
    res_by_id = {p.row.id: p.row for p in published}
    factories = dict(s.execute(select(Tenant.id, Tenant.name)).all())
    # orders, parts, operations and bookings as plain rows (same attribute names, read only here;
    # the run writes with set-based statements): at 2,739 operations, building ORM objects was
    # most of the read
    order_t, part_t, op_t, bk_t = Order.__table__, Part.__table__, Operation.__table__, Booking.__table__
    orders = list(s.execute(select(order_t).where(order_t.c.status.in_(OPEN_ORDER_STATUSES)).order_by(order_t.c.id)))
    open_ids = select(order_t.c.id).where(order_t.c.status.in_(OPEN_ORDER_STATUSES)).scalar_subquery()
    parts = {p.id: p for p in s.execute(select(part_t).where(part_t.c.order_id.in_(open_ids)))} if orders else {}
    ops = list(s.execute(select(op_t).where(op_t.c.order_id.in_(open_ids)).order_by(op_t.c.id)))
    bookings = {b.operation_id: b for b in s.execute(select(bk_t).where(bk_t.c.order_id.in_(open_ids)))}
    all_res = dict(res_by_id)
    missing = {b.resource_id for b in bookings.values()} - set(all_res)
    if missing:
        all_res.update({r.id: r for r in s.scalars(select(Resource).where(Resource.id.in_(missing)))})
    blocks, breakdowns = defaultdict(list), defaultdict(list)
    for b in s.scalars(select(Block).where(Block.end_at > origin)):
        blocks[b.resource_id].append((b.start_at, b.end_at))
        if b.kind == BlockKind.breakdown:
            breakdowns[b.resource_id].append((b.start_at, b.end_at))
    named = sorted({op.setup_family for op in ops if op.setup_family})
    families = {"": 0, **{f: i for i, f in enumerate(named, start=1)}}
    return _Market(published, res_by_id, all_res, [p.offer for p in published], factories, orders, parts, ops,
                   bookings, blocks, breakdowns, families)  # fmt: skip


def _chains(m: _Market, origin: dt.datetime, keeps):  # noqa: ANN001, ANN202
    """Each part's chain split into a kept prefix (``keeps``: busy time on its resource) and the
    rest, to plan. Returns the chains to plan, the kept busy time per resource, the count of kept
    operations, the operations to plan (with the unplannable ones) and the count of unplannable."""
    order_by_id = {o.id: o for o in m.orders}
    by_part: dict[int, list[Operation]] = defaultdict(list)
    for op in m.ops:
        by_part[op.part_id].append(op)
    fixed_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    chains: list[_Chain] = []
    kept = unplannable = 0
    replanned: list[Operation] = []
    for part_id in sorted(by_part):
        chain = sorted(by_part[part_id], key=lambda o: o.position)
        part, order = m.parts[part_id], order_by_id[chain[0].order_id]
        k = 0
        last_end, last_res = None, None
        while k < len(chain) and keeps(chain[k]):
            op_k, b = chain[k], m.bookings.get(chain[k].id)
            if b is not None:
                begin, end = b.start_at, b.end_at
                if op_k.status == OperationStatus.started and op_k.started_at:  # it runs from when it started,
                    # and at least until now when it is overdue
                    begin, end = op_k.started_at, max(end, op_k.started_at + (b.end_at - b.start_at), origin)
                pad_in, pad_out = m.pads(b.resource_id, op_k.setup_family or "")
                if op_k.status == OperationStatus.finished:
                    end = op_k.finished_at or end
                    if pad_out and end + dt.timedelta(minutes=pad_out) > origin:  # the changeover after it
                        fixed_busy[b.resource_id].append((end, end + dt.timedelta(minutes=pad_out)))
                else:
                    fixed_busy[b.resource_id].append(
                        (begin - dt.timedelta(minutes=pad_in), end + dt.timedelta(minutes=pad_out))
                    )
                last_end, last_res = end, b.resource_id
            kept += 1
            k += 1
        rest = chain[k:]
        if not rest:
            continue
        replanned.extend(rest)
        job = [_Task(op, part, order, _eligible_for(order, part, op, m.offers)) for op in rest]
        if any(not t.modes for t in job):
            unplannable += len(rest)
            continue
        ready = order.release_at
        if last_end is not None:
            hop = 0
            if last_res in m.all_res:
                here = m.all_res[last_res]
                hop = max(
                    TRANSPORT.minutes(haversine_km(here.latitude, here.longitude, m.res_by_id[o.resource].latitude,
                                                   m.res_by_id[o.resource].longitude))
                    for o, _ in job[0].modes
                )  # fmt: skip
            ready = max(ready, last_end + dt.timedelta(minutes=hop))
        chains.append(_Chain(job, ready))
    return chains, fixed_busy, kept, replanned, unplannable


def _engine_budget(deadline: float, operations: int) -> float:
    """Seconds left for the engine: to the run's deadline, less a reserve for writing ``operations``
    (``WRITE_RESERVE``: writing 2,739 planned operations, their bookings and 5,478 diff lines took
    0.53 s on SQLite at load 4.5 and 1.82 s at load 5-8, plus the commit; the reserve is 2.1 s)."""
    reserve = WRITE_RESERVE[0] + WRITE_RESERVE[1] * operations
    return max(MIN_ENGINE_SECONDS, deadline - time.perf_counter() - reserve)


def _run(  # noqa: PLR0912, PLR0913, PLR0915 - one pass over the market, kept together for the transaction
    s: Session,
    trigger: RunTrigger,
    origin: dt.datetime,
    deadline: float,
    time_limit: float,
    objective: str,
    workers: int,
    full: bool,
    deterministic: bool = False,
) -> ScheduleRun:
    t_read = time.perf_counter()
    m = _read(s, origin)
    frozen_until = origin + dt.timedelta(minutes=FROZEN_MINUTES)

    def broke(op: Operation) -> bool:
        b = m.bookings[op.id]
        return any(a < b.end_at and b.start_at < e for a, e in m.breakdowns.get(b.resource_id, []))

    def hit(op: Operation) -> bool:
        b = m.bookings[op.id]
        return any(a < b.end_at and b.start_at < e for a, e in m.blocks.get(b.resource_id, []))

    def started_or_done(op: Operation) -> bool:
        if op.status == OperationStatus.finished:
            return True
        return op.status == OperationStatus.started and op.id in m.bookings and not broke(op)

    def keeps_full(op: Operation) -> bool:  # a full re-plan keeps the frozen horizon itself
        if started_or_done(op):
            return True
        b = m.bookings.get(op.id)
        return b is not None and op.status == OperationStatus.planned and b.start_at < frozen_until and not hit(op)

    planned = any(
        op.status == OperationStatus.planned and op.id in m.bookings and m.bookings[op.id].resource_id in m.res_by_id
        for op in m.ops
    )
    full = full or not planned
    chains, fixed_busy, kept, replanned, unplannable = _chains(m, origin, keeps_full if full else started_or_done)
    old = {
        op.id: Placement(op.resource_id, op.planned_start, op.planned_end)
        for op in replanned
        if op.status in (OperationStatus.planned, OperationStatus.started) and op.resource_id and op.planned_start
    }
    run = ScheduleRun(
        trigger=trigger, origin_at=origin, minutes_per_unit=MINUTES_PER_UNIT, time_limit=time_limit,
        objective_name=objective, status="empty", seconds=0.0, orders=len(m.orders), full=full,
        operations=sum(len(c.tasks) for c in chains), resources=len(m.published), frozen=kept, changed=0,
        unplanned=unplannable, stats={},
    )  # fmt: skip
    s.add(run)
    s.flush()
    new: dict[int, Placement] = {}
    phases = {"read": round(time.perf_counter() - t_read, 3)}
    if chains and m.published:
        t_solve = time.perf_counter()
        det = time_limit if deterministic else None
        out = None if full else _reschedule(m, chains, fixed_busy, origin, deadline, objective, workers, det)
        if out is None:  # a full re-plan, or no planned chain left to keep its place
            run.full = True
            result, placed, extra = _solve(m, chains, fixed_busy, origin, deadline, objective, workers, det)
        else:
            result, placed, extra = out
            run.frozen += extra["summary"]["frozen"]
            run.operations -= extra["summary"]["frozen"]
        phases["engine"] = round(time.perf_counter() - t_solve, 3)
        run.status = result.status.value
        run.objective, run.lower_bound = result.objective, result.lower_bound
        run.gap = getattr(result, "gap", None)
        if run.gap is None and result.objective and result.lower_bound is not None:
            run.gap = max(0.0, (result.objective - result.lower_bound) / result.objective)
        run.seconds = round(result.seconds, 3)
        run.stats = json.loads(json.dumps({**result.stats, **extra}, default=str))
        new = placed
        if not placed:
            run.unplanned += run.operations
    elif chains:
        run.status = "no_resources"
        run.unplanned += run.operations

    t_write = time.perf_counter()
    run.changed = _write(s, m, run, replanned, old, new)
    run.stats = {**run.stats, "phases": {**phases, "write": round(time.perf_counter() - t_write, 3)}}
    s.flush()
    return run


def _write(s: Session, m: _Market, run: ScheduleRun, replanned: list[Operation], old, new) -> int:  # noqa: ANN001
    """Store what changed, in bulk statements with explicit tenants (this runs in the platform
    view): the bookings into the factories, the plan into the buyers' operations, the diff once per
    tenant that may see each line; operations whose place did not change are not written. Returns
    the number of changed operations."""
    order_by_id = {o.id: o for o in m.orders}
    status_of = {op.id: op.status for op in m.ops}
    setups = _setups(m, replanned, new)
    todo = []
    for op in replanned:
        p = new.get(op.id)
        want = OperationStatus.planned if p is not None else OperationStatus.pending
        same_setup = (op.setup_minutes or 0) == setups.get(op.id, 0)
        if p is not None and old.get(op.id) == p and op.status == want and op.id in m.bookings and same_setup:
            continue  # unchanged: its rows stay as they are
        if p is None and op.status == want and op.id not in m.bookings:
            continue
        todo.append(op)
        status_of[op.id] = want
    op_rows, booking_rows = [], []
    for op in todo:
        p = new.get(op.id)
        if p is None:
            op_rows.append(dict(v_id=op.id, v_status=OperationStatus.pending, v_resource_id=None,
                                v_resource_label=None, v_factory_label=None, v_planned_start=None, v_planned_end=None,
                                v_setup_minutes=None, v_cost=None, v_started_at=None))  # fmt: skip
            continue
        res = m.res_by_id[p.resource]
        order, part = order_by_id[op.order_id], m.parts[op.part_id]
        minutes = (p.end - p.start).total_seconds() / 60
        setup = setups.get(op.id, 0)
        cost = machine_cost(minutes + setup, res.hourly_rate)  # the changeover is machine time too
        op_rows.append(dict(v_id=op.id, v_status=OperationStatus.planned, v_resource_id=res.id,
                            v_resource_label=_label(res), v_factory_label=m.factories.get(res.tenant_id, ""),
                            v_planned_start=p.start, v_planned_end=p.end, v_setup_minutes=setup, v_cost=cost,
                            v_started_at=None))  # fmt: skip
        booking_rows.append(
            dict(
                tenant_id=res.tenant_id,
                resource_id=res.id,
                operation_id=op.id,
                order_id=order.id,
                run_id=run.id,
                buyer_label=m.factories.get(order.tenant_id, ""),
                order_number=order.number,
                order_due_at=order.due_at,
                part_name=part.name,
                operation_label=f"{part.name} #{op.position} {op.capability}",
                capability=op.capability,
                start_at=p.start,
                end_at=p.end,
                setup_minutes=setup,
                status=BookingStatus.planned,
                cost=cost,
                started_at=None,
                finished_at=None,
            )
        )
    changes = diff_plans(old, new)
    op_by_id = {op.id: op for op in replanned}
    change_rows = []
    for ch in changes:
        op = op_by_id[ch.operation]
        order = order_by_id[op.order_id]
        part = m.parts[op.part_id]
        label = f"{part.name} #{op.position} {op.capability}"
        viewers = {order.tenant_id}
        for p in (ch.old, ch.new):
            if p is not None and p.resource in m.all_res:
                viewers.add(m.all_res[p.resource].tenant_id)
        for viewer in sorted(viewers):
            change_rows.append(
                dict(
                    tenant_id=viewer,
                    run_id=run.id,
                    operation_id=op.id,
                    order_number=order.number,
                    operation_label=label,
                    kind=ChangeKind(ch.kind),
                    old_resource=_seen_by(viewer, order.tenant_id, ch.old, m.all_res, m.factories),
                    old_start=ch.old.start if ch.old else None,
                    old_end=ch.old.end if ch.old else None,
                    new_resource=_seen_by(viewer, order.tenant_id, ch.new, m.all_res, m.factories),
                    new_start=ch.new.start if ch.new else None,
                    new_end=ch.new.end if ch.new else None,
                )
            )
    # -- order status: accepted orders whose work is all placed are scheduled
    ops_of: dict[int, list[OperationStatus]] = defaultdict(list)
    for op in m.ops:
        ops_of[op.order_id].append(status_of[op.id])
    scheduled = [
        o.id
        for o in m.orders
        if o.status == OrderStatus.accepted
        and ops_of[o.id]
        and all(st != OperationStatus.pending for st in ops_of[o.id])
    ]
    # plain Core statements on the session's connection (explicit tenants, platform scope): the
    # ORM's bulk statements spent most of the write phase converting rows and syncing the session
    s.flush()
    conn = s.connection()
    op_t, bk_t, order_t = Operation.__table__, Booking.__table__, Order.__table__
    if todo:
        conn.execute(delete(bk_t).where(bk_t.c.operation_id.in_([op.id for op in todo])))
    if op_rows:
        values = {k[2:]: bindparam(k) for k in op_rows[0] if k != "v_id"}
        conn.execute(update(op_t).where(op_t.c.id == bindparam("v_id")).values(values), op_rows)
    if booking_rows:
        conn.execute(insert(bk_t), booking_rows)
    if change_rows:
        conn.execute(insert(ScheduleChange.__table__), change_rows)
    if scheduled:
        conn.execute(update(order_t).where(order_t.c.id.in_(scheduled)).values(status=OrderStatus.scheduled))
    return len(changes)


def _setups(m: _Market, replanned: list[Operation], new: dict[int, Placement]) -> dict[int, int]:
    """The changeover before each newly placed operation: on each resource, in start order with
    the kept work (bookings of operations not re-planned), the changeover from the family of the
    operation before it (none before the first)."""
    again = {op.id for op in replanned}
    family = {op.id: op.setup_family or "" for op in m.ops}
    seq: dict[int, list[tuple[dt.datetime, int]]] = defaultdict(list)
    for op_id, b in m.bookings.items():
        if op_id not in again:
            seq[b.resource_id].append((b.start_at, op_id))
    for op_id, p in new.items():
        seq[p.resource].append((p.start, op_id))
    out = {}
    for rid, items in seq.items():
        items.sort()
        for k, (_start, op_id) in enumerate(items):
            if op_id in new:
                out[op_id] = 0 if k == 0 else m.changeover(rid, family[items[k - 1][1]], family[op_id])
    return out


def _grid(t: dt.datetime) -> dt.datetime:
    """``t`` down to the quarter hour (the time unit's grid every run's origin lies on)."""
    t = t.replace(second=0, microsecond=0)
    return t - dt.timedelta(minutes=t.minute % MINUTES_PER_UNIT)


def _calendars(m: _Market, blocks, fixed_busy, base: dt.datetime, cal_end: dt.datetime):  # noqa: ANN001, ANN202
    """Each published resource's unavailable time in units from ``base`` (calendar, blocks, kept
    work), its engine index, its site; the transport matrix between sites."""
    sites: dict[tuple[float, float], int] = {}
    busy, index, site_of = [], {}, []
    for p in m.published:
        r = p.row
        site = sites.setdefault((round(r.latitude, 3), round(r.longitude, 3)), len(sites))
        windows = subtract(
            available_windows(r.calendar or {}, base, cal_end), blocks.get(r.id, []) + fixed_busy.get(r.id, [])
        )
        off = []
        cursor = base
        for a, b in windows:
            if cursor < a:
                off.append((cursor, a))
            cursor = b
        if cursor < cal_end:
            off.append((cursor, cal_end))
        units = []
        for a, b in merge(off):
            ua, ub = max(0, _units(base, a, up=False)), _units(base, b, up=True)
            if ua < ub:
                units.append((ua, ub))
        index[r.id] = len(busy)
        busy.append(units)
        site_of.append(site)
    coords = list(sites)
    hops = [[0] * len(coords) for _ in coords]
    for i, a in enumerate(coords):
        for j in range(i + 1, len(coords)):
            hops[i][j] = hops[j][i] = _ceil_units(TRANSPORT.minutes(haversine_km(*a, *coords[j])))
    return busy, index, site_of, tuple(map(tuple, hops)) if len(coords) > 1 else ()


def _setup_matrix(m: _Market, r: Resource) -> tuple[tuple[int, ...], ...] | None:
    """The resource's changeovers between the run's families in units (rounded up), or None."""
    if not has_changeovers(r.changeover_minutes or 0, r.changeover):
        return None
    fams = sorted(m.families, key=m.families.__getitem__)
    matrix = tuple(tuple(math.ceil(m.changeover(r.id, a, b) / MINUTES_PER_UNIT) for b in fams) for a in fams)
    return matrix if any(map(any, matrix)) else None


def _machines(m: _Market, busy, site_of) -> tuple[Machine, ...]:  # noqa: ANN001
    return tuple(
        Machine(
            name=p.row.code,
            site=site,
            cost_per_hour=float(p.row.hourly_rate),
            unavailable=tuple(off),
            setup=_setup_matrix(m, p.row),
        )
        for p, off, site in zip(m.published, busy, site_of, strict=True)
    )


def _job(chain: _Chain, index: dict[int, int], base: dt.datetime, release: int, families: dict[str, int]) -> Job:
    order = chain.tasks[0].order
    return Job(
        tuple(
            EngineOperation(
                tuple(Mode(index[o.resource], _ceil_units(mm)) for o, mm in t.modes),
                family=families[t.op.setup_family or ""],
                name=str(t.op.id),
            )
            for t in chain.tasks
        ),
        release=release,
        due=max(0, _units(base, order.due_at, up=False)),
        weight=float(order.weight) * (10.0 if order.urgent else 1.0),
        name=f"{order.number}/{chain.tasks[0].part.name}",
    )


def _cal_end(origin: dt.datetime, chains: list[_Chain]) -> dt.datetime:
    latest_due = max(c.tasks[0].order.due_at for c in chains)
    return max(origin + dt.timedelta(days=CALENDAR_DAYS), latest_due + dt.timedelta(days=14))


def _placements(ops, jobs: list[_Chain], index: dict[int, int], base: dt.datetime) -> dict[int, Placement]:  # noqa: ANN001
    back = {v: k for k, v in index.items()}
    out = {}
    for so in ops:
        t = jobs[so.job].tasks[so.index]
        rid = back[so.machine]
        minutes = next(mm for o, mm in t.modes if o.resource == rid)
        start = _at(base, so.start)
        out[t.op.id] = Placement(rid, start, start + dt.timedelta(minutes=minutes))
    return out


def _solve(m: _Market, chains, fixed_busy, origin, deadline, objective, workers, det=None):  # noqa: ANN001, ANN202
    """A full re-plan: :func:`.scheduling.solve` over the chains (kept work as busy time)."""
    busy, index, site_of, transport = _calendars(m, m.blocks, fixed_busy, origin, _cal_end(origin, chains))
    jobs = [_job(c, index, origin, max(0, _units(origin, c.ready, up=True)), m.families) for c in chains]
    problem = Problem(tuple(jobs), _machines(m, busy, site_of), transport, float(MINUTES_PER_UNIT))
    budget = det if det is not None else _engine_budget(deadline, problem.n_operations)
    opts = SolveOptions(
        objective=objective, mix=MIX if objective == "mix" else None, time_limit=budget, workers=workers, seed=0,
        deterministic=det is not None,
    )  # fmt: skip
    result = solve(problem, opts)
    return result, _placements(result.operations, chains, index, origin), {"engine": "solve", "engine_limit": budget}


def _reschedule(m: _Market, chains, fixed_busy, origin, deadline, objective, workers, det=None):  # noqa: ANN001, ANN202, PLR0914
    """None when no planned chain can keep its place (then the caller re-plans in full); else a
    re-plan with the least disruption: :func:`.reschedule.reschedule` over the chains, the
    planned ones with their current places as the schedule being executed. Unavailable time that
    now overlaps planned work (a new block, a started operation running late) becomes a
    :class:`~.reschedule.Breakdown` of its resource; new and pending chains (and a planned chain
    that no longer fits its release) are :class:`~.reschedule.UrgentOrder` jobs (no penalty)."""
    placed_chains: list[tuple[_Chain, list[Booking]]] = []
    new_chains: list[_Chain] = []
    for c in chains:
        bs = []
        for t in c.tasks:
            b = m.bookings.get(t.op.id)
            minutes = None if b is None else dict((o.resource, mm) for o, mm in t.modes).get(b.resource_id)
            if (
                t.op.status != OperationStatus.planned
                or minutes is None
                or b.end_at != b.start_at + dt.timedelta(minutes=minutes)
            ):
                break
            bs.append(b)
        if len(bs) == len(c.tasks):
            placed_chains.append((c, bs))
        else:
            new_chains.append(c)
    starts = [bs[0].start_at for _, bs in placed_chains]
    base = _grid(min([origin, *starts]))
    now = _units(base, origin, up=False)
    cal_end = max(_cal_end(origin, chains), *(bs[-1].end_at + dt.timedelta(days=1) for _, bs in placed_chains))
    busy, index, site_of, transport = _calendars(m, m.blocks, fixed_busy, base, cal_end)
    # the planned chains' current places, in units; off time they overlap is an event
    old_of: list[list[tuple[int, int, int]]] = []
    for _c, bs in placed_chains:
        old_of.append([(index[b.resource_id], _units(base, b.start_at, up=False), _units(base, b.end_at, up=True))
                       for b in bs])  # fmt: skip
    events_at: dict[int, set[tuple[int, int]]] = defaultdict(set)
    keep = []
    for (c, _bs), places in zip(placed_chains, old_of, strict=True):
        ok = places[0][1] >= _units(base, c.ready, up=True)
        conflicts = []
        for mi, a, b in places:
            for x, y in busy[mi]:
                if x < b and a < y:
                    conflicts.append((mi, x, y))
                    ok = ok and y > now  # off time over before now cannot be an event: re-plan the chain
        keep.append(ok)
        if ok:
            for mi, x, y in conflicts:
                events_at[mi].add((x, y))
    jobs_chains, jobs, schedule = [], [], []
    for (c, _bs), places, ok in zip(placed_chains, old_of, keep, strict=True):
        if not ok:
            new_chains.append(c)
            continue
        j = len(jobs)
        jobs.append(_job(c, index, base, max(0, _units(base, c.ready, up=True)), m.families))
        jobs_chains.append(c)
        for k, (mi, a, _b) in enumerate(places):
            duration = next(md.duration for md in jobs[j].operations[k].modes if md.machine == mi)
            schedule.append(ScheduledOperation(j, k, mi, a, a + duration))
    if not jobs:
        return None
    events: list = []
    for mi in sorted(events_at):
        busy[mi] = [iv for iv in busy[mi] if iv not in events_at[mi]]
        events += [Breakdown(mi, x, y) for x, y in sorted(events_at[mi])]
    for c in new_chains:
        events.append(UrgentOrder(_job(c, index, base, max(now, _units(base, c.ready, up=True)), m.families)))
    jobs_chains += new_chains
    problem = Problem(tuple(jobs), _machines(m, busy, site_of), transport, float(MINUTES_PER_UNIT))
    # a reschedule writes only what moves: the hit work, the new work and some around it
    written = (problem.n_operations + sum(len(c.tasks) for c in new_chains)) // 5
    budget = det if det is not None else _engine_budget(deadline, written)
    opts = RescheduleOptions(
        objective=objective, mix=MIX if objective == "mix" else None, frozen=FROZEN_MINUTES // MINUTES_PER_UNIT,
        shift_weight=SHIFT_WEIGHT, move_weight=MOVE_WEIGHT, time_limit=budget, workers=workers, seed=0,
        deterministic=det is not None,
    )  # fmt: skip
    result = reschedule(problem, schedule, now, events, opts)
    extra = {
        "engine": "reschedule",
        "engine_limit": budget,
        "events": {"breakdowns": sum(isinstance(e, Breakdown) for e in events), "new_jobs": len(new_chains)},
        "summary": result.summary,
        "penalty": result.penalty,
    }
    return result, _placements(result.operations, jobs_chains, index, base), extra


# ------------------------------------------------------------------------------ progress


def record_progress(
    db: Database, session: Session, booking_id: int, event: str, at: dt.datetime | None = None
) -> Booking:
    """A factory reports an operation started or finished (``session`` is the factory's: another
    factory's booking is a 404). The buyer's operation and order follow in the same transaction."""
    from somp.modules.shared_manufacturing.service import get_booking

    get_booking(session, booking_id)  # visibility check in the caller's own scope
    at = at or utcnow()
    with _joined(db, session) as s:
        b = s.get(Booking, booking_id)
        op = s.get(Operation, b.operation_id)
        order = s.get(Order, b.order_id)
        target = BookingStatus(event)
        allowed = {BookingStatus.planned: {BookingStatus.started}, BookingStatus.started: {BookingStatus.finished}}
        if target not in allowed.get(b.status, set()):
            raise illegal_transition("mfg_booking_status", b.status, target, allowed.get(b.status, set()), "event")
        if target == BookingStatus.started:
            before = s.scalar(
                select(Operation).where(Operation.part_id == op.part_id, Operation.position == op.position - 1)
            )
            if before is not None and before.status != OperationStatus.finished:
                raise Conflict(
                    "the previous operation of this part is not finished",
                    [FieldError("event", "the part's previous operation is not finished yet", "sequence")],
                )
            b.status, b.started_at = BookingStatus.started, at
            op.status, op.started_at = OperationStatus.started, at
            if order.status in (OrderStatus.accepted, OrderStatus.scheduled):
                order.status = OrderStatus.in_progress
        else:
            if at < (b.started_at or at):
                raise ValidationFailed("invalid time", [FieldError("at", "before the operation started", "order")])
            b.status, b.finished_at = BookingStatus.finished, at
            op.status, op.finished_at = OperationStatus.finished, at
            s.flush()
            left = s.scalar(
                select(Operation.id).where(Operation.order_id == order.id, Operation.status != OperationStatus.finished)
            )
            if left is None:
                order.status, order.completed_at = OrderStatus.completed, at
        s.commit()
    session.expire_all()
    return get_booking(session, booking_id)


# ------------------------------------------------------------------------------ settle, cancel


def settle_order(db: Database, session: Session, order_id: int) -> Order:
    """Charge the buyer for a completed order (``session`` is the buyer's) and pay each factory."""
    from somp.modules.shared_manufacturing.service import get_order

    get_order(session, order_id)
    with _joined(db, session) as s:
        order = s.get(Order, order_id)
        if order.status != OrderStatus.completed:
            raise ValidationFailed(
                "order not completed",
                [FieldError("status", f"only a completed order is settled; this one is {order.status.value}", "open")],
            )
        per_factory: dict[int, list[Booking]] = defaultdict(list)
        for b in s.scalars(select(Booking).where(Booking.order_id == order.id)):
            per_factory[b.tenant_id].append(b)
        cost = sum((b.cost for bs in per_factory.values() for b in bs), Decimal("0.00"))
        fee = platform_fee(cost, FEE_RATE)
        if order.quote_total is not None and cost + fee > order.quote_total:  # the quote is a ceiling
            fee = max(Decimal("0.00"), order.quote_total - cost)
            cost = min(cost, order.quote_total)
        now = utcnow()
        buyer = s.get(Tenant, order.tenant_id).name
        for tenant_id, bs in sorted(per_factory.items()):
            s.add(
                Payout(
                    tenant_id=tenant_id, order_id=order.id, order_number=order.number, buyer_label=buyer,
                    operations=len(bs), amount=sum((b.cost for b in bs), Decimal("0.00")), settled_at=now,
                )
            )  # fmt: skip
        order.settled_cost, order.settled_fee, order.settled_total = cost, fee, cost + fee
        order.settled_at, order.status = now, OrderStatus.settled
        s.commit()
    session.expire_all()
    return get_order(session, order_id)


def cancel_order(db: Database, session: Session, order_id: int) -> Order:
    """Withdraw an order before any of its work started; its bookings are released."""
    from somp.modules.shared_manufacturing.service import get_order

    get_order(session, order_id)
    with _joined(db, session) as s:
        order = s.get(Order, order_id)
        allowed = {OrderStatus.posted, OrderStatus.quoted, OrderStatus.accepted, OrderStatus.scheduled}
        if order.status not in allowed:
            raise illegal_transition("mfg_order_status", order.status, OrderStatus.cancelled, set(), "status")
        s.execute(delete(Booking).where(Booking.order_id == order.id))
        for op in s.scalars(select(Operation).where(Operation.order_id == order.id)):
            op.status, op.resource_id, op.planned_start, op.planned_end = OperationStatus.pending, None, None, None
        order.status = OrderStatus.cancelled
        s.commit()
    session.expire_all()
    return get_order(session, order_id)


# ------------------------------------------------------------------------------ demand


def demand_analysis(db: Database, start: dt.datetime, weeks: int = 4) -> list[demand_engine.DemandRow]:
    """Demand by capability and week against the published capacity (aggregates only)."""
    periods = demand_engine.buckets(start, weeks)
    end = periods[-1][1]
    with _platform(db) as s:
        published = _published(s)
        offers = [p.offer for p in published]
        blocks = defaultdict(list)
        for b in s.scalars(select(Block).where(Block.end_at > start, Block.start_at < end)):
            blocks[b.resource_id].append((b.start_at, b.end_at))
        capacity = []
        for p in published:
            windows = tuple(subtract(available_windows(p.row.calendar or {}, start, end), blocks.get(p.row.id, [])))
            capacity += [demand_engine.CapacityItem(code, windows) for code in p.caps]
        live = (OrderStatus.posted, OrderStatus.quoted, *OPEN_ORDER_STATUSES)
        orders = {o.id: o for o in s.scalars(select(Order).where(Order.status.in_(live)))}
        demand = []
        if orders:
            parts = {p.id: p for p in s.scalars(select(Part).where(Part.order_id.in_(list(orders))))}
            for op in s.scalars(select(Operation).where(Operation.order_id.in_(list(orders)))):
                if op.status == OperationStatus.finished:
                    continue
                order = orders[op.order_id]
                if op.planned_start and op.planned_end:
                    when, minutes = op.planned_start, (op.planned_end - op.planned_start).total_seconds() / 60
                else:
                    found = [m for _, m in _eligible_for(order, parts[op.part_id], op, offers)]
                    minutes = min(found) if found else (op.minutes or 0)
                    when = max(order.release_at, start)
                demand.append(demand_engine.DemandItem(op.capability, when, minutes / 60))
    return demand_engine.analyse(capacity, demand, periods)
