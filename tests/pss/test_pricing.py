"""Price models and the sell-vs-serve comparison (somp.modules.pss.pricing).

Published worked NPV/IRR examples:

* L. J. Gitman, "Principles of Managerial Finance, Brief", 3rd ed., 2003, p. 346, as quoted in the
  NumPy ``npv``/``irr`` documentation: flows -100, 39, 59, 55, 20 have an NPV of -0.00847859 at
  28.1 % and an IRR of 0.28095;
* the numpy-financial ``npv`` documentation: an initial investment of 40,000 and cash flows of
  5,000, 8,000, 12,000 and 30,000 at year ends, discounted at 8 %: NPV 3,065.22267;
* the present value of an annuity of 1 for 5 years at 10 % is 3.7908 (standard annuity tables),
  which fixes the break-even fees of the 10 % comparison below.

Invoice lines are checked by hand (amounts in CNY).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from somp.modules.pss.pricing import (
    AvailabilityBased,
    Machine,
    OneTimeSale,
    PayPerUse,
    Period,
    Subscription,
    Tier,
    compare,
    invoice_lines,
    irr,
    money,
    npv,
)

D = Decimal
SEPT = Period.month(2025, 9)


def amounts(lines):
    return [(ln.code, ln.amount) for ln in lines]


def test_gitman_npv_and_irr():
    flows = [D(-100), D(39), D(59), D(55), D(20)]
    assert float(npv("0.281", flows)) == pytest.approx(-0.0084785916384548798, abs=1e-12)
    assert round(irr(flows), 5) == 0.28095


def test_numpy_financial_documentation_npv():
    flows = [D(-40000), D(5000), D(8000), D(12000), D(30000)]
    assert round(npv("0.08", flows), 5) == D("3065.22267")


def test_one_time_sale_is_billed_in_its_period_only():
    sale = OneTimeSale(D("268000.00"), dt.date(2025, 9, 12))
    assert amounts(invoice_lines(sale, SEPT)) == [("sale", D("268000.00"))]
    assert invoice_lines(sale, Period.month(2025, 10)) == []


def test_subscription_is_prorated_by_days():
    sub = Subscription(D("3000.00"))
    assert amounts(invoice_lines(sub, SEPT)) == [("subscription", D("3000.00"))]
    half = invoice_lines(sub, SEPT, active_from=dt.date(2025, 9, 16))  # 15 of 30 days
    assert amounts(half) == [("subscription", D("1500.00"))]
    assert "15/30" in half[0].text_en
    assert invoice_lines(sub, SEPT, active_to=dt.date(2025, 9, 1)) == []  # ended before September
    assert half[0].quantity == D("0.5000")
    # 10 of 31 days: 1000 x 10/31 = 322.580... -> 322.58
    assert amounts(invoice_lines(Subscription(D(1000)), Period.month(2025, 10), active_to=dt.date(2025, 10, 11))) == [
        ("subscription", D("322.58"))
    ]


def test_pay_per_use_graduated_tiers_included_quantity_and_minimum():
    air = PayPerUse(
        "m3", (Tier(D(10000), D("0.12")), Tier(D(50000), D("0.10")), Tier(None, D("0.08"))), D(2000), D(800)
    )
    # 60,000 m3 - 2,000 included = 58,000: 10,000 x 0.12 + 40,000 x 0.10 + 8,000 x 0.08
    lines = invoice_lines(air, SEPT, usage=D(60000))
    assert amounts(lines) == [
        ("usage_tier_1", D("1200.00")),
        ("usage_tier_2", D("4000.00")),
        ("usage_tier_3", D("640.00")),
    ]
    # 3,000 m3: 1,000 billable x 0.12 = 120, topped up to the 800 minimum
    assert amounts(invoice_lines(air, SEPT, usage=D(3000))) == [
        ("usage_tier_1", D("120.00")),
        ("minimum_charge", D("680.00")),
    ]
    with pytest.raises(ValueError, match="metered usage"):
        invoice_lines(air, SEPT)


def test_availability_bands_give_bonus_or_penalty():
    avail = AvailabilityBased(D("20000.00"), ((D("99.5"), D(3)), (D(99), D(0)), (D(97), D(-5)), (D(0), D(-15))))
    assert amounts(invoice_lines(avail, SEPT, availability=D("99.7"))) == [
        ("availability_fee", D("20000.00")),
        ("availability_adjustment", D("600.00")),
    ]
    assert amounts(invoice_lines(avail, SEPT, availability=D("99.2"))) == [("availability_fee", D("20000.00"))]
    assert amounts(invoice_lines(avail, SEPT, availability=D("98.2")))[1] == ("availability_adjustment", D("-1000.00"))
    assert amounts(invoice_lines(avail, SEPT, availability=D("96")))[1] == ("availability_adjustment", D("-3000.00"))


def test_rounding_is_half_up_to_the_fen():
    assert money(D("0.125")) == D("0.13") and money(D("2.675")) == D("2.68") and money(D("-0.125")) == D("-0.13")


MACHINE = Machine(
    price=D(100000),
    manufacturing_cost=D(70000),
    life_years=5,
    failure_rate=D(2),
    repair_cost=D(3000),
    preventive_cost=D(4000),  # maintenance 2 x 3,000 + 4,000 = 10,000 a year
    operating_cost=D(20000),
    service_efficiency=D("0.8"),  # the manufacturer maintains its fleet for 8,000 a year
)


def test_undiscounted_sell_vs_serve_by_hand():
    c = compare(MACHINE, D(29000), "0", "0")
    assert c.sale_customer.lifecycle_cost == D("250000.00")  # 100,000 + 5 x (10,000 + 20,000)
    assert c.service_customer.lifecycle_cost == D("245000.00")  # 5 x (29,000 + 20,000)
    assert c.sale_manufacturer.npv == D("30000.00")
    assert c.service_manufacturer.npv == D("35000.00")  # -70,000 + 5 x (29,000 - 8,000)
    assert c.customer_max_fee == D("30000.00") and c.manufacturer_min_fee == D("28000.00")
    assert c.service_manufacturer.flows == (D("-70000.00"), *[D("21000.00")] * 5)


def test_discounted_break_even_fees_use_the_annuity_factor():
    c = compare(MACHINE, D(30000), "0.10", "0.10")
    # max fee = 100,000 / 3.7908 + 10,000; min fee = 100,000 / 3.7908 + 8,000
    assert float(c.customer_max_fee) == pytest.approx(100000 / 3.790787 + 10000, abs=0.01)
    assert float(c.manufacturer_min_fee) == pytest.approx(100000 / 3.790787 + 8000, abs=0.01)
    # at either break-even fee the party is indifferent
    at_max = compare(MACHINE, c.customer_max_fee, "0.10", "0.10")
    assert abs(at_max.service_customer.lifecycle_cost - at_max.sale_customer.lifecycle_cost) <= D("0.05")
    at_min = compare(MACHINE, c.manufacturer_min_fee, "0.10", "0.10")
    assert abs(at_min.service_manufacturer.npv - at_min.sale_manufacturer.npv) <= D("0.05")
    assert c.manufacturer_irr_service == pytest.approx(irr([D(-70000)] + [D(22000)] * 5))
