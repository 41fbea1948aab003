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
