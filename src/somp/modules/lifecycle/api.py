"""REST routes of monitoring (3.6): alarm rules, alarms and their acknowledgement, asset health."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.errors import NotFound
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.assets.service import get_asset
from somp.modules.lifecycle import service
from somp.modules.lifecycle.models import AlarmSeverity, AlarmSource, HealthScore
from somp.modules.lifecycle.schemas import (
    AlarmAcknowledge,
    AlarmRead,
    AlarmRuleCreate,
    AlarmRuleRead,
    AlarmRuleUpdate,
    HealthRead,
)

router = APIRouter(tags=["lifecycle"])
Read = Annotated[RequestContext, Depends(requires("lifecycle:read"))]
Write = Annotated[RequestContext, Depends(requires("lifecycle:write"))]
Ack = Annotated[RequestContext, Depends(requires("lifecycle:acknowledge"))]
OptId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


@router.post("/lifecycle/rules", response_model=AlarmRuleRead, status_code=status.HTTP_201_CREATED)
def create_rule(data: AlarmRuleCreate, c: Write):
    """An alarm rule for every asset of a product, or for one asset (spec: docs/alarms.md)."""
    rule = service.create_rule(c.session, data)
    c.commit()
    return rule


@router.get("/lifecycle/rules", response_model=Page[AlarmRuleRead])
def list_rules(c: Read, params: Listing, product_id: OptId = None, asset_id: OptId = None, enabled: bool | None = None):
    return page(
        service.list_rules(c.session, product_id=product_id, asset_id=asset_id, enabled=enabled, **params.kw()), params
    )


@router.get("/lifecycle/rules/{rule_id}", response_model=AlarmRuleRead)
def get_rule(rule_id: int, c: Read):
    return service.get_rule(c.session, rule_id)


@router.patch("/lifecycle/rules/{rule_id}", response_model=AlarmRuleRead)
def update_rule(rule_id: int, data: AlarmRuleUpdate, c: Write):
    rule = service.update_rule(c.session, rule_id, data)
    c.commit()
    return rule


@router.get("/lifecycle/alarms", response_model=Page[AlarmRead])
def list_alarms(
    c: Read,
    params: Listing,
    status: Annotated[str | None, Query(pattern="^(open|raised|acknowledged|cleared)$")] = None,
    severity: AlarmSeverity | None = None,
    source: AlarmSource | None = None,
    asset_id: OptId = None,
    rule_id: OptId = None,
):
    """Alarms (``order=desc`` for the newest first); ``status=open`` for raised or acknowledged ones."""
    return page(
        service.list_alarms(
            c.session,
            status=status,
            severity=severity,
            source=source,
            asset_id=asset_id,
            rule_id=rule_id,
            **params.kw(),
        ),
        params,
    )


@router.get("/lifecycle/alarms/{alarm_id}", response_model=AlarmRead)
def get_alarm(alarm_id: int, c: Read):
    return service.get_alarm(c.session, alarm_id)


@router.post("/lifecycle/alarms/{alarm_id}/acknowledge", response_model=AlarmRead)
def acknowledge_alarm(alarm_id: int, data: AlarmAcknowledge, c: Ack):
    """I have seen it and take care of it (recorded with who and when)."""
    alarm = service.acknowledge_alarm(c.session, alarm_id, c.principal.user_id, data.version)
    c.commit()
    return alarm


@router.get("/assets/{asset_id}/health", response_model=HealthRead)
def asset_health(asset_id: int, c: Read):
    """The latest health index and remaining useful life with its 90% interval."""
    from sqlalchemy import select

    get_asset(c.session, asset_id)
    score = c.session.scalar(select(HealthScore).where(HealthScore.asset_id == asset_id))
    if score is None:
        raise NotFound(f"asset {asset_id} has not been scored yet")
    return score
