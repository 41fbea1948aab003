"""Scoring many enterprises at once against an indicator system (framework nodes 1.3.1 and 1.3.4: a
region's or an evaluator's whole population). Pure: numpy; no database, no web framework.

:func:`score_batch` is the vectorised form of :func:`somp.modules.evaluation.indicators.score`, with
the same rules and results (tests/evaluation/test_batch_scoring.py checks them enterprise by
enterprise): values are an enterprises x indicators array where NaN is missing; a value a rule cannot
score (a level outside 0..N, an infinite number) is invalid and treated as missing; node scores are
weighted means over the children with data; coverage and the maturity level as in ``score``.
:func:`rank_complete` ranks the enterprises that have every indicator with TOPSIS on the indicator
scores and the system's global weights (e.g. set from AHP with
:func:`~somp.modules.evaluation.indicators.set_weights`); enterprises with missing data are not ranked
rather than ranked on invented values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from somp.modules.evaluation.indicators import (
    Indicator,
    IndicatorSystem,
    LevelRule,
    LinearRule,
    ThresholdRule,
    global_weights,
)
from somp.modules.evaluation.mcda import Direction, topsis

MISSING, SCORED, INVALID = 0, 1, 2


def _score_column(ind: Indicator, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores (NaN where not scored) and status codes of one indicator's values."""
    status = np.where(np.isnan(v), MISSING, SCORED).astype(np.int8)
    status[np.isinf(v)] = INVALID
    ok = status == SCORED
    out = np.full(v.shape, np.nan)
    r = ind.rule
    x = v[ok]
    if isinstance(r, ThresholdRule):
        ats = np.array([s.at for s in r.steps])
        scores = np.array([s.score for s in r.steps])
        reached = (x[:, None] >= ats) if ind.direction is Direction.benefit else (x[:, None] <= ats)
        count = reached.sum(axis=1)  # steps are ordered, so the reached ones are a prefix
        out[ok] = np.where(count > 0, scores[np.maximum(count - 1, 0)], r.below)
    elif isinstance(r, LinearRule):
        out[ok] = 100.0 * np.clip((x - r.worst) / (r.best - r.worst), 0.0, 1.0)
    else:
        assert isinstance(r, LevelRule)
        top = len(r.levels)
        good = (x == np.floor(x)) & (x >= 0) & (x <= top)
        idx = np.flatnonzero(ok)
        status[idx[~good]] = INVALID
        out[idx[good]] = 100.0 * x[good] / top
    return out, status


def _mean(scores: list[np.ndarray], weights: list[float]) -> np.ndarray:
    s = np.column_stack(scores)
    w = np.asarray(weights, dtype=float)
    have = ~np.isnan(s)
    den = have @ w
    num = np.where(have, s, 0.0) @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


@dataclass(frozen=True)
class BatchScores:
    codes: list[str]  # indicator codes, the columns of ``scores`` and ``status``
    scores: np.ndarray  # enterprises x indicators, NaN where missing or invalid
    status: np.ndarray  # MISSING (0), SCORED (1), INVALID (2)
    subdimensions: dict[str, np.ndarray]
    dimensions: dict[str, np.ndarray]
    total: np.ndarray
    coverage: np.ndarray  # weight share of indicators with data
    levels: np.ndarray  # maturity level reached (0 = none)


