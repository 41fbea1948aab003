"""Domain events of the assets module."""

from __future__ import annotations

from somp.core.events import DomainEvent
from somp.modules.assets.lifecycle import AssetState


class AssetRegistered(DomainEvent):
    asset_id: int
    serial_number: str
    product_id: int
    customer_id: int | None


class AssetStateChanged(DomainEvent):
    asset_id: int
    from_state: AssetState
    to_state: AssetState
    reason: str | None = None
    by_user_id: int | None = None
    source: str = "manual"
