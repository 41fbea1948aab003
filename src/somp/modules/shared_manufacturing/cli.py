"""``somp shared-mfg ...``: commands of the shared-manufacturing module (framework node 3.4).

Kept quick to import (the ``somp`` CLI imports every module's app at start): OR-Tools and the
engine are imported inside the commands.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="shared manufacturing: cross-factory scheduling (共享制造)", no_args_is_help=True)


@app.callback()
def _main() -> None:
    """Shared manufacturing (3.4): schedule orders on the machines of several factories."""


@app.command("solve")
def solve_command(
    file: Annotated[Path, typer.Argument(help="instance file (FJSPLIB or job shop)")],
    fmt: Annotated[str, typer.Option("--format", help="fjs (FJSPLIB) or jsp (job shop: OR-Library or Taillard)")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds for the whole solve")] = 60.0,
    workers: Annotated[int, typer.Option("--workers", help="CP-SAT search workers")] = 2,
    seed: Annotated[int, typer.Option(help="seed of the search")] = 0,
    machine_base: Annotated[
        int | None, typer.Option("--machine-base", help="0 or 1: how the file numbers machines (default: detected)")
    ] = None,
    deterministic: Annotated[
        bool, typer.Option("--deterministic", help="repeatable run; --time-limit is then CP-SAT deterministic time")
    ] = False,
    schedule: Annotated[
        bool, typer.Option("--schedule", help="add each operation's job, index, machine, start, end")
    ] = False,
) -> None:
    """Minimise the makespan of a benchmark instance; print one JSON line with the makespan, the
    lower bound, the status (optimal, feasible, infeasible, unknown) and the seconds taken."""
    from somp.modules.shared_manufacturing.instances import InstanceFormat, InstanceFormatError, read_instance
    from somp.modules.shared_manufacturing.problem import ProblemInvalid
    from somp.modules.shared_manufacturing.scheduling import SolveOptions, solve

    started = time.perf_counter()
    if fmt not in {f.value for f in InstanceFormat}:
        typer.echo(f"error: --format must be fjs or jsp, not {fmt!r}", err=True)
        raise typer.Exit(2)
    if not file.is_file():
        typer.echo(f"error: no file {file}", err=True)
        raise typer.Exit(2)
    try:
        problem = read_instance(file, fmt, machine_base)
        result = solve(
            problem,
            SolveOptions(time_limit=time_limit, workers=workers, seed=seed, deterministic=deterministic),
        )
    except (InstanceFormatError, ProblemInvalid) as exc:
        typer.echo(f"error: {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    out = {
        "makespan": result.makespan,
        "lower_bound": int(result.lower_bound) if float(result.lower_bound).is_integer() else result.lower_bound,
        "status": result.status.value,
        "seconds": round(time.perf_counter() - started, 3),
        "gap": None if result.gap is None else round(result.gap, 5),
        "instance": problem.name,
        "jobs": len(problem.jobs),
        "machines": len(problem.machines),
        "operations": problem.n_operations,
        "heuristic_makespan": round(result.stats["heuristic"]["objective"]),
        "lns_iterations": result.stats.get("lns", {}).get("iterations", 0),
    }
    if schedule:
        out["schedule"] = [[s.job, s.index, s.machine, s.start, s.end] for s in result.operations]
    typer.echo(json.dumps(out))


def _register_marketplace() -> None:
    from somp.modules.shared_manufacturing.market_cli import register

    register(app)


_register_marketplace()
