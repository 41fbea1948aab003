"""Weights and rankings for evaluation (framework nodes 1.3.1 and 1.3.4: weighting and aggregation of
indicator systems). Pure: numpy, scipy and pymcdm; no database, no web framework.

Weights
    * :func:`ahp` — Saaty's analytic hierarchy process from a pairwise comparison matrix: principal
      eigenvector, lambda_max, consistency index CI = (lambda_max - n) / (n - 1) and consistency ratio
      CR = CI / RI with Saaty's random index. A matrix with CR above ``max_cr`` (0.1) is refused with
      :class:`AhpInconsistent`, which carries the ratio and the most inconsistent pair: the pair whose
      judgement a_ij deviates most from the ratio w_i / w_j of the derived weights (in log terms,
      ``|ln(a_ij w_j / w_i)|``, the same for (i, j) and (j, i)).
    * :func:`entropy_weights` — Shannon entropy method; :func:`critic_weights` — CRITIC (Diakoulaki,
      Mavrotas & Papayannakis 1995); :func:`expert_weights` — given weights (e.g. points out of 100)
      normalised; :func:`combined_weights` — subjective x objective:
      ``w_j = s_j o_j / sum_k s_k o_k`` (multiplicative synthesis, the default) or
      ``w_j = alpha s_j + (1 - alpha) o_j`` (linear).

Rankings
    * :func:`topsis` — Hwang & Yoon's TOPSIS with vector normalisation (the classical form);
    * :func:`vikor` — Opricovic's VIKOR: S, R, Q and the compromise solution (acceptable advantage
      DQ = 1/(m-1), acceptable stability), as in Opricovic & Tzeng (2004).

Matrices are alternatives x criteria; directions are :class:`Direction` (``benefit``: more is better,
``cost``: less is better).
"""

from __future__ import annotations

import csv
import enum
import io
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

# scipy.stats and pymcdm are imported inside the functions that use them: together they take about
# 2-3 s to import (pymcdm loads matplotlib), and AHP, the CLI and the API do not need them.

# Saaty's random consistency index by matrix order. n <= 10: Saaty, The Analytic Hierarchy Process
# (1980), table 1.7; n = 11..15: Saaty, Fundamentals of Decision Making and Priority Theory (2000).
# pymcdm's AHP uses Tummala & Ling's (1998) recomputed values instead (0.5799, 0.8921, ...), which is
# one reason the consistency ratio is computed here (the other is below, in ahp()).
SAATY_RI = {
    1: 0.0,
    2: 0.0,
    3: 0.58,
    4: 0.90,
    5: 1.12,
    6: 1.24,
    7: 1.32,
    8: 1.41,
    9: 1.45,
    10: 1.49,
    11: 1.51,
    12: 1.48,
    13: 1.56,
    14: 1.57,
    15: 1.59,
}
MAX_CR = 0.1
RECIPROCAL_RTOL = 5e-3  # a_ij * a_ji = 1 within this: accepts judgements typed as 0.333 for 1/3


class Direction(enum.StrEnum):
    benefit = "benefit"  # 正向: more is better
    cost = "cost"  # 逆向: less is better


class McdaInvalid(ValueError):
    """Input a weighting or ranking method cannot use. ``code`` is stable (a UI words it in its own
    language with ``params``); the message is English."""

    def __init__(self, message: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})


# ---- AHP ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InconsistentPair:
    """The judgement a[i, j] that deviates most from the ratio of the derived weights."""

    row: str
    column: str
    judgement: float  # a_ij as given
    implied: float  # w_i / w_j: the judgement that would be consistent with the weights
    deviation: float  # |ln(judgement / implied)|


