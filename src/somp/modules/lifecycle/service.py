"""Monitoring service of full lifecycle management (framework node 3.6: 状态监测, 状态预警, product
health management): alarm rules bound to products or assets, evaluated as readings arrive, and
the alarm lifecycle (raised, acknowledged by whom, cleared).

Readings arrive as :class:`~somp.modules.telemetry.events.ReadingsStored` events (one per ingest
transaction and tenant). :func:`evaluate_stored` reads the stored readings of each span back and
feeds them to the pure engines (:mod:`.alarm_rules` for condition rules, :mod:`.anomaly` for
anomaly detectors); their state per (rule, asset) is kept in ``alarm_rule_states``, so evaluation
continues across batches and processes exactly where it stopped. Transitions become alarms and
:class:`~.events.AlarmRaised` / :class:`~.events.AlarmCleared` events, to which the reactions
(work orders, asset state) subscribe. :func:`tick_rules` lets time pass for rules with timers (no
data for N minutes, delays), run periodically by ``somp lifecycle tick`` or the web server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, ValidationFailed, illegal_transition, invalid
from somp.core.events import record
from somp.core.pagination import Order
from somp.core.service import apply_changes, check_version, get_or_404, list_page, require_ref
from somp.modules.assets.lifecycle import END_OF_LIFE
from somp.modules.assets.models import Asset
from somp.modules.catalog.models import Product
from somp.modules.lifecycle import alarm_rules as engine
from somp.modules.lifecycle.anomaly import AnomalyConfig, detect
from somp.modules.lifecycle.events import AlarmAcknowledged, AlarmCleared, AlarmRaised
from somp.modules.lifecycle.models import (
    Alarm,
    AlarmRule,
    AlarmSeverity,
    AlarmSource,
    AlarmStatus,
    RuleKind,
    RuleState,
)
from somp.modules.lifecycle.schemas import AlarmRuleCreate, AlarmRuleUpdate
from somp.modules.telemetry import service as telemetry
from somp.modules.telemetry.events import ReadingsStored

OPEN_ALARM = (AlarmStatus.raised, AlarmStatus.acknowledged)

# ---------------------------------------------------------------------------------------------- rules


def _engine_rule(rule_id: int | str, spec: dict[str, Any]) -> engine.Rule:
    return engine.rule_from_dict({**spec, "id": f"rule-{rule_id}"})


def _checked(kind: RuleKind, spec: dict[str, Any]) -> tuple[AlarmSeverity, list[str]]:
    """Validate a spec with its engine; return its severity and the metrics it reads."""
    try:
        if kind is RuleKind.anomaly:
            cfg = AnomalyConfig.from_dict(spec)
            return AlarmSeverity(cfg.severity.value), [cfg.metric]
        if "id" in spec:
            raise engine.RuleInvalid("the id is given by somp", "unknown_field", "id")
        rule = _engine_rule("new", spec)
        return AlarmSeverity(rule.severity.value), sorted(rule.metrics)
    except engine.RuleInvalid as exc:
        path = f"spec.{exc.path}" if exc.path and not exc.path.startswith("[") else f"spec{exc.path}"
        raise ValidationFailed(
            "invalid rule", [FieldError(path, exc.message, exc.code, params=exc.params or None)]
        ) from None


def create_rule(session: Session, data: AlarmRuleCreate) -> AlarmRule:
    if (data.product_id is None) == (data.asset_id is None):
        raise invalid("product_id", "bind the rule to a product or to one asset (exactly one)", "one_target")
    product = require_ref(session, Product, data.product_id, "product_id", "product")
    asset = require_ref(session, Asset, data.asset_id, "asset_id", "asset")
    severity, metrics = _checked(data.kind, data.spec)
    rule = AlarmRule(
        tenant_id=(product or asset).tenant_id,
        name=data.name,
        kind=data.kind,
        product_id=data.product_id,
        asset_id=data.asset_id,
        severity=severity,
        spec=data.spec,
        metrics=metrics,
        reaction=data.reaction,
        enabled=data.enabled,
    )
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> AlarmRule:
    return get_or_404(session, AlarmRule, rule_id, "alarm rule")


def update_rule(session: Session, rule_id: int, data: AlarmRuleUpdate) -> AlarmRule:
    """Change a rule. A new spec starts the rule afresh on every asset (its engine state is
    dropped); alarms it raised stay as they are until acknowledged or cleared by hand."""
    rule = get_rule(session, rule_id)
    check_version(rule, data.version)
    changes = data.model_dump(exclude_unset=True)
    if "spec" in changes:
        rule.severity, rule.metrics = _checked(rule.kind, changes["spec"])
        for st in session.scalars(select(RuleState).where(RuleState.rule_id == rule.id)):
            session.delete(st)
    apply_changes(rule, changes)
    session.flush()
    return rule


def list_rules(session: Session, *, limit: int, cursor: str | None, order: Order = "asc", **filters: Any):  # noqa: ANN201
    stmt = select(AlarmRule)
    if filters.get("product_id") is not None:
        stmt = stmt.where(AlarmRule.product_id == filters["product_id"])
    if filters.get("asset_id") is not None:
        stmt = stmt.where(AlarmRule.asset_id == filters["asset_id"])
    if filters.get("enabled") is not None:
        stmt = stmt.where(AlarmRule.enabled == filters["enabled"])
    return list_page(session, stmt, AlarmRule, limit=limit, cursor=cursor, order=order)


def rules_for_assets(session: Session, assets: list[Asset]) -> dict[int, list[AlarmRule]]:
    """The enabled rules that apply to each asset (its own and its product's)."""
    if not assets:
        return {}
    ids, products = [a.id for a in assets], {a.product_id for a in assets}
    rules = session.scalars(
        select(AlarmRule)
        .where(AlarmRule.enabled.is_(True), or_(AlarmRule.asset_id.in_(ids), AlarmRule.product_id.in_(products)))
        .order_by(AlarmRule.id)
    ).all()
    return _rules_by_asset(assets, rules)


def _rules_by_asset(assets: list[Asset], rules: Sequence[AlarmRule]) -> dict[int, list[AlarmRule]]:
    out: dict[int, list[AlarmRule]] = {}
    for a in assets:
        mine = [r for r in rules if r.asset_id == a.id or (r.asset_id is None and r.product_id == a.product_id)]
        if mine:
            out[a.id] = mine
    return out


@lru_cache(maxsize=4096)
def _compiled(rule_id: int, version: int, spec_json: str) -> engine.CompiledRule:
    import json

    return engine.compile_rule(_engine_rule(rule_id, json.loads(spec_json)))


def compiled(rule: AlarmRule) -> engine.CompiledRule:
    import json

    return _compiled(rule.id, rule.version, json.dumps(rule.spec, sort_keys=True))


# ---------------------------------------------------------------------------------------------- evaluation


def evaluate_stored(session: Session, event: ReadingsStored) -> int:
    """Evaluate the rules of the assets in a :class:`ReadingsStored` event on the readings it
    names; returns the number of alarm transitions."""
    spans = {s.asset_id: s for s in event.spans}
    ids = list(spans)
    # the rules first, the assets' products in a subquery: most events of a fleet name assets
    # without rules, and end here on one query instead of loading every asset first
    rules = session.scalars(
        select(AlarmRule)
        .where(
            AlarmRule.enabled.is_(True),
            or_(
                AlarmRule.asset_id.in_(ids),
                AlarmRule.product_id.in_(select(Asset.product_id).where(Asset.id.in_(ids)).scalar_subquery()),
            ),
        )
        .order_by(AlarmRule.id)
    ).all()
    if not rules:
        return 0
    assets = list(session.scalars(select(Asset).where(Asset.id.in_(ids))))
    by_asset = _rules_by_asset(assets, rules)
    if not by_asset:
        return 0
    states = _states(session, by_asset)
    keys = telemetry.metric_keys(session, {m for s in event.spans for m in s.metric_ids})
    transitions = 0
    for asset in assets:
        rules = by_asset.get(asset.id)
        if not rules:
            continue
        span = spans[asset.id]
        needed = {k for r in rules for k in r.metrics}
        ids = [m for m in span.metric_ids if keys.get(m) in needed]
        if not ids:
            continue
        # From where the rules stopped, not only this span: when the events of two transactions
        # are handled out of order (two dispatchers), the later one evaluates the earlier one's
        # readings too (they are committed: its event exists), in time order, and the earlier
        # event then finds them behind the rules' clock. Readings that arrive late (older than
        # what a rule already processed) are ignored by the engine, as documented. A rule's very
        # first batch on an asset starts its state, so ordering holds from the second one on.
        first = _time(min(span.first_us, _resume_us(states, rules, asset.id, span.first_us)))
        readings = telemetry.readings_between(session, asset.id, ids, first, _time(span.last_us))
        batch = engine.Batch(readings)
        for rule in rules:
            if not needed & set(rule.metrics):
                continue
            transitions += _run(session, rule, asset, states, batch)
    return transitions


def _resume_us(states: dict[tuple[int, int], RuleState], rules: list[AlarmRule], asset_id: int, default: int) -> int:
    """The earliest "last processed reading" among the asset's rule states (microseconds)."""
    out = default
    for r in rules:
        row = states.get((r.id, asset_id))
        if row is None:
            continue
        last = row.state.get("last_ts" if r.kind is RuleKind.anomaly else "last_reading")
        if isinstance(last, int | float):
            out = min(out, int(last * 1_000_000))
    return out


def _time(us: int) -> dt.datetime:
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us)


