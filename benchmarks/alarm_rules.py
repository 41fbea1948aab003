"""Benchmark: the alarm rule engine and the streaming anomaly detector of module ``lifecycle``.

Throughput: 100,000 readings (100 assets x 3 metrics, one reading per metric every 10 s, seeded
AR(1) signals with excursions) through 3 rules per asset (a threshold with hysteresis and a
for-duration, a least-squares rate of change, and a composite OR of no-data and an AND of two
thresholds), in four ways:

* one call per (rule, asset) with the asset's readings as one shared ``Batch``;
* batches of 100 readings per asset, the state through JSON between batches (the service path);
* one call per instant (3 readings, one device message), the state through JSON each time;
* the baseline: the threshold rule evaluated with numpy over each asset's whole series at once
  (vectorised, no state machine: what a stateless service would redo over the history it keeps);
  its transitions are compared with the engine's.

The state goes through orjson (the telemetry hot path's JSON library) where it goes "via JSON".

Anomaly detection: throughput of the robust rolling z-score on the same data, and detection
quality on labelled synthetic series in the style of the Yahoo S5 A3 benchmark (noise, trend,
seasonality, random walk; seeded injected spikes of 6 to 12 standard deviations), point-wise
precision and recall at the fixed threshold of 6 for several windows, against river's
HalfSpaceTrees (river's defaults, min-max scaled input) at the threshold that suits it best in
hindsight. Prints tables and writes ``benchmarks/results/alarm_rules.json``.

    .venv/bin/python benchmarks/alarm_rules.py            # 3 runs
    .venv/bin/python benchmarks/alarm_rules.py --runs 1 --no-hst
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import river

from somp.modules.lifecycle.alarm_rules import Batch, RuleState, compile_rule, evaluate, rule_from_dict
from somp.modules.lifecycle.anomaly import AnomalyConfig, detect

RESULTS = Path(__file__).parent / "results" / "alarm_rules.json"
T0 = 1_780_000_000.0
ASSETS = 100
METRICS = ("temp", "pressure", "vib")
STEP = 10.0

RULES = [
    {
        "id": "overheat",
        "severity": "major",
        "condition": {
            "kind": "threshold",
            "metric": "temp",
            "op": ">",
            "value": 80,
            "clear_value": 76,
            "for_seconds": 60,
        },
    },
    {
        "id": "pressure_drop",
        "severity": "minor",
        "condition": {"kind": "rate_of_change", "metric": "pressure", "op": "<", "value": -0.5, "window_seconds": 300},
    },
    {
        "id": "vibration",
        "severity": "critical",
        "clear_after_seconds": 60,
        "condition": {
            "kind": "composite",
            "op": "or",
            "children": [
                {"kind": "no_data", "metric": "vib", "timeout_seconds": 120},
                {
                    "kind": "composite",
                    "op": "and",
                    "children": [
                        {"kind": "threshold", "metric": "vib", "op": ">", "value": 7},
                        {"kind": "threshold", "metric": "temp", "op": ">", "value": 75},
                    ],
                },
            ],
        },
    },
]


def ar1(rng: np.random.Generator, n: int, mean: float, sd: float, phi: float) -> np.ndarray:
    noise = rng.normal(0, sd * np.sqrt(1 - phi * phi), n)
    x = np.empty(n)
    x[0] = mean
    for i in range(1, n):
        x[i] = mean + phi * (x[i - 1] - mean) + noise[i]
    return x


def fleet(total: int, seed: int = 20261122) -> dict[int, list[tuple[str, float, float]]]:
    """Readings per asset: ``total`` in all, time-ordered, one per metric per instant; the vib
    sensor of every tenth asset drops out for 10 minutes once."""
    rng = np.random.default_rng(seed)
    n = total // (ASSETS * len(METRICS))
    out = {}
    for a in range(ASSETS):
        ts = T0 + STEP * np.arange(n)
        temp = np.round(ar1(rng, n, 74, 4, 0.98), 2)
        pressure = np.round(ar1(rng, n, 6, 0.4, 0.995), 3)
        vib = np.round(ar1(rng, n, 4, 1.5, 0.9), 2)
        rows = []
        gap = range(n // 2, n // 2 + 60) if a % 10 == 0 else range(0)
        for i in range(n):
            t = float(ts[i])
            rows.append(("temp", t, float(temp[i])))
            rows.append(("pressure", t, float(pressure[i])))
            if i not in gap:
                rows.append(("vib", t, float(vib[i])))
        out[a] = rows
    return out


def numpy_threshold(ts: np.ndarray, x: np.ndarray, value: float, clear: float, for_s: float) -> list:
    """The threshold rule over a whole series, vectorised (the baseline; see tests)."""
    event = np.where(x > value, 1, np.where(x <= clear, 0, -1))
    last = np.maximum.accumulate(np.where(event >= 0, np.arange(len(x)), -1))
    holding = np.where(last >= 0, event[np.maximum(last, 0)], 0)
    edges = np.diff(np.concatenate(([0], holding, [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    out = []
    for s, e in zip(starts, ends, strict=True):
        expiry = ts[s] + for_s
        if e < len(x):
            if expiry < ts[e]:
                out += [("raised", float(expiry)), ("cleared", float(ts[e]))]
        elif expiry <= ts[-1]:
            out.append(("raised", float(expiry)))
    return out


def run_engine(
    data: dict[int, list], rules: list, batch_size: int | None, json_state: bool
) -> tuple[float, float, int, Any]:
    """Wall and CPU seconds, and transitions, for every asset's readings through every rule."""
    transitions = 0
    per_asset: dict[int, list] = {}
    start, cpu = time.perf_counter(), time.process_time()
    for a, rows in data.items():
        states: list[Any] = [None] * len(rules)
        step = batch_size or len(rows)
        found = []
        for lo in range(0, len(rows), step):
            batch = Batch(rows[lo : lo + step])  # converted and sorted once for the asset's rules
            for k, r in enumerate(rules):
                state = states[k]
                if json_state and state is not None:
                    state = RuleState.from_json(orjson.loads(state))
                ev = evaluate(r, state, batch)
                states[k] = orjson.dumps(ev.state.to_json()) if json_state else ev.state
                transitions += len(ev.transitions)
                if k == 0:
                    found += [(x.kind.value, x.at.timestamp()) for x in ev.transitions]
        per_asset[a] = found
    return time.perf_counter() - start, time.process_time() - cpu, transitions, per_asset


