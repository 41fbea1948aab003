"""Benchmark instance files read into the scheduling :class:`~.problem.Problem` (framework node 3.4).
Pure: no database, no web framework.

Two classic text formats:

- **FJSPLIB** (flexible job shop; Brandimarte's mk01-mk10, Hurink, Dauzère-Pérès and Paulli): first
  line ``jobs machines [average machines per operation]``; then one line per job: the number of
  operations, then for each operation the number of eligible machines followed by that many
  ``machine duration`` pairs. The published files number machines from 1; the copy in
  ``../shared/data/fjsp`` numbers them from 0.
- **job shop**, OR-Library layout (ft06, ft10, la01-la40 as in Beasley's ``jobshop1.txt``): a line
  ``jobs machines``, then one line per job of ``machine duration`` pairs in processing order,
  machines numbered from 0; and Taillard's layout (``Times`` and ``Machines`` matrices, machines
  numbered from 1). Lines starting with ``#`` and text before the size line are ignored.

Machine numbering is detected: a machine ``0`` means 0-based, a machine equal to the machine count
means 1-based; when neither occurs the format's usual numbering applies (1 for FJSPLIB, 0 for the
OR-Library job shop). ``machine_base`` forces it. The file's machine count must cover the machines
used, otherwise :class:`InstanceFormatError` names the line.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from pathlib import Path

from somp.modules.shared_manufacturing.problem import Job, Machine, Mode, Operation, Problem


class InstanceFormat(enum.StrEnum):
    fjs = "fjs"  # FJSPLIB
    jsp = "jsp"  # job shop: OR-Library or Taillard layout


class InstanceFormatError(ValueError):
    """The text is not a valid instance of the format (the message says where)."""


def read_instance(path: str | Path, fmt: InstanceFormat | str, machine_base: int | None = None) -> Problem:
    """Read an instance file; the problem's name is the file's stem."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if InstanceFormat(fmt) is InstanceFormat.fjs:
        return parse_fjsplib(text, machine_base, name=path.stem)
    return parse_job_shop(text, machine_base, name=path.stem)


def _numeric_lines(text: str) -> list[tuple[int, list[int]]]:
    """(line number, integers) of each non-empty, non-comment line made only of integers."""
    out = []
    for no, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            out.append((no, [int(float(t)) if "." in t else int(t) for t in line.split()]))
        except ValueError:
            out.append((no, []))  # a text line (a header or a section title)
    return out


def _base(used: Sequence[int], n_machines: int, machine_base: int | None, default: int) -> int:
    if machine_base is not None:
        if machine_base not in (0, 1):
            raise InstanceFormatError("machine_base must be 0 or 1")
        return machine_base
    if 0 in used:
        return 0
    if n_machines in used:
        return 1
    return default


def parse_fjsplib(text: str, machine_base: int | None = None, name: str = "") -> Problem:
    """A flexible job shop in FJSPLIB layout; machine numbering from 0 or 1 (see the module notes)."""
    lines = [(no, v) for no, v in _numeric_lines(text) if v]
    if not lines or len(lines[0][1]) < 2:
        raise InstanceFormatError("the first line must be 'jobs machines'")
    n_jobs, n_machines = lines[0][1][:2]
    if len(lines) - 1 < n_jobs:
        raise InstanceFormatError(f"{n_jobs} jobs announced, {len(lines) - 1} job lines found")
    raw: list[list[list[tuple[int, int]]]] = []
    for no, v in lines[1 : n_jobs + 1]:
        ops, i = [], 1
        try:
            for _ in range(v[0]):
                k = v[i]
                pairs = v[i + 1 : i + 1 + 2 * k]
                if len(pairs) != 2 * k or k < 1:
                    raise IndexError
                ops.append(list(zip(pairs[0::2], pairs[1::2], strict=True)))
                i += 1 + 2 * k
        except IndexError:
            raise InstanceFormatError(f"line {no}: the operations do not match their counts") from None
        if i != len(v):
            raise InstanceFormatError(f"line {no}: {len(v) - i} numbers left after {v[0]} operations")
        raw.append(ops)
    used = [m for ops in raw for op in ops for m, _ in op]
    base = _base(used, n_machines, machine_base, default=1)
    return _problem(raw, n_machines, base, name)


