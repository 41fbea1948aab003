"""Contracts: sales with warranty, smart-care subscriptions, compressed air as a service, quotes.

Also the coverage lookup every later step uses (:meth:`ContractsMixin.covering`, the rule of
``contracts.service.covering_contract``) and the contract statuses on the as-of day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from somp.demo.reference import ProductSpec
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import D, add_months, local, month_start, power_factor, round_to
from somp.demo.scenario.records import AssetPlan, ContractPlan, CustomerPlan, DealPlan


class ContractsMixin(BuilderBase):
    """Builder steps: contracts and renewals per deal, open quotes, coverage and final statuses."""

    def _contract(
        self,
        kind: str,
        c: CustomerPlan,
        signed: dt.date | None,
        start: dt.date,
        end: dt.date,
        assets: list[AssetPlan],
        fees: dict[str, Decimal],
        renewal_of: ContractPlan | None = None,
        status: str = "active",
    ) -> ContractPlan:
        off = self.offering_by_kind[kind]
        k = ContractPlan(
            self.seq(),
            c.code,
            off.code,
            kind,
            status,
            signed,
            start,
            end,
            [a.serial for a in assets],
            fees,
            renewal_of=renewal_of,
        )
        self.contracts.append(k)
        return k

    def build_contracts(self) -> None:
        rng = self.rng
        for deal in self.deals:
            c = deal.customer
            a0 = deal.assets[0]
            if deal.kind == "sale":
                end = add_months(a0.plan_commissioned, self.p.warranty_months)
                k = self._contract("sale", c, deal.signed_on, a0.plan_delivered, end, deal.assets, {})
                k.total_value = sum(deal.prices.values(), D("0")) + deal.install_fee * deal.units
                k.notes = f"销售 {deal.units} 台 {deal.product.code}，含安装调试，质保 {self.p.warranty_months} 个月"
                deal.contract = k
                self._cover(deal.assets, k)
                if "care" in self.offering_by_kind:
                    self._care_chain(deal, end)
            else:
                off = self.offering_by_kind["caas"]
                base = D(str(off.data["periodic_fee"]))
                fees = {a.serial: round_to(float(base) * power_factor(deal.product.kw), 10) for a in deal.assets}
                price = D(str(off.data["usage_unit_price"]))
                if deal.units >= 3:
                    price = (price * D("0.95")).quantize(D("0.0001"))
                start, prev, signed = a0.plan_delivered, None, deal.signed_on
                while True:
                    end = add_months(start, 36)
                    k = self._contract("caas", c, signed, start, end, deal.assets, fees, renewal_of=prev)
                    k.periodic_fee = sum(fees.values(), D("0"))
                    k.usage_unit_price = price
                    k.total_value = k.periodic_fee * 36
                    k.notes = (
                        f"压缩空气即服务 {deal.units} 台 {deal.product.code}：基础服务费 {k.periodic_fee} 元/月，"
                        f"用气 {price} 元/m³（不含电费），月度可用率 ≥ 98.5%"
                    )
                    self._cover(deal.assets, k)
                    if prev is None:
                        deal.contract = k
                    signed = end - dt.timedelta(days=rng.randint(15, 45))
                    if signed > self.as_of:
                        break
                    prev, start = k, end
        self._quotes()

    def _cover(self, assets: list[AssetPlan], k: ContractPlan) -> None:
        for a in assets:
            a.coverage.append((k.start_date, k.end_date, k))

    def _care_fee(self, product: ProductSpec, generation: int, alive: int) -> Decimal:
        base = float(self.offering_by_kind["care"].data["periodic_fee"]) * power_factor(product.kw)
        discount = 0.0 if alive == 1 else (0.03 if alive <= 3 else 0.05)
        return round_to(base * (1 - discount) * (1.02**generation), 10)

    def _care_chain(self, deal: DealPlan, t: dt.date) -> None:
        rng = self.rng
        c = deal.customer
        prev: ContractPlan | None = None
        generation = 0
        horizon = self.as_of + dt.timedelta(days=40)
        total_days = max(1, (self.as_of - self.history_start).days)
        while t <= horizon:
            alive = [a for a in deal.assets if a.retire_on is None or a.retire_on > t]
            if not alive:
                return
            frac = min(1.0, max(0.0, (t - self.history_start).days / total_days))
            if prev is None:
                p = c.care_affinity * (0.35 + 0.45 * frac)
                if generation:  # lapsed before: a later win-back is less likely
                    p *= 0.5
            else:
                p = 0.88
            if rng.random() >= p:
                prev = None
                generation += 1
                t = add_months(t, 6)
                continue
            signed = t - dt.timedelta(days=rng.randint(3, 25))
            if signed > self.as_of:
                return
            fees = {a.serial: self._care_fee(deal.product, generation, len(alive)) for a in alive}
            k = self._contract("care", c, signed, t, add_months(t, 12), alive, fees, renewal_of=prev)
            k.periodic_fee = sum(fees.values(), D("0"))
            k.total_value = k.periodic_fee * 12
            k.notes = f"智能运维订阅 {len(alive)} 台 {deal.product.code}，月费合计 {k.periodic_fee} 元"
            self._cover(alive, k)
            prev = k
            generation += 1
            t = k.end_date

    def _quotes(self) -> None:
        """A few quotes that are not signed: drafts in negotiation and one the customer declined."""
        if "care" not in self.offering_by_kind or self.p.tenant["key"] != "main":
            return
        rng = self.rng
        start = add_months(month_start(self.as_of), 1)
        candidates = [
            d
            for d in self.deals
            if d.kind == "sale"
            and not any(s <= self.as_of < e for a in d.assets for (s, e, _k) in a.coverage)
            and all(a.retire_on is None for a in d.assets)
            and d.signed_on < self.go_live
        ]
        for i, deal in enumerate(candidates[:3]):
            status = "cancelled" if i == 2 else "draft"
            created = self.as_of - dt.timedelta(days=rng.randint(2, 12) if status == "draft" else rng.randint(120, 200))
            s = start if status == "draft" else add_months(month_start(created), 1)
            fees = {a.serial: self._care_fee(deal.product, 0, deal.units) for a in deal.assets}
            k = self._contract("care", deal.customer, None, s, add_months(s, 12), deal.assets, fees, status=status)
            k.periodic_fee = sum(fees.values(), D("0"))
            k.total_value = k.periodic_fee * 12
            k.notes = "报价：智能运维订阅（待客户确认）" if status == "draft" else "报价：客户暂不续保，报价作废"
            k.created_at = local(created, 15)

    def covering(self, a: AssetPlan, on: dt.date) -> ContractPlan | None:
        """The live contract covering ``a`` on ``on``, as contracts.service.covering_contract finds it."""
        best = None
        for s, e, k in a.coverage:
            if k.signed_on is None or k.signed_on > on or k.status in ("draft", "cancelled"):
                continue
            if k.ended_on is not None and on >= k.ended_on:
                continue
            if s <= on < e and (best is None or s > best.start_date):
                best = k
        return best

    def finish_contracts(self) -> None:
        assets = {a.serial: a for a in self.assets}
        for k in self.contracts:
            if k.status in ("draft", "cancelled"):
                k.version = 1 if k.status == "draft" else 2
                k.updated_at = k.created_at if k.status == "draft" else k.created_at + dt.timedelta(days=30)
                continue
            k.created_at = local(k.signed_on, 10)
            # all covered assets retired before the end: the contract is terminated
            retired = [assets[s].retired_on for s in k.assets]
            if all(r is not None for r in retired) and max(retired) < k.end_date:
                k.ended_on = max(retired)
            if k.ended_on and k.ended_on <= self.as_of:
                k.status, k.version, k.updated_at = "terminated", 3, local(k.ended_on, 11)
            elif k.end_date <= self.as_of:
                k.status, k.version, k.updated_at = "expired", 3, local(k.end_date, 0.5)
            else:
                k.status, k.version, k.updated_at = "active", 2, k.created_at + dt.timedelta(minutes=5)
