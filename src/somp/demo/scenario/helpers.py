"""Constants and small pure helpers of the demo generator.

Beijing-time (UTC+8) calendar arithmetic, the GB 32100-2015 unified social credit code (USCC) of a
generated organisation (its GB 11714 organisation-code body is checked and completed by
:mod:`somp.core.cn_codes`), great-circle distances, decimal rounding and the power scaling of
monthly fees. Nothing here draws random numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from somp.core import cn_codes
from somp.modules.assets.lifecycle import AssetState

S = AssetState
D = Decimal
CST = dt.timezone(dt.timedelta(hours=8), "CST")
UTC = dt.UTC
DEFAULT_SEED = 20250
HQ_LATLON = (31.2974, 120.5857)  # 苏州市 (the manufacturer's service centre)


def add_months(d: dt.date, n: int) -> dt.date:
    m = d.month - 1 + n
    y, m = d.year + m // 12, m % 12 + 1
    last = (dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(y, m, min(d.day, last))


def month_start(d: dt.date) -> dt.date:
    return d.replace(day=1)


def local(d: dt.date, hour: float) -> dt.datetime:
    """``d`` at ``hour`` (may be fractional or beyond 24) Beijing time, as an aware UTC datetime."""
    minutes = int(round(hour * 60))
    return (dt.datetime(d.year, d.month, d.day, tzinfo=CST) + dt.timedelta(minutes=minutes)).astimezone(UTC)


def local_date(t: dt.datetime) -> dt.date:
    return t.astimezone(CST).date()


def minute(t: dt.datetime) -> dt.datetime:
    return t.replace(second=0, microsecond=0)


def uscc_for(org_body: str, region: str, authority: str = "91") -> str:
    org = org_body + cn_codes.org_code_check_character(org_body)
    first17 = authority + region + org
    return cn_codes.validate_uscc(first17 + cn_codes.uscc_check_character(first17))


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    la1, lo1, la2, lo2 = map(math.radians, (*a, *b))
    h = math.sin((la2 - la1) / 2) ** 2 + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def q4(x: float | Decimal) -> Decimal:
    return D(str(x)).quantize(D("0.0001"))


def round_to(x: float, step: int) -> Decimal:
    return D(int(round(x / step)) * step)


def power_factor(kw: float) -> float:
    """Monthly fees scale with rated power to the 0.75th power (55 kW is the reference)."""
    return (kw / 55.0) ** 0.75
