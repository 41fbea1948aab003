"""Monthly service invoices: smart-care fees, compressed-air base fees and metered usage, SLA credits."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import D, add_months, local, local_date, month_start, q4
from somp.demo.scenario.records import AssetPlan, InvoiceLinePlan
from somp.modules.invoicing.service import money


class ServiceInvoicesMixin(BuilderBase):
    """Builder steps: one contract's invoice (and credit note) for one month."""

    def _days_alive(self, a: AssetPlan, lo: dt.date, hi: dt.date, from_commissioning: bool = False) -> int:
        start = lo
        if from_commissioning:
            if a.commissioned_on is None:
                return 0
            start = max(lo, a.commissioned_on)
        end = hi
        if a.retired_on:
            end = min(end, a.retired_on - dt.timedelta(days=1))
        return max(0, (end - start).days + 1)

    def _care_invoice(self, k, m, lo, hi, issued, assets, customers, credits) -> None:
        days_in_month = (add_months(m, 1) - m).days
        lines = []
        for serial in k.assets:
            a = assets[serial]
            days = self._days_alive(a, lo, hi)
            if days <= 0:
                continue
            qty = D(1) if days == days_in_month else q4(days / days_in_month)
            lines.append(
                InvoiceLinePlan(
                    "service",
                    f"{m:%Y年%m月} 智能运维订阅服务费 {serial}（{a.product}）",
                    qty,
                    "月",
                    k.fees[serial],
                    D("0.06"),
                    asset=serial,
                )
            )
        if not lines:
            return
        self._invoice(
            "invoice",
            k.customer,
            k,
            issued,
            lines,
            period_start=lo,
            period_end=hi,
            due_on=issued + dt.timedelta(days=30),
            notes=f"按月结算：{m:%Y年%m月}",
        )
        cr = credits.get((k.seq, m))
        if cr:
            self._invoice(
                "credit_note",
                k.customer,
                k,
                issued,
                cr,
                period_start=lo,
                period_end=hi,
                notes=f"SLA 补偿：{m:%Y年%m月} 故障响应或修复超时",
            )

    def _sla_credits(self) -> dict[tuple[int, dt.date], list[InvoiceLinePlan]]:
        """Credit-note lines owed under the SLA, per (contract, month): a late response to a critical or
        high-priority failure (care and caas), and a late repair (care; caas is compensated through
        its availability guarantee)."""
        out: dict[tuple[int, dt.date], list[InvoiceLinePlan]] = defaultdict(list)
        for wo in sorted(self.work_orders, key=lambda w: (w.opened_at, w.seq)):
            k = wo.contract
            if k is None or k.kind not in ("care", "caas") or wo.kind != "corrective":
                continue
            fee = k.fees.get(wo.asset)
            if fee is None:
                continue
            tax = D("0.06") if k.kind == "care" else D("0.13")
            if (
                wo.priority in ("critical", "high")
                and wo.responded_at is not None
                and wo.response_due_at is not None
                and wo.responded_at > wo.response_due_at
            ):
                late_h = (wo.responded_at - wo.response_due_at).total_seconds() / 3600
                pct = min(D("0.2"), D("0.05") * math.ceil(late_h / 4))
                out[(k.seq, month_start(local_date(wo.responded_at)))].append(
                    InvoiceLinePlan(
                        "service",
                        f"SLA 补偿：{wo.asset} 故障响应超时 {late_h:.1f} 小时，返还月服务费 {int(pct * 100)}%",
                        D(1),
                        "次",
                        money(fee * pct),
                        tax,
                        asset=wo.asset,
                    )
                )
            if (
                k.kind == "care"
                and wo.resolved_at is not None
                and wo.resolution_due_at is not None
                and wo.resolved_at > wo.resolution_due_at
            ):
                late_h = (wo.resolved_at - wo.resolution_due_at).total_seconds() / 3600
                pct = min(D("0.5"), D("0.1") * math.ceil(late_h / 24))
                out[(k.seq, month_start(local_date(wo.resolved_at)))].append(
                    InvoiceLinePlan(
                        "service",
                        f"SLA 补偿：{wo.asset} 故障修复超时 {late_h:.1f} 小时，返还月服务费 {int(pct * 100)}%",
                        D(1),
                        "次",
                        money(fee * pct),
                        tax,
                        asset=wo.asset,
                    )
                )
        return out

    def _caas_invoice(self, k, m, lo, hi, issued, assets, customers, sla_credits) -> None:
        rng = self.rng
        days_in_month = (add_months(m, 1) - m).days
        c = customers[k.customer]
        lines, credits = [], list(sla_credits.get((k.seq, m), []))
        hours_month = {1: 8.5 * 22, 2: 16 * 25, 3: 22.5 * 30}[c.shifts] / days_in_month
        season = {1: 0.93, 2: 0.66, 8: 1.03, 10: 0.94}.get(m.month, 1.0)
        for serial in k.assets:
            a = assets[serial]
            days = self._days_alive(a, lo, hi, from_commissioning=True)
            if days <= 0:
                continue
            p = self.products[a.product]
            qty = D(1) if days == days_in_month else q4(days / days_in_month)
            fee = k.fees[serial]
            monthly_cost = p.unit_cost * (D(1) / D(84) + D("0.06") / D(12)) + D(120)
            lines.append(
                InvoiceLinePlan(
                    "service",
                    f"{m:%Y年%m月} 压缩空气服务基础费 {serial}（{a.product}）",
                    qty,
                    "月",
                    fee,
                    D("0.13"),
                    cost_amount=money(monthly_cost * qty),
                    asset=serial,
                )
            )
            # downtime in the month (corrective failures)
            m_lo, m_hi = local(lo, 0), local(hi + dt.timedelta(days=1), 0)
            down = sum(max(0.0, (min(e, m_hi) - max(s, m_lo)).total_seconds() / 3600) for s, e in a.downtime)
            run_h = hours_month * days * rng.uniform(0.92, 1.04) * season
            m3 = int(p.fad_m3_min * 60 * max(0.0, run_h - down * 0.7) * a.load_factor)
            if m3 > 0:
                lines.append(
                    InvoiceLinePlan(
                        "service",
                        f"{m:%Y年%m月} 用气量 {serial}（流量计读数差）",
                        D(m3),
                        "m3",
                        k.usage_unit_price,
                        D("0.13"),
                        asset=serial,
                    )
                )
            avail = 100.0 * (1 - down / (24 * days))
            if avail < 98.5:
                steps = math.ceil((98.5 - avail) / 0.5)
                pct = min(D("0.30"), D("0.05") * steps)
                credits.append(
                    InvoiceLinePlan(
                        "service",
                        f"{m:%Y年%m月} {serial} 可用率 {avail:.2f}%（约定 ≥ 98.5%），返还基础服务费 {int(pct * 100)}%",
                        D(1),
                        "次",
                        money(fee * qty * pct),
                        D("0.13"),
                        asset=serial,
                    )
                )
        if not lines:
            return
        kw = {
            "period_start": lo,
            "period_end": hi,
            "due_on": issued + dt.timedelta(days=30),
            "notes": f"按月结算：{m:%Y年%m月}，用气单价 {k.usage_unit_price} 元/m³",
        }
        if rng.random() < 0.015:  # a wrong meter reading, voided and reissued
            wrong = [
                InvoiceLinePlan(
                    ln.category,
                    ln.description,
                    ln.quantity * (10 if ln.unit == "m3" else 1),
                    ln.unit,
                    ln.unit_price,
                    ln.tax_rate,
                    ln.cost_amount,
                    ln.asset,
                    ln.product,
                )
                for ln in lines
            ]
            bad = self._invoice("invoice", k.customer, k, issued, wrong, **kw)
            bad.status = "void"
            good = self._invoice("invoice", k.customer, k, issued + dt.timedelta(days=2), lines, **kw)
            good.replaces = bad
        else:
            self._invoice("invoice", k.customer, k, issued, lines, **kw)
        if credits:
            self._invoice(
                "credit_note",
                k.customer,
                k,
                issued,
                credits,
                period_start=lo,
                period_end=hi,
                notes=f"SLA 补偿：{m:%Y年%m月} 可用率或响应时间未达标",
            )