def run_baseline(data: dict[int, list]) -> tuple[float, dict[int, list]]:
    start = time.perf_counter()
    per_asset = {}
    for a, rows in data.items():
        temp = [(t, v) for m, t, v in rows if m == "temp"]
        arr = np.array(temp)
        per_asset[a] = numpy_threshold(arr[:, 0], arr[:, 1], 80.0, 76.0, 60.0)
    return time.perf_counter() - start, per_asset


# ---- anomaly quality ------------------------------------------------------------------------------


def labelled_series(kind: str, seed: int, n: int = 5000, spikes: int = 25) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic series with seeded spikes (Yahoo S5 A3 style): unit Gaussian noise plus the
    named component; spikes of 6 to 12 noise standard deviations, none in the first 100."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    x = rng.normal(0, 1, n)
    if kind == "seasonal":  # daily cycle of 5-minute data
        x += 3 * np.sin(2 * np.pi * i / 288)
    elif kind == "trend+seasonal":
        x += 0.002 * i + 2 * np.sin(2 * np.pi * i / 288) + np.sin(2 * np.pi * i / 40)
    elif kind == "random walk":
        x += np.cumsum(rng.normal(0, 0.2, n))
    where = rng.choice(np.arange(100, n, 3), spikes, replace=False)
    x[where] += rng.choice([-1, 1], spikes) * rng.uniform(6, 12, spikes)
    label = np.zeros(n, bool)
    label[where] = True
    return x, label


