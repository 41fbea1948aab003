"""The marketplace broker of shared manufacturing (framework node 3.4, 共享制造): the only code that
works across tenants. It reads in the platform scope and writes each fact into the tenant that may
see it (see :mod:`.models`), in one transaction per step:

* :func:`catalogue`: the published resources without owner or bookings;
* :func:`quote_order`: a price range per operation from the eligible published resources'
  hourly rates, the binding ceiling plus the platform fee (exact Decimal CNY);
* :func:`run_schedule`: the engine (:func:`.scheduling.solve`) over the published resources and
  the open accepted orders; operations finished, started or starting within the frozen horizon
  keep their place (as booked time on their resource), the others are re-planned; bookings are
  written into the factories, the plan into the buyers' operations, and the diff (operation,
  resource, start, end, old against new) into every tenant concerned;
* :func:`record_progress`: a factory's "started"/"finished" on its booking reaches the buyer;
* :func:`settle_order`: the buyer pays the machine cost of the operations done plus the fee (never
  above the quote), each factory gets its payout;
* :func:`demand_analysis`: demand by capability and week against the published capacity.

Rescheduling here re-solves the remaining work with the frozen prefix fixed; the engine's own
frozen-horizon reschedule (a penalty on moved operations) can replace :func:`_solve` later.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, insert, select, text, update
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
    diff_plans,
    eligible,
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
from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, ObjectiveWeights, Problem
from somp.modules.shared_manufacturing.problem import Operation as EngineOperation
from somp.modules.shared_manufacturing.scheduling import SolveOptions, solve
from somp.modules.shared_manufacturing.schemas import CapabilityRead, CatalogueEntry

FEE_RATE = Decimal("0.05")  # platform fee on machine cost
MINUTES_PER_UNIT = 15  # the engine's time unit
FROZEN_MINUTES = 60  # planned operations starting this soon keep their place in a re-plan
CALENDAR_DAYS = 28  # calendars are expanded at least this far (and 14 days past the latest due date)
MIX = ObjectiveWeights(makespan=0.01, tardiness=1.0, cost=0.01)  # 1 unit (15 min) late ~ 100 CNY
TRANSPORT = TransportModel()
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
    """Price the buyer's order (``session`` is the buyer's) from the published resources."""
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
            costs = [machine_cost(m, rates[o.resource]) for o, m in _eligible_for(order, part, op, offers)]
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
            op.quote_low, op.quote_high = min(costs), max(costs)
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


def run_schedule(
    db: Database,
    trigger: RunTrigger = RunTrigger.manual,
    *,
    time_limit: float = 5.0,
    objective: str = "mix",
    now: dt.datetime | None = None,
    workers: int = 2,
    full: bool | None = None,
) -> ScheduleRun:
    """Re-plan the marketplace and store the run, the plan, the bookings and the diff (one
    transaction). ``time_limit`` bounds the engine; the run records its status, bound and gap.

    ``full``: re-plan every operation that has not started and does not start within the frozen
    horizon (default for ``manual`` and ``urgent`` runs: an urgent order may push others back);
    otherwise a repair (default for ``accept`` and ``breakdown``): planned operations that no block
    hits keep their place, and only the new, pending and hit operations (with the rest of their
    parts) are planned around them."""
    if full is None:
        full = trigger in (RunTrigger.manual, RunTrigger.urgent)
    now = now or utcnow()
    origin = now.replace(second=0, microsecond=0)
    origin += dt.timedelta(minutes=(-origin.minute) % MINUTES_PER_UNIT)
    with _platform(db) as s:
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK})
        run = _run(s, trigger, origin, time_limit, objective, workers, full)
        s.commit()
        return run


def _run(  # noqa: PLR0912, PLR0915 - one pass over the market, kept together for the transaction
    s: Session, trigger: RunTrigger, origin: dt.datetime, time_limit: float, objective: str, workers: int, full: bool
) -> ScheduleRun:
    t_read = time.perf_counter()
    published = _published(s)
    res_by_id = {p.row.id: p.row for p in published}
    offers = [p.offer for p in published]
    factories = dict(s.execute(select(Tenant.id, Tenant.name)).all())
    orders = list(s.scalars(select(Order).where(Order.status.in_(OPEN_ORDER_STATUSES)).order_by(Order.id)))
    order_by_id = {o.id: o for o in orders}
    parts = {p.id: p for p in s.scalars(select(Part).where(Part.order_id.in_(list(order_by_id))))} if orders else {}
    ops = (
        list(s.scalars(select(Operation).where(Operation.order_id.in_(list(order_by_id))).order_by(Operation.id)))
        if orders
        else []
    )
    bookings = (
        {b.operation_id: b for b in s.scalars(select(Booking).where(Booking.operation_id.in_([o.id for o in ops])))}
        if ops
        else {}
    )
    all_res = (
        {
            r.id: r
            for r in s.scalars(select(Resource).where(Resource.id.in_({b.resource_id for b in bookings.values()})))
        }
        if bookings
        else {}
    )
    all_res.update(res_by_id)
    breakdowns = defaultdict(list)
    blocks = defaultdict(list)
    for b in s.scalars(select(Block).where(Block.end_at > origin)):
        blocks[b.resource_id].append((b.start_at, b.end_at))
        if b.kind == BlockKind.breakdown:
            breakdowns[b.resource_id].append((b.start_at, b.end_at))

    # -- what keeps its place: finished, started (unless its machine broke down under it),
    # planned to start within the frozen horizon, or at all in a repair (unless a block now hits it)
    frozen_until = origin + dt.timedelta(minutes=FROZEN_MINUTES)

    def keeps(op: Operation) -> bool:
        b = bookings.get(op.id)
        if op.status == OperationStatus.finished:
            return True
        if b is None:
            return False
        hit = any(a < b.end_at and b.start_at < e for a, e in blocks.get(b.resource_id, []))
        broke = any(a < b.end_at and b.start_at < e for a, e in breakdowns.get(b.resource_id, []))
        if op.status == OperationStatus.started:
            return not broke
        return op.status == OperationStatus.planned and (not full or b.start_at < frozen_until) and not hit

    by_part: dict[int, list[Operation]] = defaultdict(list)
    for op in ops:
        by_part[op.part_id].append(op)
    fixed_busy: dict[int, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    tasks: list[list[_Task]] = []
    releases: list[dt.datetime] = []
    kept = unplannable = 0
    replanned: list[Operation] = []
    for part_id in sorted(by_part):
        chain = sorted(by_part[part_id], key=lambda o: o.position)
        part, order = parts[part_id], order_by_id[chain[0].order_id]
        k = 0
        last_end, last_res = None, None
        while k < len(chain) and keeps(chain[k]):
            op_k, b = chain[k], bookings.get(chain[k].id)
            if b is not None:
                begin, end = b.start_at, b.end_at
                if op_k.status == OperationStatus.started and op_k.started_at:  # it runs from when it started,
                    # and at least until now when it is overdue
                    begin, end = op_k.started_at, max(end, op_k.started_at + (b.end_at - b.start_at), origin)
                if op_k.status == OperationStatus.finished:
                    end = op_k.finished_at or end
                else:
                    fixed_busy[b.resource_id].append((begin, end))
                last_end, last_res = end, b.resource_id
            kept += 1
            k += 1
        rest = chain[k:]
        if not rest:
            continue
        replanned.extend(rest)
        job = [_Task(op, part, order, _eligible_for(order, part, op, offers)) for op in rest]
        if any(not t.modes for t in job):
            unplannable += len(rest)
            tasks.append([])  # keeps positions aligned with releases; skipped below
            releases.append(origin)
            continue
        release = max(order.release_at, origin)
        if last_end is not None:
            hop = 0
            if last_res in all_res:
                here = all_res[last_res]
                hop = max(
                    TRANSPORT.minutes(haversine_km(here.latitude, here.longitude, res_by_id[o.resource].latitude,
                                                   res_by_id[o.resource].longitude))
                    for o, _ in job[0].modes
                )  # fmt: skip
            release = max(release, last_end + dt.timedelta(minutes=hop))
        tasks.append(job)
        releases.append(release)

    jobs_idx = [i for i, j in enumerate(tasks) if j]
    old = {
        op.id: Placement(op.resource_id, op.planned_start, op.planned_end)
        for op in replanned
        if op.status in (OperationStatus.planned, OperationStatus.started) and op.resource_id and op.planned_start
    }
    run = ScheduleRun(
        trigger=trigger, origin_at=origin, minutes_per_unit=MINUTES_PER_UNIT, time_limit=time_limit,
        objective_name=objective, status="empty", seconds=0.0, orders=len(orders), full=full,
        operations=sum(len(tasks[i]) for i in jobs_idx), resources=len(published), frozen=kept, changed=0,
        unplanned=unplannable, stats={},
    )  # fmt: skip
    s.add(run)
    s.flush()
    new: dict[int, Placement] = {}
    costs: dict[int, tuple[Decimal, int]] = {}
    phases = {"read": round(time.perf_counter() - t_read, 3)}
    if jobs_idx and published:
        t_solve = time.perf_counter()
        result, placed = _solve(tasks, releases, jobs_idx, published, blocks, fixed_busy, origin, time_limit,
                                objective, workers)  # fmt: skip
        phases["solve"] = round(time.perf_counter() - t_solve, 3)
        run.status = result.status.value
        run.objective, run.lower_bound, run.gap = result.objective, result.lower_bound, result.gap
        run.seconds = round(result.seconds, 3)
        run.stats = json.loads(json.dumps(result.stats, default=str))
        for op_id, (rid, start, minutes) in placed.items():
            new[op_id] = Placement(rid, start, start + dt.timedelta(minutes=minutes))
            costs[op_id] = (machine_cost(minutes, res_by_id[rid].hourly_rate), minutes)
        if not placed:
            run.unplanned += run.operations
    elif jobs_idx:
        run.status = "no_resources"
        run.unplanned += run.operations

    # -- write the plan: bookings into the factories, the plan into the buyers' operations (bulk
    # statements with explicit tenants: this runs in the platform view)
    t_write = time.perf_counter()
    replanned_ids = [op.id for op in replanned]
    if replanned_ids:
        s.execute(delete(Booking).where(Booking.operation_id.in_(replanned_ids)))
    task_of = {t.op.id: t for job in tasks for t in job}
    status_of = {op.id: op.status for op in ops}
    op_rows, booking_rows = [], []
    for op in replanned:
        p = new.get(op.id)
        if p is None:
            status_of[op.id] = OperationStatus.pending
            op_rows.append(
                dict(
                    id=op.id,
                    status=OperationStatus.pending,
                    resource_id=None,
                    resource_label=None,
                    factory_label=None,
                    planned_start=None,
                    planned_end=None,
                    cost=None,
                    started_at=None,
                )
            )
            continue
        res = res_by_id[p.resource]
        t = task_of[op.id]
        cost = costs[op.id][0]
        status_of[op.id] = OperationStatus.planned
        op_rows.append(
            dict(
                id=op.id,
                status=OperationStatus.planned,
                resource_id=res.id,
                resource_label=_label(res),
                factory_label=factories.get(res.tenant_id, ""),
                planned_start=p.start,
                planned_end=p.end,
                cost=cost,
                started_at=None,
            )
        )
        booking_rows.append(
            dict(
                tenant_id=res.tenant_id,
                resource_id=res.id,
                operation_id=op.id,
                order_id=t.order.id,
                run_id=run.id,
                buyer_label=factories.get(t.order.tenant_id, ""),
                order_number=t.order.number,
                order_due_at=t.order.due_at,
                part_name=t.part.name,
                operation_label=f"{t.part.name} #{op.position} {op.capability}",
                capability=op.capability,
                start_at=p.start,
                end_at=p.end,
                status=BookingStatus.planned,
                cost=cost,
                started_at=None,
                finished_at=None,
            )
        )
    # -- the diff, once per tenant that may see each line
    changes = diff_plans(old, new)
    run.changed = len(changes)
    op_by_id = {op.id: op for op in replanned}
    change_rows = []
    for ch in changes:
        op = op_by_id[ch.operation]
        order = order_by_id[op.order_id]
        part = parts[op.part_id]
        label = f"{part.name} #{op.position} {op.capability}"
        viewers = {order.tenant_id}
        for p in (ch.old, ch.new):
            if p is not None and p.resource in all_res:
                viewers.add(all_res[p.resource].tenant_id)
        for viewer in sorted(viewers):
            change_rows.append(
                dict(
                    tenant_id=viewer,
                    run_id=run.id,
                    operation_id=op.id,
                    order_number=order.number,
                    operation_label=label,
                    kind=ChangeKind(ch.kind),
                    old_resource=_seen_by(viewer, order.tenant_id, ch.old, all_res, factories),
                    old_start=ch.old.start if ch.old else None,
                    old_end=ch.old.end if ch.old else None,
                    new_resource=_seen_by(viewer, order.tenant_id, ch.new, all_res, factories),
                    new_start=ch.new.start if ch.new else None,
                    new_end=ch.new.end if ch.new else None,
                )
            )
    # -- order status: accepted orders whose work is all placed are scheduled
    for order in orders:
        if order.status == OrderStatus.accepted:
            mine = [status_of[op.id] for op in ops if op.order_id == order.id]
            if mine and all(st != OperationStatus.pending for st in mine):
                order.status = OrderStatus.scheduled
    s.flush()
    if op_rows:
        s.execute(update(Operation), op_rows)
    if booking_rows:
        s.execute(insert(Booking), booking_rows)
    if change_rows:
        s.execute(insert(ScheduleChange), change_rows)
    run.stats = {**run.stats, "phases": {**phases, "write": round(time.perf_counter() - t_write, 3)}}
    s.flush()
    return run


def _solve(tasks, releases, jobs_idx, published, blocks, fixed_busy, origin, time_limit, objective, workers):  # noqa: ANN001, ANN202
    """Build the engine's problem, solve it, map the result back: ``{operation id: (resource id,
    start, minutes)}``."""
    latest_due = max(tasks[i][0].order.due_at for i in jobs_idx)
    cal_end = max(origin + dt.timedelta(days=CALENDAR_DAYS), latest_due + dt.timedelta(days=14))
    sites: dict[tuple[float, float], int] = {}
    machines = []
    index = {}
    for p in published:
        r = p.row
        site = sites.setdefault((round(r.latitude, 3), round(r.longitude, 3)), len(sites))
        windows = subtract(
            available_windows(r.calendar or {}, origin, cal_end), blocks.get(r.id, []) + fixed_busy.get(r.id, [])
        )
        off = []
        cursor = origin
        for a, b in windows:
            if cursor < a:
                off.append((cursor, a))
            cursor = b
        if cursor < cal_end:
            off.append((cursor, cal_end))
        busy = []
        for a, b in merge(off):
            ua, ub = max(0, _units(origin, a, up=False)), _units(origin, b, up=True)
            if ua < ub:
                busy.append((ua, ub))
        index[r.id] = len(machines)
        machines.append(Machine(name=r.code, site=site, cost_per_hour=float(r.hourly_rate), unavailable=tuple(busy)))
    coords = list(sites)
    transport = tuple(
        tuple(_ceil_units(TRANSPORT.minutes(haversine_km(*a, *b))) if a != b else 0 for b in coords) for a in coords
    )
    jobs = []
    for i in jobs_idx:
        job = tasks[i]
        order = job[0].order
        weight = float(order.weight) * (10.0 if order.urgent else 1.0)
        jobs.append(
            Job(
                tuple(
                    EngineOperation(
                        tuple(Mode(index[o.resource], _ceil_units(m)) for o, m in t.modes), name=str(t.op.id)
                    )
                    for t in job
                ),
                release=max(0, _units(origin, releases[i], up=True)),
                due=max(0, _units(origin, order.due_at, up=False)),
                weight=weight,
                name=f"{order.number}/{job[0].part.name}",
            )
        )
    problem = Problem(tuple(jobs), tuple(machines), transport if len(coords) > 1 else (), float(MINUTES_PER_UNIT))
    opts = SolveOptions(
        objective=objective, mix=MIX if objective == "mix" else None, time_limit=time_limit, workers=workers, seed=0
    )
    result = solve(problem, opts)
    back = {v: k for k, v in index.items()}
    placed = {}
    for so in result.operations:
        t = tasks[jobs_idx[so.job]][so.index]
        rid = back[so.machine]
        minutes = next(m for o, m in t.modes if o.resource == rid)
        placed[t.op.id] = (rid, _at(origin, so.start), minutes)
    return result, placed


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
