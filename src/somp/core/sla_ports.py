"""SLA data between business modules: two ports (framework nodes 2.1.6 after-sales, 2.1.2 SLA
terms and 1.3.1 platform data for the evaluation), in the manner of :mod:`somp.core.metering`.

* **Ticket clocks** (:class:`TicketClocks`): the stored SLA attainment of the ``pss`` module counts
  the response and resolution clocks of after-sales tickets, which live in the ``aftersales``
  module. That module answers (``extra["ticket_clocks"]`` in its manifest); ``pss`` asks
  :func:`ticket_clocks` and never imports it. No module answering: ``None`` (work orders only).
* **Stored attainment** (:class:`AttainmentSource`): the evaluation module's SLA-attainment
  indicator and the after-sales portal's SLA report read the attainment ``pss`` stores per contract
  and month. ``pss`` answers (``extra["sla_attainment"]``); the readers ask :func:`attainment_source`.
  No module answering, or nothing stored for the period: ``None`` — the reader then says so (or
  falls back to its own rule); a stored value that could not be measured stays ``None``, never 0.

Every answer reads through the caller's session, so the session's scope (tenant, customer) decides
which rows are seen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from somp.core.modules import installed_modules, load_object

MET, BREACHED, PENDING = "met", "breached", "pending"


@dataclass(frozen=True)
class TicketClock:
    """One ticket opened in the period, on a contract, with its two clocks read at ``now``: ``met``,
    ``breached`` or ``pending`` (running or paused within its target)."""

    code: str
    contract_id: int
    opened_at: dt.datetime
    response: str
    resolution: str
    work_order_id: int | None = None  # a work order opened for the ticket (not counted twice)


class TicketClocks(Protocol):
    def clocks(self, session: Any, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[TicketClock]:
        """Tickets opened in ``[start, end)`` that name a contract, with their clocks at ``now``."""
        ...


@dataclass(frozen=True)
class ContractMonth:
    """The stored attainment of one contract and month (percentages as floats 0..100)."""

    contract_id: int
    contract_number: str
    customer_id: int
    period: str  # YYYY-MM
    availability_pct: float | None
    availability_target_pct: float | None
    availability_met: bool | None
    downtime_hours: float
    outages: int
    response_attainment_pct: float | None
    resolution_attainment_pct: float | None
    attained: bool | None  # every measured commitment met; None: nothing measured
    final: bool  # computed after the month ended


@dataclass(frozen=True)
class AttainmentSummary:
    """Stored attainment over the months lying in a window: contract-months in which the SLA was
    attained among those where something was measured."""

    attained: int
    measured: int
    months: int  # stored contract-months in the window (measured or not)
    provisional: int  # of them computed before their month ended

    @property
    def share(self) -> float | None:
        return self.attained / self.measured if self.measured else None


class AttainmentSource(Protocol):
    def summary(self, session: Any, start: dt.date, end: dt.date) -> AttainmentSummary | None:
        """Over the stored months inside ``[start, end)``; ``None`` when none is stored."""
        ...

    def by_contract(self, session: Any, start: dt.date, end: dt.date) -> list[ContractMonth]:
        """Every stored contract-month inside ``[start, end)`` the session may see."""
        ...


_clocks: list[TicketClocks] = []
_sources: list[AttainmentSource] = []


def register_ticket_clocks(x: TicketClocks) -> None:
    _clocks.insert(0, x)


def unregister_ticket_clocks(x: TicketClocks) -> None:
    _clocks.remove(x)


def register_source(x: AttainmentSource) -> None:
    _sources.insert(0, x)


def unregister_source(x: AttainmentSource) -> None:
    _sources.remove(x)


def _first(registered: list, key: str) -> Any:
    if registered:
        return registered[0]
    for manifest in installed_modules():
        ref = manifest.extra.get(key)
        if ref:
            return load_object(ref)()
    return None


def ticket_clocks() -> TicketClocks | None:
    """The registered answer, else the first installed module's ``extra["ticket_clocks"]``."""
    return _first(_clocks, "ticket_clocks")


def attainment_source() -> AttainmentSource | None:
    """The registered answer, else the first installed module's ``extra["sla_attainment"]``."""
    return _first(_sources, "sla_attainment")
