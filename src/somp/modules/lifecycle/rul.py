"""Remaining-useful-life (RUL) engine (framework node 3.6, product health management).

Pure computation: numpy and LightGBM, no database, no web framework. Input is a
:class:`~somp.modules.lifecycle.rul_data.UnitSeries` (unit, time, operating settings, sensors).

Method (docs/rul.md has the details and the measured figures):

* target: piecewise-linear RUL, ``min(RUL, cap)`` with ``cap`` = 125 cycles by default (a healthy
  unit's remaining life cannot be told from its sensors, only that it is "long");
* features (:mod:`~somp.modules.lifecycle.rul_features`): operating conditions found by clustering
  the settings, per-condition z-scores of the informative sensors, a fused linear health channel,
  and window statistics per channel (rolling means, standard deviations, least-squares slopes,
  exponentially weighted means, drift from the unit's own first observations) plus the unit's age;
* model: LightGBM regression, one booster per fold of a K-fold split *by unit*; the prediction is
  the mean of the K boosters (a cross-fitted ensemble: K models at the cost of a cross-validation);
* interval: split-conformal by bins of the predicted RUL (Mondrian), from the out-of-fold residuals
  of the same K-fold run on the rows whose true RUL is at most 1.2 x cap: for each bin, the
  empirical (1-c)/2 and (1+c)/2 quantiles of ``true - predicted`` are added to the prediction.
  Out-of-fold residuals are those of one booster; the ensemble is a little more accurate, so the
  intervals are slightly conservative;
* health index: ``100 * clip(rul / cap, 0, 1)`` — 100 while the predicted RUL is at the cap (no
  detectable degradation), falling linearly to 0 at predicted end of life.
"""

from __future__ import annotations

import gzip
import json
import time as _time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace

import lightgbm as lgb
import numpy as np

from somp.modules.lifecycle.rul_data import UnitSeries, rmse
from somp.modules.lifecycle.rul_features import FeaturePipeline, FeatureSpec, fit_pipeline

FORMAT = "somp.rul/1"

DEFAULT_FEATURES = FeatureSpec()  # chosen by 5-fold CV by unit on the FD001 and FD002 training files


@dataclass(frozen=True)
class RulConfig:
    """Training configuration (JSON-serialisable, stored with the model)."""

    cap: float = 125.0
    features: FeatureSpec = DEFAULT_FEATURES
    conditions: int | None = None  # None: detect the number of operating conditions from the settings
    folds: int = 5
    # LightGBM: chosen by 5-fold CV by unit on the FD001 and FD002 training files (docs/rul.md)
    rounds: int = 300
    learning_rate: float = 0.03
    num_leaves: int = 31
    min_data_in_leaf: int = 100
    feature_fraction: float = 0.6
    bagging_fraction: float = 0.7
    lambda_l2: float = 1.0
    max_bin: int = 63
    seed: int = 0
    coverage: float = 0.9  # nominal coverage of the prediction interval
    interval_bins: int = 6  # bins of predicted RUL for the conditional (Mondrian) calibration
    # calibrate on rows whose true RUL is at most this multiple of the cap (0: all rows): the long
    # healthy stretch of each life, trivially predicted at the cap, would otherwise make the
    # intervals too narrow for the degrading units where they matter (docs/rul.md)
    calibration_horizon: float = 1.2

    def lgb_params(self, seed: int) -> dict:
        return {
            "objective": "regression",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": self.min_data_in_leaf,
            "feature_fraction": self.feature_fraction,
            "bagging_fraction": self.bagging_fraction,
            "bagging_freq": 1 if self.bagging_fraction < 1 else 0,
            "lambda_l2": self.lambda_l2,
            "max_bin": self.max_bin,
            "seed": seed,
            "deterministic": True,
            "num_threads": 1,  # much faster than 2 on a 2-core machine, and reproducible
            "verbose": -1,
        }

    def to_json(self) -> dict:
        d = asdict(self)
        d["features"] = self.features.to_json()
        return d

    @classmethod
    def from_json(cls, d: dict) -> RulConfig:
        d = dict(d)
        d["features"] = FeatureSpec.from_json(d["features"])
        return cls(**d)

    @classmethod
    def fast(cls) -> RulConfig:
        """A reduced configuration for tests and smoke runs (about 10x less training work)."""
        return cls(folds=3, rounds=80, learning_rate=0.1, num_leaves=15)