def pr(pred: np.ndarray, label: np.ndarray) -> tuple[float, float]:
    tp = int((pred & label).sum())
    return tp / max(1, int(pred.sum())), tp / int(label.sum())


def f1(p: float, r: float) -> float:
    return 2 * p * r / max(p + r, 1e-12)


def anomaly_quality(kinds: list[str], seeds: int, windows: list[int], hst: bool) -> list[dict]:
    out = []
    for kind in kinds:
        series = [labelled_series(kind, 1000 + s) for s in range(seeds)]
        label = np.concatenate([lab[100:] for _, lab in series])
        for w in windows:
            scores = []
            for x, _ in series:
                rows = [("m", T0 + STEP * i, float(v)) for i, v in enumerate(x)]
                s = detect(AnomalyConfig(metric="m", window_size=w), None, rows).scores
                scores.append(np.array([r.score or 0.0 for r in s])[100:])
            score = np.concatenate(scores)
            p, r = pr(score >= 6, label)
            best = max((pr(score >= th, label) for th in score[label]), key=lambda q: f1(*q))
            out.append(
                {
                    "series": kind,
                    "method": f"robust z-score, window {w}",
                    "threshold": "fixed 6",
                    "precision": round(p, 3),
                    "recall": round(r, 3),
                    "f1": round(f1(p, r), 3),
                    "best_f1_in_hindsight": round(f1(*best), 3),
                }
            )
        if hst:
            from river import anomaly, compose, preprocessing

            scores = []
            start = time.perf_counter()
            for x, _ in series:
                model = compose.Pipeline(preprocessing.MinMaxScaler(), anomaly.HalfSpaceTrees(seed=42))
                s = []
                for v in x:
                    s.append(model.score_one({"x": float(v)}))
                    model.learn_one({"x": float(v)})
                scores.append(np.array(s)[100:])
            us = (time.perf_counter() - start) / sum(len(x) for x, _ in series) * 1e6
            score = np.concatenate(scores)
            best = max((pr(score >= th, label) for th in score[label]), key=lambda q: f1(*q))
            out.append(
                {
                    "series": kind,
                    "method": "river HalfSpaceTrees (defaults)",
                    "threshold": "best in hindsight",
                    "precision": round(best[0], 3),
                    "recall": round(best[1], 3),
                    "f1": round(f1(*best), 3),
                    "best_f1_in_hindsight": round(f1(*best), 3),
                    "us_per_reading": round(us, 1),
                }
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--readings", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seeds", type=int, default=4, help="labelled series per kind for the anomaly quality")
    ap.add_argument("--no-hst", action="store_true", help="skip river's HalfSpaceTrees (about 80 us a reading)")
    args = ap.parse_args()

    data = fleet(args.readings)
    n = sum(len(rows) for rows in data.values())
    rules = [compile_rule(rule_from_dict(spec)) for spec in RULES]
    load_before = os.getloadavg()[0]

    modes = [
        ("one call per (rule, asset), shared Batch", rules, None, False),
        ("batches of 100 per asset, state via JSON", rules, 100, True),
        ("one call per instant (3 readings), state via JSON", rules, 3, True),
        ("threshold rule only, one call per asset (as the baseline)", rules[:1], None, False),
    ]
    results: list[dict[str, Any]] = []
    engine_r1: dict[int, list] = {}
    for label, chosen, size, via_json in modes:
        times, cpus, transitions = [], [], 0
        for _ in range(args.runs):
            seconds, cpu, transitions, per_asset = run_engine(data, chosen, size, via_json)
            times.append(seconds)
            cpus.append(cpu)
            engine_r1 = per_asset
        med = statistics.median(times)
        results.append(
            {
                "mode": label,
                "readings": n,
                "rules_per_asset": len(chosen),
                "seconds_median": round(med, 3),
                "seconds_each": [round(t, 3) for t in times],
                "cpu_seconds_median": round(statistics.median(cpus), 3),
                "readings_per_s": round(n / med),
                "seconds_per_100k": round(med * 100_000 / n, 3),
                "transitions": transitions,
            }
        )
    base_times = []
    for _ in range(args.runs):
        seconds, base_r1 = run_baseline(data)
        base_times.append(seconds)
    agree = all(
        [k for k, _ in engine_r1[a]] == [k for k, _ in base_r1[a]]
        and np.allclose([t for _, t in engine_r1[a]], [t for _, t in base_r1[a]], rtol=0, atol=1e-6)
        for a in data
    )
    med = statistics.median(base_times)
    temp_readings = sum(1 for rows in data.values() for m, _, _ in rows if m == "temp")
    results.append(
        {
            "mode": "baseline: numpy, threshold rule only, whole series",
            "readings": temp_readings,
            "rules_per_asset": 1,
            "seconds_median": round(med, 4),
            "seconds_each": [round(t, 4) for t in base_times],
            "readings_per_s": round(temp_readings / med),
            "transitions": sum(len(v) for v in base_r1.values()),
            "agrees_with_engine": agree,
        }
    )
    # anomaly throughput on the temp series of the fleet
    series = {a: [r for r in rows if r[0] == "temp"] for a, rows in data.items()}
    cfg = AnomalyConfig(metric="temp")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for rows in series.values():
            state = None
            for lo in range(0, len(rows), 100):
                state = detect(cfg, state, rows[lo : lo + 100]).state
        times.append(time.perf_counter() - start)
    med = statistics.median(times)
    anomaly_speed = {
        "mode": "anomaly detector, batches of 100 per asset, state via JSON",
        "readings": temp_readings,
        "seconds_median": round(med, 3),
        "readings_per_s": round(temp_readings / med),
        "us_per_reading": round(med / temp_readings * 1e6, 2),
    }
    quality = anomaly_quality(
        ["noise", "seasonal", "trend+seasonal", "random walk"], args.seeds, [30, 60, 120], hst=not args.no_hst
    )

    print(f"\nAlarm rules: {n:,} readings, {ASSETS} assets x {len(rules)} rules (median of {args.runs})")
    print(f"{'mode':<60} {'s':>7} {'CPU s':>6} {'s/100k':>7} {'readings/s':>11} {'transitions':>11}")
    for r in results:
        per, found, cpu = r.get("seconds_per_100k", ""), r.get("transitions", ""), r.get("cpu_seconds_median", "")
        print(f"{r['mode']:<60} {r['seconds_median']:>7} {cpu:>6} {per:>7} {r['readings_per_s']:>11,} {found:>11}")
    print(f"engine and numpy baseline agree on the threshold rule's transitions: {agree}")
    print(
        f"\nAnomaly detector: {anomaly_speed['readings']:,} readings in {anomaly_speed['seconds_median']} s "
        f"({anomaly_speed['us_per_reading']} us a reading)"
    )
    print(f"\n{'series':<16} {'method':<34} {'threshold':<18} {'P':>6} {'R':>6} {'F1':>6} {'best F1':>8}")
    for q in quality:
        print(
            f"{q['series']:<16} {q['method']:<34} {q['threshold']:<18} {q['precision']:>6} {q['recall']:>6} "
            f"{q['f1']:>6} {q['best_f1_in_hindsight']:>8}"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "alarm_rules",
                "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
                "command": "python benchmarks/alarm_rules.py " + " ".join(sys.argv[1:]),
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine(),
                    "numpy": np.__version__,
                    "river": river.__version__,
                },
                "target": "100,000 readings x 3 rules per asset well under 1 s",
                "load_average_1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
                "rules": RULES,
                "results": results,
                "anomaly_throughput": anomaly_speed,
                "anomaly_quality": {
                    "series": "5,000 readings each, 25 spikes of 6-12 sd, first 100 readings not scored",
                    "seeds_per_kind": args.seeds,
                    "results": quality,
                },
            },
            indent=2,
        )
        + "\n"
    )
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
