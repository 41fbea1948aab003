"""Alarm rules evaluated incrementally as telemetry arrives (framework node 3.6, condition warning
状态预警). Pure: no database, no web framework.

A :class:`Rule` is data (its JSON form is in docs/alarms.md: :func:`rule_from_dict`,
:func:`rule_to_dict`): a severity, a condition (threshold, rate of change, no data, or an AND / OR
composite of conditions) and hysteresis (a clear value per comparison, delays to raise and to
clear). It names metrics, not assets: the service binds it to a product (each of its assets) or
to one asset and keeps one :class:`RuleState` per (rule, asset), stored as JSON between batches
(:meth:`RuleState.to_json`). :func:`evaluate` feeds a batch of readings, :func:`tick` lets time
pass (no-data and delay timers); both return the new state and the ``raised`` / ``cleared``
:class:`AlarmTransition` s. Acknowledging an alarm (by whom, when) is the service's job.

Time model (docs/alarms.md): the engine runs on the readings' own timestamps (epoch seconds UTC
inside; aware datetimes or epoch seconds in). Between two readings a metric keeps its last value
(sample and hold), so a timer (``for_seconds``, ``no_data``, ``raise_after_seconds``,
``clear_after_seconds``) that expires between two readings produces its transition at the expiry
instant, whether the next reading or a tick reveals it. Transitions therefore depend only on the
readings and on the ticks' ``now``, not on how the readings were split into batches: splitting
the time-ordered stream anywhere gives the same transitions as feeding it at once (readings of
different metrics that share a timestamp must arrive in the same batch to be evaluated together).
A reading older than the last one processed, or than a tick's ``now``, is ignored and reported
(:class:`IgnoredReading`); a service ticks with ``now = wall clock - grace`` to leave room for
late data.

Performance: a rule is compiled once (:func:`compile_rule`, cached); a reading costs a few
microseconds per rule (benchmarks/alarm_rules.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
import json
import math
import numbers
import operator
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, ClassVar, NamedTuple

# ---- vocabulary -------------------------------------------------------------------------------


class Severity(enum.StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"
    warning = "warning"

    @property
    def rank(self) -> int:
        """4 for critical down to 1 for warning (to sort and compare severities)."""
        return {"critical": 4, "major": 3, "minor": 2, "warning": 1}[self.value]


class Op(enum.StrEnum):
    gt = ">"
    ge = ">="
    lt = "<"
    le = "<="
    eq = "=="
    ne = "!="


class BoolOp(enum.StrEnum):
    AND = "and"
    OR = "or"


class RateMethod(enum.StrEnum):
    slope = "slope"  # least-squares slope through the window's readings
    delta = "delta"  # (last - first) / (their time apart)


class AlarmStatus(enum.StrEnum):
    normal = "normal"
    raised = "raised"


class TransitionKind(enum.StrEnum):
    raised = "raised"
    cleared = "cleared"


class IgnoreReason(enum.StrEnum):
    out_of_order = "out_of_order"  # older than the last processed reading
    behind_clock = "behind_clock"  # older than the clock a tick has moved to
    duplicate = "duplicate"  # same metric and timestamp as a processed reading
    not_finite = "not_finite"  # NaN, infinite or not a number


_COMPARE = {
    Op.gt: operator.gt,
    Op.ge: operator.ge,
    Op.lt: operator.lt,
    Op.le: operator.le,
    Op.eq: operator.eq,
    Op.ne: operator.ne,
}
MAX_DEPTH = 6
MAX_LEAVES = 32
MAX_WINDOW_POINTS = 10_000
STATE_VERSION = 1


# ---- errors -----------------------------------------------------------------------------------


class RuleInvalid(ValueError):
    """A rule (or detector) definition that cannot be evaluated.

    ``path`` names the field (``condition.children[1].clear_value``); ``code`` is stable (a UI
    says it in its own language with ``params``); ``message`` is English.
    """

    def __init__(self, message: str, code: str, path: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.message, self.code, self.path = message, code, path
        self.params = dict(params or {})

    def within(self, prefix: str) -> RuleInvalid:
        sep = "" if not self.path or self.path.startswith("[") else "."
        return RuleInvalid(self.message, self.code, f"{prefix}{sep}{self.path}", self.params)

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "path": self.path, "message": self.message, "params": self.params}


class StateMismatch(ValueError):
    """The state was built for another version of the rule's condition: start a new state."""


class ResetRefused(ValueError):
    """A latched alarm cannot be reset while its condition still holds."""


# ---- validation helpers -----------------------------------------------------------------------


def _number(obj: object, name: str, *, duration: bool = False, optional: bool = False) -> float | None:
    value = getattr(obj, name)
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleInvalid(f"must be a finite number (got {value!r})", "not_a_number", name, {"got": repr(value)})
    if duration and value < 0:
        raise RuleInvalid(f"a duration cannot be negative (got {value:g})", "negative_duration", name, {"got": value})
    object.__setattr__(obj, name, float(value))
    return float(value)


def _positive_duration(obj: object, name: str) -> float:
    value = _number(obj, name, duration=True)
    assert value is not None
    if value == 0:
        raise RuleInvalid("must be longer than 0 s", "zero_duration", name)
    return value


