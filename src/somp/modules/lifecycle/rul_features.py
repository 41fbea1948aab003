"""Feature pipeline of the RUL engine: operating conditions, per-condition normalisation, a fused
linear health channel and rolling-window features per unit, all vectorised with numpy.

Pure: numpy only. Every step is *fitted* on training data (:func:`fit_pipeline`) into a small
parameter object that serialises to JSON, and *applied* unchanged to new data
(:meth:`FeaturePipeline.transform`), so a stored model normalises a new unit exactly as it did in
training. Features are computed only at the rows asked for (all rows to train, each unit's last
row to score a fleet) from prefix sums over the unit's history, so scoring costs O(rows x channels)
whatever the window lengths.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from somp.modules.lifecycle.rul_data import UnitSeries

# ---------------------------------------------------------------------------------------------
# Operating conditions
#
# C-MAPSS FD002/FD004 fly six operating conditions (altitude, Mach, throttle); the sensors jump
# between condition levels far more than degradation moves them, so each sensor is normalised per
# condition. The conditions are found by clustering the operating settings. A small k-means is
# written here with numpy instead of adding scikit-learn as a dependency for one call: the data are
# a handful of tight, well separated clusters in 1-3 dimensions, where Lloyd's algorithm with
# k-means++ seeding and a few restarts is exact in practice and deterministic under a fixed seed.
# ---------------------------------------------------------------------------------------------


def _sq_dist(x: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """(n, k) squared distances, one centre at a time (no (n, k, d) temporary)."""
    out = np.empty((len(x), len(centres)))
    for j, c in enumerate(centres):
        out[:, j] = ((x - c) ** 2).sum(1)
    return out


def kmeans(
    x: np.ndarray, k: int, seed: int = 0, n_init: int = 3, iters: int = 50
) -> tuple[np.ndarray, np.ndarray, float]:
    """Lloyd's k-means with k-means++ seeding; returns (centres, labels, inertia) of the best run."""
    rng = np.random.default_rng(seed)
    best: tuple[np.ndarray, np.ndarray, float] | None = None
    for _ in range(n_init):
        centres = x[[rng.integers(len(x))]]
        for _ in range(1, k):
            d2 = _sq_dist(x, centres).min(1)
            total = d2.sum()
            centres = np.vstack([centres, x[rng.choice(len(x), p=d2 / total if total > 0 else None)]])
        labels = np.full(len(x), -1, dtype=np.int64)
        for _ in range(iters):
            new = _sq_dist(x, centres).argmin(1)
            if np.array_equal(new, labels):
                break
            labels = new
            centres = np.array([x[labels == j].mean(0) if np.any(labels == j) else centres[j] for j in range(k)])
        inertia = float(((x - centres[labels]) ** 2).sum())
        if best is None or inertia < best[2] - 1e-12:
            best = (centres, labels, inertia)
    assert best is not None
    return best


