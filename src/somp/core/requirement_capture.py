"""Requirements stated in after-sales (framework node 2.1.1 需求工程, fed by 2.1.6): the event a
module records when a service manager decides that something a customer said in a ticket or a
survey answer is a requirement on an offering. The module that keeps requirements (``pss``)
subscribes to it and creates the requirement (source kind and reference as given), so the module
that records it (after-sales) does not import that module."""

from __future__ import annotations

from decimal import Decimal

from somp.core.events import DomainEvent


class RequirementStated(DomainEvent):
    """``source_kind`` is ``ticket`` or ``survey``; ``source_ref`` names the record (a ticket
    number, ``<survey code>#<answer id>``); ``priority`` is MoSCoW (must, should, could, wont) and
    ``weight`` the importance (> 0)."""

    offering_id: int
    customer_id: int | None = None
    source_kind: str
    source_ref: str
    title: str
    title_en: str | None = None
    description: str | None = None
    priority: str = "should"
    weight: Decimal = Decimal(1)
    by_user_id: int | None = None