def _integer(obj: object, name: str, minimum: int, maximum: int) -> int:
    value = getattr(obj, name)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise RuleInvalid(
            f"must be an integer from {minimum} to {maximum} (got {value!r})",
            "bad_integer",
            name,
            {"min": minimum, "max": maximum, "got": repr(value)},
        )
    return value


def _name(obj: object, name: str) -> str:
    value = getattr(obj, name)
    if not isinstance(value, str) or not value.strip():
        raise RuleInvalid(f"must be a non-empty string (got {value!r})", "empty_name", name)
    object.__setattr__(obj, name, value.strip())
    return value.strip()


def _choice(obj: object, name: str, enum_type: type[enum.StrEnum], code: str) -> None:
    value = getattr(obj, name)
    try:
        object.__setattr__(obj, name, enum_type(value))
    except ValueError:
        allowed = [e.value for e in enum_type]
        raise RuleInvalid(
            f"must be one of {', '.join(allowed)} (got {value!r})", code, name, {"allowed": allowed, "got": repr(value)}
        ) from None


def _comparison(obj: Threshold | RateOfChange) -> None:
    """Shared checks of the comparing conditions: metric, op, value, clear_value, for_seconds."""
    _name(obj, "metric")
    _choice(obj, "op", Op, "unknown_op")
    _number(obj, "value")
    clear = _number(obj, "clear_value", optional=True)
    _number(obj, "for_seconds", duration=True)
    if clear is None:
        return
    if obj.op in (Op.eq, Op.ne):
        raise RuleInvalid(f"no clear value with {obj.op.value}", "clear_value_not_allowed", "clear_value")
    wrong_side = clear > obj.value if obj.op in (Op.gt, Op.ge) else clear < obj.value
    if wrong_side:
        side = "<=" if obj.op in (Op.gt, Op.ge) else ">="
        raise RuleInvalid(
            f"must be {side} value ({obj.value:g}) for op {obj.op.value} (got {clear:g})",
            "bad_hysteresis",
            "clear_value",
            {"op": obj.op.value, "value": obj.value, "got": clear},
        )


# ---- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Threshold:
    """``metric op value``. Hysteresis: once holding, the condition holds while
    ``metric op clear_value`` (default ``value``). It counts as true only after it held
    ``for_seconds`` without interruption."""

    kind: ClassVar[str] = "threshold"
    metric: str
    op: Op
    value: float
    clear_value: float | None = None
    for_seconds: float = 0.0

    def __post_init__(self) -> None:
        _comparison(self)


@dataclass(frozen=True, slots=True)
class RateOfChange:
    """The rate of ``metric`` per minute over the readings of the last ``window_seconds``
    (``method`` ``slope``: least-squares slope; ``delta``: last minus first over their time apart),
    compared like a threshold (``op``, ``value`` per minute, ``clear_value``, ``for_seconds``).
    With fewer than ``min_points`` readings in the window the rate is undefined and the condition
    keeps its previous state; at most ``max_points`` (the newest) are kept."""

    kind: ClassVar[str] = "rate_of_change"
    metric: str
    op: Op
    value: float
    window_seconds: float
    method: RateMethod = RateMethod.slope
    clear_value: float | None = None
    for_seconds: float = 0.0
    min_points: int = 2
    max_points: int = 600

    def __post_init__(self) -> None:
        _comparison(self)
        if self.op in (Op.eq, Op.ne):
            raise RuleInvalid(f"a rate cannot be compared with {self.op.value}", "unknown_op", "op")
        _positive_duration(self, "window_seconds")
        _choice(self, "method", RateMethod, "unknown_method")
        _integer(self, "min_points", 2, MAX_WINDOW_POINTS)
        _integer(self, "max_points", self.min_points, MAX_WINDOW_POINTS)


@dataclass(frozen=True, slots=True)
class NoData:
    """No reading of ``metric`` for ``timeout_seconds`` (counted from the rule's first evaluated
    instant when the metric never reported); false again at the next reading."""

    kind: ClassVar[str] = "no_data"
    metric: str
    timeout_seconds: float

    def __post_init__(self) -> None:
        _name(self, "metric")
        _positive_duration(self, "timeout_seconds")


@dataclass(frozen=True, slots=True)
class Composite:
    """AND / OR of one or more conditions, nested up to :data:`MAX_DEPTH` levels."""

    kind: ClassVar[str] = "composite"
    op: BoolOp
    children: tuple[Condition, ...]

    def __post_init__(self) -> None:
        _choice(self, "op", BoolOp, "unknown_op")
        if isinstance(self.children, str | bytes | Mapping) or not isinstance(self.children, Sequence):
            raise RuleInvalid("must be a list of conditions", "bad_children", "children")
        object.__setattr__(self, "children", tuple(self.children))
        if not self.children:
            raise RuleInvalid("a composite needs at least one condition", "empty_composite", "children")
        for i, child in enumerate(self.children):
            if not isinstance(child, Threshold | RateOfChange | NoData | Composite):
                raise RuleInvalid(f"not a condition: {child!r}", "bad_condition", f"children[{i}]")
        if _depth(self) > MAX_DEPTH:
            raise RuleInvalid(f"nested deeper than {MAX_DEPTH} levels", "too_deep", "children", {"max": MAX_DEPTH})
        if sum(1 for _ in _leaves(self)) > MAX_LEAVES:
            raise RuleInvalid(f"more than {MAX_LEAVES} conditions", "too_many_conditions", "children")


