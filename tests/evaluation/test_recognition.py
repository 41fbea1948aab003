"""The standards catalogue and recognition programmes as data (recognition.py), without a database.

External references: the plan 《深入推动服务型制造创新发展实施方案（2025—2028年）》 (targets 20 / 50 /
100, shared/seeds/000), a provincial demonstration-enterprise notice ("服务收入占企业营业收入比重达30%以上",
quoted in a public repository) and GB/T 39116-2020 / GB/T 39117-2020 (issued 2020-10-11, in force
2021-05-01; public announcement of 2020-10-23).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from somp.modules.evaluation import recognition as rc

SEED_NAME = "seeds/000_e9538e0d3b93c0a7.txt"


def _seed() -> Path | None:
    candidates = [p / "shared" / SEED_NAME for p in Path(__file__).resolve().parents[2:]]
    candidates.append(Path("/work/shared") / SEED_NAME)
    return next((c for c in candidates if c.exists()), None)


def test_catalogue_targets_and_programme_targets_are_the_plans():
    cat, progs = rc.default_catalogue(), rc.default_programmes()
    assert cat.target == 20
    assert progs.get("leading_brand").target == 50 and progs.get("innovation_highland").target == 100
    seed = _seed()
    if seed is None:  # pragma: no cover - shared/ lives beside the repository
        pytest.skip("shared seeds not present")
    text = seed.read_text(encoding="utf-8")
    assert "要完成20项标准制定,打造50个领军品牌,建设100个创新发展高地" in text


def test_catalogue_entries_say_how_they_were_verified_and_invent_no_code():
    cat = rc.default_catalogue()
    by_key = {s.key: s for s in cat.standards}
    assert by_key["gbt-39116"].code == "GB/T 39116-2020" and by_key["gbt-39116"].verification == "verified"
    assert by_key["gbt-39117"].year == 2020 and "2021-05-01" in by_key["gbt-39117"].source_note
    assert by_key["gbt-43880-4"].code == "GB/T 43880.4-2024" and by_key["gbt-43880-4"].verification == "partial"
    assert [c.code for c in by_key["gbt-43880-4"].clauses] == ["A-SI", "A-SO", "A-SS"]
    for s in cat.standards:
        assert s.source_note.strip(), s.key
        if s.status == "planned":
            assert s.code is None, s.key  # a planned standard has no code we could have seen
    # related standards outside the SOM system do not count toward the 20
    p = rc.standards_progress([s.model_dump() for s in cat.standards], cat.target)
    assert p.published == 1 and p.related == 2 and p.share == pytest.approx(1 / 20)
    assert p.by_status == {"planned": 6, "drafting": 2, "published": 1}


def test_a_published_standard_needs_code_and_year_and_errors_name_the_path():
    bad = """
target: 20
plan: {zh: 方案, en: plan}
standards:
  - key: x-1
    title: {zh: 标准, en: standard}
    status: published
    verification: verified
    framework: ["1.3.x"]
