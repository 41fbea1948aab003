"""Streaming anomaly detection per (asset, metric) as an alarm source (framework node 3.6,
condition warning 状态预警). Pure: no database, no web framework.

Method: the score of a reading is its robust z-score against the ``window_size`` readings of the
same metric before it,

    score = |x - median| / max(IQR / 1.349, min_scale)

with the median and the interquartile range from river's rolling quantiles
(:class:`river.stats.RollingQuantile`, :class:`river.stats.RollingIQR`: linear interpolation,
numpy's default; the tests check them against numpy). 1.349 is the IQR of the standard normal, so
on Gaussian noise the score reads as standard deviations. Median and IQR ignore up to a quarter of
the window, so an isolated spike does not blind the detector to the next one and every reading
can be learned, spikes included. A level shift scores high at its onset and is absorbed after
about ``window_size / 4`` readings (a lasting deviation is a threshold rule's job). river's
``HalfSpaceTrees`` was tried and does not separate spikes from noise on the same data
(docs/alarms.md has the figures from benchmarks/alarm_rules.py).

Alarm: :class:`AnomalyDetector` raises when a score reaches ``raise_above`` and clears when a
score falls below ``clear_below`` (hysteresis); it scores nothing during the warm-up (the first
``warmup`` readings). Transitions are the rule engine's :class:`AlarmTransition` (reason
``anomaly`` / ``back_to_normal``), so the service treats a detector like a rule.

State: JSON (:meth:`AnomalyDetector.to_json`): the last ``window_size`` values as a list, the
count learned and the alarm status. Loading replays the window into fresh river statistics, which
depend only on the window's values, so a detector restored from JSON scores exactly as the one
that was saved (no pickle: nothing to trust, nothing tied to river's internals).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

from river import stats

from somp.modules.lifecycle.alarm_rules import (
    AlarmStatus,
    AlarmTransition,
    Batch,
    IgnoredReading,
    IgnoreReason,
    Reading,
    RuleInvalid,
    Severity,
    TransitionKind,
    from_epoch,
)

# IQR of the standard normal distribution: 2 * Phi^-1(0.75) = 1.3489795...
NORMAL_IQR = 2 * NormalDist().inv_cdf(0.75)
STATE_VERSION = 1
MAX_WINDOW = 10_000


@dataclass(frozen=True, slots=True)
class AnomalyConfig:
    """One detector's parameters (JSON: :meth:`from_dict` / :meth:`to_dict`). ``id`` names the
    alarm source in transitions (default ``anomaly:<metric>``); ``warmup`` defaults to
    ``window_size``; ``min_scale`` floors the robust scale, in the metric's unit: set it to the
    sensor's resolution, or a constant signal makes its first step of one unit an anomaly."""

    metric: str
    id: str = ""
    window_size: int = 60
    warmup: int | None = None
    raise_above: float = 6.0
    clear_below: float = 3.0
    min_scale: float = 1e-6
    severity: Severity = Severity.warning

    def __post_init__(self) -> None:
        try:
            _check(self)
        except RuleInvalid as e:
            raise e.within("anomaly") from None

    @classmethod
    def from_dict(cls, data: Any) -> AnomalyConfig:
        """Build and validate a configuration from its JSON form; raises :class:`RuleInvalid`."""
        if not isinstance(data, Mapping):
            raise RuleInvalid("must be an object", "not_an_object", "anomaly")
        known = {f.name for f in dataclasses.fields(cls)}
        if unknown := sorted(set(data) - known):
            raise RuleInvalid(f"unknown field(s) {', '.join(unknown)}", "unknown_field", "anomaly", {"fields": unknown})
        if "metric" not in data:
            raise RuleInvalid("missing field(s) metric", "missing_field", "anomaly", {"fields": ["metric"]})
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["severity"] = self.severity.value
        return out


