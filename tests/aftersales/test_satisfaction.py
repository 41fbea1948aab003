"""NPS, CSAT, periods and the repurchase rate (pure engine), checked against published worked
examples, and the survey and participation services on both databases."""

from __future__ import annotations

import datetime as dt

import pytest

from somp.core.errors import Conflict, ValidationFailed
from somp.core.tenancy import Scope
from somp.modules.aftersales import engagement
from somp.modules.aftersales import satisfaction as sat
from somp.modules.aftersales.models import SurveyKind
from somp.modules.aftersales.schemas import ParticipationCreate, SurveyAnswer, SurveyAnswerRecorded, SurveyCreate
from tests.aftersales.factories import make_shop, sh
from tests.factories import make_contract, make_offering, make_product


def test_nps_matches_the_published_examples():
    # DELA annual report 2018, glossary "Net Promotor Score": 30 % promoters and 20 % detractors
    # give an NPS of +10 (https://annualreport2018.dela.nl/begrippenlijst/net-promotor-score)
    r = sat.nps([10] * 12 + [9] * 18 + [8] * 25 + [7] * 25 + [6] * 10 + [2] * 10)
    assert (r.n, r.promoters, r.passives, r.detractors) == (100, 30, 50, 20)
    assert r.score == pytest.approx(10.0) and r.promoter_pct == 30.0 and r.detractor_pct == 20.0
    # the definition (CustomerGauge): 0-6 detractors, 7-8 passives, 9-10 promoters, -100..+100
    assert sat.nps([0, 6, 5]).score == -100.0 and sat.nps([9, 10]).score == 100.0
    assert sat.nps([7, 8]).score == 0.0
    assert sat.nps([]).score is None  # no answers is no score, not 0


def test_csat_matches_the_published_example():
    # Delighted's help centre, "How is CSAT calculated?": 42 fives, 32 fours, 10 threes, 9 twos and
    # 14 ones -> 74 satisfied of 107 = 69.16 (https://help.delighted.com/article/240-how-is-csat-calculated)
    r = sat.csat([5] * 42 + [4] * 32 + [3] * 10 + [2] * 9 + [1] * 14)
    assert (r.n, r.satisfied, r.counts) == (107, 74, (14, 9, 10, 32, 42))
    assert round(r.score, 2) == 69.16
    assert r.mean == pytest.approx((5 * 42 + 4 * 32 + 3 * 10 + 2 * 9 + 14) / 107)
    assert sat.csat([]).score is None and sat.csat([]).mean is None
    for bad in ([0], [6], [True], [4.5]):
        with pytest.raises(ValueError):
            sat.csat(bad)


def test_periods_and_their_bounds():
    assert sat.period_of(dt.date(2026, 11, 22), "quarter") == "2026-Q4"
    assert sat.period_bounds("2026-Q4") == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert sat.period_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))
    assert sat.period_bounds("2026") == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert sat.periods_between(dt.date(2026, 1, 15), dt.date(2026, 4, 1), "month") == ["2026-01", "2026-02", "2026-03"]
    for bad in ("2026-13", "2026-Q5", "26", "2026-1"):
        with pytest.raises(ValueError):
            sat.period_bounds(bad)


def test_trend_keeps_empty_periods_without_a_score():
    answers = [(dt.date(2026, 1, 5), 10), (dt.date(2026, 1, 9), 3), (dt.date(2026, 3, 2), 9)]
    pts = sat.trend(answers, "nps", "month", dt.date(2026, 1, 1), dt.date(2026, 4, 1))
    assert [(p.period, p.nps.n, p.nps.score) for p in pts] == [
        ("2026-01", 2, 0.0),
        ("2026-02", 0, None),
        ("2026-03", 1, 100.0),
    ]


def test_repurchase_rate_counts_buyers_with_more_than_one_purchase_in_the_window():
    d = dt.date
    buys = [
        ("a", d(2026, 1, 1)),
        ("a", d(2026, 6, 1)),
        ("b", d(2026, 2, 1)),
        ("c", d(2025, 6, 1)),
        ("c", d(2026, 3, 1)),
        ("d", d(2026, 4, 1)),
        ("d", d(2026, 4, 2)),
        ("d", d(2027, 1, 1)),
    ]
    r = sat.repurchase_rate(buys, d(2026, 1, 1), d(2027, 1, 1))
    assert (r.customers, r.repeat_customers, r.rate) == (4, 2, 50.0)
    assert sat.repurchase_rate([], d(2026, 1, 1), d(2027, 1, 1)).rate is None