def parse_job_shop(text: str, machine_base: int | None = None, name: str = "") -> Problem:
    """A job shop in OR-Library layout (0-based machines) or Taillard's layout (1-based machines)."""
    lines = _numeric_lines(text)
    words = text.lower()
    if "times" in words and "machines" in words:
        return _parse_taillard(lines, machine_base, name)
    start = next((i for i, (_, v) in enumerate(lines) if len(v) == 2), None)
    if start is None:
        raise InstanceFormatError("no 'jobs machines' line found")
    n_jobs, n_machines = lines[start][1]
    body = [(no, v) for no, v in lines[start + 1 :] if v][:n_jobs]
    if len(body) < n_jobs:
        raise InstanceFormatError(f"{n_jobs} jobs announced, {len(body)} job lines found")
    raw = []
    for no, v in body:
        if len(v) % 2:
            raise InstanceFormatError(f"line {no}: an odd count of numbers, expected 'machine duration' pairs")
        raw.append([[(m, d)] for m, d in zip(v[0::2], v[1::2], strict=True)])
    used = [op[0][0] for ops in raw for op in ops]
    base = _base(used, n_machines, machine_base, default=0)
    return _problem(raw, n_machines, base, name)


def _parse_taillard(lines: list[tuple[int, list[int]]], machine_base: int | None, name: str) -> Problem:
    numeric = [(no, v) for no, v in lines if v]
    n_jobs, n_machines = numeric[0][1][:2]
    rows = numeric[1:]
    if len(rows) < 2 * n_jobs:
        raise InstanceFormatError(f"Taillard layout: {2 * n_jobs} matrix rows expected, {len(rows)} found")
    times, machines = rows[:n_jobs], rows[n_jobs : 2 * n_jobs]
    raw = []
    for (no, t), (_, m) in zip(times, machines, strict=True):
        if len(t) != len(m):
            raise InstanceFormatError(f"line {no}: the times and machines rows differ in length")
        raw.append([[(mi, ti)] for mi, ti in zip(m, t, strict=True)])
    used = [op[0][0] for ops in raw for op in ops]
    base = _base(used, n_machines, machine_base, default=1)
    return _problem(raw, n_machines, base, name)


def _problem(raw: list[list[list[tuple[int, int]]]], n_machines: int, base: int, name: str) -> Problem:
    jobs = []
    for j, ops in enumerate(raw):
        operations = []
        for k, op in enumerate(ops):
            modes = []
            for m, d in op:
                if not 0 <= m - base < n_machines:
                    raise InstanceFormatError(
                        f"job {j}, operation {k}: machine {m} is outside 1..{n_machines}"
                        if base
                        else f"job {j}, operation {k}: machine {m} is outside 0..{n_machines - 1}"
                    )
                modes.append(Mode(m - base, d))
            operations.append(Operation(tuple(modes)))
        jobs.append(Job(tuple(operations)))
    return Problem(tuple(jobs), tuple(Machine(name=f"M{i}") for i in range(n_machines)), name=name)


def job_shop(durations: Sequence[Sequence[int]], machines: Sequence[Sequence[int]], name: str = "") -> Problem:
    """A job shop from its matrices (job x position), machines numbered from 0 (job-shop-lib's layout)."""
    raw = [[[(m, d)] for m, d in zip(ms, ds, strict=True)] for ds, ms in zip(durations, machines, strict=True)]
    n_machines = 1 + max(m for ms in machines for m in ms)
    return _problem(raw, n_machines, 0, name)


def to_job_shop_text(problem: Problem) -> str:
    """The OR-Library text of a job shop (each operation has one mode), machines from 0."""
    lines = [f"{len(problem.jobs)} {len(problem.machines)}"]
    for job in problem.jobs:
        if any(len(o.modes) != 1 for o in job.operations):
            raise ValueError("a flexible job shop has no job-shop text")
        lines.append(" ".join(f"{o.modes[0].machine} {o.modes[0].duration}" for o in job.operations))
    return "\n".join(lines) + "\n"


