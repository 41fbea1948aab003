"""Work orders: assignment, travel and parts costs, SLA deadlines, responses and status history.

SLA deadlines are computed with the work-order service's own
:func:`~somp.modules.workorders.service.sla_deadlines`, and amounts are rounded with the invoicing
``money`` rounding.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from somp.demo import reference as ref
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import UTC, D, local_date, minute, q4, round_to
from somp.demo.scenario.records import AssetPlan, ContractPlan, WorkOrderPlan
from somp.modules.catalog.models import Priority
from somp.modules.invoicing.service import money
from somp.modules.workorders.service import sla_deadlines


class WorkOrdersMixin(BuilderBase):
    """Builder steps: the work-order record of a visit, with its costs, SLA deadlines and history."""

    # ------------------------------------------------------------------ field service

    def engineer_for(self, a: AssetPlan) -> str:
        engs = self.p.engineers
        if len(engs) == 1:
            return engs[0]
        r = a.site_region_code
        if r[:4] in ("3205", "3202", "3204", "3304", "3305"):
            return engs[0]
        if r[:2] in ("32", "34", "37", "41", "13"):
            return engs[1]
        return engs[2]

    def travel_cost(self, a: AssetPlan) -> Decimal:
        d = self._site_of(a)["distance_km"]
        if d < 250:
            cost = 80 + 2 * d * 1.6
        elif d < 900:
            cost = 2 * d * 0.55 + 380 + 150
        else:
            cost = 2 * 1150 + 420 + 200
        return money(D(str(cost * self.rng.uniform(0.9, 1.15))))

    def travel_hours(self, a: AssetPlan) -> float:
        d = self._site_of(a)["distance_km"]
        return 1.0 + d / 70 if d < 250 else (3.0 + d / 280 if d < 900 else 7.0)

    def _site_of(self, a: AssetPlan) -> dict[str, Any]:
        c = a.deal.customer
        for s in c.sites:
            if s["name"] == a.site_name:
                return s
        return c.sites[0]

    def part_cost(self, a: AssetPlan, parts: list) -> tuple[Decimal, list[tuple[str, str, Decimal, str, Decimal]]]:
        """Cost of a list of parts, and the lines (part number, description, quantity, unit, unit cost)."""
        product = self.products[a.product]
        total = D("0")
        lines = []
        for item in parts:
            if item[0] == "fixed":
                cost = round_to(self.rng.uniform(item[1], item[2]), 10)
                total += cost
                lines.append(("MISC", "维修备件", D(1), "pcs", cost))
            else:
                role, qty = item
                part = product.part(role)
                q = part.quantity * qty
                total += part.unit_cost * q
                lines.append((part.part_number, part.description, q, part.unit, part.unit_cost))
        return money(total), lines

    # ------------------------------------------------------------------ work orders

    def _sla(self, k: ContractPlan | None, priority: str, opened: dt.datetime):
        if k is None:
            return None, None
        off = self.offerings[k.offering]
        return sla_deadlines(SimpleNamespace(sla=off.sla_stored), Priority(priority), opened)

    def _response(self, a: AssetPlan, due: dt.datetime | None, opened: dt.datetime) -> dt.datetime:
        rng = self.rng
        travel = self.travel_hours(a)
        if due is None:  # time and material: scheduled when convenient
            return minute(opened + dt.timedelta(hours=travel + rng.uniform(4, 40)))
        window = (due - opened).total_seconds() / 3600
        far = self._site_of(a)["distance_km"] > 500
        if rng.random() < 0.10 + (0.08 if far else 0.0):
            h = window * rng.uniform(1.05, 1.7)
        else:
            h = min(window * rng.uniform(0.3, 0.95), max(travel, window * 0.25))
            h = min(h, window * 0.97)
        return minute(opened + dt.timedelta(hours=h))

    def _work_order(
        self,
        a: AssetPlan,
        kind: str,
        priority: str,
        source: str,
        opened: dt.datetime,
        title: str,
        description: str | None,
        *,
        responded: dt.datetime,
        resolved: dt.datetime,
        hours_worked: float | None,
        crew: int,
        parts: list,
        fix: str,
        assignee: str | None,
        hold: tuple[dt.datetime, dt.datetime, str] | None = None,
        closed: dt.datetime | None = None,
        travel_share: float = 1.0,
    ) -> WorkOrderPlan:
        rng = self.rng
        opened = minute(opened)
        k = self.covering(a, opened.astimezone(UTC).date())
        r_due, s_due = self._sla(k, priority, opened)
        if hours_worked is None:
            days = max(1, (local_date(resolved) - local_date(responded)).days + 1)
            hours_worked = 7.5 * days
        parts_cost, part_lines = self.part_cost(a, parts)
        wo = WorkOrderPlan(
            self.seq(),
            kind,
            priority,
            "assigned" if assignee else "open",
            source,
            a.serial,
            a.customer,
            k,
            title,
            description,
            assignee,
            opened,
            response_due_at=r_due,
            resolution_due_at=s_due,
        )
        wo.created_at = opened
        closed = closed or minute(resolved + dt.timedelta(hours=rng.uniform(3, 50)))
        steps: list[tuple[dt.datetime, str]] = [(responded, "in_progress")]
        if hold:
            steps += [(hold[0], "on_hold"), (hold[1], "in_progress")]
        steps += [(resolved - dt.timedelta(minutes=5), "costs"), (resolved, "resolved"), (closed, "closed")]
        version = 1
        last = opened
        for at, what in steps:
            if at > self.cutoff:
                break
            version += 1
            last = at
            if what == "in_progress" and wo.responded_at is None:
                wo.responded_at = at
            if what == "costs":
                wo.labour_hours = q4(round(hours_worked * crew, 1))
                wo.labour_cost = money(wo.labour_hours * ref.LABOUR_COST_PER_HOUR)
                wo.parts_cost = parts_cost
                wo.travel_cost = money(self.travel_cost(a) * D(str(travel_share)))
                continue
            if what == "on_hold" and hold:
                wo.resolution_notes = hold[2]
            if what == "resolved":
                wo.resolved_at = at
                wo.resolution_notes = (wo.resolution_notes + "\n" if wo.resolution_notes else "") + fix
            if what == "closed":
                wo.closed_at = at
            wo.status = what
        wo.version, wo.updated_at = version, last
        wo._part_lines = part_lines  # type: ignore[attr-defined]
        self.work_orders.append(wo)
        return wo

    def _mode(self, modes: tuple[dict[str, Any], ...], a: AssetPlan) -> dict[str, Any]:
        vsd = self.products[a.product].variable_speed
        ok = [m for m in modes if vsd or not m.get("vsd_only")]
        return self.rng.choices(ok, [m["weight"] for m in ok])[0]
