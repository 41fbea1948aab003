"""Domain events of the contracts module."""

from __future__ import annotations

import datetime as dt

from somp.core.events import DomainEvent
from somp.modules.contracts.models import ContractStatus


class ContractStatusChanged(DomainEvent):
    contract_id: int
    customer_id: int
    from_status: ContractStatus
    to_status: ContractStatus
    signed_on: dt.date | None = None