def _states(session: Session, by_asset: dict[int, list[AlarmRule]]) -> dict[tuple[int, int], RuleState]:
    rule_ids = {r.id for rules in by_asset.values() for r in rules}
    rows = session.scalars(
        select(RuleState).where(RuleState.rule_id.in_(rule_ids), RuleState.asset_id.in_(list(by_asset)))
    )
    return {(s.rule_id, s.asset_id): s for s in rows}


def _run(
    session: Session,
    rule: AlarmRule,
    asset: Asset,
    states: dict[tuple[int, int], RuleState],
    batch: engine.Batch | tuple[()],
    now: dt.datetime | None = None,
) -> int:
    """One rule on one asset: evaluate, keep the new state, turn transitions into alarms."""
    row = states.get((rule.id, asset.id))
    if rule.kind is RuleKind.anomaly:
        if now is not None:
            return 0  # time alone does not change a detector
        result = detect(AnomalyConfig.from_dict(rule.spec), row.state if row else None, batch)
        new_state = result.state
    else:
        cr = compiled(rule)
        try:
            prior = engine.RuleState.from_json(row.state) if row else None
            result = engine.evaluate(cr, prior, batch, now)
        except engine.StateMismatch:  # the rule changed under a stored state: start afresh
            result = engine.evaluate(cr, None, batch, now)
        new_state = result.state.to_json()
    if row is None:
        row = RuleState(tenant_id=asset.tenant_id, rule_id=rule.id, asset_id=asset.id, state=new_state)
        session.add(row)
        states[(rule.id, asset.id)] = row
    else:
        row.state = new_state
    for tr in result.transitions:
        apply_transition(session, rule, asset, tr)
    return len(result.transitions)


