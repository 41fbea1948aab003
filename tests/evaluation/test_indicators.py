"""Indicator systems (somp.modules.evaluation.indicators): the default maturity system, YAML round trip and
validation errors, scoring with missing data, maturity levels, and the hierarchical score against a flat
computation with global weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
import yaml

from somp.modules.evaluation.indicators import (
    PLATFORM_FUNCTIONS,
    CriterionStatus,
    SourceKind,
    Status,
    SystemInvalid,
    default_maturity_system,
    dump_system,
    load_system,
    questionnaire,
    score,
    score_value,
)

SMALL = """
code: small
version: "1"
name: {zh: 小体系, en: small system}
levels:
  - level: 1
    name: {zh: 一级, en: one}
    criteria: [{target: A1, min_value: 1}]
  - level: 2
    name: {zh: 二级, en: two}
    min_coverage: 0.8
    criteria: [{target: total, min_score: 50}, {target: B1, max_value: 10}]
dimensions:
  - code: D
    name: {zh: 维度, en: dimension}
    weight: 3
    subdimensions:
      - code: A
        name: {zh: 甲, en: a}
        weight: 1
        indicators:
          - code: A1
            name: {zh: 问卷, en: questionnaire}
            definition: {zh: 等级, en: level}
            source: {kind: questionnaire, question: {zh: 几级, en: which level}}
            rule:
              kind: levels
              levels:
                - {level: 1, description: {zh: 一, en: one}}
                - {level: 2, description: {zh: 二, en: two}}
                - {level: 3, description: {zh: 三, en: three}}
                - {level: 4, description: {zh: 四, en: four}}
            weight: 1
          - code: A2
            name: {zh: 占比, en: share}
            definition: {zh: 占比, en: share}
            unit: ratio
            source: {kind: computed, function: service_revenue_share}
            rule: {kind: thresholds, steps: [{at: 0.1, score: 50}, {at: 0.3, score: 100}], below: 10}
            weight: 3
  - code: E
    name: {zh: 维度二, en: dimension two}
    weight: 1
    subdimensions:
      - code: B
        name: {zh: 乙, en: b}
        weight: 1
        indicators:
          - code: B1
            name: {zh: 时间, en: hours}
            definition: {zh: 小时, en: hours}
            unit: h
            direction: cost
            source: {kind: uploaded}
            rule: {kind: linear, worst: 20, best: 0}
            weight: 1
