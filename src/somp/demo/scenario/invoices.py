"""Invoices: product sales, the monthly billing run, time-and-material and parts invoices, payment.

The monthly care and compressed-air invoices and SLA credit notes are in
:mod:`~somp.demo.scenario.service_invoices`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from somp.demo import reference as ref
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import D, add_months, local, local_date, month_start, round_to
from somp.demo.scenario.records import ContractPlan, InvoiceLinePlan, InvoicePlan
from somp.modules.invoicing.service import money


class InvoicesMixin(BuilderBase):
    """Builder steps: invoices and credit notes, and their settlement by the as-of day."""

    def _invoice(
        self,
        kind: str,
        c_code: str,
        contract: ContractPlan | None,
        issued: dt.date,
        lines: list[InvoiceLinePlan],
        **kw: Any,
    ) -> InvoicePlan:
        inv = InvoicePlan(self.seq(), kind, "issued", c_code, contract, issued, lines, **kw)
        self.invoices.append(inv)
        return inv

    def build_invoices(self) -> None:
        rng = self.rng
        customers = {c.code: c for c in self.customers}
        assets = {a.serial: a for a in self.assets}
        # product sales, invoiced on delivery
        for deal in self.deals:
            if deal.kind != "sale":
                continue
            a0 = deal.assets[0]
            if a0.delivered_on is None or a0.delivered_on < self.go_live or a0.delivered_on > self.as_of:
                continue
            p = deal.product
            lines = [
                InvoiceLinePlan(
                    "product",
                    f"{p.name}（序列号 {a.serial}）",
                    D(1),
                    "台",
                    deal.prices[a.serial],
                    D("0.13"),
                    cost_amount=p.unit_cost,
                    asset=a.serial,
                    product=p.code,
                )
                for a in deal.assets
            ]
            lines.append(
                InvoiceLinePlan(
                    "service",
                    f"安装调试及操作培训（{deal.units} 台）",
                    D(deal.units),
                    "台",
                    deal.install_fee,
                    D("0.09"),
                )
            )
            self._invoice(
                "invoice",
                deal.customer.code,
                deal.contract,
                a0.delivered_on,
                lines,
                due_on=a0.delivered_on + dt.timedelta(days=rng.choice((30, 30, 60))),
                notes=f"合同约定：到货开票，{deal.units} 台 {p.code}",
            )
        # monthly service invoices (issued on the 1st for the month before)
        credits = self._sla_credits()
        m = month_start(self.go_live)
        while True:
            issued = add_months(m, 1)
            if issued > self.as_of:
                break
            m_end = issued - dt.timedelta(days=1)
            for k in self.contracts:
                if k.kind not in ("care", "caas") or k.signed_on is None:
                    continue
                lo = max(m, k.start_date)
                hi = min(m_end, k.end_date - dt.timedelta(days=1))
                if k.ended_on:
                    hi = min(hi, k.ended_on - dt.timedelta(days=1))
                if lo > hi:
                    continue
                if k.kind == "care":
                    self._care_invoice(k, m, lo, hi, issued, assets, customers, credits)
                else:
                    self._caas_invoice(k, m, lo, hi, issued, assets, customers, credits)
            m = issued
        self._tm_invoices(customers, assets)
        if self.p.parts_orders:
            self._parts_orders(customers)
        self._settle(customers)

    def _tm_invoices(self, customers, assets) -> None:
        """Time-and-material invoices for work outside any contract, and for upgrades."""
        for wo in self.work_orders:
            up = getattr(wo, "_upgrade", None)
            if wo.closed_at is None:
                continue
            if wo.contract is not None and up is None:
                continue
            issued = local_date(wo.closed_at) + dt.timedelta(days=1)
            if issued > self.as_of:
                continue
            a = assets[wo.asset]
            own_cost = wo.contract is None  # costs of covered work are counted on the work order
            lines = []
            if up is not None:
                lines.append(
                    InvoiceLinePlan(
                        "service",
                        f"{up['title'].replace('升级改造：', '')}改造套件（{a.serial}）",
                        D(1),
                        "套",
                        round_to(float(wo.parts_cost) * 1.45, 10),
                        D("0.13"),
                        cost_amount=wo.parts_cost if own_cost else None,
                        asset=a.serial,
                    )
                )
            else:
                for pn, desc, q, unit, unit_cost in wo._part_lines:  # type: ignore[attr-defined]
                    price = (unit_cost * D("1.75")).quantize(D("1"))
                    lines.append(
                        InvoiceLinePlan(
                            "service",
                            f"备件 {pn} {desc}",
                            q,
                            unit,
                            price,
                            D("0.13"),
                            cost_amount=money(unit_cost * q),
                            asset=a.serial,
                        )
                    )
            lines.append(
                InvoiceLinePlan(
                    "service",
                    f"服务工时（{wo.title}）",
                    wo.labour_hours,
                    "小时",
                    ref.LABOUR_PRICE_PER_HOUR,
                    D("0.13"),
                    cost_amount=wo.labour_cost if own_cost else None,
                    asset=a.serial,
                )
            )
            lines.append(
                InvoiceLinePlan(
                    "service",
                    "差旅费",
                    D(1),
                    "次",
                    money(wo.travel_cost * D("1.1")),
                    D("0.13"),
                    cost_amount=wo.travel_cost if own_cost else None,
                    asset=a.serial,
                )
            )
            inv = self._invoice("invoice", wo.customer, None, issued, lines, due_on=issued + dt.timedelta(days=30))
            inv._work_order = wo  # type: ignore[attr-defined]

    def _parts_orders(self, customers) -> None:
        rng = self.rng
        for a in self.assets:
            if a.deal.kind != "sale" or a.commissioned_on is None:
                continue
            d = max(self.go_live, a.commissioned_on) + dt.timedelta(days=rng.randint(20, 180))
            while d <= self.as_of - dt.timedelta(days=1):
                if a.retire_on and d >= a.retire_on:
                    break
                if self.covering(a, d) is None and rng.random() < 0.45:
                    product = self.products[a.product]
                    lines = []
                    for role in ("air_filter", "oil_filter", "oil") + (("separator",) if rng.random() < 0.4 else ()):
                        part = product.part(role)
                        price = (part.unit_cost * D("1.8")).quantize(D("1"))
                        lines.append(
                            InvoiceLinePlan(
                                "service",
                                f"备件 {part.part_number} {part.description}（{a.serial}）",
                                part.quantity,
                                part.unit,
                                price,
                                D("0.13"),
                                cost_amount=money(part.unit_cost * part.quantity),
                                asset=a.serial,
                            )
                        )
                    self._invoice(
                        "invoice",
                        a.customer,
                        None,
                        d,
                        lines,
                        due_on=d + dt.timedelta(days=30),
                        notes="备件销售（客户自行保养）",
                    )
                d = d + dt.timedelta(days=rng.randint(150, 210))

    def _settle(self, customers) -> None:
        rng = self.rng
        for inv in self.invoices:
            c = customers[inv.customer]
            created = local(inv.issued_on, 9 + (inv.seq % 480) / 60)
            inv.created_at = created
            if inv.status == "void":
                inv.version, inv.updated_at = 3, local(inv.issued_on + dt.timedelta(days=2), 9)
                continue
            pay = inv.issued_on + dt.timedelta(days=rng.randint(*c.pay_days))
            if inv.kind == "credit_note":
                pay = inv.issued_on + dt.timedelta(days=rng.randint(1, 10))
            if pay <= self.as_of:
                inv.status, inv.version, inv.updated_at = "paid", 3, local(pay, 10.5)
            else:
                inv.status, inv.version, inv.updated_at = "issued", 2, created + dt.timedelta(minutes=3)
