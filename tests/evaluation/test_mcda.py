"""Weights and rankings (somp.modules.evaluation.mcda) against Saaty's published AHP example, pymcdm's
AHP on 1-9 scale matrices, and scikit-criteria (a second MCDA library) on the same decision matrices."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pymcdm.weights import entropy_weights as pymcdm_entropy
from pymcdm.weights.subjective import AHP as PymcdmAHP
from skcriteria import mkdm
from skcriteria.agg.topsis import TOPSIS as SkTOPSIS
from skcriteria.agg.vikor import VIKOR as SkVIKOR
from skcriteria.preprocessing.scalers import VectorScaler
from skcriteria.preprocessing.weighters import critic_weights as sk_critic
from skcriteria.preprocessing.weighters import entropy_weights as sk_entropy

from somp.modules.evaluation.mcda import (
    SAATY_RI,
    AhpInconsistent,
    Direction,
    McdaInvalid,
    aggregate_judgements,
    ahp,
    combined_weights,
    critic_weights,
    entropy_weights,
    expert_weights,
    read_pairwise_csv,
    topsis,
    vikor,
)

# Saaty, T. L. (1990). How to make a decision: the analytic hierarchy process. European Journal of
# Operational Research 48, 9-26: the house-buying example, criteria matrix (table 2) and the comparison
# of the three houses A, B, C on "size of house" and "yard space" (table 3).
HOUSE_CRITERIA = ("size", "transportation", "neighborhood", "age", "yard", "modern facilities", "condition",
                  "financing")
HOUSE_CSV = """criterion,size,transportation,neighborhood,age,yard,modern facilities,condition,financing
size,1,5,3,7,6,6,1/3,1/4
transportation,1/5,1,1/3,5,3,3,1/5,1/7
neighborhood,1/3,3,1,6,3,4,6,1/5
age,1/7,1/5,1/6,1,1/3,1/4,1/7,1/8
yard,1/6,1/3,1/3,3,1,1/2,1/5,1/6
modern facilities,1/6,1/3,1/4,4,2,1,1/5,1/6
condition,3,5,1/6,7,5,5,1,1/2
financing,4,7,5,8,6,6,2,1
"""
SIZE_OF_HOUSE = [[1, 6, 8], [1 / 6, 1, 4], [1 / 8, 1 / 4, 1]]
YARD_SPACE = [[1, 5, 4], [1 / 5, 1, 1 / 3], [1 / 4, 3, 1]]


def test_saaty_1990_house_criteria_weights_and_consistency():
    """Saaty (1990) table 2 publishes the priorities .173 .054 .188 .018 .031 .036 .167 .333,
    lambda_max = 9.669 and C.R. = 0.169 (> 0.1: Saaty notes the judgements should be improved).
    The engine refuses the matrix with that ratio and reports the same weights in the error."""
    matrix, names = read_pairwise_csv(HOUSE_CSV)
    assert names == HOUSE_CRITERIA
    with pytest.raises(AhpInconsistent) as e:
        ahp(matrix, names)
    err = e.value
    assert err.code == "ahp_inconsistent"
    assert err.cr == pytest.approx(0.169, abs=5e-4)
    assert "CR = 0.169" in str(err)
    r = err.result
    assert r.lambda_max == pytest.approx(9.669, abs=5e-4)
    np.testing.assert_allclose(r.weights, [0.173, 0.054, 0.188, 0.018, 0.031, 0.036, 0.167, 0.333], atol=5e-4)
    # neighborhood vs condition = 6 although their weights are almost equal (0.188 / 0.167 = 1.13)
    assert (err.pair.row, err.pair.column) == ("neighborhood", "condition")
    assert err.pair.judgement == 6 and err.pair.implied == pytest.approx(1.13, abs=0.01)
    assert err.params["row"] == "neighborhood"
    # the same matrix with the refusal switched off
    assert ahp(matrix, names, max_cr=None).weights_by_name()["financing"] == pytest.approx(0.333, abs=5e-4)


def test_saaty_1990_house_alternatives_consistent_and_inconsistent():
    """Saaty (1990) table 3: yard space A .674, B .101, C .226, lambda_max 3.086, C.R. 0.074 (accepted);
    size of house A .754, B .181, C .065, lambda_max 3.136, C.R. 0.117 (above 0.1: refused)."""
    yard = ahp(YARD_SPACE, ["A", "B", "C"])
    np.testing.assert_allclose(yard.weights, [0.674, 0.101, 0.226], atol=5e-4)
    assert yard.lambda_max == pytest.approx(3.086, abs=5e-4)
    assert yard.cr == pytest.approx(0.074, abs=5e-4) and yard.consistent
    assert yard.ri == SAATY_RI[3] == 0.58
    with pytest.raises(AhpInconsistent) as e:
        ahp(SIZE_OF_HOUSE, ["A", "B", "C"])
    assert e.value.cr == pytest.approx(0.117, abs=5e-4)
    np.testing.assert_allclose(e.value.result.weights, [0.754, 0.181, 0.065], atol=5e-4)
    assert ahp(SIZE_OF_HOUSE, max_cr=0.15).cr == pytest.approx(0.117, abs=5e-4)


@pytest.mark.parametrize("ranking", [[1, 2, 4, 3], [1, 1, 2, 3, 5], [2, 1, 3, 3, 6, 4, 2]])
def test_weights_equal_pymcdm_ahp_on_scale_matrices(ranking):
    ref = PymcdmAHP(ranking=ranking)
    expected = ref()
    got = ahp(ref.matrix, max_cr=None)
    np.testing.assert_allclose(got.weights, expected, rtol=1e-12)
    # pymcdm's CR uses Tummala & Ling's random index; the consistency index is the same
    n = len(ranking)
    assert got.ci == pytest.approx(ref.get_cr() * PymcdmAHP.RI_M[n - 1], abs=1e-12)


def test_consistent_matrix_has_zero_ratio_and_exact_weights():
    w = np.array([0.5, 0.25, 0.15, 0.1])
    r = ahp(np.outer(w, 1 / w), list("abcd"))
    np.testing.assert_allclose(r.weights, w, rtol=1e-12)
    assert r.cr == pytest.approx(0, abs=1e-12) and r.lambda_max == pytest.approx(4)
    assert r.to_dict()["weights"]["a"] == pytest.approx(0.5)
    two = ahp([[1, 3], [1 / 3, 1]])
    assert two.cr == 0 and two.most_inconsistent is None
    np.testing.assert_allclose(two.weights, [0.75, 0.25])


@pytest.mark.parametrize(
    ("matrix", "code"),
    [
        ([[1, 2, 3], [0.5, 1, 2]], "not_square"),
        ([[1, 2], [0.4, 1]], "not_reciprocal"),
        ([[1, -2], [-0.5, 1]], "not_positive"),
        ([[2, 2], [0.5, 1]], "diagonal_not_one"),
        ([[1, np.nan], [np.nan, 1]], "not_positive"),
        (np.ones((16, 16)), "too_many_criteria"),
    ],
)
def test_invalid_pairwise_matrices_are_refused(matrix, code):
    with pytest.raises(McdaInvalid) as e:
        ahp(matrix)
    assert e.value.code == code


def test_reciprocal_check_accepts_rounded_thirds_and_csv_errors_are_clear():
    assert ahp([[1, 3, 5], [0.333, 1, 2], [0.2, 0.5, 1]]).consistent
    with pytest.raises(McdaInvalid, match="header"):
        read_pairwise_csv("x,a,b\na,1,2\nc,1/2,1\n")
    with pytest.raises(McdaInvalid, match="not a number"):
        read_pairwise_csv("x,a,b\na,1,two\nb,1/2,1\n")


def test_group_judgement_is_geometric_mean_and_reciprocal():
    a = np.array([[1, 3], [1 / 3, 1]])
    b = np.array([[1, 1 / 3], [3, 1]])
    np.testing.assert_allclose(aggregate_judgements([a, b]), np.ones((2, 2)))
    g = aggregate_judgements([YARD_SPACE, np.outer([3, 1, 2], [1 / 3, 1, 1 / 2])])
    np.testing.assert_allclose(g * g.T, 1)
    assert g[0, 1] == pytest.approx(np.sqrt(5 * 3))


# ---- objective weights and rankings against scikit-criteria --------------------------------------------


def decision_matrix(seed: int, m: int = 12, n: int = 5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(1, 100, size=(m, n)) * rng.uniform(0.5, 20, size=n)


DIRECTIONS = [Direction.benefit, Direction.cost, Direction.benefit, Direction.cost, Direction.benefit]
OBJECTIVES = [1, -1, 1, -1, 1]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_entropy_weights_equal_scikit_criteria_and_pymcdm(seed):
    x = decision_matrix(seed)
    w = entropy_weights(x)
    np.testing.assert_allclose(w, sk_entropy(x), rtol=1e-10)
    np.testing.assert_allclose(w, pymcdm_entropy(x), rtol=1e-10)
    x[0, 2] = 0  # a zero is allowed (0 ln 0 = 0) where pymcdm refuses it
    np.testing.assert_allclose(entropy_weights(x), sk_entropy(x), rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_critic_weights_equal_scikit_criteria_with_cost_criteria(seed):
    x = decision_matrix(seed)
    np.testing.assert_allclose(critic_weights(x, DIRECTIONS), sk_critic(x, OBJECTIVES), rtol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_topsis_equals_scikit_criteria(seed):
    x = decision_matrix(seed)
    w = np.random.default_rng(seed + 100).dirichlet(np.ones(5))
    got = topsis(x, w, DIRECTIONS)
    dm = VectorScaler(target="matrix").transform(mkdm(x, OBJECTIVES, weights=w))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # skcriteria warns about minimised criteria
        ref = SkTOPSIS().evaluate(dm)
    np.testing.assert_allclose(got.scores, ref.e_.similarity, rtol=1e-10)
    np.testing.assert_array_equal(got.ranks, ref.rank_)


@pytest.mark.parametrize(("seed", "m"), [(0, 12), (1, 12), (2, 6), (3, 4), (4, 30), (14, 8), (122, 5)])
def test_vikor_equals_scikit_criteria_including_the_compromise_set(seed, m):
    """Seeds cover all three cases of the compromise solution: both conditions hold (1, 3, 4), no acceptable
    advantage (0, 2) and no acceptable stability (14, 122)."""
    x = decision_matrix(seed, m=m)
    w = np.random.default_rng(seed + 100).dirichlet(np.ones(5))
    got = vikor(x, w, DIRECTIONS)
    ref = SkVIKOR(use_compromise_set=False).evaluate(mkdm(x, OBJECTIVES, weights=w))
    np.testing.assert_allclose(got.extra["S"], ref.e_.s_k, rtol=1e-10)
    np.testing.assert_allclose(got.extra["R"], ref.e_.r_k, rtol=1e-10)
    np.testing.assert_allclose(got.scores, ref.e_.q_k, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(got.ranks, ref.rank_)
    assert got.extra["acceptable_advantage"] == ref.e_.acceptable_advantage
    assert got.extra["acceptable_stability"] == ref.e_.acceptable_stability
    assert sorted(got.extra["compromise"]) == sorted(ref.e_.compromise_set.tolist())


def test_vikor_compromise_conditions_on_a_hand_case():
    # a0 best on both criteria: S and R agree, Q(a1) - Q(a0) = 1 >= DQ = 1/2 -> {a0}
    x = [[10, 1], [1, 10], [5, 5]]
    r = vikor(x, [0.5, 0.5], [Direction.benefit, Direction.cost])
    assert r.extra["compromise"] == [0] and r.ranks.tolist() == [1, 3, 2]


def test_expert_and_combined_weights():
    assert expert_weights({"a": 60, "b": 30, "c": 10}) == pytest.approx({"a": 0.6, "b": 0.3, "c": 0.1})
    s, o = [0.5, 0.3, 0.2], [0.2, 0.2, 0.6]
    # multiplicative: (0.10, 0.06, 0.12) / 0.28
    np.testing.assert_allclose(combined_weights(s, o), [0.10 / 0.28, 0.06 / 0.28, 0.12 / 0.28])
    np.testing.assert_allclose(combined_weights(s, o, method="linear", alpha=0.25), [0.275, 0.225, 0.5])
    with pytest.raises(McdaInvalid):
        combined_weights(s, o[:2])
    with pytest.raises(McdaInvalid):
        expert_weights([1, -1])


def test_degenerate_inputs_are_refused_with_codes():
    with pytest.raises(McdaInvalid) as e:
        critic_weights([[1, 2], [1, 3], [1, 4]])
    assert e.value.code == "constant_column"
    with pytest.raises(McdaInvalid) as e:
        topsis([[1, np.nan], [2, 3]], [0.5, 0.5])
    assert e.value.code == "not_finite"
    with pytest.raises(McdaInvalid) as e:
        entropy_weights([[0, 1], [0, 2]])
    assert e.value.code == "zero_column"
    with pytest.raises(McdaInvalid):
        topsis([[1, 2], [2, 3]], [0.5, 0.5], ["benefit"])