"""


def test_default_maturity_system_covers_the_guide_and_gb_t_43880_4():
    s = default_maturity_system()
    assert s.framework == "1.3.1" and [d.code for d in s.dimensions] == ["SO", "CA", "DR"]
    assert [d.name.zh for d in s.dimensions] == ["战略与组织", "能力体系", "发展成效"]
    ca = s.dimensions[1]
    assert [x.name.zh for x in ca.subdimensions] == ["服务创新能力", "服务运营能力", "服务支撑能力"]
    assert [x.name.en for x in ca.subdimensions] == [
        "Service innovation capability", "Service operation capability", "Service support capability"]
    assert [lv.name.zh for lv in s.levels] == ["规划级", "规范级", "集成级", "优化级", "引领级"]
    computed = {i.source.function for i in s.indicators() if i.source.kind is SourceKind.computed}
    assert {"service_revenue_share", "repurchase_rate", "service_profit_margin", "sla_attainment",
            "connected_asset_share", "predictive_work_order_share"} <= computed <= set(PLATFORM_FUNCTIONS)
    top = {c.target: c for c in s.levels[4].criteria}
    assert top["DR1.1"].min_value == 0.3 and "30%" in top["DR1.1"].note.zh
    share = s.indicator("DR1.1")
    assert score_value(share, 0.299) == 60 and score_value(share, 0.30) == 80
    for ind in s.indicators():
        assert ind.name.zh and ind.name.en and ind.definition.zh and ind.definition.en
    items = questionnaire(s)
    assert len(items) == 5 and items[0]["options"][0] == {"value": 0, "zh": "以上均不符合", "en": "none of these"}
    assert len(items[0]["options"]) == 6 and items[0]["question"]["en"].endswith("?")


def test_yaml_round_trip_keeps_the_content_hash_and_edits_change_it():
    s = default_maturity_system()
    again = load_system(dump_system(s))
    assert again == s and again.content_hash == s.content_hash
    data = yaml.safe_load(dump_system(s))
    data["dimensions"][0]["weight"] = 0.3
    assert load_system(yaml.safe_dump(data, allow_unicode=True)).content_hash != s.content_hash


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("function: service_revenue_share", "function: revenue_magic"),
         "indicators[1](A2).source: Value error, unknown platform function 'revenue_magic'"),
        (lambda t: t.replace("source: {kind: computed, function: service_revenue_share}", "source: {kind: computed}"),
         "(A2).source: Value error, a computed indicator names its platform function"),
        (lambda t: t.replace("{at: 0.1, score: 50}, {at: 0.3, score: 100}",
                             "{at: 0.3, score: 50}, {at: 0.1, score: 100}"),
         "(A2): Value error, threshold steps of a benefit indicator must be strictly increasing"),
        (lambda t: t.replace("worst: 20, best: 0", "worst: 0, best: 20"), "contradicts direction cost"),
        (lambda t: t.replace("code: B1", "code: A1"), "codes must be unique"),
        (lambda t: t.replace("{target: B1, max_value: 10}", "{target: B9, max_value: 10}"), "unknown code 'B9'"),
        (lambda t: t.replace("score: 100}]", "score: 120}]"),
         "indicators[1](A2).rule.steps[1].score: Input should be less than or equal to 100"),
        (lambda t: t.replace("weight: 3\n    subdimensions", "weight: -1\n    subdimensions"),
         "dimensions[0](D).weight: Input should be greater than 0"),
        (lambda t: t.replace("unit: h", "unit: h\n            colour: red"),
         "(B1).colour: Extra inputs are not permitted"),
        (lambda t: t + "  - [", "not valid YAML"),
    ],
)
def test_invalid_systems_give_errors_with_paths(edit, message):
    with pytest.raises(SystemInvalid) as e:
        load_system(edit(SMALL))
    assert message in str(e.value), str(e.value)


def test_missing_values_are_reported_and_never_scored_as_zero():
    s = load_system(SMALL)
    e = score(s, {"A1": None, "A2": 0.2, "B1": math.nan})
    assert e.indicators["A1"].status is Status.missing and e.indicators["A1"].score is None
    assert e.indicators["A2"].score == 50
    # sub-dimension A: only A2 has data -> its score, coverage 3/4; dimension E has no data at all
    assert e.subdimensions["A"].score == 50 and e.subdimensions["A"].coverage == pytest.approx(0.75)
    assert e.dimensions["E"].score is None and e.dimensions["E"].missing == 1
    assert e.total.score == 50  # not (3 * 50 * 3/4 + 0) / 4
    assert e.total.coverage == pytest.approx(0.75 * 0.75)
    assert e.total.scored == 1 and e.total.missing == 2 and sorted(e.missing) == ["A1", "B1"]
    assert e.content_hash == s.content_hash and e.system_version == "1"


def test_invalid_answers_are_reported_not_scored():
    e = score(load_system(SMALL), {"A1": 7, "A2": "lots", "B1": 5})
    assert e.indicators["A1"].status is Status.invalid and "0-4" in e.indicators["A1"].message
    assert e.indicators["A2"].status is Status.invalid
    assert e.total.score == pytest.approx(75.0)  # only B1: 100 * (20 - 5) / 20
    with pytest.raises(KeyError, match="Z9"):
        score(load_system(SMALL), {"Z9": 1})


def test_hierarchical_score_equals_flat_global_weights_when_complete():
    s = default_maturity_system()
    rng = np.random.default_rng(7)
    values = {}
    for ind in s.indicators():
        if ind.rule.kind == "levels":
            values[ind.code] = int(rng.integers(0, 6))
        elif ind.code == "CA1.3":
            values[ind.code] = int(rng.integers(0, 7))
        else:
            lo, hi = sorted((ind.rule.worst, ind.rule.best)) if ind.rule.kind == "linear" else (0.0, 0.6)
            values[ind.code] = float(rng.uniform(lo - 0.1 * (hi - lo), hi + 0.1 * (hi - lo)))
    e = score(s, values)
    g = np.array([e.indicators[i.code].weight for i in s.indicators()])
    sc = np.array([score_value(i, values[i.code]) for i in s.indicators()])
    assert g.sum() == pytest.approx(1.0)
    assert e.total.score == pytest.approx(float(g @ sc), rel=1e-12)
    assert e.total.coverage == pytest.approx(1.0)


def test_level_needs_its_criteria_and_every_lower_level():
    s = load_system(SMALL)
    e = score(s, {"A1": 2, "A2": 0.35, "B1": 4})
    assert e.level == 2
    # level 2's criteria met but level 1's not (A1 answered 0): no level at all
    e0 = score(s, {"A1": 0, "A2": 0.35, "B1": 4})
    assert e0.level == 0
    assert [(c.level, c.target, c.status) for c in e0.criteria if c.status is not CriterionStatus.met] == [
        (1, "A1", CriterionStatus.not_met)]
    # B1 missing: coverage 3/4 (dimension D) < 0.8 and the B1 criterion cannot be checked
    e1 = score(s, {"A1": 2, "A2": 0.35})
    assert e1.level == 1
    gaps = {c.target: c for c in e1.next_level_gaps()}
    assert gaps["B1"].status is CriterionStatus.missing and gaps["coverage"].status is CriterionStatus.missing
    assert gaps["coverage"].required == {"min_coverage": 0.8} and gaps["coverage"].observed == 0.75


def test_default_system_leading_level_needs_30_percent_service_revenue():
    s = default_maturity_system()
    best = {}
    for ind in s.indicators():
        if ind.rule.kind == "levels":
            best[ind.code] = len(ind.rule.levels)
        elif ind.rule.kind == "linear":
            best[ind.code] = ind.rule.best
        else:
            best[ind.code] = ind.rule.steps[-1].at
    best["DR1.1"] = 0.30
    assert score(s, best).level == 5
    e = score(s, best | {"DR1.1": 0.29})
    assert e.level == 4 and [c.target for c in e.next_level_gaps()] == ["DR1.1"]
    assert score(s, best | {"CA2.1": 0.85}).level == 3  # SLA attainment below 0.9 stops level 4 (and 5)
    assert score(s, {k: v for k, v in best.items() if not k.startswith("DR2")}).level == 4  # coverage < 0.9
