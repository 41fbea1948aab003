"""Domain events of the customization module (3.2 C2M): other modules (delivery, production
planning, billing) react to a released or progressing C2M order without importing this module."""

from __future__ import annotations

from decimal import Decimal

from somp.core.events import DomainEvent
from somp.modules.customization.models import C2MStatus


class C2MOrderReleased(DomainEvent):
    order_id: int
    number: str
    customer_id: int
    contract_id: int | None
    configurable_id: int
    model_version: int
    selected: list[str]
    quantity: int
    total_amount: Decimal


class C2MOrderStatusChanged(DomainEvent):
    order_id: int
    customer_id: int
    contract_id: int | None
    from_status: C2MStatus
    to_status: C2MStatus
