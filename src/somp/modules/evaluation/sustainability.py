"""Sustainability indicators (framework node 1.3.3, 可持续发展评价): environmental, social and
governance indicators of one enterprise and year, from the figures it reports and its carbon
footprint (:mod:`.carbon`). Pure: no database, no web framework.

Every indicator has a definition, a formula over named figures, a unit, a direction and the
published definition it follows (GRI Standards, OSHA recordkeeping, the GHG Protocol, China's
comprehensive energy consumption of GB/T 2589). A figure that is not reported makes the indicators
that need it **missing** (with the figures named), never zero; a zero denominator likewise.

:func:`compute` returns the values; :func:`sustainability_system` is the default ESG indicator
system (``data/sustainability_default.yaml``, dimensions E, S and G) that scores them with the
engine of :mod:`.indicators`, so the E/S/G scores follow the same rules as the maturity evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from somp.modules.evaluation import indicators as ind


@dataclass(frozen=True)
class Figure:
    code: str
    zh: str
    en: str
    unit: str


FIGURES: tuple[Figure, ...] = (
    Figure("revenue", "营业收入", "Operating revenue", "10k CNY"),
    Figure("energy_tce", "综合能源消费量", "Comprehensive energy consumption", "tce"),
    Figure("electricity_kwh", "用电量", "Electricity consumed", "kWh"),
    Figure("renewable_electricity_kwh", "可再生能源电力", "Renewable electricity consumed", "kWh"),
    Figure("water_m3", "取水量", "Water withdrawal", "m3"),
    Figure("waste_t", "一般及危险废物产生量", "Waste generated", "t"),
    Figure("waste_recycled_t", "废物综合利用量", "Waste recycled or recovered", "t"),
    Figure("employees", "平均从业人数", "Average number of employees", "persons"),
    Figure("hours_worked", "总工时", "Hours worked by all employees", "h"),
    Figure("recordable_injuries", "可记录工伤数", "Recordable work-related injuries", "cases"),
    Figure("lost_time_injuries", "损工工伤数", "Lost-time injuries", "cases"),
    Figure("training_hours", "培训总学时", "Training hours of all employees", "h"),
    Figure("leavers", "离职人数", "Employees who left", "persons"),
    Figure("board_members", "董事会成员数", "Board members", "persons"),
    Figure("independent_directors", "独立董事数", "Independent directors", "persons"),
    Figure("female_directors", "女性董事数", "Female directors", "persons"),
    Figure("compliance_incidents", "重大违规事件数", "Significant non-compliance incidents", "cases"),
    Figure("anticorruption_trained", "接受反腐败培训人数", "Employees trained on anti-corruption", "persons"),
)
FIGURE_CODES = {f.code for f in FIGURES}
COUNTS = {"employees", "recordable_injuries", "lost_time_injuries", "leavers", "board_members",
          "independent_directors", "female_directors", "compliance_incidents", "anticorruption_trained"}  # fmt: skip


@dataclass(frozen=True)
class IndicatorDef:
    code: str
    dimension: str  # E, S, G
    zh: str
    en: str
    unit: str
    direction: str  # benefit / cost
    needs: tuple[str, ...]
    formula: str
    reference: str
    fn: Callable[..., float]


def _ratio(a: float, b: float) -> float:
    return a / b


INDICATORS: tuple[IndicatorDef, ...] = (
    IndicatorDef("E1", "E", "单位营业收入碳排放", "Carbon intensity of revenue", "t CO2e / 10k CNY", "cost",
                 ("carbon_t", "revenue"), "scope 1 + 2 + 3 t CO2e / revenue (10k CNY)",
                 "GHG Protocol Corporate Standard (scopes); 万元产值碳排放", _ratio),
    IndicatorDef("E2", "E", "单位营业收入综合能耗", "Energy intensity of revenue", "tce / 10k CNY", "cost",
                 ("energy_tce", "revenue"), "comprehensive energy consumption (tce) / revenue (10k CNY)",
                 "GB/T 2589-2020 综合能耗计算通则; 万元产值综合能耗", _ratio),
    IndicatorDef("E3", "E", "可再生能源电力占比", "Renewable electricity share", "ratio", "benefit",
                 ("renewable_electricity_kwh", "electricity_kwh"), "renewable electricity / electricity consumed",
                 "GRI 302-1 (energy consumption within the organisation)", _ratio),
    IndicatorDef("E4", "E", "单位营业收入取水量", "Water intensity of revenue", "m3 / 10k CNY", "cost",
                 ("water_m3", "revenue"), "water withdrawal (m3) / revenue (10k CNY)",
                 "GRI 303-3 (water withdrawal)", _ratio),
    IndicatorDef("E5", "E", "废物综合利用率", "Waste recycling rate", "ratio", "benefit",
                 ("waste_recycled_t", "waste_t"), "waste recycled or recovered / waste generated",
                 "GRI 306-4 (waste diverted from disposal)", _ratio),
    IndicatorDef("S1", "S", "可记录工伤率", "Recordable work-related injury rate", "per 200,000 h", "cost",
                 ("recordable_injuries", "hours_worked"), "recordable injuries x 200,000 / hours worked",
                 "OSHA incidence rate (N/EH) x 200,000; GRI 403-9", lambda n, h: n * 200_000 / h),
    IndicatorDef("S2", "S", "损工工伤频率", "Lost-time injury frequency rate", "per 1,000,000 h", "cost",
                 ("lost_time_injuries", "hours_worked"), "lost-time injuries x 1,000,000 / hours worked",
                 "GRI 403-9 (rate per 1,000,000 hours worked)", lambda n, h: n * 1_000_000 / h),
    IndicatorDef("S3", "S", "人均培训学时", "Training hours per employee", "h / person", "benefit",
                 ("training_hours", "employees"), "training hours / average number of employees",
                 "GRI 404-1 (average hours of training per year per employee)", _ratio),
    IndicatorDef("S4", "S", "员工流失率", "Employee turnover rate", "ratio", "cost",
                 ("leavers", "employees"), "employees who left / average number of employees",
                 "GRI 401-1 (employee turnover)", _ratio),
    IndicatorDef("G1", "G", "独立董事占比", "Board independence", "ratio", "benefit",
                 ("independent_directors", "board_members"), "independent directors / board members",
                 "GRI 2-9 (governance structure); 上市公司独立董事管理办法: at least one third", _ratio),
    IndicatorDef("G2", "G", "女性董事占比", "Women on the board", "ratio", "benefit",
                 ("female_directors", "board_members"), "female directors / board members",
                 "GRI 405-1 (diversity of governance bodies)", _ratio),
    IndicatorDef("G3", "G", "重大违规事件数", "Significant non-compliance incidents", "cases", "cost",
                 ("compliance_incidents",), "significant instances of non-compliance with laws and regulations",
                 "GRI 2-27 (compliance with laws and regulations)", lambda n: n),
    IndicatorDef("G4", "G", "反腐败培训覆盖率", "Anti-corruption training coverage", "ratio", "benefit",
                 ("anticorruption_trained", "employees"), "employees trained on anti-corruption / employees",
                 "GRI 205-2 (communication and training about anti-corruption)", _ratio),
)  # fmt: skip
BY_CODE = {i.code: i for i in INDICATORS}


class FiguresInvalid(ValueError):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors
        self.code = "invalid_figures"


def validate_figures(figures: Mapping[str, Any]) -> dict[str, float | None]:
    """The figures as numbers (None = not reported); unknown names, negative or non-finite values,
    fractional counts and parts larger than their whole are refused together."""
    errors: list[str] = []
    out: dict[str, float | None] = {}
    for k, v in figures.items():
        if k not in FIGURE_CODES:
            errors.append(f"{k}: unknown figure (known: {', '.join(sorted(FIGURE_CODES))})")
            continue
        if v is None:
            out[k] = None
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            errors.append(f"{k}: {v!r} is not a non-negative number")
            continue
        if k in COUNTS and float(v) != int(v):
            errors.append(f"{k}: {v!r} is a count and must be whole")
            continue
        out[k] = float(v)
    parts = [("renewable_electricity_kwh", "electricity_kwh"), ("waste_recycled_t", "waste_t"),
             ("independent_directors", "board_members"), ("female_directors", "board_members"),
             ("lost_time_injuries", "recordable_injuries"), ("anticorruption_trained", "employees")]  # fmt: skip
    for part, whole in parts:
        if out.get(part) is not None and out.get(whole) is not None and out[part] > out[whole]:  # type: ignore[operator]
            errors.append(f"{part} ({out[part]:g}) exceeds {whole} ({out[whole]:g})")
    if errors:
        raise FiguresInvalid(errors)
    return out


@dataclass(frozen=True)
class Value:
    code: str
    value: float | None
    inputs: dict[str, float | None]
    note: str = ""


def compute(figures: Mapping[str, float | None], carbon_t: float | None = None) -> dict[str, Value]:
    """Every indicator of :data:`INDICATORS` from validated figures and the footprint's total
    (t CO2e; None when no footprint was computed)."""
    known: dict[str, float | None] = {**figures, "carbon_t": carbon_t}
    out: dict[str, Value] = {}
    for d in INDICATORS:
        args = {n: known.get(n) for n in d.needs}
        absent = [n for n, v in args.items() if v is None]
        if absent:
            out[d.code] = Value(d.code, None, args, "not reported: " + ", ".join(absent))
        elif len(d.needs) > 1 and args[d.needs[-1]] == 0:
            out[d.code] = Value(d.code, None, args, f"{d.needs[-1]} is zero")
        else:
            out[d.code] = Value(d.code, float(d.fn(*args.values())), args)
    return out


@lru_cache(maxsize=1)
def sustainability_system() -> ind.IndicatorSystem:
    """The default ESG indicator system (E, S, G) that scores :data:`INDICATORS`."""
    text = (files("somp.modules.evaluation") / "data" / "sustainability_default.yaml").read_text(encoding="utf-8")
    return ind.load_system(text)


def score(values: Mapping[str, Value]) -> ind.Evaluation:
    """E/S/G and total scores (0-100, weighted means over the indicators with data, with coverage)."""
    return ind.score(sustainability_system(), {k: v.value for k, v in values.items()})
