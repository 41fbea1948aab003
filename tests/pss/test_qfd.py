"""QFD house of quality (somp.modules.pss.qfd) against another tool's output on the same house.

SchemaTex (github.com/SchemaTex/SchemaTex, ``examples/matrix/qfd-coffee-maker.svg`` at commit
59149e65c3d5), a diagram library that computes the technical-importance row of a house of quality:
"Coffee maker", WHATs quiet operation (weight 5), brews fast (3), energy efficient (4); HOWs fan
RPM (down), heater watts (up), insulation (up); relationships quiet x fan RPM 9, quiet x insulation
3, brews fast x heater watts 9, energy efficient x heater watts 3, energy efficient x insulation 9;
roof fan RPM - heater watts strong negative, heater watts - insulation positive. Its computed
technical importance: 45 / 39 / 51 (normalised 33 % / 29 % / 38 %), insulation the highest.
"""

from __future__ import annotations

import numpy as np
import pytest

from somp.modules.pss.qfd import (
    Correlation,
    Direction,
    HouseInvalid,
    HouseOfQuality,
    Planning,
    prioritise,
)


def coffee_maker(**extra) -> HouseOfQuality:
    return HouseOfQuality(
        requirements=("quiet operation", "brews fast", "energy efficient"),
        importance=(5, 3, 4),
        characteristics=("fan RPM", "heater watts", "insulation"),
        relationships=((9, 0, 3), (0, 9, 0), (0, 3, 9)),
        roof=((0, -2, 0), (-2, 0, 1), (0, 1, 0)),
        directions=(Direction.minimise, Direction.maximise, Direction.maximise),
        **extra,
    )


def test_technical_importance_matches_schematex():
    p = prioritise(coffee_maker())
    assert p.absolute.tolist() == [45, 39, 51]
    assert np.round(p.relative).tolist() == [33, 29, 38] and p.relative.sum() == pytest.approx(100)
    assert p.rank.tolist() == [2, 3, 1]
    assert p.top(1) == [("insulation", 51.0)]


def test_roof_reports_the_trade_off():
    p = prioritise(coffee_maker())
    assert [(t.a, t.b, t.correlation) for t in p.trade_offs] == [
        ("fan RPM", "heater watts", Correlation.strong_negative)
    ]


def test_planning_matrix_reweights_requirements():
    # raw weight = importance x target / ours x sales point:
    # quiet 5 x 4/2 x 1.5 = 15; brews fast 3 x 3/3 x 1 = 3; energy 4 x 5/4 x 1.2 = 6
    plan = Planning(ours=(2, 3, 4), target=(4, 3, 5), sales_point=(1.5, 1, 1.2), competitors={"rival": (4, 3, 3)})
    p = prioritise(coffee_maker(planning=plan))
    assert p.requirement_weights.tolist() == pytest.approx([15, 3, 6])
    assert p.planning_percent.tolist() == pytest.approx([62.5, 12.5, 25])
    # fan 15x9 = 135; heater 3x9 + 6x3 = 45; insulation 15x3 + 6x9 = 99
    assert p.absolute.tolist() == pytest.approx([135, 45, 99])
    assert p.rank.tolist() == [1, 3, 2]


def test_ties_share_a_rank():
    h = HouseOfQuality(("a",), (1,), ("x", "y", "z"), ((9, 9, 1),))
    assert prioritise(h).rank.tolist() == [1, 1, 3]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"roof": ((0, -2, 0), (2, 0, 1), (0, 1, 0))}, "symmetric"),
        ({"roof": ((1, 0, 0), (0, 0, 0), (0, 0, 0))}, "diagonal"),
        ({"roof": ((0, 3, 0), (3, 0, 0), (0, 0, 0))}, "-2 .. \\+2"),
        ({"relationships": ((9, 0, 5), (0, 9, 0), (0, 3, 9))}, "not in"),
        ({"relationships": ((9, 0), (0, 9), (0, 3))}, "3 x 3"),
        ({"importance": (5, 3)}, "importance"),
    ],
)
def test_inconsistent_houses_are_refused(change, message):
    base = coffee_maker().__dict__ | change
    with pytest.raises(HouseInvalid, match=message):
        prioritise(HouseOfQuality(**base))