def _check(c: AnomalyConfig) -> None:
    if not isinstance(c.metric, str) or not c.metric.strip():
        raise RuleInvalid(f"must be a non-empty string (got {c.metric!r})", "empty_name", "metric")
    object.__setattr__(c, "metric", c.metric.strip())
    if not isinstance(c.id, str):
        raise RuleInvalid("must be a string", "empty_name", "id")
    object.__setattr__(c, "id", c.id.strip() or f"anomaly:{c.metric}")
    if c.warmup is None:
        object.__setattr__(c, "warmup", c.window_size)
    for name, minimum in (("window_size", 10), ("warmup", 5)):
        value = getattr(c, name)
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_WINDOW:
            raise RuleInvalid(
                f"must be an integer from {minimum} to {MAX_WINDOW} (got {value!r})",
                "bad_integer",
                name,
                {"min": minimum, "max": MAX_WINDOW, "got": repr(value)},
            )
    for name in ("raise_above", "clear_below", "min_scale"):
        value = getattr(c, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
            raise RuleInvalid(f"must be a number > 0 (got {value!r})", "not_positive", name, {"got": repr(value)})
        object.__setattr__(c, name, float(value))
    if c.clear_below > c.raise_above:
        raise RuleInvalid(
            f"must not exceed raise_above ({c.raise_above:g}) (got {c.clear_below:g})",
            "bad_hysteresis",
            "clear_below",
            {"raise_above": c.raise_above, "got": c.clear_below},
        )
    try:
        object.__setattr__(c, "severity", Severity(c.severity))
    except ValueError:
        allowed = [s.value for s in Severity]
        raise RuleInvalid(
            f"must be one of {', '.join(allowed)} (got {c.severity!r})", "unknown_severity", "severity"
        ) from None


@dataclass(frozen=True, slots=True)
class ScoredReading:
    ts: dt.datetime | float  # as given in the reading
    value: float
    score: float | None  # None during the warm-up
    median: float | None  # of the window the reading was scored against
    scale: float | None  # robust standard deviation used: max(IQR / 1.349, min_scale)
    raised: bool  # the detector's alarm after this reading


@dataclass(frozen=True, slots=True)
class AnomalyEvaluation:
    state: dict[str, Any]  # the detector's JSON state after the batch
    transitions: list[AlarmTransition]
    scores: list[ScoredReading]
    ignored: list[IgnoredReading] = field(default_factory=list)


class AnomalyDetector:
    """Learns one (asset, metric) stream and raises / clears on its anomaly score.

    ``state``: what :meth:`to_json` returned (None: a new detector that warms up first).
    Raises ``ValueError`` on a state of another version.
    """

    def __init__(self, config: AnomalyConfig, state: Mapping[str, Any] | None = None) -> None:
        self.config = config
        w = config.window_size
        self._median = stats.RollingQuantile(q=0.5, window_size=w)
        self._iqr = stats.RollingIQR(window_size=w, q_inf=0.25, q_sup=0.75)
        self.window: deque[float] = deque(maxlen=w)
        self.n_learned = 0
        self.status = AlarmStatus.normal
        self.status_since: float | None = None
        self.last_ts: float | None = None
        if state is not None:
            if state.get("v") != STATE_VERSION:
                raise ValueError(f"unknown anomaly detector state version {state.get('v')!r}")
            for x in state["window"][-w:]:
                self._learn(float(x))
            self.n_learned = int(state["n"])
            self.status = AlarmStatus(state["status"])
            self.status_since = state["status_since"]
            self.last_ts = state["last_ts"]

    def to_json(self) -> dict[str, Any]:
        return {
            "v": STATE_VERSION,
            "window": list(self.window),
            "n": self.n_learned,
            "status": self.status.value,
            "status_since": self.status_since,
            "last_ts": self.last_ts,
        }

    @property
    def warmed_up(self) -> bool:
        assert self.config.warmup is not None
        return self.n_learned >= self.config.warmup

    def _learn(self, x: float) -> None:
        self._median.update(x)
        self._iqr.update(x)
        self.window.append(x)
        self.n_learned += 1

    def median_and_scale(self) -> tuple[float, float] | None:
        """The rolling median and robust scale of the window (None before the first value)."""
        if not self.window:
            return None
        return self._median.get(), max(self._iqr.get() / NORMAL_IQR, self.config.min_scale)

    def process(self, readings: Batch | Iterable[Reading | tuple[str, Any, float]]) -> AnomalyEvaluation:
        """Score each reading of the detector's metric against the window before it, then learn
        it, in time order; other metrics are skipped. Readings not newer than the last one
        learned, and non-finite values, are ignored and reported.

        Raises ``ValueError`` on a naive datetime.
        """
        cfg = self.config
        batch = readings if isinstance(readings, Batch) else Batch(readings)
        ignored = [r for r in batch.not_finite if r.reading.metric == cfg.metric]
        scores: list[ScoredReading] = []
        out: list[AlarmTransition] = []
        warmup = cfg.warmup
        assert warmup is not None
        for t, _, value, r in batch.rows_for(frozenset((cfg.metric,))):
            if self.last_ts is not None and t <= self.last_ts:
                reason = IgnoreReason.duplicate if t == self.last_ts else IgnoreReason.out_of_order
                ignored.append(IgnoredReading(Reading(*r), reason))
                continue
            score = median = scale = None
            if self.n_learned >= warmup:
                median = self._median.get()
                scale = max(self._iqr.get() / NORMAL_IQR, cfg.min_scale)
                score = abs(value - median) / scale
                if self.status is AlarmStatus.normal and score >= cfg.raise_above:
                    out.append(self._transition(TransitionKind.raised, t, value, score, median, scale))
                elif self.status is AlarmStatus.raised and score < cfg.clear_below:
                    out.append(self._transition(TransitionKind.cleared, t, value, score, median, scale))
            self._learn(value)
            self.last_ts = t
            scores.append(ScoredReading(r[1], value, score, median, scale, self.status is AlarmStatus.raised))
        return AnomalyEvaluation(self.to_json(), out, scores, ignored)

    def _transition(
        self, kind: TransitionKind, t: float, value: float, score: float, median: float, scale: float
    ) -> AlarmTransition:
        self.status = AlarmStatus.raised if kind is TransitionKind.raised else AlarmStatus.normal
        self.status_since = t
        cfg = self.config
        params = {
            "metric": cfg.metric,
            "value": value,
            "score": score,
            "median": median,
            "scale": scale,
            "raise_above": cfg.raise_above,
            "clear_below": cfg.clear_below,
            "window_size": cfg.window_size,
        }
        if kind is TransitionKind.raised:
            reason = "anomaly"
            message = (
                f"{cfg.metric} anomalous: {value:.6g} is {score:.3g} robust standard deviations from the "
                f"median {median:.6g} of the last {len(self.window)} readings (raises at {cfg.raise_above:g})"
            )
        else:
            reason = "back_to_normal"
            message = f"{cfg.metric} back to normal: {value:.6g} scores {score:.3g} (clears below {cfg.clear_below:g})"
        return AlarmTransition(kind, from_epoch(t), cfg.id, cfg.severity, reason, params, {cfg.metric: value}, message)


def detect(
    config: AnomalyConfig,
    state: Mapping[str, Any] | None,
    readings: Batch | Iterable[Reading | tuple[str, Any, float]],
) -> AnomalyEvaluation:
    """One batch through a detector restored from ``state`` (None: a new one); the new state is
    in the result. The functional form of :class:`AnomalyDetector` for a service that keeps the
    state in its database."""
    return AnomalyDetector(config, state).process(readings)