def apply_transition(session: Session, rule: AlarmRule, asset: Asset, tr: engine.AlarmTransition) -> Alarm | None:
    """A raised transition opens an alarm (one open alarm per rule and asset); a cleared one
    clears it."""
    open_alarm = session.scalar(
        select(Alarm).where(Alarm.rule_id == rule.id, Alarm.asset_id == asset.id, Alarm.status.in_(OPEN_ALARM))
    )
    source = AlarmSource.anomaly if rule.kind is RuleKind.anomaly else AlarmSource.rule
    if tr.kind is engine.TransitionKind.raised:
        if open_alarm is not None:
            return open_alarm
        alarm = Alarm(
            tenant_id=asset.tenant_id,
            asset_id=asset.id,
            customer_id=asset.customer_id,
            rule_id=rule.id,
            source=source,
            severity=AlarmSeverity(tr.severity.value),
            status=AlarmStatus.raised,
            title=rule.name,
            reason=tr.reason,
            params=tr.params,
            values=tr.values,
            message=tr.message,
            raised_at=tr.at,
        )
        session.add(alarm)
        session.flush()
        record(
            session,
            AlarmRaised(
                tenant_id=asset.tenant_id,
                alarm_id=alarm.id,
                asset_id=asset.id,
                rule_id=rule.id,
                source=source,
                severity=alarm.severity,
                reaction=rule.reaction,
                title=alarm.title,
                message=alarm.message,
            ),
        )
        return alarm
    if open_alarm is None:
        return None
    open_alarm.status = AlarmStatus.cleared
    open_alarm.cleared_at = tr.at
    open_alarm.version += 1
    record(session, AlarmCleared(tenant_id=asset.tenant_id, alarm_id=open_alarm.id, asset_id=asset.id, rule_id=rule.id))
    return open_alarm