@dataclass(frozen=True)
class Calibration:
    """Interval offsets per bin of predicted RUL: ``edges`` (bins - 1 inner edges), ``lower`` and
    ``upper`` residual quantiles (true minus predicted) per bin."""

    edges: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def interval(self, predicted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        b = np.searchsorted(self.edges, predicted, side="right")
        return np.maximum(predicted + self.lower[b], 0.0), predicted + self.upper[b]

    def to_json(self) -> dict:
        return {"edges": self.edges.tolist(), "lower": self.lower.tolist(), "upper": self.upper.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> Calibration:
        return cls(np.array(d["edges"], float), np.array(d["lower"], float), np.array(d["upper"], float))


def calibrate(predicted: np.ndarray, residual: np.ndarray, coverage: float, bins: int) -> Calibration:
    """Split-conformal offsets from out-of-fold predictions and residuals (true - predicted), per
    bin of equal count of the predicted value. Quantile levels get the finite-sample correction
    ``ceil((n + 1) q) / n`` of split conformal prediction."""
    bins = max(1, min(bins, len(predicted) // 50))
    edges = np.quantile(predicted, np.arange(1, bins) / bins) if bins > 1 else np.zeros(0)
    edges = np.unique(edges)
    which = np.searchsorted(edges, predicted, side="right")
    alpha = (1.0 - coverage) / 2.0
    lower, upper = np.zeros(len(edges) + 1), np.zeros(len(edges) + 1)
    for b in range(len(edges) + 1):
        r = residual[which == b]
        n = len(r)
        lo = max(0.0, np.floor((n + 1) * alpha) / n - 1e-12) if n else 0.0
        hi = min(1.0, np.ceil((n + 1) * (1 - alpha)) / n) if n else 1.0
        lower[b] = np.quantile(r, lo, method="lower") if n else 0.0
        upper[b] = np.quantile(r, hi, method="higher") if n else 0.0
    return Calibration(edges, lower, upper)


def health_index(rul: np.ndarray, cap: float) -> np.ndarray:
    """Health index 0-100 from predicted RUL: ``100 * clip(rul / cap, 0, 1)``. 100 means no
    detectable degradation (predicted RUL at the cap), 0 predicted end of life; linear between,
    so 50 means about ``cap / 2`` cycles (time units) left."""
    return 100.0 * np.clip(np.asarray(rul, dtype=np.float64) / cap, 0.0, 1.0)


@dataclass(frozen=True)
class RulPrediction:
    """Per-unit predictions at each unit's last observation (arrays in unit order)."""

    unit: np.ndarray
    time: np.ndarray  # time of the last observation
    rul: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    health: np.ndarray
    coverage: float

    def __len__(self) -> int:
        return len(self.unit)

    def to_records(self) -> list[dict]:
        return [
            {
                "unit": u.item() if hasattr(u, "item") else u,
                "time": float(t),
                "rul": float(r),
                "lower": float(lo),
                "upper": float(hi),
                "health": float(h),
            }
            for u, t, r, lo, hi, h in zip(
                self.unit, self.time, self.rul, self.lower, self.upper, self.health, strict=True
            )
        ]

    @staticmethod
    def concat(parts: list[RulPrediction]) -> RulPrediction:
        if not parts:
            raise ValueError("nothing to concatenate")
        return RulPrediction(
            *(
                np.concatenate([getattr(p, k) for p in parts])
                for k in ("unit", "time", "rul", "lower", "upper", "health")
            ),
            coverage=parts[0].coverage,
        )


@dataclass(frozen=True, eq=False)
class RulModel:
    """A trained RUL model: feature pipeline, boosters, interval calibration and training facts."""

    config: RulConfig
    pipeline: FeaturePipeline
    boosters: tuple[lgb.Booster, ...]
    calibration: Calibration
    info: dict = field(default_factory=dict)

    # -- prediction ---------------------------------------------------------------------------

    def predict_rows(self, series: UnitSeries, rows: np.ndarray | None = None) -> np.ndarray:
        """Point RUL at the given rows of ``series`` (default: every row: the RUL trajectory)."""
        x = self.pipeline.transform(series, rows)
        pred = np.zeros(len(x))
        for b in self.boosters:
            pred += b.predict(x, num_threads=1)
        return np.clip(pred / len(self.boosters), 0.0, self.config.cap)

    def predict(self, series: UnitSeries, chunk_rows: int = 250_000) -> RulPrediction:
        """Point RUL, prediction interval and health index at each unit's last observation.

        Units are processed in chunks of about ``chunk_rows`` rows (memory stays bounded for a
        fleet); features are computed at the last rows only.
        """
        parts = []
        for chunk in _chunks(series, chunk_rows):
            rul = self.predict_rows(chunk, chunk.last_rows)
            lower, upper = self.calibration.interval(rul)
            parts.append(
                RulPrediction(
                    chunk.units,
                    chunk.time[chunk.last_rows],
                    rul,
                    lower,
                    upper,
                    health_index(rul, self.config.cap),
                    self.config.coverage,
                )
            )
        return RulPrediction.concat(parts)

    # -- storage --------------------------------------------------------------------------------

    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "config": self.config.to_json(),
            "pipeline": self.pipeline.to_json(),
            "calibration": self.calibration.to_json(),
            "info": self.info,
            "boosters": [b.model_to_string() for b in self.boosters],
        }

    def to_bytes(self) -> bytes:
        """Gzip-compressed UTF-8 JSON (LightGBM boosters as their text model strings; no pickle)."""
        return gzip.compress(json.dumps(self.to_json(), separators=(",", ":")).encode("utf-8"), mtime=0)

    @classmethod
    def from_json(cls, d: dict) -> RulModel:
        if d.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model (format {d.get('format')!r})")
        return cls(
            RulConfig.from_json(d["config"]),
            FeaturePipeline.from_json(d["pipeline"]),
            tuple(lgb.Booster(model_str=s) for s in d["boosters"]),
            Calibration.from_json(d["calibration"]),
            dict(d.get("info", {})),
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> RulModel:
        """Load from :meth:`to_bytes` (plain JSON bytes are accepted too)."""
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return cls.from_json(json.loads(data.decode("utf-8")))


def _chunks(series: UnitSeries, chunk_rows: int) -> Iterable[UnitSeries]:
    """The series cut at unit boundaries into pieces of at most about ``chunk_rows`` rows."""
    if len(series) <= chunk_rows:
        yield series
        return
    starts, ends = series.starts, np.r_[series.starts[1:], len(series)]
    i = 0
    while i < len(starts):
        j = max(i + 1, int(np.searchsorted(ends, starts[i] + chunk_rows, side="right")))
        yield series.take(np.arange(starts[i], ends[j - 1]))
        i = j


def score_fleet(model: RulModel, batches: Iterable[UnitSeries], chunk_rows: int = 250_000) -> RulPrediction:
    """Score a fleet given as batches of whole units (e.g. pages read from the telemetry store)."""
    return RulPrediction.concat([model.predict(b, chunk_rows) for b in batches])


def unit_folds(units: np.ndarray, k: int, seed: int) -> list[np.ndarray]:
    """K groups of unit ids (shuffled with ``seed``): the group K-fold split by unit."""
    u = np.array(units)
    np.random.default_rng(seed).shuffle(u)
    return [np.sort(u[i::k]) for i in range(k)]


def train(
    series: UnitSeries,
    config: RulConfig | None = None,
    *,
    rul: np.ndarray | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> RulModel:
    """Train a RUL model on ``series``.

    ``rul`` is the true remaining life of each row; by default every unit runs to failure at its
    last observation (``series.run_to_failure_rul()``), as in the C-MAPSS training files. The
    target is ``min(rul, config.cap)``. ``progress(stage, done, total)`` is called after each
    booster. Needs at least two units (the interval is calibrated on held-out units).
    """
    config = config or RulConfig()
    started = _time.perf_counter()
    if series.n_units < 2:
        raise ValueError("training needs at least two units")
    y_raw = series.run_to_failure_rul() if rul is None else np.asarray(rul, dtype=np.float64)
    if y_raw.shape != (len(series),):
        raise ValueError("rul must have one value per row")
    y = np.minimum(y_raw, config.cap)
    pipeline = fit_pipeline(series, y, config.features, conditions=config.conditions, seed=config.seed)
    x = pipeline.transform(series)
    k = max(2, min(config.folds, series.n_units))
    groups = unit_folds(series.units, k, config.seed)
    oof = np.zeros(len(series))
    boosters = []
    # One binned dataset for all rows, subset per fold: the features are binned once, not K times
    # (bin edges see the held-out rows' feature values, never their targets).
    full = lgb.Dataset(
        x, y, feature_name=list(pipeline.feature_names), params=config.lgb_params(config.seed), free_raw_data=False
    ).construct()
    for i, held in enumerate(groups):
        test = np.isin(series.unit, held)
        data = full.subset(np.flatnonzero(~test))
        booster = lgb.train(config.lgb_params(config.seed + i), data, num_boost_round=config.rounds)
        oof[test] = np.clip(booster.predict(x[test], num_threads=1), 0.0, config.cap)
        boosters.append(booster)
        if progress:
            progress("boosters", i + 1, k)
    cal = y_raw <= config.calibration_horizon * config.cap if config.calibration_horizon > 0 else np.ones(len(y), bool)
    if cal.sum() < 50:  # too few rows near failure (e.g. right-censored lives): use them all
        cal = np.ones(len(y), bool)
    calibration = calibrate(oof[cal], y[cal] - oof[cal], config.coverage, config.interval_bins)
    degrading = y_raw <= config.cap
    info = {
        "units": int(series.n_units),
        "rows": int(len(series)),
        "conditions": int(pipeline.conditions.count),
        "channels": list(pipeline.channel_names),
        "features": len(pipeline.feature_names),
        "cv_rmse_capped_rows": round(rmse(oof, y), 4),
        # out-of-fold RMSE on the rows of the degrading phase (true RUL <= cap)
        "cv_rmse_capped_degrading": round(rmse(oof[degrading], y[degrading]), 4) if degrading.any() else None,
        "calibration_rows": int(cal.sum()),
        "seconds": round(_time.perf_counter() - started, 2),
    }
    return RulModel(config, pipeline, tuple(boosters), calibration, info)


def with_overrides(config: RulConfig, **changes) -> RulConfig:
    """``config`` with some fields changed (``features`` may be a dict of FeatureSpec fields)."""
    if isinstance(changes.get("features"), dict):
        changes["features"] = replace(config.features, **changes["features"])
    return replace(config, **changes)
