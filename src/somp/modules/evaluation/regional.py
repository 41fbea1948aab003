"""Regional evaluation of service-oriented manufacturing (framework node 1.3.4, 区域评价). Pure: numpy
and somp.core.cn_codes; no database, no web framework.

A :class:`Region` (GB/T 2260 code, area in km², regional statistics) and the :class:`EnterpriseRecord` s
of its enterprises in a year give the regional indicators (:func:`regional_indicators`):

=============================  ==========  ========================================================
indicator                      dimension   definition
=============================  ==========  ========================================================
som_density                    ecosystem   SOM enterprises per km² (服务型制造企业密度)
local_collaboration_rate       ecosystem   supplier spend inside the region / all supplier spend of
                                           the region's enterprises that report it (本地产业链协作率)
service_platforms_per_1000km2  ecosystem   service platforms (regional statistics) per 1,000 km²
leading_brand_count            results     enterprises recognised as leading brands (领军品牌数)
demonstration_count            results     recognised demonstration enterprises (示范企业数)
average_maturity               results     mean maturity level (0-5) of the evaluated enterprises
som_enterprise_share           integration SOM enterprises / manufacturing enterprises (statistics)
service_revenue_share          integration service revenue / revenue of the SOM enterprises reporting
=============================  ==========  ========================================================

The dimensions are those of the published regional development index of service-oriented
manufacturing: industrial ecosystem 产业生态, development results 发展成效, degree of integration
融合程度. A value that cannot be computed (no enterprise reports supplier spend, no statistics) is
``None`` — missing, never zero.

:func:`evaluate_regions` scores several regions over one or more years together: each indicator is
min-max normalised over all (region, year) rows evaluated together, so that index values are
comparable across those years (a weighted sum model, as scikit-criteria's ``WeightedSumModel`` with a
min-max scaler); a dimension's score is the weighted mean of its indicators that have data, the index
the weighted mean of the dimensions (0-100), each with its coverage. Regions are ranked per year
(1 = best). :func:`year_over_year` compares two years: indicator changes and rank changes.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.stats

from somp.core.cn_codes import validate_region_code

DIMENSIONS: dict[str, dict[str, str]] = {
    "ecosystem": {"zh": "产业生态", "en": "Industrial ecosystem"},
    "results": {"zh": "发展成效", "en": "Development results"},
    "integration": {"zh": "融合程度", "en": "Degree of integration"},
}
# indicator -> (dimension, weight within the dimension, zh, en)
INDICATORS: dict[str, tuple[str, float, str, str]] = {
    "som_density": ("ecosystem", 0.4, "服务型制造企业密度（家/平方公里）", "SOM enterprises per km²"),
    "local_collaboration_rate": ("ecosystem", 0.4, "本地产业链协作率", "Local industrial-chain collaboration rate"),
    "service_platforms_per_1000km2": ("ecosystem", 0.2, "服务平台密度（个/千平方公里）",
                                      "Service platforms per 1,000 km²"),
    "leading_brand_count": ("results", 0.35, "领军品牌数", "Leading brands"),
    "demonstration_count": ("results", 0.25, "示范企业数", "Demonstration enterprises"),
    "average_maturity": ("results", 0.4, "企业平均成熟度", "Average enterprise maturity"),
    "som_enterprise_share": ("integration", 0.5, "服务型制造企业占制造业企业比重", "SOM share of manufacturers"),
    "service_revenue_share": ("integration", 0.5, "服务收入占比", "Service revenue share"),
}
DIMENSION_WEIGHTS = {"ecosystem": 1 / 3, "results": 1 / 3, "integration": 1 / 3}


class RegionalInvalid(ValueError):
    def __init__(self, message: str, code: str, params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.params = dict(params or {})


@dataclass(frozen=True)
class Region:
    code: str  # GB/T 2260
    name: str
    area_km2: float
    statistics: Mapping[str, float] = field(default_factory=dict)  # per year: see statistic()

    def statistic(self, name: str, year: int) -> float | None:
        """``statistics`` keys are ``"<name>"`` (any year) or ``"<name>@<year>"`` (that year first):
        ``manufacturing_enterprises``, ``service_platforms``."""
        for key in (f"{name}@{year}", name):
            v = self.statistics.get(key)
            if v is not None and not (isinstance(v, float) and math.isnan(v)):
                return float(v)
        return None


@dataclass(frozen=True)
class EnterpriseRecord:
    """One enterprise in one year (figures the platform measured or the enterprise reported)."""

    enterprise: str
    region: str  # GB/T 2260 code of the region it is counted in
    year: int
    som: bool = True  # counted as a service-oriented manufacturing enterprise
    leading_brand: bool = False
    demonstration: bool = False
    maturity_level: int | None = None  # 0-5 from its latest evaluation, None if not evaluated
    supplier_spend: float | None = None
    supplier_spend_local: float | None = None  # spend with suppliers inside the region
    revenue: float | None = None
    service_revenue: float | None = None


@dataclass(frozen=True)
class IndicatorValue:
    value: float | None
    basis: int  # enterprises (or statistics) the value rests on
    note: str = ""


def _ratio(pairs: Iterable[tuple[float | None, float | None]]) -> tuple[float | None, int]:
    num = den = 0.0
    n = 0
    for a, b in pairs:
        if a is None or b is None or b <= 0:
            continue
        num, den, n = num + a, den + b, n + 1
    return (num / den if n else None), n


def regional_indicators(region: Region, records: Sequence[EnterpriseRecord], year: int) -> dict[str, IndicatorValue]:
    """The indicators of one region in one year from its enterprises' records (others are ignored)."""
    if region.area_km2 <= 0:
        raise RegionalInvalid(f"region {region.code}: area must be positive", "bad_area")
    mine = [r for r in records if r.region == region.code and r.year == year]
    som = [r for r in mine if r.som]
    out: dict[str, IndicatorValue] = {}
    out["som_density"] = IndicatorValue(len(som) / region.area_km2, len(som))
    for r in mine:
        if (r.supplier_spend_local is not None and r.supplier_spend is not None
                and not 0 <= r.supplier_spend_local <= r.supplier_spend):
            raise RegionalInvalid(f"{r.enterprise} {year}: local supplier spend must lie between 0 and the total",
                                  "bad_spend", {"enterprise": r.enterprise})
    rate, n = _ratio((r.supplier_spend_local, r.supplier_spend) for r in mine)
    out["local_collaboration_rate"] = IndicatorValue(rate, n, "" if n else "no enterprise reports supplier spend")
    platforms = region.statistic("service_platforms", year)
    out["service_platforms_per_1000km2"] = IndicatorValue(
        None if platforms is None else platforms / region.area_km2 * 1000, 0 if platforms is None else 1,
        "" if platforms is not None else "no service_platforms statistic")
    out["leading_brand_count"] = IndicatorValue(float(sum(r.leading_brand for r in mine)), len(mine))
    out["demonstration_count"] = IndicatorValue(float(sum(r.demonstration for r in mine)), len(mine))
    levels = [r.maturity_level for r in som if r.maturity_level is not None]
    out["average_maturity"] = IndicatorValue(float(np.mean(levels)) if levels else None, len(levels),
                                             "" if levels else "no evaluated enterprise")
    manufacturers = region.statistic("manufacturing_enterprises", year)
    out["som_enterprise_share"] = IndicatorValue(
        len(som) / manufacturers if manufacturers else None, len(som),
        "" if manufacturers else "no manufacturing_enterprises statistic")
    share, n = _ratio((r.service_revenue, r.revenue) for r in som)
    out["service_revenue_share"] = IndicatorValue(share, n, "" if n else "no enterprise reports revenue")
    return out


