"""Vectorised scoring (somp.modules.evaluation.batch_scoring) equals the per-enterprise scorer on the
default maturity system, with missing and invalid values; weights set from AHP; TOPSIS ranking of the
complete rows equals scikit-criteria's."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from skcriteria import mkdm
from skcriteria.agg.topsis import TOPSIS as SkTOPSIS
from skcriteria.preprocessing.scalers import VectorScaler

from somp.modules.evaluation.batch_scoring import INVALID, MISSING, SCORED, rank_complete, score_batch
from somp.modules.evaluation.indicators import (
    Status,
    default_maturity_system,
    global_weights,
    score,
    set_weights,
)
from somp.modules.evaluation.mcda import ahp


def random_values(system, m: int, seed: int, missing: float = 0.15) -> np.ndarray:
    rng = np.random.default_rng(seed)
    cols = []
    for ind in system.indicators():
        r = ind.rule
        if r.kind == "levels":
            col = rng.integers(0, len(r.levels) + 2, size=m).astype(float)  # includes invalid levels
        elif r.kind == "linear":
            lo, hi = sorted((r.worst, r.best))
            col = rng.uniform(lo - 0.2 * (hi - lo), hi + 0.2 * (hi - lo), size=m)
        else:
            ats = [s.at for s in r.steps]
            col = rng.choice(np.array(ats + [min(ats) / 2, max(ats) * 1.5, ats[0] - 1e-9]), size=m)
        col[rng.random(m) < missing] = np.nan
        cols.append(col)
    return np.column_stack(cols)


@pytest.mark.parametrize("seed", [0, 1])
def test_batch_equals_per_enterprise_scoring(seed):
    s = default_maturity_system()
    codes = [i.code for i in s.indicators()]
    x = random_values(s, 300, seed, missing=0.1 if seed == 0 else 0.02)
    b = score_batch(s, codes, x)
    status_map = {Status.scored: SCORED, Status.missing: MISSING, Status.invalid: INVALID}
    levels_seen = set()
    for row in range(x.shape[0]):
        e = score(s, {c: (None if math.isnan(v) else float(v)) for c, v in zip(codes, x[row], strict=True)})
        for k, c in enumerate(codes):
            r = e.indicators[c]
            assert b.status[row, k] == status_map[r.status]
            assert (r.score is None and np.isnan(b.scores[row, k])) or b.scores[row, k] == pytest.approx(r.score)
        for code, node in (e.dimensions | e.subdimensions).items():
            got = (b.dimensions | b.subdimensions)[code][row]
            assert (node.score is None and np.isnan(got)) or got == pytest.approx(node.score)
        assert b.total[row] == pytest.approx(e.total.score) and b.coverage[row] == pytest.approx(e.total.coverage)
        assert b.levels[row] == e.level
        levels_seen.add(e.level)
    assert len(levels_seen) >= 2  # the comparison covers more than one level


def test_absent_columns_are_missing_and_unknown_columns_refused():
    s = default_maturity_system()
    b = score_batch(s, ["DR1.1"], np.array([[0.35], [np.nan]]))
    assert b.total[0] == 80 and np.isnan(b.total[1])
    assert b.coverage[0] == pytest.approx(global_weights(s)["DR1.1"])
    with pytest.raises(KeyError):
        score_batch(s, ["XX"], np.zeros((1, 1)))


def test_weights_from_ahp_change_the_hash_and_the_global_weights():
    s = default_maturity_system()
    w = ahp([[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]], ["SO", "CA", "DR"])
    s2 = set_weights(s, "total", w.weights_by_name())
    assert s2.content_hash != s.content_hash
    assert [d.weight for d in s2.dimensions] == pytest.approx(w.weights.tolist())
    gw = global_weights(s2)
    assert sum(gw.values()) == pytest.approx(1.0)
    assert sum(v for k, v in gw.items() if k.startswith("SO")) == pytest.approx(w.weights[0])
    with pytest.raises(KeyError):
        set_weights(s, "CA", {"CA1": 1.0})


def test_rank_complete_equals_scikit_criteria_topsis_and_leaves_incomplete_rows_unranked():
    s = default_maturity_system()
    codes = [i.code for i in s.indicators()]
    x = random_values(s, 200, 5, missing=0.0)
    x[:, [k for k, i in enumerate(s.indicators()) if i.rule.kind == "levels"]] %= 6  # no invalid levels
    x[3, 0] = np.nan
    b = score_batch(s, codes, x)
    ranks = rank_complete(s, b)
    assert ranks[3] == 0
    full = ranks > 0
    gw = global_weights(s)
    w = np.array([gw[c] for c in codes])
    dm = VectorScaler(target="matrix").transform(mkdm(b.scores[full], [1] * len(codes), weights=w / w.sum()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = SkTOPSIS().evaluate(dm)
    np.testing.assert_array_equal(ranks[full], ref.rank_)