@dataclass(frozen=True)
class AhpResult:
    criteria: tuple[str, ...]
    weights: np.ndarray  # sums to 1, in the order of ``criteria``
    lambda_max: float
    ci: float
    ri: float
    cr: float  # 0 for n <= 2 (always consistent)
    most_inconsistent: InconsistentPair | None  # None for n <= 2

    @property
    def consistent(self) -> bool:
        return self.cr <= MAX_CR

    def weights_by_name(self) -> dict[str, float]:
        return {c: float(w) for c, w in zip(self.criteria, self.weights, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (the ``somp evaluate ahp`` output)."""
        return {
            "weights": self.weights_by_name(),
            "lambda_max": self.lambda_max,
            "CI": self.ci,
            "CR": self.cr,
            "RI": self.ri,
            "most_inconsistent_pair": None
            if self.most_inconsistent is None
            else {
                "row": self.most_inconsistent.row,
                "column": self.most_inconsistent.column,
                "judgement": self.most_inconsistent.judgement,
                "implied": self.most_inconsistent.implied,
            },
        }


class AhpInconsistent(McdaInvalid):
    """CR above the limit: the judgements must be revised. ``result`` holds the computed weights
    (for display), ``pair`` the judgement to look at first."""

    def __init__(self, result: AhpResult, max_cr: float) -> None:
        pair = result.most_inconsistent
        assert pair is not None
        super().__init__(
            f"pairwise comparison matrix is inconsistent: CR = {result.cr:.3f} > {max_cr:g}; "
            f"most inconsistent judgement: {pair.row} vs {pair.column} = {pair.judgement:.4g}, "
            f"the other judgements imply about {pair.implied:.3g}",
            "ahp_inconsistent",
            {"cr": result.cr, "max_cr": max_cr, "row": pair.row, "column": pair.column,
             "judgement": pair.judgement, "implied": pair.implied},
        )
        self.result = result
        self.cr = result.cr
        self.pair = pair


def validate_pairwise(matrix: Any, criteria: Sequence[str] | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """A square, positive, reciprocal matrix with ones on the diagonal, and its criterion names.

    Raises :class:`McdaInvalid` naming the first offending cell.
    """
    a = np.asarray(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise McdaInvalid(f"pairwise matrix must be square and non-empty, got shape {a.shape}", "not_square",
                          {"shape": list(a.shape)})
    n = a.shape[0]
    names = tuple(criteria) if criteria is not None else tuple(f"C{i + 1}" for i in range(n))
    if len(names) != n or len(set(names)) != n:
        raise McdaInvalid(f"need {n} distinct criterion names, got {list(names)}", "bad_names")
    if n > max(SAATY_RI):
        raise McdaInvalid(f"at most {max(SAATY_RI)} criteria per pairwise matrix (Saaty's random index), got {n}; "
                          "split them into a hierarchy", "too_many_criteria", {"n": n})
    bad = np.argwhere(~np.isfinite(a) | (a <= 0))
    if bad.size:
        i, j = bad[0]
        raise McdaInvalid(f"judgement {names[i]} vs {names[j]} must be a positive number, got {a[i, j]}",
                          "not_positive", {"row": names[i], "column": names[j]})
    off = np.argwhere(~np.isclose(np.diag(a), 1.0))
    if off.size:
        i = off[0][0]
        raise McdaInvalid(f"diagonal {names[i]} vs {names[i]} must be 1, got {a[i, i]}", "diagonal_not_one",
                          {"row": names[i]})
    nonrec = np.argwhere(np.triu(~np.isclose(a * a.T, 1.0, rtol=RECIPROCAL_RTOL, atol=0), 1))
    if nonrec.size:
        i, j = nonrec[0]
        raise McdaInvalid(
            f"matrix is not reciprocal: {names[i]} vs {names[j]} = {a[i, j]:.4g} but {names[j]} vs {names[i]} = "
            f"{a[j, i]:.4g} (expected {1 / a[i, j]:.4g})",
            "not_reciprocal", {"row": names[i], "column": names[j]},
        )
    return a, names


def ahp(matrix: Any, criteria: Sequence[str] | None = None, *, max_cr: float | None = MAX_CR) -> AhpResult:
    """AHP weights of a pairwise comparison matrix (a_ij: how much more important criterion i is than j).

    Parameters
    ----------
    matrix
        n x n positive reciprocal matrix, n <= 15.
    criteria
        Names of the criteria (default C1..Cn).
    max_cr
        Refuse (raise :class:`AhpInconsistent`) when CR exceeds it; ``None`` never refuses.

    Notes
    -----
    The weights are the principal (Perron) eigenvector, computed with numpy's ``eig`` as pymcdm's
    ``AHP._matrix_to_weights`` does. pymcdm's ``AHP`` class itself is not called: it accepts only
    judgements on the discrete 1-9 scale (it refuses aggregated group judgements such as geometric
    means, see :func:`aggregate_judgements`) and its CR uses Tummala & Ling's random index, not
    Saaty's. tests/evaluation/test_mcda.py checks the weights equal pymcdm's on 1-9 scale matrices.
    """
    a, names = validate_pairwise(matrix, criteria)
    n = len(names)
    eigenvalues, vectors = np.linalg.eig(a)
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    w = np.abs(vectors[:, k].real)
    w = w / w.sum()
    if n <= 2:
        return AhpResult(names, w, float(n), 0.0, 0.0, 0.0, None)
    ci = max(0.0, (lambda_max - n) / (n - 1))  # a consistent matrix can give -1e-16
    ri = SAATY_RI[n]
    cr = ci / ri
    ratio = np.outer(w, 1 / w)  # w_i / w_j
    dev = np.abs(np.log(a / ratio))
    i, j = np.unravel_index(int(np.argmax(np.triu(dev, 1))), dev.shape)
    pair = InconsistentPair(names[i], names[j], float(a[i, j]), float(ratio[i, j]), float(dev[i, j]))
    result = AhpResult(names, w, lambda_max, ci, ri, cr, pair)
    if max_cr is not None and cr > max_cr:
        raise AhpInconsistent(result, max_cr)
    return result


def aggregate_judgements(matrices: Sequence[Any]) -> np.ndarray:
    """Group judgement: the element-wise geometric mean of several experts' pairwise matrices
    (aggregation of individual judgements, AIJ; Forman & Peniwati 1998). Stays reciprocal."""
    if not matrices:
        raise McdaInvalid("no pairwise matrices to aggregate", "empty")
    stack = np.stack([validate_pairwise(m)[0] for m in matrices])
    import scipy.stats

    return scipy.stats.gmean(stack, axis=0)


def read_pairwise_csv(text: str) -> tuple[np.ndarray, tuple[str, ...]]:
    """A pairwise matrix from CSV text with a header row and a first column of criterion names;
    cells are numbers or fractions (``1/3``). Row and column names must be the same, in order."""
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if any(c.strip() for c in r)]
    if len(rows) < 2:
        raise McdaInvalid("pairwise CSV needs a header row and at least one criterion row", "bad_csv")
    header = [c.strip() for c in rows[0][1:]]
    names = [r[0].strip() for r in rows[1:]]
    if header != names:
        raise McdaInvalid(f"header {header} and row names {names} differ", "bad_csv")
    try:
        values = [[float(Fraction(c.strip())) for c in r[1:]] for r in rows[1:]]
    except (ValueError, ZeroDivisionError) as e:
        raise McdaInvalid(f"pairwise CSV has a cell that is not a number or fraction: {e}", "bad_csv") from e
    if any(len(v) != len(names) for v in values):
        raise McdaInvalid("pairwise CSV rows must have one cell per criterion", "bad_csv")
    return validate_pairwise(values, names)


# ---- objective and combined weights -----------------------------------------------------------------


def _decision_matrix(matrix: Any, min_rows: int = 2) -> np.ndarray:
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or x.shape[0] < min_rows or x.shape[1] < 1:
        raise McdaInvalid(f"decision matrix must be alternatives x criteria with at least {min_rows} rows, "
                          f"got shape {x.shape}", "bad_shape", {"shape": list(x.shape)})
    if not np.isfinite(x).all():
        raise McdaInvalid("decision matrix has missing or infinite values: score or drop those alternatives first",
                          "not_finite")
    return x


def _types(directions: Sequence[Direction | str] | None, n: int) -> np.ndarray:
    if directions is None:
        return np.ones(n, dtype=int)
    d = [Direction(x) for x in directions]
    if len(d) != n:
        raise McdaInvalid(f"{len(d)} directions for {n} criteria", "bad_directions")
    return np.array([1 if x is Direction.benefit else -1 for x in d])


def _normalised(w: np.ndarray, what: str) -> np.ndarray:
    total = float(np.sum(w))
    if not np.isfinite(total) or total <= 0:
        raise McdaInvalid(f"{what} weights are undefined (all criteria carry no information)", "degenerate")
    return w / total


def entropy_weights(matrix: Any) -> np.ndarray:
    """Entropy weights of a non-negative decision matrix: p_ij = x_ij / sum_i x_ij,
    e_j = -sum_i p_ij ln p_ij / ln m, w_j = (1 - e_j) / sum_k (1 - e_k).

    Normalise indicators to a common non-negative scale (and flip cost indicators) before calling.
    Computed with ``scipy.stats.entropy`` (0 ln 0 = 0): pymcdm's ``entropy_weights`` refuses any zero
    (its sum normalisation needs positive values) and indicator data has zeros; the tests check both
    give the same weights on positive data.
    """
    x = _decision_matrix(matrix)
    if (x < 0).any():
        raise McdaInvalid("entropy weights need non-negative values", "negative")
    sums = x.sum(axis=0)
    if (sums == 0).any():
        raise McdaInvalid(f"criteria {np.flatnonzero(sums == 0).tolist()} are all zero", "zero_column")
    import scipy.stats

    e = scipy.stats.entropy(x, base=x.shape[0], axis=0)
    return _normalised(1 - e, "entropy")


def critic_weights(matrix: Any, directions: Sequence[Direction | str] | None = None) -> np.ndarray:
    """CRITIC weights: C_j = sigma_j * sum_k (1 - r_jk) on the min-max normalised matrix (best = 1).

    pymcdm's ``critic_weights`` ignores criterion types; cost columns are negated before it is called,
    so that its min-max normalisation maps the best value to 1 as in Diakoulaki et al. (1995) (the
    sign of a cost column's correlations depends on it).
    """
    x = _decision_matrix(matrix, min_rows=3)
    flipped = x * _types(directions, x.shape[1])
    constant = np.ptp(x, axis=0) == 0
    if constant.any():
        raise McdaInvalid(f"criteria {np.flatnonzero(constant).tolist()} have the same value for every alternative; "
                          "CRITIC needs variation (drop them)", "constant_column")
    from pymcdm.weights import critic_weights as pymcdm_critic

    return _normalised(np.asarray(pymcdm_critic(flipped), dtype=float), "CRITIC")


def expert_weights(weights: Sequence[float] | Mapping[str, float]) -> np.ndarray | dict[str, float]:
    """Given (expert) weights, e.g. points out of 100, normalised to sum to 1 (a mapping stays a mapping)."""
    if isinstance(weights, Mapping):
        names = list(weights)
        w = expert_weights([weights[k] for k in names])
        return {k: float(v) for k, v in zip(names, w, strict=True)}
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or not np.isfinite(w).all() or (w < 0).any():
        raise McdaInvalid("expert weights must be non-negative numbers", "bad_weights")
    return _normalised(w, "expert")


def combined_weights(subjective: Sequence[float], objective: Sequence[float], *, method: str = "multiplicative",
                     alpha: float = 0.5) -> np.ndarray:
    """Combine subjective (AHP, expert) and objective (entropy, CRITIC) weights.

    ``multiplicative``: w_j = s_j o_j / sum_k s_k o_k; ``linear``: w_j = alpha s_j + (1 - alpha) o_j
    (both inputs normalised first).
    """
    s = expert_weights(subjective)
    o = expert_weights(objective)
    if len(s) != len(o):
        raise McdaInvalid(f"{len(s)} subjective and {len(o)} objective weights", "bad_weights")
    if method == "multiplicative":
        return _normalised(s * o, "combined")
    if method == "linear":
        if not 0 <= alpha <= 1:
            raise McdaInvalid(f"alpha must be in [0, 1], got {alpha}", "bad_alpha")
        return alpha * s + (1 - alpha) * o
    raise McdaInvalid(f"unknown combination method {method!r} (multiplicative, linear)", "bad_method")


# ---- rankings ---------------------------------------------------------------------------------------


def _rank_inputs(matrix: Any, weights: Sequence[float], directions: Sequence[Direction | str] | None):
    x = _decision_matrix(matrix)
    w = expert_weights(weights)
    if len(w) != x.shape[1]:
        raise McdaInvalid(f"{len(w)} weights for {x.shape[1]} criteria", "bad_weights")
    return x, np.asarray(w), _types(directions, x.shape[1])


def _ranks(score: np.ndarray, higher_is_better: bool) -> np.ndarray:
    import scipy.stats

    return scipy.stats.rankdata(-score if higher_is_better else score, method="min").astype(int)


@dataclass(frozen=True)
class Ranking:
    """Scores and ranks (1 = best; ties share the better rank)."""

    method: str
    scores: np.ndarray
    ranks: np.ndarray
    extra: dict[str, Any] = field(default_factory=dict)


def topsis(matrix: Any, weights: Sequence[float], directions: Sequence[Direction | str] | None = None) -> Ranking:
    """TOPSIS closeness C_i = D_i^- / (D_i^+ + D_i^-) on the vector-normalised weighted matrix
    (higher is better). pymcdm's TOPSIS with its vector normalisation: a cost column becomes
    1 - x/||x||, which moves the ideal to the column's minimum and leaves the distances as in
    Hwang & Yoon's form."""
    x, w, t = _rank_inputs(matrix, weights, directions)
    if (np.linalg.norm(x, axis=0) == 0).any():
        raise McdaInvalid("a criterion is zero for every alternative", "zero_column")
    from pymcdm import normalizations
    from pymcdm.methods import TOPSIS

    scores = TOPSIS(normalizations.vector_normalization)(x, w, t, validation=False)
    scores = np.nan_to_num(scores, nan=0.5)  # every alternative equal on every criterion: all tie
    return Ranking("TOPSIS", scores, _ranks(scores, True))


def vikor(matrix: Any, weights: Sequence[float], directions: Sequence[Direction | str] | None = None, *,
          v: float = 0.5) -> Ranking:
    """VIKOR: S (group utility), R (individual regret), Q = v S* + (1 - v) R* (lower is better) from
    pymcdm, plus the compromise solution of Opricovic & Tzeng (2004), which pymcdm does not provide:

    * acceptable advantage: Q(a2) - Q(a1) >= DQ = 1/(m - 1);
    * acceptable stability: a1 is also best by S or by R.

    Both hold: {a1}. Only stability fails: {a1, a2}. Advantage fails: all a with Q(a) - Q(a1) < DQ.
    ``extra`` has S, R, compromise (indices), acceptable_advantage, acceptable_stability.
    """
    x, w, t = _rank_inputs(matrix, weights, directions)
    if not 0 <= v <= 1:
        raise McdaInvalid(f"v must be in [0, 1], got {v}", "bad_v")
    constant = np.ptp(x, axis=0) == 0
    if constant.any():
        raise McdaInvalid(f"criteria {np.flatnonzero(constant).tolist()} have the same value for every alternative; "
                          "VIKOR cannot use them (drop them)", "constant_column")
    from pymcdm.methods import VIKOR

    tables = {t_.desc.label: t_.data for t_ in VIKOR(v=v)(x, w, t, validation=False, verbose=True).results}
    s, r, q = (np.asarray(tables[k], dtype=float) for k in ("s", "r", "q"))
    q = np.nan_to_num(q, nan=0.0)  # S or R equal for all alternatives: that term carries no ranking
    ranks = _ranks(q, False)
    m = len(q)
    order = np.argsort(q, kind="stable")
    best = order[0]
    dq = 1 / (m - 1)
    advantage = bool(q[order[1]] - q[best] >= dq)
    stability = bool(math.isclose(s[best], s.min()) or math.isclose(r[best], r.min()))
    if advantage and stability:
        compromise = [int(best)]
    elif advantage:
        compromise = [int(best), int(order[1])]
    else:
        compromise = [int(i) for i in order if q[i] - q[best] < dq]
    return Ranking("VIKOR", q, ranks, {"S": s, "R": r, "compromise": compromise, "acceptable_advantage": advantage,
                                       "acceptable_stability": stability})