@dataclass(frozen=True)
class RegionYear:
    region: str
    year: int
    indicators: dict[str, IndicatorValue]
    normalised: dict[str, float | None]  # 0-1 over all rows evaluated together
    dimensions: dict[str, float | None]  # 0-100
    coverage: dict[str, float]  # per dimension and "index": weight share of indicators with data
    index: float | None  # 0-100
    rank: int | None = None  # within the year; None without an index


@dataclass(frozen=True)
class RegionalEvaluation:
    rows: list[RegionYear]

    def year(self, year: int) -> list[RegionYear]:
        return sorted((r for r in self.rows if r.year == year), key=lambda r: (r.rank is None, r.rank or 0))

    def get(self, region: str, year: int) -> RegionYear:
        for r in self.rows:
            if r.region == region and r.year == year:
                return r
        raise KeyError((region, year))


def _weighted(pairs: list[tuple[float, float | None]]) -> tuple[float | None, float]:
    total = sum(w for w, _ in pairs)
    have = [(w, v) for w, v in pairs if v is not None]
    if not have:
        return None, 0.0
    hw = sum(w for w, _ in have)
    return sum(w * v for w, v in have) / hw, hw / total


def evaluate_regions(
    regions: Sequence[Region],
    records: Sequence[EnterpriseRecord],
    years: Sequence[int],
    *,
    indicator_weights: Mapping[str, float] | None = None,
    dimension_weights: Mapping[str, float] | None = None,
) -> RegionalEvaluation:
    """Indicators, dimension scores, index and per-year rank of every region in every year."""
    for r in regions:
        validate_region_code(r.code)
    codes = [r.code for r in regions]
    if len(set(codes)) != len(codes):
        raise RegionalInvalid("region codes repeat", "duplicate_region")
    unknown = {r.region for r in records} - set(codes)
    if unknown:
        raise RegionalInvalid(f"records name regions that are not evaluated: {sorted(unknown)}", "unknown_region")
    iw = {k: v[1] for k, v in INDICATORS.items()} | dict(indicator_weights or {})
    dw = dict(DIMENSION_WEIGHTS) | dict(dimension_weights or {})
    if set(iw) != set(INDICATORS) or set(dw) != set(DIMENSIONS) or min(iw.values()) < 0 or min(dw.values()) < 0:
        raise RegionalInvalid("weights must be non-negative and name known indicators and dimensions", "bad_weights")
    raw = [(reg.code, y, regional_indicators(reg, records, y)) for y in years for reg in regions]
    # min-max over all rows evaluated together; an indicator equal everywhere gives 1 (no one is behind)
    lo: dict[str, float] = {}
    hi: dict[str, float] = {}
    for name in INDICATORS:
        vals = [ind[name].value for _, _, ind in raw if ind[name].value is not None]
        if vals:
            lo[name], hi[name] = min(vals), max(vals)
    rows = []
    for code, y, ind in raw:
        norm: dict[str, float | None] = {}
        for name in INDICATORS:
            v = ind[name].value
            if v is None:
                norm[name] = None
            else:
                norm[name] = 1.0 if hi[name] == lo[name] else (v - lo[name]) / (hi[name] - lo[name])
        dims: dict[str, float | None] = {}
        cov: dict[str, float] = {}
        for d in DIMENSIONS:
            s, c = _weighted([(iw[n], None if norm[n] is None else 100 * norm[n])
                              for n, spec in INDICATORS.items() if spec[0] == d])
            dims[d], cov[d] = s, c
        index, _ = _weighted([(dw[d], dims[d]) for d in DIMENSIONS])
        # index coverage: global weight share of the indicators with data
        cov["index"] = sum(dw[d] / sum(dw.values()) * cov[d] for d in DIMENSIONS)
        rows.append(RegionYear(code, y, ind, norm, dims, cov, index))
    ranked = []
    for y in years:
        this = [r for r in rows if r.year == y]
        scored = [r for r in this if r.index is not None]
        ranks = scipy.stats.rankdata([-r.index for r in scored], method="min").astype(int) if scored else []
        rank_of = {r.region: int(k) for r, k in zip(scored, ranks, strict=True)}
        ranked += [RegionYear(r.region, r.year, r.indicators, r.normalised, r.dimensions, r.coverage, r.index,
                              rank_of.get(r.region)) for r in this]
    return RegionalEvaluation(ranked)


