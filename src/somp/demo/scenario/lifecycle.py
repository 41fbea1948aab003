"""Asset lifecycle walks: each asset's timeline from manufacture to the as-of day.

Every step goes through the lifecycle state machine
(:func:`~somp.modules.assets.lifecycle.check_transition`); :meth:`LifecycleMixin._operate`
schedules the asset's failures, predictive alerts, planned visits and upgrades, which
:mod:`~somp.demo.scenario.episodes` turns into work orders and timeline steps.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from somp.demo import reference as ref
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import S, add_months, local, local_date, minute
from somp.demo.scenario.records import AssetPlan, StateChangePlan, WorkOrderPlan
from somp.modules.assets.lifecycle import AssetFacts, AssetState, check_transition


class LifecycleMixin(BuilderBase):
    """Builder steps: delivery, installation and commissioning, operation, retirement and recycling."""

    def simulate(self) -> None:
        rng = self.rng
        finals = dict(self.p.final_episodes)
        # assets eligible for an episode that is still open on the as-of day
        pool = [
            a
            for a in self.assets
            if a.retire_on is None and a.plan_commissioned and a.plan_commissioned < self.as_of - dt.timedelta(days=60)
        ]
        rng.shuffle(pool)
        for kind in ("failed", "under_maintenance", "degraded", "upgraded"):
            for _ in range(finals.get(kind, 0)):
                for i, a in enumerate(pool):
                    if kind == "upgraded" and (a.deal.kind != "sale"):
                        continue
                    if kind == "degraded" and not self.p.predictive:
                        continue
                    a.final = kind
                    pool.pop(i)
                    break
        for a in self.assets:
            self._lifecycle(a)

    def _walk(
        self,
        a: AssetPlan,
        target: AssetState,
        at: dt.datetime,
        by: str | None,
        reason: str | None,
        source: str,
        wo: WorkOrderPlan | None = None,
    ) -> None:
        """Append one timeline step, checked by the lifecycle state machine."""
        if at > self.cutoff:
            return
        if a.timeline and at < a.timeline[-1].at:
            at = a.timeline[-1].at + dt.timedelta(minutes=1)
        facts = AssetFacts(a.state, a.customer, True, a.delivered_on, a.installed_on, a.commissioned_on, a.retired_on)
        sets = check_transition(facts, target, local_date(at))
        for k, v in sets.items():
            setattr(a, k, v)
        a.timeline.append(StateChangePlan(a.state, target, at, by, reason, source, wo))
        a.state = target
        a.state_changed_at = at

    def _lifecycle(self, a: AssetPlan) -> None:
        rng = self.rng
        imported = lambda t: t < self.go_live_at  # noqa: E731
        made_at = local(a.manufactured_on, rng.uniform(14, 17))
        a.timeline.append(
            StateChangePlan(
                None,
                S.manufactured,
                made_at,
                None,
                "历史数据导入" if imported(made_at) else "出厂登记",
                "import" if imported(made_at) else "registration",
            )
        )
        a.state, a.state_changed_at = S.manufactured, made_at
        a.created_at = made_at
        deal = a.deal
        eng = self.engineer_for(a)
        delivered_at = local(a.plan_delivered, rng.uniform(10, 15))
        self._walk(
            a,
            S.delivered,
            delivered_at,
            None if imported(delivered_at) else self.manager,
            f"发货签收（{deal.customer.short}）",
            "import" if imported(delivered_at) else "manual",
        )
        if a.state != S.delivered:
            return self._finish(a)
        # installation (a work order from go-live on)
        installed_at = local(a.plan_installed, rng.uniform(16, 18))
        commissioned_at = local(a.plan_commissioned, rng.uniform(14.5, 16.5))
        wo = None
        opened = local(a.plan_installed - dt.timedelta(days=1), rng.uniform(14, 17))
        if self.go_live_at <= opened <= self.cutoff:
            wo = self._work_order(
                a,
                "installation",
                "low",
                "manual",
                opened,
                f"安装调试：{a.product}（{a.serial}）",
                f"{self._site_of(a)['name']}：设备就位、管路与电气连接、试运行、用户培训",
                responded=local(a.plan_installed, rng.uniform(8.5, 9.5)),
                resolved=commissioned_at,
                hours_worked=rng.uniform(5, 8),
                crew=2,
                parts=[("fixed", 600, 1500)],
                fix="安装调试完成，带载试运行 4 小时参数正常，已完成操作与日常保养培训",
                assignee=eng,
            )
        src = "import" if imported(installed_at) else "work_order"
        self._walk(a, S.installed, installed_at, None if imported(installed_at) else eng, "现场就位安装完成", src, wo)
        self._walk(
            a,
            S.in_service,
            commissioned_at,
            None if imported(commissioned_at) else eng,
            "调试验收合格，投入运行",
            "import" if imported(commissioned_at) else "work_order",
            wo,
        )
        if a.state != S.in_service:
            return self._finish(a)
        if deal.kind == "sale":
            a.warranty_until = add_months(a.commissioned_on, self.p.warranty_months) - dt.timedelta(days=1)
        self._operate(a, eng)
        self._finish(a)

    def _finish(self, a: AssetPlan) -> None:
        a.version = len(a.timeline)
        a.updated_at = a.timeline[-1].at

    def _operate(self, a: AssetPlan, eng: str) -> None:
        rng = self.rng
        start = max(self.go_live_at, local(a.commissioned_on + dt.timedelta(days=1), 0))
        end = self.cutoff
        if a.retire_on:
            end = min(end, local(a.retire_on, 9) - dt.timedelta(days=5))
        # natural episodes end a day before the cut-off (their work orders are opened in time); assets
        # with an episode still open on the as-of day get that one last
        natural_end = end - dt.timedelta(days=14) if a.final else end - dt.timedelta(days=1)
        events: list[tuple[dt.datetime, str, Any]] = []
        # failures: a Poisson process whose rate grows with age; monitored assets fail less often
        t = start
        while True:
            age = (local_date(t) - a.commissioned_on).days / 365.25
            rate = self.p.failure_rate + 0.07 * max(0.0, age - 3)
            t = t + dt.timedelta(days=rng.expovariate(rate) * 365.25)
            if t >= natural_end:
                break
            k = self.covering(a, local_date(t))
            if k is not None and k.kind in ("care", "caas") and rng.random() < 0.2:
                continue  # caught early by monitoring
            events.append((minute(t), "failure", None))
        if self.p.predictive:
            t = start
            while True:
                t = t + dt.timedelta(days=rng.expovariate(0.35) * 365.25)
                if t >= natural_end:
                    break
                k = self.covering(a, local_date(t))
                if k is not None and k.kind in ("care", "caas"):
                    events.append((minute(t), "predictive", None))
        # planned work: preventive maintenance and inspections under care / caas coverage
        for s, e, k in a.coverage:
            if k.kind not in ("care", "caas") or k.signed_on is None:
                continue
            first = max(s, a.commissioned_on)
            d = first + dt.timedelta(days=rng.randint(45, 80))
            while d < e:
                events.append((local(d, 9), "pm", k))
                d = add_months(d, self.p.pm_months) + dt.timedelta(days=rng.randint(-7, 7))
            if self.p.pm_months <= 3:
                d = first + dt.timedelta(days=rng.randint(150, 250))
                while d < e:
                    events.append((local(d, 9), "inspection", k))
                    d = add_months(d, 12)
        # time-and-material maintenance when not covered (some customers call for it)
        d = local_date(start) + dt.timedelta(days=rng.randint(30, 150))
        while local(d, 9) < natural_end:
            if self.covering(a, d) is None and a.deal.kind == "sale" and rng.random() < 0.3:
                events.append((local(d, 9), "tm_pm", None))
            d = d + dt.timedelta(days=rng.randint(160, 200))
        # an upgrade now and then for sold machines in their third year or later
        if a.deal.kind == "sale" and not a.final and rng.random() < self.p.upgrade_rate:
            lo = max(start, local(add_months(a.commissioned_on, 24), 9))
            if lo < natural_end - dt.timedelta(days=30):
                u = lo + (natural_end - dt.timedelta(days=30) - lo) * rng.random()
                events.append((local(local_date(u), 9), "upgrade", False))
        if a.final:
            events.append((self.cutoff, "final", a.final))
        events.sort(key=lambda x: (x[0], x[1]))
        busy_until = start
        for t, kind, arg in events:
            if kind != "final" and (t >= end or (a.final and t >= natural_end)):
                break
            if kind in ("pm", "inspection", "tm_pm"):
                if t < start:
                    continue
                if t < busy_until:
                    t = local(local_date(busy_until) + dt.timedelta(days=1), 9)
                    if t >= end:
                        continue
                busy_until = max(busy_until, self._planned(a, kind, t, eng))
            elif t < busy_until:
                continue
            elif kind == "failure":
                busy_until = self._failure(a, t, eng)
            elif kind == "predictive":
                busy_until = self._predictive(a, t, eng)
            elif kind == "upgrade":
                busy_until = self._upgrade(a, t, eng, stay=bool(arg))
            elif kind == "final":
                self._final_episode(a, arg, eng)
        if a.retire_on and a.state not in (S.retired, S.recycled):
            self._walk(a, S.retired, local(a.retire_on, 10), self.manager, rng.choice(ref.RETIRE_REASONS), "manual")
            if a.recycle_on:
                self._walk(
                    a,
                    S.recycled,
                    local(a.recycle_on, 14),
                    self.manager,
                    "回收拆解：主机返厂再制造，其余部件按类别回收",
                    "manual",
                )