@dataclass(frozen=True)
class Conditions:
    """Operating-condition clusters of the settings: ``centres`` in scaled units (settings minus
    ``offset`` divided by ``scale``); one centre means a single condition."""

    offset: np.ndarray
    scale: np.ndarray
    centres: np.ndarray

    @property
    def count(self) -> int:
        return len(self.centres)

    def assign(self, settings: np.ndarray) -> np.ndarray:
        if self.count == 1 or settings.shape[1] == 0:
            return np.zeros(len(settings), dtype=np.int64)
        return _sq_dist((settings - self.offset) / self.scale, self.centres).argmin(1)

    def to_json(self) -> dict:
        return {"offset": self.offset.tolist(), "scale": self.scale.tolist(), "centres": self.centres.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> Conditions:
        s = len(d["offset"])
        return cls(
            np.array(d["offset"], float),
            np.array(d["scale"], float),
            np.array(d["centres"], float).reshape(len(d["centres"]), s),  # s may be 0 (no settings)
        )


def detect_conditions(
    settings: np.ndarray,
    count: int | None = None,
    max_count: int = 10,
    explained: float = 0.99,
    seed: int = 0,
    sample: int = 3000,
) -> Conditions:
    """Cluster the operating settings into conditions.

    With ``count`` given, that many clusters. Otherwise the smallest k <= ``max_count`` whose
    clusters explain at least ``explained`` of the (standardised) settings' variance *and* after
    which one more cluster no longer halves the within-cluster variance (it would only split
    noise: with six tight conditions, 5 clusters already explain 99.3% but the sixth removes
    99.98% of the rest). When no k qualifies (settings that carry only measurement noise, as in
    FD001, or vary continuously) there is one condition.
    """
    s = settings.shape[1]
    offset = settings.mean(0) if s else np.zeros(0)
    scale = settings.std(0) if s else np.zeros(0)
    scale = np.where(scale > 0, scale, 1.0)
    single = Conditions(offset, scale, np.zeros((1, s)))
    if s == 0 or count == 1 or len(settings) < 2:
        return single
    z = (settings - offset) / scale
    # k-means on a sample is enough to place well separated centres; labels come from assign()
    rng = np.random.default_rng(seed)
    z = z if len(z) <= sample else z[np.sort(rng.choice(len(z), sample, replace=False))]
    total = float(((z - z.mean(0)) ** 2).sum())
    distinct = len(np.unique(z, axis=0))
    if total == 0:
        return single

    def ordered(c: np.ndarray) -> Conditions:
        return Conditions(offset, scale, c[np.lexsort(c.T[::-1])])

    if count:
        return ordered(kmeans(z, min(count, distinct), seed=seed)[0])
    top = min(max_count, distinct)
    if top < 2 or 1.0 - kmeans(z, top, seed=seed)[2] / total < explained:
        return single  # even the most clusters allowed leave too much unexplained: no discrete conditions
    prev = None
    for k in range(2, min(max_count + 1, distinct) + 1):
        fit = kmeans(z, k, seed=seed)
        if prev is not None and 1.0 - prev[2] / total >= explained and fit[2] >= 0.5 * prev[2]:
            return ordered(prev[0])
        prev = fit
    return single


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Normaliser:
    """Per-condition z-scores of the kept sensor channels (``keep`` indexes the input columns)."""

    keep: np.ndarray
    mean: np.ndarray  # (conditions, kept channels)
    std: np.ndarray

    def apply(self, sensors: np.ndarray, condition: np.ndarray) -> np.ndarray:
        return (sensors[:, self.keep] - self.mean[condition]) / self.std[condition]

    def to_json(self) -> dict:
        return {"keep": self.keep.tolist(), "mean": self.mean.tolist(), "std": self.std.tolist()}

    @classmethod
    def from_json(cls, d: dict) -> Normaliser:
        keep = np.array(d["keep"], dtype=np.int64)
        c = len(keep)
        return cls(keep, np.array(d["mean"], float).reshape(-1, c), np.array(d["std"], float).reshape(-1, c))


def fit_normaliser(sensors: np.ndarray, condition: np.ndarray, n_conditions: int, min_levels: int = 4) -> Normaliser:
    """Per-condition mean and standard deviation of each sensor, dropping uninformative channels.

    A channel is kept when, in at least half of the conditions that occur, it takes ``min_levels``
    or more distinct values. This drops constant channels and channels that only flip between two
    or three quantisation levels (C-MAPSS sensor 6 is 21.60 or 21.61), whatever their magnitude:
    a threshold relative to the mean would also drop informative sensors with a large offset
    (sensors 8 and 13 vary by 3e-5 of their 2,388 rpm).
    """
    c = sensors.shape[1]
    mean = np.zeros((n_conditions, c))
    std = np.ones((n_conditions, c))
    votes = np.zeros(c, dtype=np.int64)
    present = 0
    for j in range(n_conditions):
        rows = sensors[condition == j]
        if not len(rows):
            continue
        present += 1
        mean[j], std[j] = rows.mean(0), rows.std(0)
        levels = np.array([len(np.unique(rows[:, i])) for i in range(c)])
        votes += levels >= min_levels
    keep = np.flatnonzero(2 * votes >= max(present, 1)) if present else np.arange(c)
    std = std[:, keep]
    return Normaliser(keep, mean[:, keep], np.where(std > 0, std, 1.0))


# ---------------------------------------------------------------------------------------------
# Window statistics at chosen rows. Windows count observations; a window that would reach before
# the unit's first observation is shortened to the observations available (so a feature never
# looks at another unit, and never at the future).
# ---------------------------------------------------------------------------------------------


def _by_position(pos: np.ndarray) -> list[np.ndarray]:
    """Row indices grouped by position within their unit: [rows at position 0, at 1, ...]."""
    order = np.argsort(pos, kind="stable")
    bounds = np.searchsorted(pos[order], np.arange(int(pos.max()) + 2))
    return [order[bounds[k] : bounds[k + 1]] for k in range(len(bounds) - 1)]


def _unit_cumsum(x: np.ndarray, groups: list[np.ndarray]) -> np.ndarray:
    """Cumulative sum restarted at each unit, one vectorised step per position. Unlike a global
    cumsum minus an offset, a unit's values do not depend on the rows before it, so a unit gets
    bit-identical features whatever batch it is scored in (and the sums stay small)."""
    c = np.empty_like(x)
    c[groups[0]] = x[groups[0]]
    for rows in groups[1:]:
        c[rows] = c[rows - 1] + x[rows]
    return c


class _Prefix:
    """Per-unit prefix sums of x, x^2, t, t^2, t*x, evaluated over windows ending at ``rows``."""

    def __init__(self, x: np.ndarray, t: np.ndarray, pos: np.ndarray, rows: np.ndarray, groups: list[np.ndarray]):
        c = x.shape[1]
        t = t[:, None]
        cs = _unit_cumsum(np.hstack([x, x * x, t, t * t, t * x]), groups)
        self.cx, self.cxx, self.ct, self.ctt, self.ctx = np.split(cs, [c, 2 * c, 2 * c + 1, 2 * c + 2], axis=1)
        self.pos, self.rows = pos, rows

    def _window(self, cs: np.ndarray, w: int) -> np.ndarray:
        """Sum over the last ``w`` observations up to each row (fewer at the start of a unit)."""
        before = self.rows - np.minimum(self.pos[self.rows] + 1, w)  # last row outside the window
        inside = (self.pos[self.rows] + 1 <= w)[:, None]  # the window starts at the unit's first row
        return cs[self.rows] - np.where(inside, 0.0, cs[np.maximum(before, 0)])

    def count(self, w: int) -> np.ndarray:
        return np.minimum(self.pos[self.rows] + 1, w)[:, None].astype(np.float64)

    def mean(self, w: int) -> np.ndarray:
        return self._window(self.cx, w) / self.count(w)

    def std(self, w: int) -> np.ndarray:
        n = self.count(w)
        m = self._window(self.cx, w) / n
        return np.sqrt(np.maximum(self._window(self.cxx, w) / n - m * m, 0.0))

    def slope(self, w: int) -> np.ndarray:
        """Least-squares slope of x against t over the window (0 with fewer than 2 observations)."""
        n = self.count(w)
        sx, st = self._window(self.cx, w), self._window(self.ct, w)
        stt, stx = self._window(self.ctt, w), self._window(self.ctx, w)
        den = n * stt - st * st
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (n * stx - st * sx) / den
        return np.where(den > 1e-9 * np.maximum(n * stt, 1.0), slope, 0.0)

    def head_mean(self, head: int) -> np.ndarray:
        """Mean of the unit's first ``head`` observations (those seen so far): its own baseline."""
        k = np.minimum(self.pos[self.rows], head - 1)  # last row of the head, relative to the unit start
        return self.cx[self.rows - self.pos[self.rows] + k] / (k + 1)[:, None]


def ewm(x: np.ndarray, pos: np.ndarray, alpha: float, groups: list[np.ndarray] | None = None) -> np.ndarray:
    """Exponentially weighted mean ``y_t = alpha x_t + (1 - alpha) y_{t-1}``, restarted per unit
    (y equals x at a unit's first observation): one vectorised step per position within a unit."""
    groups = _by_position(pos) if groups is None else groups
    y = np.empty_like(x)
    y[groups[0]] = x[groups[0]]
    for rows in groups[1:]:
        y[rows] = alpha * x[rows] + (1.0 - alpha) * y[rows - 1]
    return y


@dataclass(frozen=True)
class FeatureSpec:
    """Which features to compute for each channel (window lengths count observations; a window
    longer than the history, like 1000, covers the whole history). The defaults were chosen by
    5-fold cross-validation by unit on the C-MAPSS FD001 and FD002 training files (docs/rul.md)."""

    mean_windows: tuple[int, ...] = (10, 20, 40)
    std_windows: tuple[int, ...] = (30,)
    slope_windows: tuple[int, ...] = (20, 40, 80, 1000)
    ewm_alphas: tuple[float, ...] = (0.05, 0.2)
    baseline: int = 30  # > 0: also the longest-window mean minus the mean of the first `baseline` obs
    fused: bool = True  # add a linear health channel fitted on the training target
    age: bool = True  # add the unit's elapsed time since its first observation

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, d: dict) -> FeatureSpec:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in d.items()})


