"""QFD house of quality (framework node 2.1.1, requirements engineering 需求工程: from customer
requirements to technical characteristics). Pure numpy: no database, no web framework.

A :class:`HouseOfQuality` holds the customer requirements (the WHATs) with their importance, the
technical characteristics (the HOWs) with an optional improvement direction, the relationship matrix
(WHAT x HOW, on the 9-3-1 scale: strong, medium, weak, 0 for none) and the optional correlation roof
(HOW x HOW, symmetric, zero diagonal, -2 strong negative .. +2 strong positive).
:func:`prioritise` computes

* the absolute technical priority of each HOW: ``sum_i weight_i * relationship_ij`` (Hauser and
  Clausing, "The House of Quality", HBR 1988; Akao 1990), and the relative priority in percent of
  the column sum, with a rank (1 = most important);
* the roof's trade-offs: pairs of HOWs whose correlation is negative (improving one worsens the
  other), strongest first;
* optionally the planning matrix (customer competitive assessment, Cohen, "Quality Function
  Deployment", 1995, ch. 11): for each WHAT our rating and the competitors' on a 1-5 scale, a target
  rating and a sales point (1, 1.2 or 1.5); ``improvement ratio = target / ours`` and
  ``raw weight = importance * improvement ratio * sales point``, normalised to percent. When a
  planning matrix is given, the technical priorities use the raw weights instead of the importance.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

RELATIONSHIP_SCALE = (0, 1, 3, 9)


class Correlation(enum.IntEnum):
    strong_negative = -2
    negative = -1
    none = 0
    positive = 1
    strong_positive = 2


class Direction(enum.IntEnum):
    minimise = -1
    target = 0
    maximise = 1


class HouseInvalid(ValueError):
    """The house of quality's matrices do not fit together."""


@dataclass(frozen=True)
class Planning:
    """Customer competitive assessment (the planning matrix, right wall of the house)."""

    ours: Sequence[float]  # our current rating per WHAT, 1..5
    target: Sequence[float]  # the rating we aim at per WHAT
    sales_point: Sequence[float] | None = None  # 1 (none), 1.2 (medium), 1.5 (strong); default 1
    competitors: Mapping[str, Sequence[float]] = field(default_factory=dict)  # name -> rating per WHAT


@dataclass(frozen=True)
class HouseOfQuality:
    requirements: Sequence[str]
    importance: Sequence[float]
    characteristics: Sequence[str]
    relationships: Sequence[Sequence[float]]  # WHAT x HOW
    roof: Sequence[Sequence[int]] | None = None  # HOW x HOW
    directions: Sequence[Direction] | None = None
    planning: Planning | None = None
    scale: tuple[float, ...] = RELATIONSHIP_SCALE


@dataclass(frozen=True)
class TradeOff:
    a: str
    b: str
    correlation: Correlation


@dataclass(frozen=True)
class Priorities:
    characteristics: tuple[str, ...]
    absolute: np.ndarray
    relative: np.ndarray  # percent, sums to 100
    rank: np.ndarray  # 1 = highest absolute priority (ties share the better rank)
    trade_offs: tuple[TradeOff, ...]
    requirement_weights: np.ndarray  # the weights used: importance or the planning's raw weights
    planning_percent: np.ndarray | None = None  # normalised raw weights, percent

    def top(self, k: int = 3) -> list[tuple[str, float]]:
        order = np.argsort(-self.absolute, kind="stable")[:k]
        return [(self.characteristics[i], float(self.absolute[i])) for i in order]


def validate(house: HouseOfQuality) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Check shapes and scales; return (importance, relationships, roof) as arrays."""
    n, m = len(house.requirements), len(house.characteristics)
    w = np.asarray(house.importance, dtype=float)
    r = np.asarray(house.relationships, dtype=float)
    if n == 0 or m == 0:
        raise HouseInvalid("a house needs at least one requirement and one characteristic")
    if w.shape != (n,) or not np.all(np.isfinite(w)) or np.any(w < 0):
        raise HouseInvalid(f"importance must be {n} non-negative numbers")
    if r.shape != (n, m):
        raise HouseInvalid(f"relationships must be {n} x {m} (requirements x characteristics), got {r.shape}")
    bad = ~np.isin(r, house.scale)
    if bad.any():
        i, j = map(int, np.argwhere(bad)[0])
        raise HouseInvalid(
            f"relationship {house.requirements[i]!r} x {house.characteristics[j]!r} = {r[i, j]:g}, not in {house.scale}"
        )
    roof = None
    if house.roof is not None:
        roof = np.asarray(house.roof, dtype=int)
        if roof.shape != (m, m):
            raise HouseInvalid(f"the roof must be {m} x {m}")
        if not np.array_equal(roof, roof.T):
            raise HouseInvalid("the roof must be symmetric (the correlation of a and b is that of b and a)")
        if np.any(np.diag(roof) != 0):
            raise HouseInvalid("the roof's diagonal must be 0")
        if np.any(np.abs(roof) > 2):
            raise HouseInvalid("roof correlations are -2 .. +2")
    if house.directions is not None and len(house.directions) != m:
        raise HouseInvalid(f"directions must have {m} entries")
    return w, r, roof


def prioritise(house: HouseOfQuality) -> Priorities:
    """Technical priorities, roof trade-offs and (when given) planning weights of a house."""
    w, r, roof = validate(house)
    planning_percent = None
    if house.planning is not None:
        w = _planning_weights(house, w)
        planning_percent = 100 * w / w.sum() if w.sum() else np.zeros_like(w)
    absolute = w @ r
    total = absolute.sum()
    relative = 100 * absolute / total if total else np.zeros_like(absolute)
    rank = 1 + np.array([np.sum(absolute > a) for a in absolute])
    trade_offs = []
    if roof is not None:
        ii, jj = np.triu_indices(len(house.characteristics), k=1)
        for i, j in sorted(zip(ii, jj, strict=True), key=lambda p: (roof[p], p)):
            if roof[i, j] < 0:
                trade_offs.append(TradeOff(house.characteristics[i], house.characteristics[j], Correlation(roof[i, j])))
    return Priorities(tuple(house.characteristics), absolute, relative, rank, tuple(trade_offs), w, planning_percent)


def _planning_weights(house: HouseOfQuality, importance: np.ndarray) -> np.ndarray:
    p, n = house.planning, len(house.requirements)
    ours, target = np.asarray(p.ours, dtype=float), np.asarray(p.target, dtype=float)
    sales = np.ones(n) if p.sales_point is None else np.asarray(p.sales_point, dtype=float)
    for name, arr in (("ours", ours), ("target", target), ("sales_point", sales), *p.competitors.items()):
        if np.shape(arr) != (n,):
            raise HouseInvalid(f"planning {name!r} must have {n} entries")
    if np.any(ours <= 0):
        raise HouseInvalid("planning ratings must be positive")
    return importance * (target / ours) * sales
