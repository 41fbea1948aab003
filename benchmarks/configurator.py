"""Benchmark: the offering configurator (module ``customization``, framework nodes 3.2 and 2.1.2).

Target (issue 5): a model with 200 options and 500 rules answers "valid choices given a partial
configuration" in < 200 ms median.

The model is generated (seeded): 40 option groups of 5 options (20 required single choices, 10
optional single choices, 10 multi-choice groups of up to 3 add-ons) and 500 rules: 150 requires,
150 excludes, 60 compatibility tables over two single-choice groups, 80 at-most and 60 at-least
bounds, a fifth of them conditional (``when``). Every rule is drawn so that a hidden reference
configuration satisfies it, so the model is satisfiable but far from trivial. Partial
configurations: 5 to 15 customer choices taken from random completions (preferred completions with
random weights), so each is completable.

Methods, timed on the same partial configurations and checked to give the same answer:

* ``guided`` — :meth:`Configurator.valid_choices`: solution-guided, a handful of CP-SAT solves;
* ``per_value`` (baseline) — the naive approach: one CP-SAT feasibility solve per (option, value),
  on the same compiled model (so the baseline does not pay for rebuilding it);
* ``explain`` — a minimal conflict set after adding one choice that cannot hold.

Each query is answered ``--repeat`` times (3) and its median kept (the baseline once: it takes
seconds per query); the table shows medians and 90th percentiles over the queries. Prints a table
and writes ``benchmarks/results/configurator.json``.

    .venv/bin/python benchmarks/configurator.py                 # 20 queries, baseline on 5
    .venv/bin/python benchmarks/configurator.py --queries 5 --baseline 2
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

import ortools

from somp.modules.customization.configurator import Configurator, Objective, Status
from somp.modules.customization.offering import (
    AtLeast,
    AtMost,
    Compatibility,
    Excludes,
    Offering,
    Option,
    OptionGroup,
    PriceEffect,
    Requires,
)

RESULTS = Path(__file__).parent / "results" / "configurator.json"


def generate(seed: int = 7, n_groups: int = 40, per_group: int = 5, n_rules: int = 500) -> Offering:
    rng = random.Random(seed)
    groups, ref = [], set()
    for g in range(n_groups):
        opts = tuple(
            Option(f"g{g}o{i}", f"选项{g}-{i}", f"option {g}-{i}", Decimal(rng.randrange(0, 5000, 100)))
            for i in range(per_group)
        )
        lo, hi = (1, 1) if g < 20 else (0, 1) if g < 30 else (0, 3)
        groups.append(OptionGroup(f"g{g}", f"组{g}", f"group {g}", opts, lo, hi))
        ref |= set(rng.sample([o.code for o in opts], rng.randint(lo, hi)))
    codes = [o.code for g in groups for o in g.options]
    single = [g for g in groups if g.single]
    by_code = {g.code: g for g in groups}

    def holds(rule) -> bool:
        if not all(c in ref for c in rule.when):
            return True
        if isinstance(rule, Requires):
            return rule.option not in ref or any(c in ref for c in rule.any_of)
        if isinstance(rule, Excludes):
            return rule.option not in ref or not any(c in ref for c in rule.others)
        if isinstance(rule, AtMost):
            return sum(c in ref for c in rule.options) <= rule.k
        if isinstance(rule, AtLeast):
            return sum(c in ref for c in rule.options) >= rule.k
        picked = tuple(next((o.code for o in by_code[g].options if o.code in ref), None) for g in rule.groups)
        return None in picked or picked in rule.allowed

    kinds = ["requires"] * 150 + ["excludes"] * 150 + ["table"] * 60 + ["atmost"] * 80 + ["atleast"] * 60
    rules = []
    for k, kind in enumerate(kinds[:n_rules]):
        while True:
            when = tuple(rng.sample(codes, 1)) if rng.random() < 0.2 else ()
            a = rng.choice(codes)
            others = tuple(rng.sample([c for c in codes if c != a], rng.randint(1, 3)))
            if kind == "requires":
                r = Requires(f"r{k}", a, others, when)
            elif kind == "excludes":
                r = Excludes(f"r{k}", a, others, when)
            elif kind == "atmost":
                r = AtMost(f"r{k}", rng.randint(1, 2), tuple(rng.sample(codes, 4)), when)
            elif kind == "atleast":
                r = AtLeast(f"r{k}", 1, tuple(rng.sample(codes, 4)), when)
            else:
                ga, gb = rng.sample(single, 2)
                combos = [(x.code, y.code) for x in ga.options for y in gb.options]
                r = Compatibility(f"r{k}", (ga.code, gb.code), tuple(rng.sample(combos, 18)), when)
            if holds(r):
                rules.append(r)
                break
    effects = tuple(
        PriceEffect(
            f"p{i}", tuple(rng.sample(codes, 2)), Decimal(rng.randrange(-2000, 2000, 100)), f"价格{i}", f"price {i}"
        )
        for i in range(20)
    )
    return Offering(
        "GEN", "生成的产品", "generated offering", Decimal("100000.00"), tuple(groups), tuple(rules), effects
    )


def partial_configurations(cfg: Configurator, n: int, seed: int) -> list[dict[str, bool]]:
    rng = random.Random(seed)
    codes = list(cfg.offering.options)
    out = []
    for _ in range(n):
        prefs = {c: rng.randint(-5, 5) for c in rng.sample(codes, 60)}
        full = set(cfg.complete({}, Objective.preferred, prefs).selected)
        picked = rng.sample(codes, rng.randint(5, 15))
        out.append({c: c in full for c in picked})
    return out


def timed(fn, *args, repeat: int = 1, **kw):
    """The result and the median wall time in ms of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn(*args, **kw)
        times.append((time.perf_counter() - t) * 1000)
    return result, statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queries", type=int, default=20)
    ap.add_argument("--baseline", type=int, default=5, help="queries also answered by the per-value baseline")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (median) for all but the baseline")
    args = ap.parse_args()
    load_before = os.getloadavg()[0]

    off = generate(args.seed)
    cfg, compile_ms = timed(Configurator, off)
    queries = partial_configurations(cfg, args.queries, args.seed + 1)

    guided, solves, states = [], [], []
    for q in queries:
        ans, ms = timed(cfg.valid_choices, q, repeat=args.repeat)
        assert ans.status is Status.ok
        guided.append(ms)
        solves.append(ans.solves)
        states.append(ans.states)
    naive, naive_solves = [], []
    for q, expected in zip(queries[: args.baseline], states, strict=False):
        ans, ms = timed(cfg.valid_choices, q, method="per_value")
        assert ans.states == expected, "the baseline and the guided method disagree"
        naive.append(ms)
        naive_solves.append(ans.solves)
    explain, core_sizes = [], []
    rng = random.Random(args.seed + 2)
    for q, st in zip(queries, states, strict=False):
        impossible = [c for c, s in st.items() if s.value == "impossible"]
        if not impossible:
            continue
        bad = {**q, rng.choice(impossible): True}
        ans, ms = timed(cfg.validate, bad, repeat=args.repeat)
        assert ans.status is Status.conflict
        explain.append(ms)
        core_sizes.append(len(ans.conflict.items))
    completion = [timed(cfg.complete, q, repeat=args.repeat)[1] for q in queries]

    def row(name, ms, n_solves):
        return {
            "method": name,
            "queries": len(ms),
            "median_ms": round(statistics.median(ms), 1),
            "p90_ms": round(sorted(ms)[int(0.9 * (len(ms) - 1))], 1),
            "max_ms": round(max(ms), 1),
            "median_solves": statistics.median(n_solves) if n_solves else None,
        }

    rows = [
        row("valid choices, guided (somp)", guided, solves),
        row("valid choices, one solve per (option, value) (baseline)", naive, naive_solves),
        row("minimal conflict set (explain)", explain, []),
        row("cheapest completion", completion, []),
    ]
    print(
        f"model: {len(off.options)} options in {len(off.groups)} groups, {len(off.rules)} rules, "
        f"{len(off.price_effects)} price effects; compiled in {compile_ms:.0f} ms"
    )
    print(f"{'method':58} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'max ms':>8} {'solves':>7}")
    for r in rows:
        s = "" if r["median_solves"] is None else f"{r['median_solves']:g}"
        print(f"{r['method']:58} {r['queries']:>3} {r['median_ms']:>10} {r['p90_ms']:>8} {r['max_ms']:>8} {s:>7}")
    speedup = statistics.median(naive) / statistics.median(guided)
    print(
        f"speed-up of guided over the baseline (medians): {speedup:.1f}x; "
        f"conflict sets of {min(core_sizes)}-{max(core_sizes)} items"
    )
    result = {
        "benchmark": "configurator",
        "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": "python benchmarks/configurator.py " + " ".join(sys.argv[1:]),
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "ortools": ortools.__version__,
        },
        "target": "valid choices for a 200-option, 500-rule model < 200 ms median",
        "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
        "model": {
            "options": len(off.options),
            "groups": len(off.groups),
            "rules": len(off.rules),
            "price_effects": len(off.price_effects),
            "seed": args.seed,
            "compile_ms": round(compile_ms, 1),
        },
        "results": rows,
        "speedup_median": round(speedup, 1),
        "conflict_set_sizes": core_sizes,
        "target_met": statistics.median(guided) < 200,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