def window_features(
    x: np.ndarray, t: np.ndarray, pos: np.ndarray, rows: np.ndarray, names: list[str], spec: FeatureSpec
) -> tuple[np.ndarray, list[str]]:
    """Feature matrix (len(rows), f) and feature names from channels x (n, c) observed at times t;
    ``pos`` is each row's 0-based position within its unit, units contiguous and in time order."""
    groups = _by_position(pos)
    p = _Prefix(x, t, pos, rows, groups)
    blocks: list[np.ndarray] = [x[rows]]
    out_names = [f"{c}_last" for c in names]

    def add(block: np.ndarray, tag: str) -> None:
        blocks.append(block)
        out_names.extend(f"{c}_{tag}" for c in names)

    for w in spec.mean_windows:
        add(p.mean(w), f"mean{w}")
    for w in spec.std_windows:
        add(p.std(w), f"std{w}")
    for w in spec.slope_windows:
        add(p.slope(w), f"slope{w}")
    for a in spec.ewm_alphas:
        add(ewm(x, pos, a, groups)[rows], f"ewm{a:g}")
    if spec.baseline:
        add(p.mean(max(spec.mean_windows or (1,))) - p.head_mean(spec.baseline), f"drift{spec.baseline}")
    return np.hstack(blocks), out_names


