"""The asset lifecycle state machine (framework node 3.6, the full chain from manufacture to
recycling). Pure: no database, no web framework.

States follow the chain 制造 -> 交付 -> 安装 -> 在役 -> (劣化 / 故障 / 维修 / 升级) -> 退役 -> 回收.
:func:`check_transition` either returns the date fields the transition sets or raises
:class:`TransitionRefused` with a reason a service manager can act on.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass


class AssetState(enum.StrEnum):
    manufactured = "manufactured"
    delivered = "delivered"
    installed = "installed"
    in_service = "in_service"
    degraded = "degraded"
    failed = "failed"
    under_maintenance = "under_maintenance"
    upgraded = "upgraded"
    retired = "retired"
    recycled = "recycled"


S = AssetState

TRANSITIONS: dict[AssetState, frozenset[AssetState]] = {
    S.manufactured: frozenset({S.delivered, S.retired}),
    S.delivered: frozenset({S.installed, S.retired}),
    S.installed: frozenset({S.in_service, S.under_maintenance, S.retired}),
    S.in_service: frozenset({S.degraded, S.failed, S.under_maintenance, S.upgraded, S.retired}),
    S.degraded: frozenset({S.in_service, S.failed, S.under_maintenance, S.retired}),
    S.failed: frozenset({S.under_maintenance, S.retired}),
    S.under_maintenance: frozenset({S.in_service, S.degraded, S.failed, S.upgraded, S.retired}),
    S.upgraded: frozenset({S.in_service, S.under_maintenance, S.retired}),
    S.retired: frozenset({S.recycled}),
    S.recycled: frozenset(),
}

# States in which the asset is on a customer's site and can produce value.
OPERATING = frozenset({S.in_service, S.degraded, S.upgraded})
# States of an asset that is out of the field for good.
END_OF_LIFE = frozenset({S.retired, S.recycled})

# (code, English reason): the code lets a UI say it in its own language (label "error.<code>").
_SPECIFIC_REFUSALS: dict[tuple[AssetState, AssetState], tuple[str, str]] = {
    (S.failed, S.in_service): ("repair_first", "a failed asset must be repaired first: move it to under_maintenance"),
    (S.failed, S.degraded): ("repair_first", "a failed asset must be repaired first: move it to under_maintenance"),
    (S.manufactured, S.installed): ("not_delivered", "the asset has not been delivered yet"),
    (S.manufactured, S.in_service): ("not_delivered", "the asset has not been delivered and installed yet"),
    (S.delivered, S.in_service): (
        "not_installed",
        "the asset must be installed (and commissioned) before it goes into service",
    ),
    (S.recycled, S.in_service): (
        "recycled_final",
        "a recycled asset has left its lifecycle; register a new asset instead",
    ),
    (S.retired, S.in_service): (
        "retired_final",
        "a retired asset cannot return to service; remanufacture it as a new asset",
    ),
    (S.degraded, S.upgraded): (
        "repair_before_upgrade",
        "repair the degradation first (under_maintenance), then upgrade",
    ),
    (S.failed, S.upgraded): ("repair_before_upgrade", "repair the failure first (under_maintenance), then upgrade"),
}


@dataclass(frozen=True, slots=True)
class AssetFacts:
    """What the guards need to know about an asset."""

    state: AssetState
    customer_id: int | None
    has_site: bool
    delivered_on: dt.date | None = None
    installed_on: dt.date | None = None
    commissioned_on: dt.date | None = None
    retired_on: dt.date | None = None


class TransitionRefused(ValueError):
    """``reason`` in English; ``code`` and ``params`` let a UI say it in its own language."""

    def __init__(
        self,
        reason: str,
        allowed: frozenset[AssetState],
        code: str = "illegal_transition",
        params: dict[str, object] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.allowed = sorted(allowed)
        self.code = code
        self.params = {"enum": "asset_state", "allowed": [a.value for a in self.allowed], **(params or {})}


def allowed_next(state: AssetState) -> frozenset[AssetState]:
    return TRANSITIONS[state]


def check_transition(facts: AssetFacts, target: AssetState, on: dt.date) -> dict[str, dt.date]:
    """Validate ``facts.state -> target``; return the date fields to set on the asset.

    Raises
    ------
    TransitionRefused
        When the transition is not in the state machine or a guard fails; the reason names
        what has to happen first.
    """
    allowed = TRANSITIONS[facts.state]
    states = {"from_state": facts.state.value, "to_state": target.value}
    if target == facts.state:
        raise TransitionRefused(f"the asset is already {target.value}", allowed, "already_in_state", states)
    if target not in allowed:
        code, reason = _SPECIFIC_REFUSALS.get((facts.state, target), ("illegal_transition", ""))
        if not reason:
            nxt = ", ".join(s.value for s in sorted(allowed)) or "none (end of lifecycle)"
            reason = f"cannot go from {facts.state.value} to {target.value}; allowed next states: {nxt}"
        raise TransitionRefused(reason, allowed, code, states)
    if target == S.delivered and facts.customer_id is None:
        raise TransitionRefused(
            "assign the asset to a customer before delivering it", allowed, "needs_customer", states
        )
    if target == S.installed and not facts.has_site:
        raise TransitionRefused(
            "record the installation site (address or coordinates) first", allowed, "needs_site", states
        )
    sets: dict[str, dt.date] = {}
    if target == S.delivered and facts.delivered_on is None:
        sets["delivered_on"] = on
    if target == S.installed and facts.installed_on is None:
        sets["installed_on"] = on
    if target == S.in_service and facts.commissioned_on is None:
        sets["commissioned_on"] = on
    if target == S.retired and facts.retired_on is None:
        sets["retired_on"] = on
    return sets


NEEDS_CUSTOMER = frozenset(
    {S.delivered, S.installed, S.in_service, S.degraded, S.failed, S.under_maintenance, S.upgraded}
)
NEEDS_SITE = NEEDS_CUSTOMER - {S.delivered}


def check_initial_state(facts: AssetFacts) -> None:
    """Registering an existing asset directly in ``facts.state``: the same guards as reaching it."""
    state = {"state": facts.state.value}
    if facts.state in NEEDS_CUSTOMER and facts.customer_id is None:
        raise TransitionRefused(
            f"an asset that is {facts.state.value} needs a customer", frozenset(), "state_needs_customer", state
        )
    if facts.state in NEEDS_SITE and not facts.has_site:
        raise TransitionRefused(
            f"an asset that is {facts.state.value} needs its site", frozenset(), "state_needs_site", state
        )
