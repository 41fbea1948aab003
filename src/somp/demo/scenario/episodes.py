"""Episodes: what happens to an asset in service, as work orders and timeline steps.

Failures, predictive alerts, planned visits (preventive maintenance, inspections, time-and-material
maintenance), upgrades, and the episodes still open on the as-of day.
"""

from __future__ import annotations

import datetime as dt

from somp.demo import reference as ref
from somp.demo.scenario.base import BuilderBase
from somp.demo.scenario.helpers import UTC, S, local, local_date, minute
from somp.demo.scenario.records import AssetPlan


class EpisodesMixin(BuilderBase):
    """Builder steps: one episode each; they return when the asset is free for the next one."""

    def _failure(self, a: AssetPlan, t: dt.datetime, eng: str, *, hard: bool | None = None) -> dt.datetime:
        rng = self.rng
        mode = self._mode(self.p.failure_modes, a)
        k = self.covering(a, t.astimezone(UTC).date())
        monitored = k is not None and k.kind in ("care", "caas")
        hard = rng.random() < 0.72 if hard is None else hard
        priority = ("critical" if rng.random() < 0.35 else "high") if hard else "medium"
        opened = minute(t + dt.timedelta(minutes=rng.uniform(4, 20) if monitored else rng.uniform(15, 120)))
        r_due, s_due = self._sla(k, priority, opened)
        responded = self._response(a, r_due, opened)
        hours = rng.uniform(*mode["hours"])
        hold = None
        resume = responded
        if rng.random() < mode["wait"]:
            hold_at = minute(responded + dt.timedelta(hours=rng.uniform(1.5, 3)))
            resume = minute(hold_at + dt.timedelta(hours=rng.uniform(18, 60)))
            hold = (hold_at, resume, f"现场诊断：{mode['title']}，等待备件到货")
        resolved = minute(resume + dt.timedelta(hours=hours + (0 if hold is None else 0.5)))
        if s_due is not None and resolved > s_due and rng.random() < 0.15 and hold is None:
            resolved = minute(s_due - dt.timedelta(minutes=rng.randint(20, 180)))
            resolved = max(resolved, responded + dt.timedelta(hours=1))
        source = "alarm" if monitored and rng.random() < 0.7 else "ticket"
        site = self._site_of(a)["name"]
        desc = (
            f"远程监测报警：{mode['title']}（{a.serial}）"
            if source == "alarm"
            else f"客户来电（{a.deal.customer.contact_name}）：{site} {a.serial} {mode['title']}"
        )
        crew = 2 if mode["hours"][0] >= 8 else 1
        wo = self._work_order(
            a,
            "corrective",
            priority,
            source,
            opened,
            mode["title"],
            desc,
            responded=responded,
            resolved=resolved,
            hours_worked=hours,
            crew=crew,
            parts=mode["parts"],
            fix=mode["fix"],
            assignee=eng,
            hold=hold,
        )
        first = S.failed if hard else S.degraded
        self._walk(
            a,
            first,
            t,
            None if source == "alarm" else self.manager,
            ("故障停机：" if hard else "运行异常：") + mode["title"],
            "monitoring" if source == "alarm" else "manual",
        )
        self._walk(a, S.under_maintenance, wo.responded_at or responded, eng, "开始维修", "work_order", wo)
        self._walk(a, S.in_service, resolved, eng, "修复完成，恢复运行", "work_order", wo)
        if hard:
            a.downtime.append((t, resolved))
        return resolved + dt.timedelta(hours=2)

    def _predictive(self, a: AssetPlan, t: dt.datetime, eng: str) -> dt.datetime:
        rng = self.rng
        mode = self._mode(ref.PREDICTIVE_MODES, a)
        opened = minute(t + dt.timedelta(hours=rng.uniform(0.5, 6)))
        k = self.covering(a, opened.astimezone(UTC).date())
        r_due, _ = self._sla(k, "medium", opened)
        responded = self._response(a, r_due, opened)
        # planned repair at a convenient stop, within a few days
        start = minute(responded + dt.timedelta(hours=rng.uniform(0, 20)))
        resolved = minute(start + dt.timedelta(hours=rng.uniform(*mode["hours"])))
        wo = self._work_order(
            a,
            "predictive",
            "medium",
            "prediction",
            opened,
            mode["title"],
            f"预测性维护：{mode['title']}（{a.serial}）",
            responded=responded,
            resolved=resolved,
            hours_worked=rng.uniform(*mode["hours"]),
            crew=2 if mode["hours"][0] >= 8 else 1,
            parts=mode["parts"],
            fix=mode["fix"],
            assignee=eng,
        )
        self._walk(a, S.degraded, t, None, "远程监测预警：" + mode["title"], "monitoring")
        self._walk(a, S.under_maintenance, start, eng, "计划停机维修", "work_order", wo)
        self._walk(a, S.in_service, resolved, eng, "预测性维护完成，恢复运行", "work_order", wo)
        return resolved + dt.timedelta(hours=2)

    def _planned(self, a: AssetPlan, kind: str, t: dt.datetime, eng: str) -> dt.datetime:
        rng = self.rng
        visit = local(local_date(t), rng.uniform(8.5, 10.5))
        opened = minute(visit - dt.timedelta(hours=rng.uniform(15, 20)))
        if kind in ("pm", "tm_pm"):
            a.pm_count += 1
            n = a.pm_count
            parts: list = [("air_filter", 1), ("oil_filter", 1)]
            if n % 2 == 0:
                parts.append(("oil", 1))
            if n % 4 == 0:
                parts.append(("separator", 1))
            product = self.products[a.product]
            hours = rng.uniform(2.5, 4.0) + (1.0 if n % 2 == 0 else 0.0)
            title = "季度预防性维护" if self.p.pm_months == 3 else "定期保养"
            if kind == "tm_pm":
                title = "有偿保养（按次收费）"
            fix = (
                "更换"
                + "、".join(product.part(r).description for r, _ in parts)
                + "；清洁换热器、检查电气紧固与安全阀，运行参数记录正常"
            )
            wo_kind, priority, source = "preventive", "low", "schedule" if kind == "pm" else "ticket"
        else:
            parts = [("fixed", 150, 260)] if rng.random() < 0.3 else []
            hours = rng.uniform(1.5, 3.0)
            title = "年度安全检查"
            fix = "安全阀校验合格、压力表检定在有效期内、储气罐外观及排污正常，出具检查报告"
            wo_kind, priority, source = "inspection", "low", "schedule"
        resolved = minute(visit + dt.timedelta(hours=hours))
        k = self.covering(a, opened.astimezone(UTC).date())
        r_due, _ = self._sla(k, priority, opened)
        if r_due is not None and visit > r_due:
            visit = minute(r_due - dt.timedelta(hours=1))
            resolved = minute(visit + dt.timedelta(hours=hours))
        self._work_order(
            a,
            wo_kind,
            priority,
            source,
            opened,
            title,
            f"{title}：{a.serial}（{a.product}）",
            responded=visit,
            resolved=resolved,
            hours_worked=hours,
            crew=1,
            parts=parts,
            fix=fix,
            assignee=eng,
            travel_share=round(rng.uniform(0.35, 0.6), 2),
        )  # planned visits share a trip
        return resolved

    def _upgrade(self, a: AssetPlan, t: dt.datetime, eng: str, *, stay: bool) -> dt.datetime:
        rng = self.rng
        vsd = self.products[a.product].variable_speed
        options = [u for u in ref.UPGRADES if not (u["fixed_speed_only"] and vsd)]
        up = rng.choice(options)
        start = local(local_date(t), rng.uniform(8.5, 9.5))
        opened = minute(start - dt.timedelta(hours=rng.uniform(16, 20)))  # scheduled the day before
        days = 2 if up["hours"][0] >= 12 else 1
        done = local(local_date(start) + dt.timedelta(days=days - 1), rng.uniform(16, 17.5))
        wo = self._work_order(
            a,
            "installation",
            "low",
            "manual",
            opened,
            up["title"],
            f"{up['title']}（{a.serial}），客户已确认报价",
            responded=start,
            resolved=done,
            hours_worked=rng.uniform(*up["hours"]) / 2,
            crew=2,
            parts=[("fixed", *up["parts"])],
            fix=up["fix"],
            assignee=eng,
        )
        wo._upgrade = up  # type: ignore[attr-defined]
        self._walk(a, S.under_maintenance, start, eng, "停机改造", "work_order", wo)
        self._walk(a, S.upgraded, done, eng, up["title"].replace("升级改造：", "") + "完成", "work_order", wo)
        if stay:
            return done
        back = local(local_date(done) + dt.timedelta(days=rng.randint(3, 10)), 10)
        self._walk(a, S.in_service, back, self.manager, "改造后试运行合格，恢复常规运行", "manual")
        return back

    def _final_episode(self, a: AssetPlan, kind: str, eng: str) -> None:
        """An episode still open on the as-of day, so the installed base shows live work."""
        rng = self.rng
        if a.state not in (S.in_service,):
            return
        now = self.cutoff
        if kind == "upgraded":
            t = local(local_date(now) - dt.timedelta(days=rng.randint(5, 40)), 9)
            self._upgrade(a, t, eng, stay=True)
            return
        if kind == "degraded":
            mode = self._mode(ref.PREDICTIVE_MODES, a)
            t = minute(now - dt.timedelta(hours=rng.uniform(10, 70)))
            opened = minute(t + dt.timedelta(hours=rng.uniform(0.5, 4)))
            k = self.covering(a, opened.astimezone(UTC).date())
            priority = "medium" if k is not None else "low"
            r_due, _ = self._sla(k, priority, opened)
            if rng.random() < 0.5:  # inspected, parts ordered
                responded = minute(opened + dt.timedelta(hours=rng.uniform(2, 8)))
                hold = (
                    minute(responded + dt.timedelta(hours=2)),
                    now + dt.timedelta(days=3),
                    f"现场确认：{mode['title']}，已订购备件，计划停机更换",
                )
            else:
                responded = now + dt.timedelta(hours=rng.uniform(10, 40))
                hold = None
            wo = self._work_order(
                a,
                "predictive",
                priority,
                "prediction",
                opened,
                mode["title"],
                f"预测性维护：{mode['title']}（{a.serial}）",
                responded=responded,
                resolved=now + dt.timedelta(days=4),
                hours_worked=4,
                crew=1,
                parts=mode["parts"],
                fix=mode["fix"],
                assignee=eng,
                hold=hold,
            )
            self._walk(a, S.degraded, t, None, "远程监测预警：" + mode["title"], "monitoring")
            return
        # failed (engineer not yet on site) or under maintenance (repair in progress)
        mode = self._mode(self.p.failure_modes, a)
        if kind == "failed":
            t = minute(now - dt.timedelta(hours=rng.uniform(1.5, 5)))
        else:
            t = minute(now - dt.timedelta(hours=rng.uniform(12, 40)))
        k = self.covering(a, t.astimezone(UTC).date())
        monitored = k is not None and k.kind in ("care", "caas")
        priority = "critical" if rng.random() < 0.4 else "high"
        opened = minute(t + dt.timedelta(minutes=rng.uniform(5, 60)))
        if kind == "failed":
            responded = now + dt.timedelta(hours=rng.uniform(2, 12))
        else:
            responded = minute(opened + dt.timedelta(hours=rng.uniform(1.5, 6)))
        source = "alarm" if monitored else "ticket"
        wo = self._work_order(
            a,
            "corrective",
            priority,
            source,
            opened,
            mode["title"],
            (
                f"远程监测报警：{mode['title']}（{a.serial}）"
                if monitored
                else f"客户来电：{a.site_name} {a.serial} {mode['title']}"
            ),
            responded=responded,
            resolved=now + dt.timedelta(days=2),
            hours_worked=4,
            crew=1,
            parts=mode["parts"],
            fix=mode["fix"],
            assignee=eng,
        )
        self._walk(
            a,
            S.failed,
            t,
            None if monitored else self.manager,
            "故障停机：" + mode["title"],
            "monitoring" if monitored else "manual",
        )
        if wo.responded_at:
            self._walk(a, S.under_maintenance, wo.responded_at, eng, "开始维修", "work_order", wo)
        a.downtime.append((t, now))