# ---------------------------------------------------------------------------------------------
# The fitted pipeline
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeaturePipeline:
    """Fitted preprocessing: conditions, normaliser, fused-channel weights and the feature spec."""

    spec: FeatureSpec
    conditions: Conditions
    normaliser: Normaliser
    fused: np.ndarray  # (kept channels + 1,) weights and intercept; empty without a fused channel
    channel_names: tuple[str, ...]
    feature_names: tuple[str, ...]

    def channels(self, series: UnitSeries) -> np.ndarray:
        """The normalised kept channels (n, c), plus the fused health channel when fitted."""
        z = self.normaliser.apply(series.sensors, self.conditions.assign(series.settings))
        if len(self.fused):
            z = np.hstack([z, (z @ self.fused[:-1] + self.fused[-1])[:, None]])
        return z

    def transform(self, series: UnitSeries, rows: np.ndarray | None = None) -> np.ndarray:
        """Feature matrix at ``rows`` (default: every row), float64, columns ``feature_names``."""
        pos = series.position()
        rows = np.arange(len(series)) if rows is None else np.asarray(rows, dtype=np.int64)
        t = series.time - np.repeat(series.time[series.starts], series.lengths)  # elapsed, small numbers
        feats, _ = window_features(self.channels(series), t, pos, rows, list(self.channel_names), self.spec)
        if self.spec.age:
            feats = np.hstack([feats, t[rows, None]])
        return feats

    def to_json(self) -> dict:
        return {
            "spec": self.spec.to_json(),
            "conditions": self.conditions.to_json(),
            "normaliser": self.normaliser.to_json(),
            "fused": self.fused.tolist(),
            "channel_names": list(self.channel_names),
            "feature_names": list(self.feature_names),
        }

    @classmethod
    def from_json(cls, d: dict) -> FeaturePipeline:
        return cls(
            FeatureSpec.from_json(d["spec"]),
            Conditions.from_json(d["conditions"]),
            Normaliser.from_json(d["normaliser"]),
            np.array(d["fused"], float),
            tuple(d["channel_names"]),
            tuple(d["feature_names"]),
        )


def fit_pipeline(
    series: UnitSeries,
    target: np.ndarray,
    spec: FeatureSpec | None = None,
    conditions: int | None = None,
    ridge: float = 1.0,
    seed: int = 0,
) -> FeaturePipeline:
    """Fit the preprocessing on training rows with their (capped) RUL ``target``.

    The fused channel is a ridge regression of the target on the normalised channels: one linear
    combination of all sensors, far less noisy than any single one, that the window statistics
    then smooth further (trees cannot average many weak noisy inputs themselves).
    """
    spec = spec or FeatureSpec()
    cond = detect_conditions(series.settings, count=conditions, seed=seed)
    labels = cond.assign(series.settings)
    norm = fit_normaliser(series.sensors, labels, cond.count)
    names = [series.sensor_names[i] for i in norm.keep]
    fused = np.zeros(0)
    if spec.fused and len(norm.keep):
        z = norm.apply(series.sensors, labels)
        y = np.asarray(target, dtype=np.float64)
        zm, ym = z.mean(0), y.mean()
        zc = z - zm
        w = np.linalg.solve(zc.T @ zc + ridge * len(z) * 1e-3 * np.eye(z.shape[1]), zc.T @ (y - ym))
        fused = np.r_[w, ym - zm @ w]
        names.append("fused")
    t = np.zeros(len(names))  # names only: run the feature code on a one-row dummy
    _, feature_names = window_features(
        np.zeros((1, len(names))), t[:1], np.zeros(1, np.int64), np.zeros(1, np.int64), names, spec
    )
    if spec.age:
        feature_names.append("age")
    return FeaturePipeline(spec, cond, norm, fused, tuple(names), tuple(feature_names))
