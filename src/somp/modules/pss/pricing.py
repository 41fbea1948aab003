"""Price models of product-service systems and the sell-vs-serve lifecycle comparison (framework node
2.1.2, product-service combination design). Pure ``Decimal`` arithmetic in CNY (fen, half-up); no
database, no web framework.

Price models -> invoice lines for one billing period (:func:`invoice_lines`):

* :class:`OneTimeSale` — the price, billed in the period that contains the sale date;
* :class:`Subscription` — a fee per period, prorated by days when the contract starts or ends
  inside the period;
* :class:`PayPerUse` — metered usage (e.g. m3 of compressed air from telemetry) priced on graduated
  tiers, after an included quantity, with a minimum charge;
* :class:`AvailabilityBased` — a fee per period adjusted by the measured availability (or any
  outcome KPI in percent): the band whose lower bound the measurement reaches gives a bonus (> 0) or
  a penalty (< 0) in percent of the fee, e.g. >= 99.5 %: +3 %, >= 99 %: 0, >= 97 %: -5 %, else -15 %.

Sell or serve (:func:`compare`): the same machine sold (the customer owns, maintains and runs it) or
provided as a service (the manufacturer keeps it, maintains it and charges a yearly fee), as yearly
cash flows for the manufacturer and for the customer, their NPVs at each party's discount rate, the
customer's lifecycle cost (present value of all its costs), the manufacturer's IRR (scipy's brentq
on the NPV; NPV itself is a sum and needs no library) and the break-even fees: the highest fee the
customer accepts (equal lifecycle cost) and the lowest the manufacturer accepts (equal NPV). The
expected yearly maintenance cost comes from data: failure rate (failures a year, e.g. 1/MTBF) x
cost per repair + preventive maintenance a year.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def money(x: Decimal | int | str) -> Decimal:
    return Decimal(x).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Period:
    """A billing period [start, end) of whole days."""

    start: dt.date
    end: dt.date

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        last = calendar.monthrange(year, month)[1]
        return cls(dt.date(year, month, 1), dt.date(year, month, last) + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class InvoiceLine:
    code: str
    text_zh: str
    text_en: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    amount: Decimal


@dataclass(frozen=True)
class OneTimeSale:
    price: Decimal
    sold_on: dt.date


@dataclass(frozen=True)
class Subscription:
    fee_per_period: Decimal


@dataclass(frozen=True)
class Tier:
    up_to: Decimal | None  # cumulative billable quantity (after the included one) where the tier ends; None: no end
    unit_price: Decimal


@dataclass(frozen=True)
class PayPerUse:
    unit: str
    tiers: tuple[Tier, ...]
    included: Decimal = Decimal(0)  # quantity included at no charge each period
    minimum_charge: Decimal = ZERO


@dataclass(frozen=True)
class AvailabilityBased:
    fee_per_period: Decimal
    bands: tuple[tuple[Decimal, Decimal], ...]  # (lower bound of the KPI in %, adjustment in % of fee)


PriceModel = OneTimeSale | Subscription | PayPerUse | AvailabilityBased


def invoice_lines(
    model: PriceModel,
    period: Period,
    *,
    usage: Decimal | None = None,
    availability: Decimal | None = None,
    active_from: dt.date | None = None,
    active_to: dt.date | None = None,
) -> list[InvoiceLine]:
    """The invoice lines of one contract's price model for ``period``.

    ``active_from`` / ``active_to`` (exclusive): the contract's term, for proration; ``usage``: the
    metered quantity of the period (pay-per-use); ``availability``: the measured KPI in percent."""
    if isinstance(model, OneTimeSale):
        if period.start <= model.sold_on < period.end:
            return [
                InvoiceLine(
                    "sale", "设备销售", "equipment sale", Decimal(1), "pc", money(model.price), money(model.price)
                )
            ]
        return []
    share_days = _active_days(period, active_from, active_to)
    if share_days == 0 and isinstance(model, Subscription | AvailabilityBased):
        return []  # the contract does not run in this period
    if isinstance(model, Subscription):
        return [_fee_line("subscription", "订阅服务费", "subscription fee", model.fee_per_period, share_days, period)]
    if isinstance(model, PayPerUse):
        if usage is None or usage < 0:
            raise ValueError("pay-per-use needs the period's metered usage (>= 0)")
        return _metered(model, Decimal(usage))
    if isinstance(model, AvailabilityBased):
        if availability is None:
            raise ValueError("availability-based pricing needs the measured availability (%)")
        fee = _fee_line(
            "availability_fee", "可用率服务费", "availability service fee", model.fee_per_period, share_days, period
        )
        pct = _band(model.bands, Decimal(availability))
        lines = [fee]
        if pct:
            amount = money(fee.amount * pct / 100)
            zh, en = ("可用率奖励", "availability bonus") if pct > 0 else ("可用率未达标扣减", "availability penalty")
            lines.append(
                InvoiceLine(
                    "availability_adjustment",
                    f"{zh}（可用率 {availability}%）",
                    f"{en} (availability {availability} %)",
                    pct,
                    "%",
                    fee.amount,
                    amount,
                )
            )
        return lines
    raise TypeError(f"unknown price model {type(model).__name__}")


def _active_days(period: Period, active_from: dt.date | None, active_to: dt.date | None) -> int:
    s = max(period.start, active_from or period.start)
    e = min(period.end, active_to or period.end)
    return max(0, (e - s).days)


def _fee_line(code, zh, en, fee: Decimal, days: int, period: Period) -> InvoiceLine:
    share = Decimal(days) / Decimal(period.days)
    if days == period.days:
        return InvoiceLine(code, zh, en, Decimal(1), "period", money(fee), money(fee))
    return InvoiceLine(
        code,
        f"{zh}（按 {days}/{period.days} 天折算）",
        f"{en} (prorated {days}/{period.days} days)",
        share.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP),  # shown; the amount uses the exact share
        "period",
        money(fee),
        money(fee * days / period.days),
    )


def _metered(model: PayPerUse, usage: Decimal) -> list[InvoiceLine]:
    billable = max(Decimal(0), usage - model.included)
    lines, lower = [], Decimal(0)
    for k, tier in enumerate(model.tiers):
        top = billable if tier.up_to is None else min(billable, Decimal(tier.up_to))
        qty = top - lower
        if qty > 0:
            lines.append(
                InvoiceLine(
                    f"usage_tier_{k + 1}",
                    f"按量计费 第{k + 1}档",
                    f"usage, tier {k + 1}",
                    qty,
                    model.unit,
                    tier.unit_price,
                    money(qty * tier.unit_price),
                )
            )
            lower = top
        if tier.up_to is None or top >= billable:
            break
    else:
        if lower < billable:
            raise ValueError("the last tier must be unbounded (up_to=None)")
    total = sum((ln.amount for ln in lines), ZERO)
    if total < model.minimum_charge:
        gap = money(model.minimum_charge - total)
        lines.append(
            InvoiceLine("minimum_charge", "最低消费补足", "minimum charge top-up", Decimal(1), "period", gap, gap)
        )
    return lines


def _band(bands: Sequence[tuple[Decimal, Decimal]], kpi: Decimal) -> Decimal:
    for lower, pct in sorted(bands, key=lambda b: b[0], reverse=True):
        if kpi >= Decimal(lower):
            return Decimal(pct)
    return Decimal(0)


# ---- lifecycle cost and NPV: sell or serve -------------------------------------------------------


def npv(rate: Decimal | str, flows: Sequence[Decimal]) -> Decimal:
    """Net present value of yearly flows, the first at t = 0: sum(flow_t / (1 + rate)^t)."""
    r = Decimal(rate)
    return sum((Decimal(f) / (1 + r) ** t for t, f in enumerate(flows)), Decimal(0))


def irr(flows: Sequence[Decimal], low: float = -0.99, high: float = 10.0) -> float | None:
    """Internal rate of return (scipy brentq on the NPV); None when the NPV does not change sign."""
    from scipy.optimize import brentq  # imported here: scipy costs about a second at app start

    fl = [float(f) for f in flows]

    def f(r: float) -> float:
        return sum(c / (1 + r) ** t for t, c in enumerate(fl))

    if f(low) * f(high) > 0:
        return None
    return float(brentq(f, low, high, xtol=1e-12))


@dataclass(frozen=True)
class Machine:
    price: Decimal  # sale price to the customer
    manufacturing_cost: Decimal
    life_years: int
    failure_rate: Decimal  # expected failures a year (e.g. 8760 / MTBF in hours at full use)
    repair_cost: Decimal  # cost of one corrective repair to whoever maintains
    preventive_cost: Decimal  # preventive maintenance a year
    operating_cost: Decimal  # energy and consumables a year, borne by the customer either way
    residual_value: Decimal = ZERO  # at the end of life, to the owner
    service_efficiency: Decimal = Decimal(1)  # manufacturer's maintenance cost as a share of the customer's


@dataclass(frozen=True)
class PartyView:
    flows: tuple[Decimal, ...]  # t = 0 .. life
    npv: Decimal
    lifecycle_cost: Decimal  # present value of the costs (customer) -- or -NPV


@dataclass(frozen=True)
class Comparison:
    sale_customer: PartyView
    sale_manufacturer: PartyView
    service_customer: PartyView
    service_manufacturer: PartyView
    manufacturer_irr_service: float | None
    customer_max_fee: Decimal  # equal lifecycle cost for the customer
    manufacturer_min_fee: Decimal  # equal NPV for the manufacturer


def maintenance_per_year(m: Machine) -> Decimal:
    return m.failure_rate * m.repair_cost + m.preventive_cost


def compare(
    m: Machine, service_fee: Decimal, customer_rate: Decimal | str, manufacturer_rate: Decimal | str
) -> Comparison:
    """Yearly cash flows (costs at year end, the purchase or build at t = 0) of selling vs serving."""
    n, maint = m.life_years, maintenance_per_year(m)
    own = maint * m.service_efficiency
    rc, rm = Decimal(customer_rate), Decimal(manufacturer_rate)

    def series(t0: Decimal, yearly: Decimal, end: Decimal = ZERO) -> tuple[Decimal, ...]:
        return (t0, *(yearly + (end if t == n else 0) for t in range(1, n + 1)))

    def view(flows, rate) -> PartyView:
        v = npv(rate, flows)
        return PartyView(tuple(money(f) for f in flows), money(v), money(-v))

    sale_c = series(-m.price, -(maint + m.operating_cost), m.residual_value)
    sale_m = series(m.price - m.manufacturing_cost, ZERO)
    serv_c = series(ZERO, -(service_fee + m.operating_cost))
    serv_m = series(-m.manufacturing_cost, service_fee - own, m.residual_value)
    annuity_c = sum((1 / (1 + rc) ** t for t in range(1, n + 1)), Decimal(0))
    annuity_m = sum((1 / (1 + rm) ** t for t in range(1, n + 1)), Decimal(0))
    # customer indifferent: fee x annuity_c = PV(costs of owning) - PV(operating, paid either way)
    max_fee = (-npv(rc, sale_c) - m.operating_cost * annuity_c) / annuity_c
    # manufacturer indifferent: -cost + (fee - own) x annuity_m + PV(residual) = price - cost
    min_fee = (m.price - m.residual_value / (1 + rm) ** n) / annuity_m + own
    return Comparison(
        view(sale_c, rc),
        view(sale_m, rm),
        view(serv_c, rc),
        view(serv_m, rm),
        irr(serv_m),
        money(max_fee),
        money(min_fee),
    )
