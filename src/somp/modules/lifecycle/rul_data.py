"""Unit time series for remaining-useful-life (RUL) work, the C-MAPSS reader and the RUL metrics.

Pure: numpy only, no database, no web framework. :class:`UnitSeries` is the input of
:func:`somp.modules.lifecycle.rul.train` and :meth:`~somp.modules.lifecycle.rul.RulModel.predict`:
one row per observation (unit id, time or cycle index, operating settings, sensor channels), rows
of one unit contiguous and in time order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

CMAPSS_SETTINGS = ("setting_1", "setting_2", "setting_3")
CMAPSS_SENSORS = tuple(f"sensor_{i}" for i in range(1, 22))


@dataclass(frozen=True, eq=False)
class UnitSeries:
    """Per-unit multivariate time series.

    Parameters
    ----------
    unit : (n,) array of unit ids (integers or strings)
    time : (n,) array of time or cycle indices, strictly increasing within a unit
    settings : (n, s) array of operating settings (s may be 0: pass ``np.zeros((n, 0))`` or ``()``)
    sensors : (n, c) array of sensor channels
    setting_names, sensor_names : column names (defaults ``setting_1``..., ``sensor_1``...)

    Rows are put in (unit, time) order on construction, keeping the first appearance order of
    the units; a repeated time within a unit is refused, as are missing (non-finite) values.
    """

    unit: np.ndarray
    time: np.ndarray
    settings: np.ndarray
    sensors: np.ndarray
    setting_names: tuple[str, ...] = ()
    sensor_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unit = np.asarray(self.unit)
        time = np.asarray(self.time, dtype=np.float64)
        sensors = np.asarray(self.sensors, dtype=np.float64)
        settings = np.asarray(self.settings, dtype=np.float64)
        n = len(unit)
        if n == 0:
            raise ValueError("a UnitSeries needs at least one observation")
        if unit.ndim != 1 or time.ndim != 1:
            raise ValueError("unit and time must be 1-D")
        if sensors.ndim != 2 or len(sensors) != n or len(time) != n:
            raise ValueError("unit, time and sensors must have the same number of rows (sensors 2-D)")
        if settings.size == 0:
            settings = np.zeros((n, 0))
        if settings.ndim != 2 or len(settings) != n:
            raise ValueError("settings must be a 2-D array with one row per observation")
        if not (np.isfinite(sensors).all() and np.isfinite(settings).all() and np.isfinite(time).all()):
            raise ValueError("time, settings and sensors must be finite (fill or drop missing values first)")
        _, first, inverse = np.unique(unit, return_index=True, return_inverse=True)
        rank = np.argsort(np.argsort(first, kind="stable"), kind="stable")[inverse.reshape(-1)]
        order = np.lexsort((time, rank))  # units in order of first appearance, then time
        if not np.array_equal(order, np.arange(n)):
            unit, time, settings, sensors = unit[order], time[order], settings[order], sensors[order]
            rank = rank[order]
        same = rank[1:] == rank[:-1]
        if np.any(same & (np.diff(time) <= 0)):
            raise ValueError("a unit has two observations at the same time")
        snames = tuple(self.setting_names) or tuple(f"setting_{i + 1}" for i in range(settings.shape[1]))
        cnames = tuple(self.sensor_names) or tuple(f"sensor_{i + 1}" for i in range(sensors.shape[1]))
        if len(snames) != settings.shape[1] or len(cnames) != sensors.shape[1]:
            raise ValueError("setting_names/sensor_names do not match the number of columns")
        for name, value in (
            ("unit", unit),
            ("time", time),
            ("settings", settings),
            ("sensors", sensors),
            ("setting_names", snames),
            ("sensor_names", cnames),
        ):
            object.__setattr__(self, name, value)

    def __len__(self) -> int:
        return len(self.unit)

    # cached_property writes the instance __dict__ directly, so it works on a frozen dataclass
    @cached_property
    def starts(self) -> np.ndarray:
        """Index of the first row of each unit (in row order)."""
        return np.flatnonzero(np.r_[True, self.unit[1:] != self.unit[:-1]])

    @property
    def n_units(self) -> int:
        return len(self.starts)

    @property
    def units(self) -> np.ndarray:
        """The unit ids in row order."""
        return self.unit[self.starts]

    @property
    def lengths(self) -> np.ndarray:
        """Number of observations of each unit."""
        return np.diff(np.r_[self.starts, len(self)])

    @property
    def last_rows(self) -> np.ndarray:
        """Index of the last row of each unit."""
        return np.r_[self.starts[1:] - 1, len(self) - 1]

    def position(self) -> np.ndarray:
        """0-based position of each row within its unit."""
        return np.arange(len(self)) - np.repeat(self.starts, self.lengths)

    def run_to_failure_rul(self) -> np.ndarray:
        """RUL of each row when every unit runs to failure at its last observation (RUL 0 there)."""
        return np.repeat(self.time[self.last_rows], self.lengths) - self.time

    def take(self, rows: np.ndarray) -> UnitSeries:
        """The given rows (any order: they are re-sorted by unit and time)."""
        rows = np.asarray(rows)
        return UnitSeries(
            self.unit[rows],
            self.time[rows],
            self.settings[rows],
            self.sensors[rows],
            self.setting_names,
            self.sensor_names,
        )

    def select_units(self, ids: Iterable) -> UnitSeries:
        """The rows of the units in ``ids``."""
        return self.take(np.flatnonzero(np.isin(self.unit, np.asarray(list(ids)))))

    def truncate(self, keep: Mapping) -> UnitSeries:
        """Keep the first ``keep[unit]`` observations of each listed unit (others unchanged)."""
        limit = np.full(self.n_units, np.iinfo(np.int64).max)
        index = {u: i for i, u in enumerate(self.units.tolist())}
        for u, k in keep.items():
            if u in index:
                limit[index[u]] = int(k)
        return self.take(np.flatnonzero(self.position() < np.repeat(limit, self.lengths)))


def read_cmapss(path: str | Path) -> UnitSeries:
    """Read a C-MAPSS ``train_FD00x.txt`` / ``test_FD00x.txt`` file (26 whitespace-separated columns:
    unit, cycle, 3 operating settings, 21 sensors)."""
    data = np.loadtxt(path, ndmin=2)
    if data.shape[1] < 26:
        raise ValueError(f"{path}: expected 26 columns (unit, cycle, 3 settings, 21 sensors), got {data.shape[1]}")
    return UnitSeries(
        data[:, 0].astype(np.int64), data[:, 1], data[:, 2:5], data[:, 5:26], CMAPSS_SETTINGS, CMAPSS_SENSORS
    )


def read_cmapss_truth(path: str | Path) -> np.ndarray:
    """Read ``RUL_FD00x.txt``: the true RUL of each test unit, in unit order."""
    return np.loadtxt(path, ndmin=1).astype(np.float64)


def rmse(predicted, true) -> float:
    """Root mean squared error."""
    d = np.asarray(predicted, dtype=np.float64) - np.asarray(true, dtype=np.float64)
    return float(np.sqrt(np.mean(d * d)))


def phm08_score(predicted, true) -> float:
    """The PHM08 challenge score: sum of ``exp(-d/13) - 1`` for ``d < 0`` and ``exp(d/10) - 1``
    otherwise, with ``d = predicted - true``; late predictions cost more than early ones."""
    d = np.asarray(predicted, dtype=np.float64) - np.asarray(true, dtype=np.float64)
    return float(np.sum(np.where(d < 0, np.expm1(-d / 13.0), np.expm1(d / 10.0))))


def interval_coverage(lower, upper, true) -> float:
    """Share of ``true`` values inside ``[lower, upper]``."""
    t = np.asarray(true, dtype=np.float64)
    return float(np.mean((np.asarray(lower) <= t) & (t <= np.asarray(upper))))
