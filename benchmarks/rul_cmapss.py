"""Benchmark: the lifecycle RUL engine on NASA C-MAPSS, beside published results.

For each subset whose files are in the data folder (FD001 and FD002 here; FD003/FD004 too when
present), trains ``somp.modules.lifecycle.rul`` with the full default configuration on
``train_FD00x.txt`` and predicts the last cycle of each unit of ``test_FD00x.txt``, ``--runs``
times with seeds 0, 1, ... (the seed changes the unit folds, hence the ensemble, and LightGBM's
sampling), and reports the median of each figure against the RUL file raw and capped at 125.
Also times scoring a synthetic fleet of 10,000 units (copies of the FD001 training units, about
206 rows each). Hyperparameters were chosen by cross-validation on training units only
(docs/rul.md); the test files are used for these figures and nothing else.

    .venv/bin/python benchmarks/rul_cmapss.py                       # all subsets, 3 runs
    .venv/bin/python benchmarks/rul_cmapss.py --runs 1 --subsets FD001

Prints a table and writes ``benchmarks/results/rul_cmapss.json``.
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

RESULTS = Path(__file__).parent / "results" / "rul_cmapss.json"
DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "cmapss"

# RMSE / PHM08 score from the data README (secondary sources, approximate); truth convention
# differs between papers.
PUBLISHED = {
    "FD001": [
        ("CNN, Babu et al. 2016", 18.45, 1290),
        ("LSTM, Zheng et al. 2017", 16.14, 338),
        ("DCNN, Li, Ding, Sun 2018", 12.61, 274),
        ("MS-DCNN, Li et al. 2020", 11.44, 196),
        ("attention/transformer 2021-2024", "10.6-11.4", "170-205"),
        ("plain GBM, rolling windows (README)", "13.1 raw / 11.8 capped", None),
    ],
    "FD002": [
        ("CNN, Babu et al. 2016", 30.29, 13600),
        ("LSTM, Zheng et al. 2017", 24.49, 4450),
        ("DCNN, Li, Ding, Sun 2018", 22.36, 10412),
        ("MS-DCNN, Li et al. 2020", 19.35, 3747),
        ("attention/transformer 2021-2024", "13.5-16.8", "780-1,150"),
    ],
}
TARGETS = {
    "FD001": {"rmse_capped": 11.5, "rmse_raw": 12.8, "score_capped": 230},
    "FD002": {"rmse_capped": 16.0},
}
COVERAGE_TARGET = (0.85, 0.95)
FIGURES = (
    "rmse_raw",
    "rmse_capped",
    "score_raw",
    "score_capped",
    "interval_coverage",
    "interval_coverage_raw",
    "interval_mean_width",
    "cv_rmse_capped_rows",
    "cv_rmse_capped_degrading",
    "train_seconds",
    "predict_seconds",
)


def run_subset(data: Path, subset: str, seed: int, cap: float) -> dict:
    import numpy as np

    from somp.modules.lifecycle import rul
    from somp.modules.lifecycle.rul_data import interval_coverage, phm08_score, read_cmapss, read_cmapss_truth, rmse

    train = read_cmapss(data / f"train_{subset}.txt")
    test = read_cmapss(data / f"test_{subset}.txt")
    truth = read_cmapss_truth(data / f"RUL_{subset}.txt")
    config = rul.with_overrides(rul.RulConfig(), seed=seed, cap=cap)
    cpu, t = time.process_time(), time.perf_counter()
    model = rul.train(train, config)
    train_s, train_cpu = time.perf_counter() - t, time.process_time() - cpu
    t = time.perf_counter()
    pred = model.predict(test)
    predict_s = time.perf_counter() - t
    capped = np.minimum(truth, cap)
    return {
        "rmse_raw": rmse(pred.rul, truth),
        "rmse_capped": rmse(pred.rul, capped),
        "score_raw": phm08_score(pred.rul, truth),
        "score_capped": phm08_score(pred.rul, capped),
        "interval_coverage": interval_coverage(pred.lower, pred.upper, capped),
        "interval_coverage_raw": interval_coverage(pred.lower, pred.upper, truth),
        "interval_mean_width": float(np.mean(pred.upper - pred.lower)),
        "cv_rmse_capped_rows": model.info["cv_rmse_capped_rows"],
        "cv_rmse_capped_degrading": model.info["cv_rmse_capped_degrading"],
        "train_seconds": train_s,
        "train_cpu_seconds": train_cpu,
        "predict_seconds": predict_s,
        "conditions": model.info["conditions"],
        "features": model.info["features"],
        "channels": model.info["channels"],
        "model_bytes": len(model.to_bytes()),
    }


def fleet_scoring(data: Path, units: int = 10_000) -> dict:
    """Seconds to score ``units`` units (copies of the FD001 training units, renumbered) with a
    model of the default configuration trained on FD001."""
    import numpy as np

    from somp.modules.lifecycle import rul
    from somp.modules.lifecycle.rul_data import UnitSeries, read_cmapss

    train = read_cmapss(data / "train_FD001.txt")
    model = rul.train(train, rul.RulConfig())
    reps = -(-units // train.n_units)
    unit = np.repeat(np.arange(reps), len(train)) * 1_000 + np.tile(train.unit, reps)
    fleet = UnitSeries(
        unit, np.tile(train.time, reps), np.tile(train.settings, (reps, 1)), np.tile(train.sensors, (reps, 1))
    )
    fleet = fleet.select_units(fleet.units[:units])
    t = time.perf_counter()
    pred = model.predict(fleet)
    seconds = time.perf_counter() - t
    assert len(pred) == units
    return {"units": units, "rows": len(fleet), "seconds": round(seconds, 2), "units_per_s": round(units / seconds)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", type=Path, default=DATA)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--subsets", default="FD001,FD002,FD003,FD004", help="those whose files exist are run")
    ap.add_argument("--cap", type=float, default=125.0)
    ap.add_argument("--fleet-units", type=int, default=10_000, help="0: skip the fleet-scoring timing")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    if not (args.data_dir / "train_FD001.txt").is_file():
        raise SystemExit(f"C-MAPSS data not found in {args.data_dir}")

    load_before = os.getloadavg()
    subsets = [
        s
        for s in args.subsets.split(",")
        if all((args.data_dir / f"{k}_{s}.txt").is_file() for k in ("train", "test", "RUL"))
    ]
    results = []
    for subset in subsets:
        runs = []
        for seed in range(args.runs):
            runs.append(run_subset(args.data_dir, subset, seed, args.cap))
            r = runs[-1]
            print(
                f"{subset} seed {seed}: RMSE raw {r['rmse_raw']:.2f} capped {r['rmse_capped']:.2f}  score capped "
                f"{r['score_capped']:.0f}  coverage {r['interval_coverage']:.2f}  train {r['train_seconds']:.1f} s",
                flush=True,
            )
        median = {k: statistics.median(r[k] for r in runs) for k in FIGURES}
        results.append(
            {
                "subset": subset,
                "runs": len(runs),
                "median": {k: round(v, 3) for k, v in median.items()},
                "each": [{k: round(r[k], 3) for k in FIGURES} for r in runs],
                "conditions": runs[0]["conditions"],
                "features": runs[0]["features"],
                "channels": runs[0]["channels"],
                "model_bytes": runs[0]["model_bytes"],
                "targets": TARGETS.get(subset, {}),
                "published": [{"method": m, "rmse": r, "score": s} for m, r, s in PUBLISHED.get(subset, [])],
            }
        )
    fleet = fleet_scoring(args.data_dir, args.fleet_units) if args.fleet_units else None

    print()
    print(f"median of {args.runs} runs (seeds 0..{args.runs - 1}); truth = RUL file raw, and capped at {args.cap:g}")
    head = (
        f"{'subset':<7} {'RMSE raw':>9} {'RMSE cap':>9} {'score raw':>10} {'score cap':>10} {'cover':>6} {'train s':>8}"
    )
    print(head)
    for r in results:
        m = r["median"]
        print(
            f"{r['subset']:<7} {m['rmse_raw']:>9.2f} {m['rmse_capped']:>9.2f} {m['score_raw']:>10.0f} "
            f"{m['score_capped']:>10.0f} {m['interval_coverage']:>6.2f} {m['train_seconds']:>8.1f}"
        )
    for r in results:
        m = r["median"]
        print(f"\n{r['subset']}: published (RMSE / score) and targets")
        for p in r["published"]:
            score = "" if p["score"] is None else f" / {p['score']}"
            print(f"  {p['method']:<38} {p['rmse']}{score}")
        checks = [f"{k} <= {v} ({'met' if m[k] <= v else 'MISSED'})" for k, v in r["targets"].items()]
        lo, hi = COVERAGE_TARGET
        ok = lo <= m["interval_coverage"] <= hi
        checks.append(f"90% interval coverage in [{lo}, {hi}] ({'met' if ok else 'MISSED'})")
        checks.append(f"training < 120 s ({'met' if m['train_seconds'] < 120 else 'MISSED'})")
        print(
            f"  {'somp lifecycle (this run, median)':<38} {m['rmse_capped']:.2f} capped, {m['rmse_raw']:.2f} raw / "
            f"{m['score_capped']:.0f} capped, {m['score_raw']:.0f} raw"
        )
        print("  targets: " + "; ".join(checks))
    if fleet:
        print(
            f"\nfleet scoring: {fleet['units']:,} units, {fleet['rows']:,} rows in {fleet['seconds']} s "
            f"({fleet['units_per_s']:,} units/s); target well under 30 s"
        )

    args.out.parent.mkdir(parents=True, exist_ok=True)
    import lightgbm
    import numpy

    args.out.write_text(
        json.dumps(
            {
                "benchmark": "rul_cmapss",
                "generated_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "command": "python benchmarks/rul_cmapss.py "
                + " ".join(
                    f"--{k.replace('_', '-')}={v}" for k, v in vars(args).items() if k not in ("out", "data_dir")
                ),
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                    "numpy": numpy.__version__,
                    "lightgbm": lightgbm.__version__,
                },
                "truth": "RUL file raw, and capped at --cap; prediction at each test unit's last cycle",
                "interval": "nominal 90%, coverage counted against the capped truth (and raw)",
                "load_average_1m": {
                    "before": round(load_before[0], 2),
                    "after": round(os.getloadavg()[0], 2),
                    "cpus": os.cpu_count(),
                },
                "results": results,
                "fleet_scoring": fleet,
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
