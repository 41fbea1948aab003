"""Domain events of full lifecycle management (3.6)."""

from __future__ import annotations

from somp.core.events import DomainEvent
from somp.modules.lifecycle.models import AlarmSeverity, AlarmSource, Reaction


class AlarmRaised(DomainEvent):
    alarm_id: int
    asset_id: int
    rule_id: int | None
    source: AlarmSource
    severity: AlarmSeverity
    reaction: Reaction
    title: str
    message: str


class AlarmCleared(DomainEvent):
    alarm_id: int
    asset_id: int
    rule_id: int | None


class AlarmAcknowledged(DomainEvent):
    alarm_id: int
    asset_id: int
    by_user_id: int