"""
    with pytest.raises(rc.RecognitionInvalid) as e:
        rc.load_catalogue(bad)
    text = "\n".join(e.value.errors)
    assert "standards.0.framework" in text and "1.3.x" in text


def test_conformance_share_counts_partial_as_half_and_unjudged_as_missing():
    items = [
        {"clause": "A-SI", "judgement": "conforms", "evidence": [{"name": "a.pdf"}]},
        {"clause": "A-SO", "judgement": "partial"},
        {"clause": "A-SS", "judgement": "not_applicable"},
    ]
    s = rc.conformance(["A-SI", "A-SO", "A-SS", "A-X"], items)
    assert s.applicable == 2 and s.share == pytest.approx(0.75)
    assert s.unjudged == ["A-X"] and s.coverage == pytest.approx(0.75)
    assert s.evidence_missing == ["A-SO"]
    none = rc.conformance(["A-SI"], [])
    assert none.share is None and none.coverage == 0 and none.unjudged == ["A-SI"]
    with pytest.raises(rc.RecognitionInvalid) as e:
        rc.conformance(["A-SI"], [{"clause": "A-ZZ", "judgement": "conforms"}, {"clause": "A-SI", "judgement": "ok"}])
    assert e.value.errors == [
        "items[0].clause: the standard has no clause 'A-ZZ'",
        "items[1].judgement: one of conforms, partial, not_conforming, not_applicable",
    ]


def test_the_published_30_percent_threshold_is_met_at_30_percent_and_not_below():
    prog = rc.default_programmes().get("demonstration_enterprise")
    c1 = prog.criteria[0]
    assert c1.basis == "published" and c1.quote == "服务收入占企业营业收入比重达30%以上" and c1.value == 0.30
    declared = {"operating_revenue_cny": 2e7, "years_in_operation": 2, "major_incidents": 0}
    at = rc.check_criteria(prog, {"service_revenue_share": 0.30}, declared)
    assert [c.met for c in at] == [True, True, True, True] and rc.eligible(at) is True
    below = rc.check_criteria(prog, {"service_revenue_share": 0.2999}, declared)
    assert below[0].met is False and rc.eligible(below) is False


def test_measured_wins_over_declared_and_missing_is_never_zero():
    prog = rc.default_programmes().get("leading_brand")
    checks = rc.check_criteria(
        prog,
        {"service_revenue_share": 0.1, "operating_revenue_cny": None, "maturity_level": None},
        {"service_revenue_share": 0.6, "operating_revenue_cny": 3e7, "major_incidents": 0},
        {"maturity_level": "no reviewed maturity evaluation of the year"},
    )
    by = {c.metric: c for c in checks}
    assert by["service_revenue_share"].source == "measured" and by["service_revenue_share"].value == 0.1
    assert "declared 0.6 ignored" in by["service_revenue_share"].note
    assert by["operating_revenue_cny"].source == "declared" and by["operating_revenue_cny"].met is True
    assert by["maturity_level"].source == "missing" and by["maturity_level"].met is None
    assert by["maturity_level"].note.startswith("no reviewed")
    assert rc.eligible(checks) is False  # one criterion fails
    only_missing = rc.check_criteria(rc.default_programmes().get("demonstration_project"), {}, {})
    assert rc.eligible(only_missing) is None and all(c.value is None for c in only_missing)


def test_declared_figures_are_checked_against_the_programmes_metrics():
    prog = rc.default_programmes().get("demonstration_enterprise")
    errors = rc.validate_declared(prog, {"service_revenue_share": 1.2, "region_index": 3, "years_in_operation": -1,
                                         "major_incidents": math.nan})  # fmt: skip
    assert errors == [
        "declared.service_revenue_share: between 0 and 1",
        "declared.region_index: not a metric of programme demonstration_enterprise "
        "(major_incidents, operating_revenue_cny, service_revenue_share, years_in_operation)",
        "declared.years_in_operation: not negative",
        "declared.major_incidents: a finite number",
    ]


def test_a_programme_refuses_metrics_of_the_other_applicant_kind_and_unquoted_published_thresholds():
    text = """
programmes:
  - code: p1
    applicant: enterprise
    name: {zh: 甲, en: A}
    criteria:
      - {code: C1, metric: region_index, op: ">=", value: 1, basis: proposal}
      - {code: C2, metric: service_revenue_share, op: ">=", value: 0.3, basis: published}
"""
    with pytest.raises(rc.RecognitionInvalid) as e:
        rc.load_programmes(text)
    joined = "\n".join(e.value.errors)
    assert "needs the quote" in joined
    fixed = text.replace("basis: published", "basis: published, quote: 'x'")
    with pytest.raises(rc.RecognitionInvalid, match="not for a enterprise applicant"):
        rc.load_programmes(fixed)


def test_the_criteria_version_hash_changes_with_a_threshold():
    p = rc.default_programmes().get("leading_brand")
    q = p.model_copy(update={"criteria": [p.criteria[0].model_copy(update={"value": 0.31}), *p.criteria[1:]]})
    assert p.content_hash != q.content_hash and len(p.content_hash) == 16
