"""Service calendars by name (the working calendar an SLA names, framework node 2.1.2).

An SLA's agreed service time is counted on a calendar: ``24x7`` (built in) or service hours with
holidays. A calendar is anything with ``working_seconds(start, end)`` (aware instants). Modules
that hold calendars (the after-sales module's working calendars with China's holiday notices)
offer them by name in their manifest, ``extra["calendars"] = "pkg.module:CALENDARS"`` (a mapping
name -> factory), or with :func:`register`; billing looks them up with :func:`get`. No module
imports another for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Protocol

from somp.core.modules import installed_modules, load_object

ALWAYS = "24x7"


class CalendarNotCovered(ValueError):
    """The calendar has no holiday data for a date asked about (e.g. a year whose State Council
    notice is not stored): a caller skips the measurement rather than count a holiday as work."""


class ServiceCalendar(Protocol):
    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float: ...


class Always:
    """Every second is service time (24 x 7)."""

    def working_seconds(self, start: dt.datetime, end: dt.datetime) -> float:
        return max(0.0, (end - start).total_seconds())


_registered: dict[str, Callable[[], ServiceCalendar]] = {ALWAYS: Always}


def register(name: str, factory: Callable[[], ServiceCalendar]) -> None:
    _registered[name] = factory


def _all() -> dict[str, Callable[[], ServiceCalendar]]:
    out: dict[str, Callable[[], ServiceCalendar]] = {}
    for manifest in installed_modules():
        ref = manifest.extra.get("calendars")
        if ref:
            out.update(load_object(ref))
    return out | _registered


def names() -> list[str]:
    return sorted(_all())


def get(name: str) -> ServiceCalendar:
    """The calendar called ``name``; ``LookupError`` naming the known ones otherwise."""
    factory = _all().get(name)
    if factory is None:
        raise LookupError(f"no service calendar {name!r}; known: {', '.join(names())}")
    return factory()
