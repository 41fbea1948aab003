"""Monitoring records of full lifecycle management (framework node 3.6): alarm rules and their
per-asset state, alarms with their lifecycle, health and remaining-useful-life scores, and the
trained RUL models."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Double, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import JSON, Base, IdType, TenantOwned, Timestamped, UTCDateTime, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum


class RuleKind(enum.StrEnum):
    condition = "condition"  # threshold / rate of change / no data / composite (alarm_rules engine)
    anomaly = "anomaly"  # streaming robust z-score of one metric (anomaly engine)


class AlarmSeverity(enum.StrEnum):
    critical = "critical"
    major = "major"
    minor = "minor"
    warning = "warning"


class AlarmStatus(enum.StrEnum):
    raised = "raised"
    acknowledged = "acknowledged"
    cleared = "cleared"


class AlarmSource(enum.StrEnum):
    rule = "rule"
    anomaly = "anomaly"
    prediction = "prediction"  # remaining useful life below a contract's threshold


class Reaction(enum.StrEnum):
    """What an alarm of a rule does besides being shown."""

    none = "none"
    corrective = "corrective"  # open a corrective work order
    predictive = "predictive"  # open a predictive work order


class AlarmRule(TenantOwned, Timestamped, Base):
    """A rule bound to every asset of a product, or to one asset. ``spec`` is the engine's JSON
    (docs/alarms.md): a condition rule for :mod:`~somp.modules.lifecycle.alarm_rules` or an
    anomaly configuration for :mod:`~somp.modules.lifecycle.anomaly`."""

    __tablename__ = "alarm_rules"
    __table_args__ = (
        tenant_key("alarm_rules"),
        tenant_fk("product_id", "products"),
        tenant_fk("asset_id", "assets"),
        Index("ix_alarm_rules_product", "tenant_id", "product_id"),
        Index("ix_alarm_rules_asset", "tenant_id", "asset_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[RuleKind] = mapped_column(str_enum(RuleKind, "rule_kind"), default=RuleKind.condition)
    product_id: Mapped[int | None] = mapped_column(IdType)
    asset_id: Mapped[int | None] = mapped_column(IdType)
    severity: Mapped[AlarmSeverity] = mapped_column(str_enum(AlarmSeverity, "alarm_severity"))
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    metrics: Mapped[list[str]] = mapped_column(JSON, default=list)  # the metric keys the rule reads
    reaction: Mapped[Reaction] = mapped_column(str_enum(Reaction, "alarm_reaction"), default=Reaction.none)
    enabled: Mapped[bool] = mapped_column(default=True)


class RuleState(TenantOwned, Base):
    """The engine state of one rule on one asset, carried between batches of readings.

    Optimistically locked (``version``): two event dispatchers evaluating the same rule on the
    same asset at once cannot both write their state; the loser's delivery fails and is retried
    on fresh state (events are delivered exactly once per handler)."""

    __tablename__ = "alarm_rule_states"
    __table_args__ = (
        UniqueConstraint("rule_id", "asset_id"),
        tenant_fk("rule_id", "alarm_rules", ondelete="CASCADE"),
        tenant_fk("asset_id", "assets"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(IdType)
    asset_id: Mapped[int] = mapped_column(IdType)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}


class Alarm(TenantOwned, Base):
    """An alarm: raised, acknowledged by someone, cleared (by the condition going away)."""

    __tablename__ = "alarms"
    __customer_column__ = "customer_id"
    __table_args__ = (
        tenant_key("alarms"),
        tenant_fk("asset_id", "assets"),
        tenant_fk("rule_id", "alarm_rules"),
        Index("ix_alarms_asset_status", "tenant_id", "asset_id", "status"),
        Index("ix_alarms_status_raised", "tenant_id", "status", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(IdType)
    customer_id: Mapped[int | None] = mapped_column(IdType)
    rule_id: Mapped[int | None] = mapped_column(IdType)
    source: Mapped[AlarmSource] = mapped_column(str_enum(AlarmSource, "alarm_source"))
    severity: Mapped[AlarmSeverity] = mapped_column(str_enum(AlarmSeverity, "alarm_severity"))
    status: Mapped[AlarmStatus] = mapped_column(str_enum(AlarmStatus, "alarm_status"), default=AlarmStatus.raised)
    title: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(64))  # stable code; the UI words it in its language
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    message: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    work_order_id: Mapped[int | None] = mapped_column(IdType)
    version: Mapped[int] = mapped_column(default=1)


class HealthScore(TenantOwned, Base):
    """The latest health index (0-100) and remaining useful life of an asset, with its interval."""

    __tablename__ = "health_scores"
    __table_args__ = (UniqueConstraint("tenant_id", "asset_id"), tenant_fk("asset_id", "assets"))

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(IdType)
    health: Mapped[float] = mapped_column(Double)
    rul: Mapped[float] = mapped_column(Double)  # in the model's time unit (hours for telemetry models)
    rul_low: Mapped[float] = mapped_column(Double)
    rul_high: Mapped[float] = mapped_column(Double)
    unit: Mapped[str] = mapped_column(String(16), default="h")
    model_id: Mapped[int | None] = mapped_column(IdType)
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    data_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class RulModelRecord(TenantOwned, Base):
    """A trained RUL model (LightGBM text + feature parameters as JSON; never pickled)."""

    __tablename__ = "rul_models"
    __table_args__ = (tenant_key("rul_models"), tenant_fk("product_id", "products"))

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    product_id: Mapped[int | None] = mapped_column(IdType)
    metrics: Mapped[list[str]] = mapped_column(JSON, default=list)
    unit: Mapped[str] = mapped_column(String(16), default="h")
    trained_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)