# ---- a generated marketplace ---------------------------------------------------------------------

# (capability, base cost per hour in CNY): the processes a regional capacity marketplace trades.
CAPABILITIES: tuple[tuple[str, float], ...] = (
    ("CNC milling 3-axis", 120.0),
    ("CNC milling 5-axis", 320.0),
    ("CNC turning", 110.0),
    ("laser cutting", 220.0),
    ("press brake bending", 90.0),
    ("MIG/TIG welding", 100.0),
    ("injection moulding 250 t", 260.0),
    ("surface grinding", 130.0),
    ("heat treatment", 150.0),
    ("powder coating", 80.0),
    ("wire EDM", 180.0),
    ("stamping 200 t", 160.0),
    ("assembly cell", 70.0),
    ("CMM inspection", 140.0),
    ("sheet punching", 120.0),
    ("anodising", 90.0),
)
# Routes: the capabilities an order's part goes through, by kind of part (a process family).
_ROUTES: tuple[tuple[int, ...], ...] = (
    (3, 14, 4, 5, 9, 12, 13),  # sheet-metal enclosure: laser, punch, bend, weld, coat, assemble, inspect
    (2, 0, 1, 8, 7, 15, 13),  # machined shaft/housing: turn, mill, 5-axis, heat treat, grind, anodise
    (6, 12, 13, 9),  # moulded part: mould, assemble, inspect, coat
    (11, 4, 5, 9, 12, 13),  # stamped bracket
    (0, 10, 8, 7, 13, 12),  # tooling insert: mill, EDM, heat treat, grind, inspect, assemble
)
_SHIFTS = ((8 * 60, 16 * 60), (6 * 60, 22 * 60), (0, 24 * 60))  # one, two, three shifts (minutes of a day)


