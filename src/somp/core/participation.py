"""Customer participation across the product-service lifecycle (framework node 1.2.1 客户管理): the
event a module records when a customer took part in something it manages (co-design of a service
blueprint, the acceptance of a delivery...). The module that keeps the participation record
(after-sales) subscribes to it, so the modules that record it do not import that module."""

from __future__ import annotations

import datetime as dt

from somp.core.events import DomainEvent


class CustomerParticipated(DomainEvent):
    """``stage`` is a participation stage (``co_design``, ``acceptance``, ``feedback``...);
    ``source`` names the record it came from (``pss.delivery:DP-2026-000001``)."""

    customer_id: int
    stage: str
    at: dt.datetime
    contract_id: int | None = None
    asset_id: int | None = None
    channel: str | None = None
    summary: str
    detail: str | None = None
    source: str