@dataclass(frozen=True)
class Change:
    region: str
    indicator: str  # an indicator, a dimension, or "index"
    previous: float | None
    current: float | None

    @property
    def delta(self) -> float | None:
        return None if self.previous is None or self.current is None else self.current - self.previous

    @property
    def relative(self) -> float | None:
        d = self.delta
        return None if d is None or not self.previous else d / abs(self.previous)


def year_over_year(evaluation: RegionalEvaluation, year: int, previous: int) -> dict[str, dict[str, Any]]:
    """Per region: indicator, dimension and index changes from ``previous`` to ``year``, and the rank
    change (positive = moved up). Both years must be in the same evaluation (comparable scales)."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    now = {r.region: r for r in evaluation.rows if r.year == year}
    before = {r.region: r for r in evaluation.rows if r.year == previous}
    if not now or not before:
        raise RegionalInvalid(f"the evaluation has no rows for {year} or {previous}", "missing_year")
    for code, cur in now.items():
        prev = before.get(code)
        changes = [Change(code, n, None if prev is None else prev.indicators[n].value, cur.indicators[n].value)
                   for n in INDICATORS]
        changes += [Change(code, d, None if prev is None else prev.dimensions[d], cur.dimensions[d])
                    for d in DIMENSIONS]
        changes.append(Change(code, "index", None if prev is None else prev.index, cur.index))
        rank_change = None if prev is None or prev.rank is None or cur.rank is None else prev.rank - cur.rank
        out[code] = {"changes": {c.indicator: c for c in changes}, "rank": cur.rank,
                     "previous_rank": None if prev is None else prev.rank, "rank_change": rank_change}
    return dict(out)
