"""Benchmark: statistical evaluation engines (module ``evaluation``, framework nodes 1.3.1 and 1.3.2).

Targets (issue 4):

* **scoring**: 100,000 enterprises x 60 indicators (1 % of values missing) with AHP weights, level
  criteria and a TOPSIS ranking of the enterprises with complete data: < 5 s. Baseline in the same
  run: scikit-criteria's TOPSIS on the same complete rows (the ranking alone), and the per-enterprise
  ``score()`` on a 1,000-enterprise sample, scaled to 100,000.
* **input-output**: a 3,000-sector table: balance check, A, Leontief inverse L, complete coefficients
  B and the service inputs of 1,000 manufacturing sectors from 300 service sectors: < 10 s. Baseline
  in the same run: pymrio's ``calc_A`` + ``calc_L`` on the same table (and the largest difference of L).

Medians of ``--runs`` (3). Prints a table and writes ``benchmarks/results/evaluation.json``.

    .venv/bin/python benchmarks/evaluation.py
    .venv/bin/python benchmarks/evaluation.py --only io --runs 1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results" / "evaluation.json"


def bench_system():
    """60 indicators: 3 dimensions x 4 sub-dimensions x 5 indicators, linear, threshold and cost
    rules, two levels with criteria."""
    from somp.modules.evaluation.indicators import parse_system

    def ind(code: str, k: int) -> dict:
        t = {"zh": code, "en": code}
        base = {"code": code, "name": t, "definition": t, "source": {"kind": "uploaded"}, "weight": 1.0}
        if k % 3 == 0:
            return base | {"rule": {"kind": "linear", "worst": 0, "best": 1}}
        if k % 3 == 1:
            steps = [{"at": 0.2, "score": 30}, {"at": 0.5, "score": 70}, {"at": 0.8, "score": 100}]
            return base | {"rule": {"kind": "thresholds", "steps": steps}}
        return base | {"direction": "cost", "rule": {"kind": "linear", "worst": 1, "best": 0}}

    dims = []
    for d in range(3):
        subs = [
            {"code": f"D{d}S{s}", "name": {"zh": "s", "en": "s"}, "weight": 1,
             "indicators": [ind(f"D{d}S{s}I{i}", i) for i in range(5)]}
            for s in range(4)
        ]  # fmt: skip
        dims.append({"code": f"D{d}", "name": {"zh": "d", "en": "d"}, "weight": 1, "subdimensions": subs})
    levels = [
        {"level": 1, "name": {"zh": "1", "en": "1"}, "criteria": [{"target": "total", "min_score": 30}]},
        {"level": 2, "name": {"zh": "2", "en": "2"}, "min_coverage": 0.9,
         "criteria": [{"target": "total", "min_score": 50}, {"target": "D0", "min_score": 50}]},
    ]  # fmt: skip
    return parse_system({"code": "bench", "version": "1", "name": {"zh": "b", "en": "b"}, "levels": levels,
                         "dimensions": dims})  # fmt: skip


def scoring(runs: int) -> dict:
    import skcriteria as skc
    from skcriteria.agg.topsis import TOPSIS

    from somp.modules.evaluation.batch_scoring import rank_complete, score_batch
    from somp.modules.evaluation.indicators import global_weights, score, set_weights
    from somp.modules.evaluation.mcda import ahp

    system = bench_system()
    codes = [i.code for i in system.indicators()]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(100_000, 60))
    x[rng.random(x.shape) < 0.01] = np.nan
    ours, theirs, per = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        w = ahp([[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]], ["D0", "D1", "D2"])
        weighted = set_weights(system, "total", w.weights_by_name())
        batch = score_batch(weighted, codes, x)
        ranks = rank_complete(weighted, batch)
        ours.append(time.perf_counter() - t0)
        complete = ~np.isnan(batch.scores).any(axis=1)
        matrix = batch.scores[complete]
        gw = global_weights(weighted)
        weights = np.array([gw[c] for c in batch.codes])
        t0 = time.perf_counter()
        dm = skc.mkdm(matrix, [max] * matrix.shape[1], weights=weights)
        TOPSIS().evaluate(dm)
        theirs.append(time.perf_counter() - t0)
        sample = 1_000
        t0 = time.perf_counter()
        for row in x[:sample]:
            score(weighted, {c: (None if np.isnan(v) else float(v)) for c, v in zip(codes, row, strict=True)})
        per.append((time.perf_counter() - t0) * (100_000 / sample))
    return {
        "ours_s": statistics.median(ours),
        "skcriteria_topsis_s": statistics.median(theirs),
        "per_enterprise_scaled_s": statistics.median(per),
        "ranked": int((ranks > 0).sum()),
        "runs": {"ours": ours, "skcriteria_topsis": theirs, "per_enterprise_scaled": per},
    }


def input_output(runs: int) -> dict:
    import pandas as pd
    import pymrio

    from somp.modules.evaluation.input_output import analyse, make_table, service_inputs

    n = 3000
    rng = np.random.default_rng(0)
    z = rng.uniform(0, 1, (n, n)) * (rng.random((n, n)) < 0.2)
    y = rng.uniform(50, 500, (n, 3))
    x = z.sum(1) + y.sum(1)
    va = x - z.sum(0)
    sectors = [f"s{i}" for i in range(n)]
    ours, theirs, diff = [], [], 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        table = make_table(z, y, sectors=sectors, output=x, value_added=va)
        result = analyse(table)
        service_inputs(result, sectors[:300], sectors[300:1300])
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        a = pymrio.calc_A(pd.DataFrame(z, index=sectors, columns=sectors), pd.DataFrame(x, index=sectors))
        leontief = pymrio.calc_L(a)
        theirs.append(time.perf_counter() - t0)
        diff = float(np.abs(result.L - leontief.to_numpy()).max())
    return {"ours_s": statistics.median(ours), "pymrio_s": statistics.median(theirs), "max_abs_L_diff": diff,
            "runs": {"ours": ours, "pymrio": theirs}}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default="scoring,io")
    args = ap.parse_args()
    only = set(args.only.split(","))
    out: dict = {}
    rows = []
    if "scoring" in only:
        s = out["scoring"] = scoring(args.runs)
        rows += [
            ("100,000 x 60: AHP weights, scores, levels, TOPSIS of complete rows", f"{s['ours_s']:.2f} s", "< 5 s"),
            ("  scikit-criteria TOPSIS on the same complete rows (baseline)", f"{s['skcriteria_topsis_s']:.2f} s", ""),
            ("  per-enterprise score(), 1,000 scaled to 100,000 (baseline)", f"{s['per_enterprise_scaled_s']:.1f} s",
             ""),
        ]  # fmt: skip
    if "io" in only:
        r = out["io"] = input_output(args.runs)
        rows += [
            ("3,000 sectors: balances, A, L, B, service inputs", f"{r['ours_s']:.2f} s", "< 10 s"),
            ("  pymrio calc_A + calc_L on the same table (baseline)", f"{r['pymrio_s']:.2f} s", ""),
            ("  largest |L - L_pymrio|", f"{r['max_abs_L_diff']:.1e}", ""),
        ]
    w = max(len(r[0]) for r in rows)
    print(f"{'measure':<{w}}  {'median':>10}  target")
    for r in rows:
        print(f"{r[0]:<{w}}  {r[1]:>10}  {r[2]}")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "evaluation",
                "when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                "args": vars(args),
                "results": out,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten {RESULTS}")


if __name__ == "__main__":
    main()