Condition = Threshold | RateOfChange | NoData | Composite
Leaf = Threshold | RateOfChange | NoData
_KINDS: dict[str, type] = {c.kind: c for c in (Threshold, RateOfChange, NoData, Composite)}


def _depth(c: Condition) -> int:
    return 1 + max(map(_depth, c.children)) if isinstance(c, Composite) else 1


def _leaves(c: Condition, path: str = "$") -> Iterable[tuple[str, Leaf]]:
    """The leaf conditions, depth first, with their paths ``$``, ``$.0``, ``$.1.0``..."""
    if isinstance(c, Composite):
        for i, child in enumerate(c.children):
            yield from _leaves(child, f"{path}.{i}")
    else:
        yield path, c


@dataclass(frozen=True, slots=True)
class Rule:
    """An alarm rule. ``raise_after_seconds``: the condition must hold that long before the alarm
    is raised; ``clear_after_seconds``: it must be false that long before the alarm clears.
    ``auto_clear=False`` latches the alarm until :func:`reset`."""

    id: str
    severity: Severity
    condition: Condition
    name: str = ""
    raise_after_seconds: float = 0.0
    clear_after_seconds: float = 0.0
    auto_clear: bool = True

    def __post_init__(self) -> None:
        _name(self, "id")
        if not isinstance(self.name, str):
            raise RuleInvalid("must be a string", "empty_name", "name")
        object.__setattr__(self, "name", self.name.strip() or self.id)
        _choice(self, "severity", Severity, "unknown_severity")
        if not isinstance(self.condition, Threshold | RateOfChange | NoData | Composite):
            raise RuleInvalid(f"not a condition: {self.condition!r}", "bad_condition", "condition")
        _number(self, "raise_after_seconds", duration=True)
        _number(self, "clear_after_seconds", duration=True)
        if not isinstance(self.auto_clear, bool):
            raise RuleInvalid("must be true or false", "not_a_boolean", "auto_clear")

    @property
    def metrics(self) -> frozenset[str]:
        """The metrics the rule reads; readings of other metrics are skipped."""
        return frozenset(c.metric for _, c in _leaves(self.condition))

    @property
    def needs_tick(self) -> bool:
        """Whether time alone can change the rule's state (no-data or delay timers): the service
        needs to :func:`tick` such rules, the others change only with readings."""
        return _has_timers(self)


def _has_timers(rule: Rule) -> bool:
    if rule.raise_after_seconds or rule.clear_after_seconds:
        return True
    return any(isinstance(c, NoData) or c.for_seconds > 0 for _, c in _leaves(rule.condition))


# ---- definitions as JSON ----------------------------------------------------------------------

_RULE_FIELDS = ("id", "name", "severity", "condition", "raise_after_seconds", "clear_after_seconds", "auto_clear")


def condition_from_dict(data: Any, path: str = "condition") -> Condition:
    """Build and validate a condition from its JSON form; raises :class:`RuleInvalid`."""
    if not isinstance(data, Mapping):
        raise RuleInvalid("must be an object", "not_an_object", path)
    kind = data.get("kind")
    if kind not in _KINDS:
        raise RuleInvalid(
            f"kind must be one of {', '.join(_KINDS)} (got {kind!r})",
            "unknown_kind",
            f"{path}.kind",
            {"allowed": list(_KINDS), "got": repr(kind)},
        )
    cls = _KINDS[kind]
    fields = {k: v for k, v in data.items() if k != "kind"}
    known = {f.name for f in dataclasses.fields(cls)}
    if unknown := sorted(set(fields) - known):
        raise RuleInvalid(
            f"unknown field(s) {', '.join(unknown)} for {kind}", "unknown_field", path, {"fields": unknown}
        )
    if missing := sorted(f.name for f in dataclasses.fields(cls) if f.name not in fields and _required(f)):
        raise RuleInvalid(
            f"missing field(s) {', '.join(missing)} for {kind}", "missing_field", path, {"fields": missing}
        )
    if cls is Composite and isinstance(fields["children"], list):
        fields["children"] = [condition_from_dict(c, f"{path}.children[{i}]") for i, c in enumerate(fields["children"])]
    try:
        return cls(**fields)
    except RuleInvalid as e:
        raise e.within(path) from None


def _required(f: dataclasses.Field[Any]) -> bool:
    return f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING


def rule_from_dict(data: Any) -> Rule:
    """Build and validate a rule from its JSON form (docs/alarms.md); raises :class:`RuleInvalid`
    naming the first problem (``code``, ``path``, ``params``)."""
    if not isinstance(data, Mapping):
        raise RuleInvalid("a rule must be an object", "not_an_object")
    if unknown := sorted(set(data) - set(_RULE_FIELDS)):
        raise RuleInvalid(f"unknown field(s) {', '.join(unknown)}", "unknown_field", "", {"fields": unknown})
    if missing := sorted({"id", "severity", "condition"} - set(data)):
        raise RuleInvalid(f"missing field(s) {', '.join(missing)}", "missing_field", "", {"fields": missing})
    condition = condition_from_dict(data["condition"])
    return Rule(condition=condition, **{k: v for k, v in data.items() if k != "condition"})