def tick_rules(session: Session, now: dt.datetime) -> int:
    """Let time pass until ``now`` for every enabled rule with timers (no data, delays) on every
    operating asset it applies to; returns the number of alarm transitions."""
    candidates = [r for r in session.scalars(select(AlarmRule).where(AlarmRule.enabled.is_(True))) if _needs_tick(r)]
    if not candidates:
        return 0
    product_ids = {r.product_id for r in candidates if r.product_id is not None}
    asset_ids = {r.asset_id for r in candidates if r.asset_id is not None}
    assets = list(
        session.scalars(
            select(Asset).where(
                or_(Asset.product_id.in_(product_ids), Asset.id.in_(asset_ids)), Asset.state.not_in(END_OF_LIFE)
            )
        )
    )
    by_asset = {a: [r for r in rules if _needs_tick(r)] for a, rules in rules_for_assets(session, assets).items()}
    by_asset = {a: rules for a, rules in by_asset.items() if rules}
    states = _states(session, by_asset)
    n = 0
    for asset in assets:
        for rule in by_asset.get(asset.id, []):
            n += _run(session, rule, asset, states, (), now)
    return n


def _needs_tick(rule: AlarmRule) -> bool:
    return rule.kind is RuleKind.condition and compiled(rule).rule.needs_tick


# ---------------------------------------------------------------------------------------------- alarms


def get_alarm(session: Session, alarm_id: int) -> Alarm:
    return get_or_404(session, Alarm, alarm_id, "alarm")


def acknowledge_alarm(session: Session, alarm_id: int, user_id: int, version: int | None = None) -> Alarm:
    """Someone has seen the alarm and takes care of it. A cleared alarm can still be
    acknowledged (it keeps its status); an alarm is acknowledged once."""
    alarm = get_alarm(session, alarm_id)
    check_version(alarm, version)
    if alarm.acknowledged_at is not None:
        allowed = [AlarmStatus.cleared] if alarm.status is AlarmStatus.acknowledged else []
        raise illegal_transition("alarm_status", alarm.status, AlarmStatus.acknowledged, allowed, "status")
    alarm.acknowledged_at = utcnow()
    alarm.acknowledged_by = user_id
    if alarm.status is AlarmStatus.raised:
        alarm.status = AlarmStatus.acknowledged
    alarm.version += 1
    record(
        session,
        AlarmAcknowledged(tenant_id=alarm.tenant_id, alarm_id=alarm.id, asset_id=alarm.asset_id, by_user_id=user_id),
    )
    session.flush()
    return alarm


def list_alarms(session: Session, *, limit: int, cursor: str | None, order: Order = "desc", **filters: Any):  # noqa: ANN201
    stmt = select(Alarm)
    status = filters.get("status")
    if status == "open":
        stmt = stmt.where(Alarm.status.in_(OPEN_ALARM))
    elif status is not None:
        stmt = stmt.where(Alarm.status == status)
    for name in ("asset_id", "severity", "source", "rule_id"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Alarm, name) == filters[name])
    return list_page(session, stmt, Alarm, limit=limit, cursor=cursor, order=order)