def score_batch(system: IndicatorSystem, codes: Sequence[str], values: np.ndarray) -> BatchScores:
    """Score ``values`` (enterprises x ``codes``; NaN = missing) against ``system``. Indicators of the
    system absent from ``codes`` are missing for every enterprise; unknown codes raise KeyError."""
    values = np.asarray(values, dtype=float)
    codes = list(codes)
    known = [i.code for i in system.indicators()]
    unknown = set(codes) - set(known)
    if unknown:
        raise KeyError(f"columns for codes the system does not have: {sorted(unknown)}")
    if values.ndim != 2 or values.shape[1] != len(codes):
        raise ValueError(f"values must be enterprises x {len(codes)} codes, got shape {values.shape}")
    m = values.shape[0]
    col = {c: k for k, c in enumerate(codes)}
    scores = np.full((m, len(known)), np.nan)
    status = np.zeros((m, len(known)), dtype=np.int8)
    pos = {c: k for k, c in enumerate(known)}
    for ind in system.indicators():
        if ind.code in col:
            s, st = _score_column(ind, values[:, col[ind.code]])
            scores[:, pos[ind.code]], status[:, pos[ind.code]] = s, st
    subs: dict[str, np.ndarray] = {}
    dims: dict[str, np.ndarray] = {}
    present = (status == SCORED).astype(float)
    dim_cov = []
    for d in system.dimensions:
        sub_cov = []
        for s in d.subdimensions:
            ks = [pos[i.code] for i in s.indicators]
            ws = [i.weight for i in s.indicators]
            subs[s.code] = _mean([scores[:, k] for k in ks], ws)
            sub_cov.append(present[:, ks] @ (np.array(ws) / sum(ws)))
        sw = [s.weight for s in d.subdimensions]
        dims[d.code] = _mean([subs[s.code] for s in d.subdimensions], sw)
        dim_cov.append(np.column_stack(sub_cov) @ (np.array(sw) / sum(sw)))
    dw = [d.weight for d in system.dimensions]
    total = _mean([dims[d.code] for d in system.dimensions], dw)
    coverage = np.column_stack(dim_cov) @ (np.array(dw) / sum(dw))
    levels = _levels(system, scores, status, values, codes, subs | dims, total, coverage, pos)
    return BatchScores(known, scores, status, subs, dims, total, coverage, levels)


def _levels(system, scores, status, values, codes, nodes, total, coverage, pos) -> np.ndarray:
    m = scores.shape[0]
    col = {c: k for k, c in enumerate(codes)}
    reached = np.zeros(m, dtype=np.int8)
    for lv in system.levels:
        met = np.ones(m, dtype=bool)
        if lv.min_coverage > 0:
            met &= coverage >= lv.min_coverage - 1e-12
        for c in lv.criteria:
            if c.target in pos:
                k = pos[c.target]
                ok = status[:, k] == SCORED
                raw = values[:, col[c.target]] if c.target in col else np.full(m, np.nan)
                with np.errstate(invalid="ignore"):
                    if c.min_value is not None:
                        ok &= raw >= c.min_value
                    if c.max_value is not None:
                        ok &= raw <= c.max_value
                    if c.min_score is not None:
                        ok &= scores[:, k] >= c.min_score
            else:
                node = total if c.target == "total" else nodes[c.target]
                with np.errstate(invalid="ignore"):
                    ok = ~np.isnan(node) & (node >= c.min_score)
            met &= ok
        reached = np.where((reached == lv.level - 1) & met, lv.level, reached).astype(np.int8)
    return reached


def rank_complete(system: IndicatorSystem, batch: BatchScores) -> np.ndarray:
    """TOPSIS ranks (1 = best) of the enterprises with every indicator scored, on the indicator scores
    (all benefit: higher score is better) with the system's global weights; 0 for the others."""
    complete = (batch.status == SCORED).all(axis=1)
    ranks = np.zeros(batch.scores.shape[0], dtype=int)
    if complete.sum() >= 2:
        gw = global_weights(system)
        w = np.array([gw[c] for c in batch.codes])
        x = batch.scores[complete]
        keep = np.ptp(x, axis=0) > 0  # a score equal for everyone does not separate anyone
        if keep.any():
            ranks[complete] = topsis(x[:, keep], w[keep], [Direction.benefit] * int(keep.sum())).ranks
        else:
            ranks[complete] = 1
    elif complete.sum() == 1:
        ranks[complete] = 1
    return ranks
