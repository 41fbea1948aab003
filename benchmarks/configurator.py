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
* ``explain`` — a minimal conflict set after adding one choice that cannot hold;
* ``service`` — the same valid-choices query through the service (:func:`service.configure`) on the
  model stored in a database (SQLite file by default, ``--database-url`` for PostgreSQL): each query
  opens a session in the tenant's scope, reads the version's id and hash, takes the compiled model
  from the process cache and answers; plus the page's full answer (valid choices, the reasons of up
  to 40 impossible options, the cheapest completion and its price). Storing the model (validation,
  the model-wide check) and the first, compiling query are timed once.

Each query is answered ``--repeat`` times (3) and its median kept (the baseline once: it takes
seconds per query); the table shows medians and 90th percentiles over the queries. Prints a table
and writes ``benchmarks/results/configurator.json``.

    .venv/bin/python benchmarks/configurator.py                 # 20 queries, baseline on 5
    .venv/bin/python benchmarks/configurator.py --queries 5 --baseline 2
    .venv/bin/python benchmarks/configurator.py --database-url postgresql://postgres@127.0.0.1/somp_bench
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

from somp.modules.customization import document as docs
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


def service_path(
    off: Offering,
    engine_cfg: Configurator,
    queries: list[dict[str, bool]],
    expected: list,
    repeat: int,
    url: str | None,
):
    """The valid-choices query through the service on the model stored in a database."""
    import tempfile

    from somp.core import cn_codes, migrate
    from somp.core.database import Database
    from somp.core.modules import import_all_models
    from somp.core.tenancy import Scope
    from somp.modules.catalog.schemas import OfferingCreate, ProductCreate
    from somp.modules.catalog.service import create_offering, create_product
    from somp.modules.customization import service
    from somp.modules.customization.schemas import ConfigurableCreate, ConfigureRequest
    from somp.modules.tenants.schemas import TenantCreate
    from somp.modules.tenants.service import create_tenant

    import_all_models()
    folder = tempfile.TemporaryDirectory(prefix="somp-cfg-bench-")
    db = Database(url or f"sqlite:///{folder.name}/bench.db")
    migrate.upgrade(db.engine)
    with db.session(Scope.all_tenants()) as s:
        suffix = dt.datetime.now().strftime("%H%M%S%f")
        body = f"{int(suffix) % 10**8:08d}"  # a unique, valid unified social credit code
        first17 = "91320500" + body + cn_codes.org_code_check_character(body)
        tenant = create_tenant(
            s,
            TenantCreate(
                name=f"配置器基准 {suffix}",
                uscc=first17 + cn_codes.uscc_check_character(first17),
                industry_code="C3441",
                region_code="320500",
                size_class="medium",
            ),
        )
        s.commit()
    out = {}
    with db.session(Scope.tenant(tenant.id)) as s:
        p = create_product(s, ProductCreate(code="GEN-P", name="生成的产品", category="air_compressor"))
        o = create_offering(s, OfferingCreate(code="GEN-O", name="生成的组合", product_id=p.id,
                                              price_model="one_time_sale", one_time_price="100000.00"))  # fmt: skip
        data = ConfigurableCreate(code="GEN", name_zh=off.name_zh, name_en=off.name_en, offering_id=o.id,
                                  model=docs.from_offering(off))  # fmt: skip
        (conf, row, warnings), out["store_ms"] = timed(service.create_configurable, s, data, None)
        s.commit()
        out["warnings"] = len(warnings)
    service.clear_cache()

    def query(choices, **flags):
        with db.session(Scope.tenant(tenant.id)) as s:
            return service.configure(s, conf.id, ConfigureRequest(choices=choices, **flags))

    _, out["first_query_ms"] = timed(query, queries[0], reasons=False, completion=False)
    valid, full, engine = [], [], []
    for q, states in zip(queries, expected, strict=True):
        engine.append(timed(engine_cfg.valid_choices, q, repeat=repeat)[1])  # same moment, same machine load
        ans, ms = timed(query, q, repeat=repeat, reasons=False, completion=False)
        assert {x.code: x.state for x in ans.options} == {c: v.value for c, v in states.items()}, "service != engine"
        valid.append(ms)
        _, ms = timed(query, q, repeat=repeat)
        full.append(ms)
    out["valid"], out["full"], out["engine"] = valid, full, engine
    out["backend"] = db.dialect
    if url:  # leave no benchmark tenant behind in a shared database
        with db.session(Scope.all_tenants()) as s:
            from somp.core.identity import Tenant

            s.delete(s.get(Tenant, tenant.id))
            s.commit()
    db.dispose()
    folder.cleanup()
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
    ap.add_argument("--database-url", help="the service rows' database (default: a temporary SQLite file)")
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
    svc = service_path(off, cfg, queries, states, args.repeat, args.database_url)

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
        row("valid choices, engine alone, interleaved with the service row", svc["engine"], []),
        row(f"valid choices through the service ({svc['backend']}, cached model)", svc["valid"], []),
        row("service: valid choices + reasons (<=40) + cheapest completion", svc["full"], []),
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
    print(
        f"service: model stored (validated, model-wide check, {svc['warnings']} warnings) in {svc['store_ms']:.0f} ms;"
        f" first query (loads and compiles the model) {svc['first_query_ms']:.0f} ms"
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
        "service": {
            "backend": svc["backend"],
            "store_ms": round(svc["store_ms"], 1),
            "first_query_ms": round(svc["first_query_ms"], 1),
            "model_warnings": svc["warnings"],
        },
        "target_met": statistics.median(guided) < 200 and statistics.median(svc["valid"]) < 200,
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