def test_surveys_answers_and_trends(db):
    shop = make_shop(db)
    staff = Scope.tenant(shop.tenant.id)
    with db.session(staff) as s:
        nps = engagement.create_survey(
            s, SurveyCreate(code="NPS-2026", kind="nps", title="推荐意愿", question="您向同行推荐我们的可能性有多大？")
        )
        csat = engagement.create_survey(
            s, SurveyCreate(code="CSAT-TK", kind="csat", title="服务满意度", question="您对本次服务满意吗？")
        )
        with pytest.raises(Conflict):
            engagement.create_survey(s, SurveyCreate(code="NPS-2026", kind="nps", title="x", question="x"))
        # an answer taken by phone
        engagement.answer_survey(
            s,
            nps.id,
            SurveyAnswerRecorded(customer_id=shop.other_customer.id, score=10, answered_at=sh(2026, 1, 5, 10)),
            customer_id=shop.other_customer.id,
            user_id=None,
            now=sh(2026, 3, 1),
        )
        s.commit()
    with db.session(Scope.tenant(shop.tenant.id, shop.customer.id)) as s:  # the portal user
        engagement.answer_survey(
            s,
            nps.id,
            SurveyAnswer(score=6),
            customer_id=shop.customer.id,
            user_id=shop.customer_user.id,
            now=sh(2026, 2, 3, 9),
        )
        with pytest.raises(Conflict):
            engagement.answer_survey(
                s,
                nps.id,
                SurveyAnswer(score=9),
                customer_id=shop.customer.id,
                user_id=shop.customer_user.id,
                now=sh(2026, 2, 3, 9),
            )
        with pytest.raises(ValidationFailed):  # CSAT is 1..5
            engagement.answer_survey(
                s, csat.id, SurveyAnswer(score=9), customer_id=shop.customer.id, user_id=shop.customer_user.id
            )
        engagement.answer_survey(
            s,
            csat.id,
            SurveyAnswer(score=4),
            customer_id=shop.customer.id,
            user_id=shop.customer_user.id,
            now=sh(2026, 2, 4, 9),
        )
        s.commit()
    with db.session(staff) as s:
        tr = engagement.satisfaction_trend(s, SurveyKind.nps, dt.date(2026, 1, 1), dt.date(2026, 4, 1))
        assert [(p.period, p.n, p.score) for p in tr.points] == [
            ("2026-01", 1, 100.0),
            ("2026-02", 1, -100.0),
            ("2026-03", 0, None),
        ]
        assert (tr.total.n, tr.total.score) == (2, 0.0)
        tr = engagement.satisfaction_trend(s, SurveyKind.csat, dt.date(2026, 1, 1), dt.date(2026, 4, 1), "quarter")
        assert [(p.period, p.n, p.score, p.mean) for p in tr.points] == [("2026-Q1", 1, 100.0, 4.0)]
        with pytest.raises(ValidationFailed):
            engagement.answer_survey(
                s,
                nps.id,
                SurveyAnswerRecorded(customer_id=shop.customer.id, score=5, answered_at=sh(2030, 1, 1)),
                customer_id=shop.customer.id,
                user_id=None,
            )


def test_participation_events_and_repurchase(db):
    shop = make_shop(db)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        for stage, day in (("co_design", 3), ("co_design", 4), ("acceptance", 9)):
            engagement.add_participation(
                s,
                ParticipationCreate(
                    customer_id=shop.customer.id,
                    stage=stage,
                    occurred_at=sh(2026, 2, day),
                    contract_id=shop.contract.id,
                    summary="参与方案评审",
                ),
            )
        with pytest.raises(ValidationFailed):  # the contract is another customer's
            engagement.add_participation(
                s,
                ParticipationCreate(
                    customer_id=shop.other_customer.id,
                    stage="feedback",
                    occurred_at=sh(2026, 2, 1),
                    contract_id=shop.contract.id,
                    summary="x",
                ),
            )
        summary = {r.stage.value: (r.events, r.customers) for r in engagement.participation_summary(s)}
        assert summary["co_design"] == (2, 1) and summary["acceptance"] == (1, 1) and summary["trial"] == (0, 0)
        s.commit()
    # a second, signed contract of the same customer in 2025 -> one repeat buyer of one
    p = make_product(db, shop.tenant)
    o = make_offering(db, shop.tenant, p.id)
    from tests.aftersales.factories import activate

    k = make_contract(db, shop.tenant, shop.customer.id, o.id, [shop.bare_asset.id], signed_on=dt.date(2025, 6, 1))
    activate(db, shop.tenant, k.id)
    make_contract(db, shop.tenant, shop.other_customer.id, o.id, [])  # a draft does not count
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        r = engagement.repurchase(s, dt.date(2025, 1, 1), dt.date(2026, 1, 1))
        assert (r.customers, r.repeat_customers, r.rate_pct) == (1, 1, 100.0)
        r = engagement.repurchase(s, dt.date(2025, 3, 1), dt.date(2026, 1, 1))
        assert (r.customers, r.repeat_customers) == (1, 0)
