"""An independent feasibility checker for cross-factory schedules, written from the problem's
definition only (the rules in somp.modules.shared_manufacturing.problem's docstring), sharing no
code with the engine: every operation once, on an eligible machine for its duration there; job
order with transport time between the machines' sites; release dates and hard deadlines; on each
machine no overlap and the setup time between consecutive operations; no operation during its
machine's unavailable time."""

from __future__ import annotations


def violations(problem, operations) -> list[str]:
    """Every broken rule as a sentence; an empty list means the schedule is feasible."""
    out: list[str] = []
    jobs, machines = problem.jobs, problem.machines
    placed: dict[tuple[int, int], object] = {}
    for s in operations:
        key = (s.job, s.index)
        if key in placed:
            out.append(f"operation {key} scheduled twice")
        placed[key] = s
    for j, job in enumerate(jobs):
        for k in range(len(job.operations)):
            if (j, k) not in placed:
                out.append(f"operation {(j, k)} not scheduled")
    if len(placed) != sum(len(job.operations) for job in jobs):
        out.append("operations that do not exist were scheduled")
    if out:
        return out

    def site(m: int) -> int:
        return machines[m].site

    for (j, k), s in placed.items():
        op = jobs[j].operations[k]
        durations = {md.machine: md.duration for md in op.modes}
        if s.machine not in durations:
            out.append(f"operation {(j, k)} on machine {s.machine}, which is not eligible")
        elif s.end - s.start != durations[s.machine]:
            out.append(f"operation {(j, k)} lasts {s.end - s.start}, not {durations[s.machine]}")
        if s.start < 0:
            out.append(f"operation {(j, k)} starts before time 0")
        if k == 0 and s.start < jobs[j].release:
            out.append(f"job {j} starts at {s.start}, before its release {jobs[j].release}")
        if k > 0:
            p = placed[(j, k - 1)]
            move = problem.transport[site(p.machine)][site(s.machine)] if problem.transport else 0
            if s.start < p.end + move:
                out.append(f"operation {(j, k)} starts at {s.start}, before {p.end} + transport {move}")
        if k == len(jobs[j].operations) - 1 and jobs[j].deadline is not None and s.end > jobs[j].deadline:
            out.append(f"job {j} ends at {s.end}, after its deadline {jobs[j].deadline}")
        for a, b in machines[s.machine].unavailable:
            if s.start < b and a < s.end:
                out.append(f"operation {(j, k)} [{s.start}, {s.end}) meets machine {s.machine}'s off time [{a}, {b})")
    for m, machine in enumerate(machines):
        seq = sorted((s for s in placed.values() if s.machine == m), key=lambda s: (s.start, s.end))
        for a, b in zip(seq, seq[1:], strict=False):
            setup = 0
            if machine.setup is not None:
                fa = jobs[a.job].operations[a.index].family
                fb = jobs[b.job].operations[b.index].family
                setup = machine.setup[fa][fb]
            if b.start < a.end + setup:
                out.append(
                    f"machine {m}: {(b.job, b.index)} starts at {b.start}, before {(a.job, a.index)} "
                    f"ends at {a.end} + setup {setup}"
                )
    return out
