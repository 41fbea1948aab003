"""Metered usage, a port between the product-service database and billing (framework nodes 2.2.1
and 2.1.2 pay-per-use pricing).

Billing (module ``pss``) needs "how much did these assets use of this metric in this period"; the
readings live in the telemetry module. Neither imports the other: this file defines the question
(:class:`UsageMeter`) and a registry, the telemetry module answers it
(:mod:`somp.modules.telemetry.metering`, named in its manifest as ``extra["meter"]``), and billing
asks :func:`meter`. Another store of readings (a historian, a partner's API) plugs in the same way,
with :func:`register` or a manifest entry.

Usage is a ``Decimal`` per asset, rounded to :data:`RESOLUTION` (the readings are binary floats; a
month of hourly sums carries float noise far below it). An asset without any reading of the metric
in the period is absent from the answer: missing usage is never 0.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from somp.core.modules import installed_modules, load_object

RESOLUTION = Decimal("0.001")


class MeteringUnavailable(LookupError):
    """No module answers usage questions (the telemetry module is not installed)."""


class UsageMeter(Protocol):
    def usage(
        self, session: Any, asset_ids: Sequence[int], metric: str, start: dt.datetime, end: dt.datetime
    ) -> dict[int, Decimal]:
        """Usage of ``metric`` (a metric key of the session's tenant) per asset in ``[start, end)``,
        in one set-based read for all ``asset_ids``; assets without readings are left out."""
        ...


_registered: list[UsageMeter] = []


def register(m: UsageMeter) -> None:
    """Use ``m`` before any meter named in a module manifest (tests, plug-ins)."""
    _registered.insert(0, m)


def unregister(m: UsageMeter) -> None:
    _registered.remove(m)


def meter() -> UsageMeter:
    """The registered meter, else the first installed module's ``extra["meter"]``."""
    if _registered:
        return _registered[0]
    for manifest in installed_modules():
        ref = manifest.extra.get("meter")
        if ref:
            return load_object(ref)()
    raise MeteringUnavailable("no installed module meters usage (install the telemetry module)")


def quantity(x: float | int | Decimal) -> Decimal:
    """A metered amount as a ``Decimal`` rounded half-up to :data:`RESOLUTION`."""
    return Decimal(repr(x) if isinstance(x, float) else x).quantize(RESOLUTION, rounding=ROUND_HALF_UP)