def condition_to_dict(c: Condition) -> dict[str, Any]:
    if isinstance(c, Composite):
        return {"kind": c.kind, "op": c.op.value, "children": [condition_to_dict(ch) for ch in c.children]}
    out: dict[str, Any] = {"kind": c.kind}
    for f in dataclasses.fields(c):
        value = getattr(c, f.name)
        out[f.name] = value.value if isinstance(value, enum.Enum) else value
    return out


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """The rule's JSON form; :func:`rule_from_dict` reads it back to an equal rule."""
    return {
        "id": rule.id,
        "name": rule.name,
        "severity": rule.severity.value,
        "condition": condition_to_dict(rule.condition),
        "raise_after_seconds": rule.raise_after_seconds,
        "clear_after_seconds": rule.clear_after_seconds,
        "auto_clear": rule.auto_clear,
    }


def fingerprint(c: Condition) -> str:
    """Identifies the condition a state was built for (a changed condition needs a new state;
    a changed name, severity or delay does not)."""
    canonical = json.dumps(condition_to_dict(c), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def describe(c: Condition) -> str:
    """The condition in one line of English, for messages and the UI."""
    if isinstance(c, Composite):
        inner = f" {c.op.value.upper()} ".join(map(describe, c.children))
        return f"({inner})" if len(c.children) > 1 else inner
    if isinstance(c, NoData):
        return f"no {c.metric} reading for {c.timeout_seconds:g} s"
    if isinstance(c, Threshold):
        text = f"{c.metric} {c.op.value} {c.value:g}"
    else:
        text = f"rate of {c.metric} {c.op.value} {c.value:g}/min over {c.window_seconds:g} s"
    return text + (f" for {c.for_seconds:g} s" if c.for_seconds else "")


# ---- state ------------------------------------------------------------------------------------


@dataclass(slots=True)
class LeafState:
    """Bookkeeping of one leaf condition (the ``leaves`` of :class:`RuleState`, depth first)."""

    holding: bool = False  # comparison true at the last reading, hysteresis applied
    since: float | None = None  # start of the current holding spell (for for_seconds)
    observed: float | None = None  # last value (threshold) or rate per minute (rate of change)
    window: deque[tuple[float, float]] | None = None  # rate of change only: (ts, value), oldest first
    # slope only: [t_ref, v_ref, sx, sy, sxx, sxy, pops]: running sums over the window of
    # x = t - t_ref, y = v - v_ref, rebuilt exactly from the window after len(window) removals
    sums: list[float] | None = None


@dataclass(slots=True)
class RuleState:
    """Everything the engine remembers per (rule, asset). Times are epoch seconds (UTC).
    :meth:`to_json` / :meth:`from_json` for the database (docs/alarms.md); treat the JSON as
    opaque apart from ``status``, ``status_since`` and ``clock``."""

    fingerprint: str = ""
    status: AlarmStatus = AlarmStatus.normal
    status_since: float | None = None  # when the alarm was last raised or cleared
    output: bool = False  # the condition at the last evaluated instant
    output_since: float | None = None  # when ``output`` last changed
    clock: float | None = None  # the last evaluated instant (reading or tick)
    last_reading: float | None = None  # the newest reading processed
    started: float | None = None  # the first evaluated instant: no-data counts from here
    last_seen: dict[str, float] = field(default_factory=dict)  # per metric
    last_value: dict[str, float] = field(default_factory=dict)  # per metric
    leaves: list[LeafState] = field(default_factory=list)

    def copy(self) -> RuleState:
        leaves = [
            LeafState(
                s.holding,
                s.since,
                s.observed,
                None if s.window is None else deque(s.window),
                None if s.sums is None else list(s.sums),
            )
            for s in self.leaves
        ]
        return RuleState(
            self.fingerprint,
            self.status,
            self.status_since,
            self.output,
            self.output_since,
            self.clock,
            self.last_reading,
            self.started,
            dict(self.last_seen),
            dict(self.last_value),
            leaves,
        )

    @property
    def raised(self) -> bool:
        return self.status is AlarmStatus.raised

    def to_json(self) -> dict[str, Any]:
        leaves = []
        for s in self.leaves:
            item: dict[str, Any] = {"holding": s.holding, "since": s.since, "observed": s.observed}
            if s.window is not None:
                item["window"] = [[t, v] for t, v in s.window]
            if s.sums is not None:
                item["sums"] = list(s.sums)
            leaves.append(item)
        return {
            "v": STATE_VERSION,
            "fingerprint": self.fingerprint,
            "status": self.status.value,
            "status_since": self.status_since,
            "output": self.output,
            "output_since": self.output_since,
            "clock": self.clock,
            "last_reading": self.last_reading,
            "started": self.started,
            "last_seen": dict(self.last_seen),
            "last_value": dict(self.last_value),
            "leaves": leaves,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleState:
        """Raises ``ValueError`` on another state version (start a new state)."""
        if data.get("v") != STATE_VERSION:
            raise ValueError(f"unknown alarm rule state version {data.get('v')!r}")
        leaves = [
            LeafState(
                holding=bool(s["holding"]),
                since=s["since"],
                observed=s["observed"],
                window=deque(map(tuple, s["window"])) if "window" in s else None,
                sums=[float(x) for x in s["sums"]] if "sums" in s else None,
            )
            for s in data["leaves"]
        ]
        return cls(
            fingerprint=data["fingerprint"],
            status=AlarmStatus(data["status"]),
            status_since=data["status_since"],
            output=bool(data["output"]),
            output_since=data["output_since"],
            clock=data["clock"],
            last_reading=data["last_reading"],
            started=data["started"],
            last_seen={m: float(t) for m, t in data["last_seen"].items()},
            last_value={m: float(v) for m, v in data["last_value"].items()},
            leaves=leaves,
        )


# ---- inputs and results -----------------------------------------------------------------------


class Reading(NamedTuple):
    """One reading; a plain ``(metric, ts, value)`` tuple works too. ``ts``: an aware datetime
    or epoch seconds (UTC)."""

    metric: str
    ts: dt.datetime | float
    value: float


@dataclass(frozen=True, slots=True)
class IgnoredReading:
    reading: Reading
    reason: IgnoreReason


@dataclass(frozen=True, slots=True)
class AlarmTransition:
    """An alarm raised or cleared. ``reason`` is a stable code (docs/alarms.md) and ``params``
    its JSON-serialisable parameters, from which a UI writes the reason in its own language;
    ``message`` says the same in English. ``values``: the last reading of each metric of the rule
    at ``at`` (what triggered it; the leaves in ``params`` carry rates and silences)."""

    kind: TransitionKind
    at: dt.datetime
    rule_id: str
    severity: Severity
    reason: str
    params: dict[str, Any]
    values: dict[str, float]
    message: str

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "rule_id": self.rule_id,
            "severity": self.severity.value,
            "reason": self.reason,
            "params": self.params,
            "values": self.values,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class Evaluation:
    state: RuleState
    transitions: list[AlarmTransition]
    ignored: list[IgnoredReading] = field(default_factory=list)


def to_epoch(ts: dt.datetime | float) -> float:
    """Epoch seconds of an aware datetime (or of epoch seconds); ``ValueError`` on a naive one."""
    if type(ts) is float:
        if math.isfinite(ts):
            return ts
    elif isinstance(ts, dt.datetime):
        if ts.tzinfo is None or ts.utcoffset() is None:
            raise ValueError(f"naive datetime {ts.isoformat()}: the alarm engine needs aware (UTC) times")
        return ts.timestamp()
    elif _finite(ts):
        return float(ts)
    raise ValueError(f"not a timestamp: {ts!r}")


def from_epoch(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.UTC)


def _finite(v: object) -> bool:
    """A finite real number (numpy's included), not a bool."""
    if type(v) is float:
        return math.isfinite(v)
    return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)


class Batch:
    """Readings (of one asset) checked, converted and sorted once, to be evaluated by every rule
    bound to that asset: :func:`evaluate` accepts a ``Batch`` or any iterable of readings.
    Raises ``ValueError`` on a naive datetime or a timestamp that is not a number."""

    __slots__ = ("rows", "not_finite", "_selected")

    def __init__(self, readings: Iterable[Reading | tuple[str, Any, float]]) -> None:
        rows: list[tuple[float, str, float, Any]] = []
        bad: list[IgnoredReading] = []
        for r in readings:
            metric, ts, value = r
            if _finite(value):
                rows.append((to_epoch(ts), metric, float(value), r))
            else:
                bad.append(IgnoredReading(Reading(*r), IgnoreReason.not_finite))
        rows.sort(key=_first)  # stable: readings at one instant keep their order
        self.rows = rows
        self.not_finite = bad
        self._selected: dict[frozenset[str], list[tuple[float, str, float, Any]]] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def rows_for(self, metrics: frozenset[str]) -> list[tuple[float, str, float, Any]]:
        """``(epoch seconds, metric, value, reading)`` of these metrics, in time order."""
        rows = self._selected.get(metrics)
        if rows is None:
            rows = self._selected[metrics] = [row for row in self.rows if row[1] in metrics]
        return rows


def _first(row: tuple[float, str, float, Any]) -> float:
    return row[0]


def rate_per_minute(points: Sequence[tuple[float, float]], method: RateMethod | str) -> float | None:
    """Rate of change per minute through ``(epoch seconds, value)`` points in time order,
    computed directly (the engine updates the slope incrementally, to the same value up to
    rounding); None when undefined (fewer than two points, or no time between them)."""
    n = len(points)
    if n < 2:
        return None
    t0, v0 = points[0]
    if RateMethod(method) is RateMethod.delta:
        t1, v1 = points[-1]
        return None if t1 == t0 else (v1 - v0) / (t1 - t0) * 60.0
    mx = sum(t - t0 for t, _ in points) / n
    my = sum(v - v0 for _, v in points) / n
    sxx = sum((t - t0 - mx) ** 2 for t, _ in points)
    sxy = sum((t - t0 - mx) * (v - v0 - my) for t, v in points)
    return None if sxx == 0 else sxy / sxx * 60.0


def _sums_rebuild(window: deque[tuple[float, float]]) -> list[float]:
    t_ref, v_ref = window[0]
    sx = sy = sxx = sxy = 0.0
    for t, v in window:
        x, y = t - t_ref, v - v_ref
        sx += x
        sy += y
        sxx += x * x
        sxy += x * y
    return [t_ref, v_ref, sx, sy, sxx, sxy, 0.0]


def _sums_slope(s: list[float], n: int) -> float | None:
    sx, sy, sxx, sxy = s[2], s[3], s[4], s[5]
    vxx = sxx - sx * sx / n
    if vxx <= 1e-12 * sxx:  # all readings at one instant (or lost in rounding)
        return None
    return (sxy - sx * sy / n) / vxx * 60.0


# ---- the engine -------------------------------------------------------------------------------

_Truth = Callable[[RuleState, float], bool]


class CompiledRule:
    """A rule prepared for fast evaluation (:func:`compile_rule`); the module functions
    :func:`evaluate`, :func:`tick` and :func:`reset` accept either."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.fingerprint = fingerprint(rule.condition)
        pairs = list(_leaves(rule.condition))
        self.paths = [p for p, _ in pairs]
        self.leaves: list[Leaf] = [leaf for _, leaf in pairs]
        self.metrics = rule.metrics
        # comparing leaves by metric: (index, is a rate, leaf, compare, value, clear value)
        self.by_metric: dict[str, list[tuple[int, bool, Any, Any, float, float]]] = {}
        for i, leaf in enumerate(self.leaves):
            if not isinstance(leaf, NoData):
                clear = leaf.value if leaf.clear_value is None else leaf.clear_value
                entry = (i, isinstance(leaf, RateOfChange), leaf, _COMPARE[leaf.op], leaf.value, clear)
                self.by_metric.setdefault(leaf.metric, []).append(entry)
        # timers: (index, for_seconds) of comparing leaves, (metric, timeout) of no-data leaves
        self.timed = [
            (i, x.for_seconds) for i, x in enumerate(self.leaves) if not isinstance(x, NoData) and x.for_seconds
        ]
        self.nodata = [(x.metric, x.timeout_seconds) for x in self.leaves if isinstance(x, NoData)]
        self.has_timers = _has_timers(rule)
        self.leaf_true: list[_Truth] = [_leaf_truth(i, leaf) for i, leaf in enumerate(self.leaves)]
        self.output = self._combine(rule.condition, iter(self.leaf_true))

    def _combine(self, c: Condition, truths: Any) -> _Truth:
        if not isinstance(c, Composite):
            return next(truths)
        parts = [self._combine(child, truths) for child in c.children]
        if len(parts) == 1:
            return parts[0]
        if c.op is BoolOp.AND:

            def all_of(st: RuleState, t: float) -> bool:
                return all(f(st, t) for f in parts)

            return all_of

        def any_of(st: RuleState, t: float) -> bool:
            return any(f(st, t) for f in parts)

        return any_of

    # -- state ---------------------------------------------------------------------------------

    def new_state(self) -> RuleState:
        leaves = []
        for leaf in self.leaves:
            rate = isinstance(leaf, RateOfChange)
            slope = rate and leaf.method is RateMethod.slope
            leaves.append(LeafState(window=deque() if rate else None, sums=[0.0] * 7 if slope else None))
        return RuleState(fingerprint=self.fingerprint, leaves=leaves)

    def _own(self, state: RuleState | None) -> RuleState:
        if state is None:
            return self.new_state()
        if state.fingerprint != self.fingerprint or len(state.leaves) != len(self.leaves):
            raise StateMismatch(f"the state of rule {self.rule.id} was built for another condition: start a new state")
        return state.copy()

    # -- time ----------------------------------------------------------------------------------

    def _next_due(self, st: RuleState) -> float:
        """The earliest timer expiry after the clock (inf when none is pending)."""
        clock = -math.inf if st.clock is None else st.clock
        due = math.inf
        leaves = st.leaves
        for i, seconds in self.timed:
            s = leaves[i]
            if s.holding and clock < (e := s.since + seconds) < due:
                due = e
        for metric, seconds in self.nodata:
            ref = st.last_seen.get(metric, st.started)
            if ref is not None and clock < (e := ref + seconds) < due:
                due = e
        rule = self.rule
        delay = 0.0
        if st.output and st.status is AlarmStatus.normal:
            delay = rule.raise_after_seconds
        elif not st.output and st.status is AlarmStatus.raised and rule.auto_clear:
            delay = rule.clear_after_seconds
        if delay and st.output_since is not None and clock < (e := st.output_since + delay) < due:
            due = e
        return due

    def _advance(self, st: RuleState, t: float, inclusive: bool, out: list[AlarmTransition]) -> None:
        """Evaluate every timer expiry after the clock and before ``t`` (``inclusive``: or at)."""
        while True:
            e = self._next_due(st)
            if e < t or (inclusive and e == t):
                self._evaluate_at(st, e, out)
            else:
                return

    # -- a reading, and the rule at an instant -------------------------------------------------

    def _apply(self, st: RuleState, metric: str, t: float, v: float) -> None:
        st.last_seen[metric] = t
        st.last_value[metric] = v
        st.last_reading = t
        leaves = st.leaves
        for i, is_rate, leaf, compare, value, clear in self.by_metric.get(metric, ()):
            s = leaves[i]
            if is_rate:
                obs = s.observed = _push_rate(s, leaf, t, v)
                if obs is None:
                    continue  # undefined rate: the condition keeps its state
            else:
                obs = s.observed = v
            if s.holding:
                if not compare(obs, clear):
                    s.holding, s.since = False, None
            elif compare(obs, value):
                s.holding, s.since = True, t

    def _evaluate_at(self, st: RuleState, t: float, out: list[AlarmTransition]) -> None:
        if st.started is None:
            st.started = t
        output = self.output(st, t)
        if output != st.output or st.output_since is None:
            st.output, st.output_since = output, t
        st.clock = t
        rule = self.rule
        if output:
            if st.status is AlarmStatus.normal and t >= st.output_since + rule.raise_after_seconds:
                self._transition(st, TransitionKind.raised, t, out)
        elif st.status is AlarmStatus.raised and rule.auto_clear and t >= st.output_since + rule.clear_after_seconds:
            self._transition(st, TransitionKind.cleared, t, out)

    # -- transitions ---------------------------------------------------------------------------

    def observe(self, st: RuleState, t: float) -> list[dict[str, Any]]:
        """Each leaf condition at instant ``t``: its definition, what it observes and whether it
        holds (the ``params["leaves"]`` of a transition)."""
        out = []
        for i, leaf in enumerate(self.leaves):
            item: dict[str, Any] = {"path": self.paths[i], "kind": leaf.kind, "metric": leaf.metric}
            if isinstance(leaf, NoData):
                ref = st.last_seen.get(leaf.metric, st.started)
                item["timeout_seconds"] = leaf.timeout_seconds
                item["observed"] = None if ref is None else t - ref  # seconds without a reading
            else:
                item["op"] = leaf.op.value
                item["value"] = leaf.value
                if leaf.clear_value is not None:
                    item["clear_value"] = leaf.clear_value
                if isinstance(leaf, RateOfChange):
                    item["window_seconds"] = leaf.window_seconds
                    item["method"] = leaf.method.value
                if leaf.for_seconds:
                    item["for_seconds"] = leaf.for_seconds
                item["observed"] = st.leaves[i].observed
            item["holds"] = self.leaf_true[i](st, t)
            out.append(item)
        return out

    def _transition(
        self, st: RuleState, kind: TransitionKind, t: float, out: list[AlarmTransition], reset: bool = False
    ) -> None:
        rule = self.rule
        leaves = self.observe(st, t)
        params: dict[str, Any] = {"leaves": leaves}
        c = rule.condition
        if isinstance(c, Composite):
            params["op"] = c.op.value
        if kind is TransitionKind.raised:
            reason = f"composite_{c.op.value}" if isinstance(c, Composite) else c.kind
            if rule.raise_after_seconds:
                params["raise_after_seconds"] = rule.raise_after_seconds
            shown = [item for item in leaves if item["holds"]]
            message = f"{rule.name} raised: " + "; ".join(_leaf_text(item) for item in shown)
        else:
            reason = "reset" if reset else "back_to_normal"
            if rule.clear_after_seconds and not reset:
                params["clear_after_seconds"] = rule.clear_after_seconds
            message = f"{rule.name} {'reset' if reset else 'cleared'}: " + "; ".join(map(_leaf_text, leaves))
        st.status = AlarmStatus.raised if kind is TransitionKind.raised else AlarmStatus.normal
        st.status_since = t
        values = {m: st.last_value[m] for m in sorted(self.metrics) if m in st.last_value}
        out.append(AlarmTransition(kind, from_epoch(t), rule.id, rule.severity, reason, params, values, message))

    # -- the public operations -----------------------------------------------------------------

    def evaluate(
        self,
        state: RuleState | None,
        readings: Batch | Iterable[Reading | tuple[str, Any, float]],
        now: dt.datetime | float | None = None,
    ) -> Evaluation:
        """See :func:`evaluate`."""
        st = self._own(state)
        batch = readings if isinstance(readings, Batch) else Batch(readings)
        metrics = self.metrics
        ignored = [r for r in batch.not_finite if r.reading.metric in metrics]
        out: list[AlarmTransition] = []
        last0, clock0 = st.last_reading, st.clock
        floor = max(-math.inf if last0 is None else last0, -math.inf if clock0 is None else clock0)
        last_seen = st.last_seen
        apply, evaluate_at, has_timers = self._apply, self._evaluate_at, self.has_timers
        pending: float | None = None  # the instant whose readings are being applied
        for t, metric, value, r in batch.rows_for(metrics):
            if t < floor:
                late = last0 is not None and t < last0
                ignored.append(
                    IgnoredReading(Reading(*r), IgnoreReason.out_of_order if late else IgnoreReason.behind_clock)
                )
                continue
            if last_seen.get(metric) == t:
                ignored.append(IgnoredReading(Reading(*r), IgnoreReason.duplicate))
                continue
            if t != pending:
                if pending is not None:
                    evaluate_at(st, pending, out)
                if has_timers:
                    self._advance(st, t, False, out)
                pending = t
            apply(st, metric, t, value)
        if pending is not None:
            evaluate_at(st, pending, out)
        if now is not None:
            t = to_epoch(now)
            if has_timers:
                self._advance(st, t, True, out)
            if st.clock is None or t > st.clock:
                evaluate_at(st, t, out)
        return Evaluation(st, out, ignored)

    def reset(self, state: RuleState | None, now: dt.datetime | float) -> Evaluation:
        """See :func:`reset`."""
        ev = self.evaluate(state, (), now)
        st, out = ev.state, ev.transitions
        if st.status is AlarmStatus.raised:
            if st.output:
                raise ResetRefused(f"{self.rule.name}: the condition still holds ({describe(self.rule.condition)})")
            assert st.clock is not None
            self._transition(st, TransitionKind.cleared, st.clock, out, reset=True)
        return Evaluation(st, out, [])


def _leaf_truth(i: int, leaf: Leaf) -> _Truth:
    """Whether leaf ``i`` is true at instant t (for a comparison: holding for ``for_seconds``)."""
    if isinstance(leaf, NoData):
        metric, timeout = leaf.metric, leaf.timeout_seconds

        def silent(st: RuleState, t: float) -> bool:
            ref = st.last_seen.get(metric, st.started)
            return ref is not None and t >= ref + timeout

        return silent
    if leaf.for_seconds:
        seconds = leaf.for_seconds

        def held(st: RuleState, t: float) -> bool:
            s = st.leaves[i]
            return s.holding and t >= s.since + seconds

        return held

    def holds(st: RuleState, t: float) -> bool:
        return st.leaves[i].holding

    return holds


def _push_rate(s: LeafState, leaf: RateOfChange, t: float, v: float) -> float | None:
    """Add a reading to a rate leaf's window, drop what fell out, return the rate per minute."""
    w = s.window
    sums = s.sums
    if sums is not None:
        if not w:
            sums[:] = [t, v, 0.0, 0.0, 0.0, 0.0, 0.0]
        x, y = t - sums[0], v - sums[1]
        sums[2] += x
        sums[3] += y
        sums[4] += x * x
        sums[5] += x * y
    w.append((t, v))
    start = t - leaf.window_seconds
    while w[0][0] < start or len(w) > leaf.max_points:
        t0, v0 = w.popleft()
        if sums is not None:
            x, y = t0 - sums[0], v0 - sums[1]
            sums[2] -= x
            sums[3] -= y
            sums[4] -= x * x
            sums[5] -= x * y
            sums[6] += 1
    n = len(w)
    if sums is None:
        if n < leaf.min_points:
            return None
        (t0, v0), (t1, v1) = w[0], w[-1]
        return (v1 - v0) / (t1 - t0) * 60.0
    if sums[6] > n:  # bound the rounding of the running sums: recompute them now and then
        sums[:] = _sums_rebuild(w)
    return _sums_slope(sums, n) if n >= leaf.min_points else None


def _fmt(x: float | None) -> str:
    return "undefined" if x is None else f"{x:.6g}"


def _leaf_text(item: Mapping[str, Any]) -> str:
    observed = _fmt(item["observed"])
    if item["kind"] == "no_data":
        limit = f"(limit {item['timeout_seconds']:g} s)"
        if item["holds"]:
            return f"no {item['metric']} reading for {observed} s {limit}"
        return f"{item['metric']} last reported {observed} s before {limit}"
    rate = item["kind"] == "rate_of_change"
    subject = f"rate of {item['metric']} over {item['window_seconds']:g} s" if rate else item["metric"]
    unit = "/min" if rate else ""
    if not item["holds"]:
        return f"{subject} = {observed}{unit}, not {item['op']} {item['value']:g}{unit}"
    text = f"{subject} = {observed}{unit} {item['op']} {item['value']:g}{unit}"
    if "for_seconds" in item:
        text += f" for {item['for_seconds']:g} s"
    if "clear_value" in item:
        text += f" (clears past {item['clear_value']:g}{unit})"
    return text


@lru_cache(maxsize=4096)
def compile_rule(rule: Rule) -> CompiledRule:
    """The rule prepared for evaluation (cached by value: an equal rule gets the same object)."""
    return CompiledRule(rule)


def _compiled(rule: Rule | CompiledRule) -> CompiledRule:
    return rule if isinstance(rule, CompiledRule) else compile_rule(rule)


def new_state(rule: Rule | CompiledRule) -> RuleState:
    """A fresh state (alarm normal, nothing seen); ``evaluate(rule, None, ...)`` starts from one."""
    return _compiled(rule).new_state()


def evaluate(
    rule: Rule | CompiledRule,
    state: RuleState | None,
    readings: Batch | Iterable[Reading | tuple[str, Any, float]],
    now: dt.datetime | float | None = None,
) -> Evaluation:
    """Process ``readings`` (any order within the batch: they are sorted by time here), then,
    when ``now`` is given, let time pass until ``now`` as :func:`tick` does. ``state`` None
    starts afresh; the given state is not modified.

    Readings of metrics the rule does not read are skipped; late, duplicate and non-finite ones
    are returned in ``ignored``. Readings at one instant are applied together, then the rule is
    evaluated at that instant.

    Raises
    ------
    ValueError
        On a naive datetime. :class:`StateMismatch` when ``state`` belongs to another condition.
    """
    return _compiled(rule).evaluate(state, readings, now)


def tick(rule: Rule | CompiledRule, state: RuleState | None, now: dt.datetime | float) -> Evaluation:
    """Let time pass until ``now``: the no-data, ``for_seconds`` and delay timers that expire by
    then fire, each at its own expiry instant. Readings older than ``now`` are refused afterwards.
    A ``now`` at or before the engine's clock changes nothing."""
    return _compiled(rule).evaluate(state, (), now)


def reset(rule: Rule | CompiledRule, state: RuleState | None, now: dt.datetime | float) -> Evaluation:
    """Clear a raised alarm by hand at ``now`` (the way out of a latched, ``auto_clear=False``
    alarm); reason ``reset``. Nothing happens when the alarm is not raised.

    Raises
    ------
    ResetRefused
        When the condition still holds at ``now``.
    """
    return _compiled(rule).reset(state, now)
