"""Domain events of after-sales (framework node 2.1.6). Other modules react to these; the
after-sales module itself opens a ticket's work order from :class:`TicketWorkOrderRequested`."""

from __future__ import annotations

from somp.core.events import DomainEvent


class TicketOpened(DomainEvent):
    ticket_id: int
    customer_id: int
    asset_id: int | None
    priority: str
    category: str


class TicketStatusChanged(DomainEvent):
    ticket_id: int
    from_status: str
    to_status: str


class TicketEscalated(DomainEvent):
    ticket_id: int
    clock: str
    level: int
    notify: str
    notify_user_id: int | None


class TicketWorkOrderRequested(DomainEvent):
    ticket_id: int
    asset_id: int
    kind: str
    requested_by: int | None