def marketplace(
    seed: int = 0,
    factories: int = 30,
    machines: int = 200,
    orders: int = 500,
    operations: tuple[int, int] = (3, 8),
    days: int = 21,
    minutes_per_unit: int = 15,
    tightness: float = 1.0,
) -> Problem:
    """A generated capacity marketplace (framework node 3.4): ``machines`` machines in ``factories``
    factories (sites), ``orders`` open orders, each one part of ``operations`` operations
    (inclusive range). Same ``seed``, same problem.

    - factories lie in a 400 x 300 km region; moving a part between two of them takes 1 h of
      handling plus the drive at 50 km/h (``Problem.transport``); within a factory 0;
    - each factory works one shift (8-16 h, Saturday and Sunday off), two shifts (6-22 h, Sunday
      off) or three (24 h, 7 days); each machine adds 0-2 maintenance windows (2-8 h) and 0-3
      periods already booked by other customers (4-16 h) to that calendar, for ``days`` days;
      after that the calendar is open;
    - each machine has one of the 16 :data:`CAPABILITIES`, a speed factor (0.75-1.3), a quality
      grade (1-3) and a cost rate around its capability's;
    - an order follows a route of one of five process families (sheet metal, machined part,
      moulded part, stamped bracket, tooling) with 3-8 steps; an operation may run on 2-6
      machines that have its capability and at least its quality grade, in different factories
      (duration = work content / speed, at most one shift); releases over the first 5 days, due
      date = release + (1.5-3.5) x the expected flow time / ``tightness``, weight 1-5.

    Time unit: ``minutes_per_unit`` minutes (15 by default, 96 units a day).
    """
    import math
    import random

    if not 1 <= factories <= machines:
        raise ValueError("need at least one machine per factory")
    rng = random.Random(seed)
    day = 24 * 60 // minutes_per_unit
    sites = [(rng.uniform(0, 400), rng.uniform(0, 300)) for _ in range(factories)]
    transport = tuple(
        tuple(
            0 if a == b else math.ceil((60 + math.dist(sites[a], sites[b]) / 50 * 60) / minutes_per_unit)
            for b in range(factories)
        )
        for a in range(factories)
    )
    shift = [rng.choices(range(3), weights=(3, 5, 2))[0] for _ in range(factories)]
    site_of = list(range(factories)) + [rng.randrange(factories) for _ in range(machines - factories)]
    site_of.sort()
    n_caps = len(CAPABILITIES)
    capability = [i % n_caps for i in range(machines)]  # every capability offered
    rng.shuffle(capability)

    def factory_calendar(f: int) -> list[tuple[int, int]]:
        a, b = (t // minutes_per_unit for t in _SHIFTS[shift[f]])
        off: list[tuple[int, int]] = []
        for d in range(days):
            weekday = d % 7  # day 0 is a Monday
            if (shift[f] == 0 and weekday >= 5) or (shift[f] == 1 and weekday == 6):
                off.append((d * day, (d + 1) * day))
                continue
            if a > 0:
                off.append((d * day, d * day + a))
            if b < day:
                off.append((d * day + b, (d + 1) * day))
        return off

    shift_units = [(b - a) // minutes_per_unit for a, b in _SHIFTS]
    machine_list, speed, grade = [], [], []
    for i in range(machines):
        f = site_of[i]
        cap_name, base_cost = CAPABILITIES[capability[i]]
        off = factory_calendar(f)
        for _ in range(rng.randint(0, 2)):  # maintenance
            t = rng.randrange(days * day)
            off.append((t, t + rng.randint(8, 32)))
        for _ in range(rng.randint(0, 3)):  # booked by other customers
            t = rng.randrange(days * day)
            off.append((t, t + rng.randint(16, 64)))
        speed.append(rng.uniform(0.75, 1.3))
        grade.append(rng.choices((1, 2, 3), weights=(3, 4, 3))[0])
        machine_list.append(
            Machine(
                name=f"F{f:02d}-{cap_name}-{i}",
                site=f,
                cost_per_hour=round(base_cost * rng.uniform(0.8, 1.25) * speed[-1], 1),
                unavailable=tuple(sorted(off)),
            )
        )
    by_capability: list[list[int]] = [[] for _ in range(n_caps)]
    for i, c in enumerate(capability):
        by_capability[c].append(i)
    mean_transport = sum(map(sum, transport)) / max(1, factories * (factories - 1))
    jobs = []
    lo, hi = operations
    for o in range(orders):
        family = rng.randrange(len(_ROUTES))
        route = _ROUTES[family]
        n = rng.randint(lo, hi)
        steps = (
            [route[i % len(route)] for i in range(n)] if n > len(route) else sorted(rng.sample(range(len(route)), n))
        )
        if n <= len(route):
            steps = [route[i] for i in steps]
        need = rng.choices((1, 2, 3), weights=(5, 3, 2))[0]
        ops, expected = [], 0.0
        for c in steps:
            work = rng.randint(4, 24)  # 1-6 h of work content at speed 1
            fit = [m for m in by_capability[c] if grade[m] >= need] or by_capability[c]
            eligible = rng.sample(fit, min(len(fit), rng.randint(2, 6)))
            modes = []
            for m in sorted(eligible):
                d = min(max(1, round(work / speed[m])), shift_units[shift[site_of[m]]])
                modes.append(Mode(m, d))
            expected += sum(md.duration for md in modes) / len(modes)
            ops.append(Operation(tuple(modes), family=family, name=CAPABILITIES[c][0]))
        release = rng.randrange(5 * day // 4) * 4  # on the hour, first 5 days
        flow = expected * 2.0 + (n - 1) * mean_transport * 0.5  # about half the time is off shift
        due = release + round(rng.uniform(1.5, 3.5) * flow / tightness)
        jobs.append(Job(tuple(ops), release=release, due=due, weight=rng.choice((1, 1, 2, 3, 5)), name=f"order {o}"))
    return Problem(
        tuple(jobs), tuple(machine_list), transport, minutes_per_unit=float(minutes_per_unit), name=f"market{seed}"
    )
