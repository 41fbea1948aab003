"""Input-output measurement of service inputs in manufacturing (framework node 1.3.2, 投入产出测度,
industry level). Pure: numpy; no database, no web framework.

An :class:`IOTable` is a symmetric input-output table in one region or several (rows and columns are
region x sector blocks, region-major): the intermediate matrix Z (Z[i, j]: sales of sector i to
sector j), final demand Y (one column per final-demand category), value added V (one row per
component, optional) and total output x. :func:`make_table` builds one and checks its balances:

* column balance: sum_i Z[i, j] + sum_k V[k, j] = x_j (inputs + value added = output);
* row balance: sum_j Z[i, j] + sum_k Y[i, k] = x_i (intermediate + final use = output).

:func:`analyse` refuses a table with unbalanced sectors (:class:`IOUnbalanced` lists them) instead of
computing on them silently, then computes

* direct consumption coefficients A = Z diag(x)^-1 (直接消耗系数; a column with zero output gets 0);
* the Leontief inverse L = (I - A)^-1;
* complete consumption coefficients B = L - I (完全消耗系数).

:func:`service_inputs` sums the rows of the service sectors in each manufacturing column: the direct
(sum of a_ij) and complete (sum of b_ij) service-input coefficients, and for a multi-region table their
split into domestic (service rows of the column's own region) and imported (other regions) inputs.
The definitions follow Miller & Blair, Input-Output Analysis, 2nd ed. (2009), ch. 2-3; the
numbers equal pymrio's (tests/evaluation/test_input_output.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

DEFAULT_RTOL = 1e-3  # a published table rounds its cells; 0.1 % of the sector's output is accepted


class IOInvalid(ValueError):
    """A table that cannot be analysed (shapes, labels, negative output...). ``code`` is stable."""

    def __init__(self, message: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})


@dataclass(frozen=True)
class Imbalance:
    """One sector whose accounts do not add up. ``side`` is ``inputs`` (column: intermediate inputs +
    value added vs output) or ``uses`` (row: intermediate + final use vs output)."""

    region: str
    sector: str
    side: str
    output: float
    accounted: float

    @property
    def relative_gap(self) -> float:
        return (self.accounted - self.output) / self.output if self.output else float("inf")

    def to_dict(self) -> dict[str, Any]:
        return {"region": self.region, "sector": self.sector, "side": self.side, "output": self.output,
                "accounted": self.accounted, "relative_gap": self.relative_gap}


class IOUnbalanced(IOInvalid):
    def __init__(self, imbalances: Sequence[Imbalance], rtol: float) -> None:
        first = ", ".join(f"{i.region + '/' if i.region else ''}{i.sector} ({i.side} {i.relative_gap:+.2%})"
                          for i in imbalances[:5])
        more = f" and {len(imbalances) - 5} more" if len(imbalances) > 5 else ""
        super().__init__(f"input-output table is not balanced within {rtol:g}: {first}{more}", "unbalanced",
                         {"imbalances": [i.to_dict() for i in imbalances], "rtol": rtol})
        self.imbalances = list(imbalances)


@dataclass(frozen=True)
class IOTable:
    regions: tuple[str, ...]  # ("",) for a single-region table
    sectors: tuple[str, ...]  # the same sectors in every region
    Z: np.ndarray  # (n, n), n = len(regions) * len(sectors), region-major
    final_demand: np.ndarray  # (n, k)
    final_demand_labels: tuple[str, ...]
    value_added: np.ndarray | None  # (v, n) or None when the table has no value-added rows
    value_added_labels: tuple[str, ...]
    output: np.ndarray  # (n,) total output x
    imbalances: tuple[Imbalance, ...]  # found by make_table at the tolerance rtol
    rtol: float = DEFAULT_RTOL
    balances_checked: tuple[str, ...] = ()  # "inputs" (needs value added), "uses" (needs total output)

    @property
    def multi_region(self) -> bool:
        return len(self.regions) > 1

    @property
    def labels(self) -> list[tuple[str, str]]:
        return [(r, s) for r in self.regions for s in self.sectors]


def make_table(
    Z: Any,
    final_demand: Any,
    *,
    sectors: Sequence[str],
    regions: Sequence[str] | None = None,
    value_added: Any = None,
    output: Any = None,
    final_demand_labels: Sequence[str] | None = None,
    value_added_labels: Sequence[str] | None = None,
    rtol: float = DEFAULT_RTOL,
) -> IOTable:
    """Validate the blocks of a table and record its imbalances (see the module docstring).

    ``output`` defaults to the row totals Z 1 + Y 1 (then only the column balance can be checked, and
    only when ``value_added`` is given). ``value_added`` is (components, n) or (n,).
    """
    regions = tuple(regions) if regions else ("",)
    sectors = tuple(sectors)
    if len(set(sectors)) != len(sectors) or len(set(regions)) != len(regions):
        raise IOInvalid("sector and region codes must be distinct", "duplicate_labels")
    n = len(regions) * len(sectors)
    z = np.asarray(Z, dtype=float)
    if z.shape != (n, n):
        raise IOInvalid(f"Z must be {n} x {n} ({len(regions)} regions x {len(sectors)} sectors), got {z.shape}",
                        "bad_shape")
    y = np.asarray(final_demand, dtype=float)
    y = y.reshape(n, -1) if y.ndim == 1 else y
    if y.shape[0] != n:
        raise IOInvalid(f"final demand must have {n} rows, got {y.shape[0]}", "bad_shape")
    fd_labels = tuple(final_demand_labels) if final_demand_labels else tuple(f"Y{k + 1}" for k in range(y.shape[1]))
    v = None if value_added is None else np.atleast_2d(np.asarray(value_added, dtype=float))
    if v is not None and v.shape[1] != n:
        raise IOInvalid(f"value added must have {n} columns, got {v.shape[1]}", "bad_shape")
    va_labels = () if v is None else (tuple(value_added_labels) if value_added_labels
                                      else tuple(f"V{k + 1}" for k in range(v.shape[0])))
    uses = z.sum(axis=1) + y.sum(axis=1)
    x = uses if output is None else np.asarray(output, dtype=float).reshape(-1)
    if x.shape != (n,):
        raise IOInvalid(f"total output must have {n} values, got {x.shape}", "bad_shape")
    for name, arr in (("Z", z), ("final demand", y), ("total output", x)) + ((("value added", v),) if v is not None
                                                                              else ()):
        if not np.isfinite(arr).all():
            raise IOInvalid(f"{name} has missing or infinite cells", "not_finite")
    if (z < 0).any() or (x < 0).any():
        raise IOInvalid("intermediate flows and total output must be non-negative", "negative")
    labels = [(r, s) for r in regions for s in sectors]
    found: list[Imbalance] = []
    if v is not None:
        inputs = z.sum(axis=0) + v.sum(axis=0)
        for j in np.flatnonzero(~np.isclose(inputs, x, rtol=rtol, atol=0)):
            found.append(Imbalance(*labels[j], "inputs", float(x[j]), float(inputs[j])))
    if output is not None:
        for i in np.flatnonzero(~np.isclose(uses, x, rtol=rtol, atol=0)):
            found.append(Imbalance(*labels[i], "uses", float(x[i]), float(uses[i])))
    checked = (("inputs",) if v is not None else ()) + (("uses",) if output is not None else ())
    return IOTable(regions, sectors, z, y, fd_labels, v, va_labels, x, tuple(found), rtol, checked)


@dataclass(frozen=True)
class IOAnalysis:
    table: IOTable
    A: np.ndarray  # direct consumption coefficients
    L: np.ndarray  # Leontief inverse (I - A)^-1
    B: np.ndarray  # complete consumption coefficients L - I

    def output_for(self, final_demand: Any) -> np.ndarray:
        """Total output x = L f needed for a final-demand vector f (Miller & Blair eq. 2.11)."""
        f = np.asarray(final_demand, dtype=float).reshape(-1)
        return self.L @ f


def analyse(table: IOTable, *, allow_unbalanced: bool = False) -> IOAnalysis:
    """A, L and B of a balanced table. Raises :class:`IOUnbalanced` listing the sectors whose
    accounts do not add up, unless ``allow_unbalanced`` (the caller then shows ``table.imbalances``)."""
    if table.imbalances and not allow_unbalanced:
        raise IOUnbalanced(table.imbalances, table.rtol)
    x = table.output
    with np.errstate(divide="ignore"):
        inv_x = np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), 0.0)  # zero output: coefficients 0, as pymrio
    a = table.Z * inv_x[np.newaxis, :]
    n = a.shape[0]
    # the full inverse (not a solve) because B = L - I is reported in full; LAPACK getrf/getri as in pymrio
    try:
        leontief = np.linalg.inv(np.eye(n) - a)
    except np.linalg.LinAlgError:
        leontief = None
    # a productive economy (spectral radius of A below 1) has a non-negative inverse
    lowest = np.nan if leontief is None else leontief.min()  # NaN if any entry is NaN
    if not np.isfinite(lowest) or lowest < -1e-9:
        heavy = [table.labels[j] for j in np.argsort(-a.sum(axis=0))[:5]]
        raise IOInvalid(f"the table is not productive (I - A has no non-negative inverse); the sectors with the "
                        f"largest intermediate input shares are {heavy}", "not_productive")
    complete = leontief.copy()
    complete[np.diag_indices(n)] -= 1.0
    return IOAnalysis(table, a, leontief, complete)


@dataclass(frozen=True)
class ServiceInput:
    """Service-input coefficients of one manufacturing sector (in one region)."""

    region: str
    sector: str
    direct: float  # sum over service rows of a_ij
    complete: float  # sum over service rows of b_ij
    direct_by_service: dict[str, float]  # per service sector code (all regions summed)
    complete_by_service: dict[str, float]
    direct_domestic: float | None = None  # multi-region tables: service rows of the same region
    direct_imported: float | None = None  # service rows of the other regions
    complete_domestic: float | None = None
    complete_imported: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = {k: getattr(self, k) for k in ("region", "sector", "direct", "complete", "direct_by_service",
                                          "complete_by_service")}
        if self.direct_domestic is not None:
            d |= {k: getattr(self, k) for k in ("direct_domestic", "direct_imported", "complete_domestic",
                                               "complete_imported")}
        return d


def service_inputs(analysis: IOAnalysis, services: Sequence[str], manufacturing: Sequence[str]) -> list[ServiceInput]:
    """Direct and complete consumption of the ``services`` sectors per unit output of each
    ``manufacturing`` sector (in every region), with the domestic / imported split for multi-region
    tables. Sector codes are those of the table; an unknown code is an error."""
    t = analysis.table
    unknown = [c for c in (*services, *manufacturing) if c not in t.sectors]
    if unknown:
        raise IOInvalid(f"unknown sector codes {unknown}; the table has {list(t.sectors)}", "unknown_sector",
                        {"codes": unknown})
    if not services or not manufacturing:
        raise IOInvalid("name at least one service and one manufacturing sector", "no_sectors")
    ns, nr = len(t.sectors), len(t.regions)
    s_idx = [t.sectors.index(c) for c in services]
    cols = [r_pos * ns + t.sectors.index(code) for r_pos in range(nr) for code in manufacturing]
    a_cols, b_cols = analysis.A[:, cols], analysis.B[:, cols]  # every row, the manufacturing columns
    # per service sector, summed over the regions it is produced in: (services, columns)
    d_by = np.stack([a_cols[[rp * ns + si for rp in range(nr)], :].sum(axis=0) for si in s_idx])
    c_by = np.stack([b_cols[[rp * ns + si for rp in range(nr)], :].sum(axis=0) for si in s_idx])
    # per producing region, summed over the service sectors: (regions, columns)
    d_reg = np.stack([a_cols[[rp * ns + si for si in s_idx], :].sum(axis=0) for rp in range(nr)])
    c_reg = np.stack([b_cols[[rp * ns + si for si in s_idx], :].sum(axis=0) for rp in range(nr)])
    out = []
    for k, j in enumerate(cols):
        r_pos = j // ns
        direct, complete = float(d_by[:, k].sum()), float(c_by[:, k].sum())
        item = ServiceInput(t.regions[r_pos], t.sectors[j % ns], direct, complete,
                            dict(zip(services, d_by[:, k].tolist(), strict=True)),
                            dict(zip(services, c_by[:, k].tolist(), strict=True)))
        if t.multi_region:
            dd, cd = float(d_reg[r_pos, k]), float(c_reg[r_pos, k])
            item = replace(item, direct_domestic=dd, direct_imported=direct - dd, complete_domestic=cd,
                           complete_imported=complete - cd)
        out.append(item)
    return out
