"""Indicator systems as data, and scoring an enterprise against one (framework node 1.3.1, enterprise
maturity evaluation 成熟度评价; the same structure serves 1.3.3 and 1.3.4). Pure: pydantic and PyYAML;
no database, no web framework.

An :class:`IndicatorSystem` is a tree dimension > sub-dimension > indicator. Each indicator has a
code, zh/en names and definition, a unit, a direction (benefit/cost), a source (a questionnaire
answer, an uploaded figure, or a value computed from platform data by a named function in
:data:`PLATFORM_FUNCTIONS`; an uploaded or computed one may name the financial-statement measure in
:data:`STATEMENT_MEASURES` that fills it), a scoring rule and a weight (relative to its siblings; weights are
normalised among siblings, so points out of 100 work as well as fractions). Scoring rules map a value
to 0-100:

* ``thresholds``: steps ``[{at, score}]``; the score of the last step reached (benefit: value >= at;
  cost: value <= at), ``below`` when none is;
* ``linear``: 100 x (value - worst) / (best - worst), clipped to 0-100 (a linear band);
* ``levels``: the value is a level answered from bilingual level criteria (1..N; 0 for "none of
  these"); score = 100 x level / N.

Systems are versioned: :attr:`IndicatorSystem.content_hash` is a hash of the canonical content, so an
evaluation records exactly what it used (:func:`load_system` / :func:`dump_system` for YAML).

:func:`score` scores an enterprise: a value that is absent (``None`` or NaN) is reported as missing
and never scored as zero. A parent's score is the weighted mean over the children that have data, and
every node reports its coverage (the weight share of its children with data). The maturity level is
the highest of the system's levels (GB/T 39116-style, five levels) whose criteria, and those of all
lower levels, are met; a criterion on a missing value is not met and is listed as missing.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_serializer, model_validator

from somp.modules.evaluation.mcda import Direction

FORMAT = "somp.indicators/1"
# libyaml's safe loader and dumper when PyYAML was built with it (about 10x faster), else PyYAML's own
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Functions of the platform that compute an indicator from measured data; each is implemented in
# somp.modules.evaluation.platform_data (which reuses the brand KPIs of somp.modules.kpis).
PLATFORM_FUNCTIONS: dict[str, str] = {
    "service_revenue_share": "service revenue / (service + product revenue) of issued invoices in the period",
    "repurchase_rate": "customers with a purchase before the period that purchased again within it",
    "service_profit_margin": "(service revenue - service cost) / service revenue in the period (missing without costs)",
    "sla_attainment": "contract-months with the SLA attained (stored by pss), else work orders resolved in time",
    "connected_asset_share": "share of installed assets with a live device token at the period's end",
    "predictive_work_order_share": "share of maintenance work orders of kind predictive or opened by a prediction",
    "mean_time_to_repair_hours": "mean hours from opening to resolution of corrective/predictive work orders",
    "first_time_fix_rate": "share of work orders resolved at the first visit (visits not recorded yet)",
    "contract_renewal_rate": "share of service contracts ending in the period that were renewed",
    "customer_satisfaction": "mean score of customer surveys in the period, 0-100 (surveys not recorded yet)",
    "service_contract_revenue_growth": "growth of service revenue under contracts over the previous period",
}


# Measures of an uploaded financial statement (1.3.2, :mod:`.enterprise_io`) that can fill an
# uploaded indicator (or a computed one while the platform has no value): ``source.statement``.
STATEMENT_MEASURES: dict[str, str] = {
    "service_revenue_share": "service revenue / operating revenue of the statement of the evaluation's year",
    "service_revenue_growth": "service revenue of the year's statement / that of the previous year's statement - 1",
    "service_input_ratio": "purchased services / intermediate inputs of the year's statement",
    "service_value_added_share": "service value added / operating revenue of the year's statement",
}


class SourceKind(StrEnum):
    questionnaire = "questionnaire"  # 问卷: answered by the enterprise, reviewed by the evaluator
    uploaded = "uploaded"  # 填报: a figure the enterprise uploads (financial statement...)
    computed = "computed"  # 平台计算: computed from platform data by a named function


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Model):
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Source(_Model):
    kind: SourceKind
    function: str | None = None  # computed: a name in PLATFORM_FUNCTIONS
    question: Text | None = None  # questionnaire: the question put to the enterprise
    statement: str | None = None  # uploaded or computed: a measure in STATEMENT_MEASURES that fills it

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict[str, Any]:
        data = handler(self)
        if data.get("statement") is None:
            data.pop("statement", None)  # systems without it keep their content hash
        return data

    @model_validator(mode="after")
    def _check(self) -> Source:
        if self.statement is not None:
            if self.kind is SourceKind.questionnaire:
                raise ValueError("a questionnaire indicator is not filled from a financial statement")
            if self.statement not in STATEMENT_MEASURES:
                raise ValueError(f"unknown statement measure {self.statement!r}; known: {sorted(STATEMENT_MEASURES)}")
        if self.kind is SourceKind.computed:
            if self.function is None:
                raise ValueError("a computed indicator names its platform function")
            if self.function not in PLATFORM_FUNCTIONS:
                raise ValueError(f"unknown platform function {self.function!r}; known: {sorted(PLATFORM_FUNCTIONS)}")
        elif self.function is not None:
            raise ValueError("only a computed indicator names a platform function")
        if self.kind is SourceKind.questionnaire and self.question is None:
            raise ValueError("a questionnaire indicator has a question (zh and en)")
        return self


class Step(_Model):
    at: float
    score: float = Field(ge=0, le=100)


class ThresholdRule(_Model):
    kind: Literal["thresholds"]
    steps: list[Step] = Field(min_length=1)
    below: float = Field(0.0, ge=0, le=100)


class LinearRule(_Model):
    kind: Literal["linear"]
    worst: float
    best: float

    @model_validator(mode="after")
    def _check(self) -> LinearRule:
        if self.worst == self.best:
            raise ValueError("a linear band needs worst != best")
        return self


class LevelOption(_Model):
    level: int = Field(ge=1)
    description: Text


class LevelRule(_Model):
    kind: Literal["levels"]
    levels: list[LevelOption] = Field(min_length=2)

    @model_validator(mode="after")
    def _check(self) -> LevelRule:
        if [o.level for o in self.levels] != list(range(1, len(self.levels) + 1)):
            raise ValueError("levels are numbered 1, 2, ... N in order")
        return self


Rule = Annotated[ThresholdRule | LinearRule | LevelRule, Field(discriminator="kind")]


class Indicator(_Model):
    code: str = Field(min_length=1)
    name: Text
    definition: Text
    unit: str = ""
    direction: Direction = Direction.benefit
    source: Source
    rule: Rule
    weight: float = Field(gt=0)

    @model_validator(mode="after")
    def _check(self) -> Indicator:
        r = self.rule
        if isinstance(r, ThresholdRule):
            ats = [s.at for s in r.steps]
            want = sorted(ats) if self.direction is Direction.benefit else sorted(ats, reverse=True)
            if ats != want or len(set(ats)) != len(ats):
                raise ValueError(f"threshold steps of a {self.direction.value} indicator must be strictly "
                                 f"{'increasing' if self.direction is Direction.benefit else 'decreasing'}")
        if isinstance(r, LinearRule) and (r.best > r.worst) != (self.direction is Direction.benefit):
            raise ValueError(f"linear band best={r.best} worst={r.worst} contradicts direction {self.direction.value}")
        if isinstance(r, LevelRule) and self.direction is not Direction.benefit:
            raise ValueError("a level-criteria indicator is a benefit indicator (higher level is better)")
        return self


class SubDimension(_Model):
    code: str = Field(min_length=1)
    name: Text
    weight: float = Field(gt=0)
    indicators: list[Indicator] = Field(min_length=1)


class Dimension(_Model):
    code: str = Field(min_length=1)
    name: Text
    weight: float = Field(gt=0)
    subdimensions: list[SubDimension] = Field(min_length=1)


class Criterion(_Model):
    """One condition of a maturity level, on an indicator's value or score, a node's score (dimension
    or sub-dimension code) or the total score (``target: total``)."""

    target: str
    min_value: float | None = None
    max_value: float | None = None
    min_score: float | None = Field(None, ge=0, le=100)
    note: Text | None = None

    @model_validator(mode="after")
    def _check(self) -> Criterion:
        if (self.min_value, self.max_value, self.min_score) == (None, None, None):
            raise ValueError(f"criterion on {self.target!r} needs min_value, max_value or min_score")
        return self


class Level(_Model):
    level: int = Field(ge=1)
    name: Text
    description: Text | None = None
    min_coverage: float = Field(0.0, ge=0, le=1)  # weight share of indicators with data
    criteria: list[Criterion] = []


class IndicatorSystem(_Model):
    format: Literal["somp.indicators/1"] = FORMAT
    code: str = Field(min_length=1)
    version: str = Field(min_length=1)
    framework: str = ""
    name: Text
    description: Text | None = None
    levels: list[Level] = []
    dimensions: list[Dimension] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> IndicatorSystem:
        codes = [self.code] + [d.code for d in self.dimensions]
        codes += [s.code for d in self.dimensions for s in d.subdimensions]
        codes += [i.code for i in self.indicators()]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup or "total" in codes:
            raise ValueError(f"codes must be unique and not 'total': {dup or ['total']}")
        if [lv.level for lv in self.levels] != list(range(1, len(self.levels) + 1)):
            raise ValueError("maturity levels are numbered 1, 2, ... N in order")
        known = set(codes) | {"total"}
        for lv in self.levels:
            for c in lv.criteria:
                if c.target not in known:
                    raise ValueError(f"level {lv.level} criterion names unknown code {c.target!r}")
                if c.target not in self._indicator_codes() and (c.min_value, c.max_value) != (None, None):
                    raise ValueError(f"level {lv.level}: min_value/max_value apply to indicators, not {c.target!r}")
        return self

    def indicators(self) -> list[Indicator]:
        return [i for d in self.dimensions for s in d.subdimensions for i in s.indicators]

    def _indicator_codes(self) -> set[str]:
        return {i.code for i in self.indicators()}

    def indicator(self, code: str) -> Indicator:
        for i in self.indicators():
            if i.code == code:
                return i
        raise KeyError(code)

    @property
    def content_hash(self) -> str:
        """sha256 (first 16 hex digits) of the canonical JSON of the whole system."""
        canon = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canon.encode()).hexdigest()[:16]


# ---- YAML ---------------------------------------------------------------------------------------------


class SystemInvalid(ValueError):
    """A system file that does not validate; ``errors`` lists ``path: message`` lines."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("indicator system is invalid:\n  " + "\n  ".join(errors))
        self.errors = errors
        self.code = "system_invalid"


def _where(loc: Iterable[Any], data: Any) -> str:
    """A readable path: dimensions[0](SO).subdimensions[1](SO2).indicators[0](SO2.1).weight"""
    parts, node, prev = [], data, None
    for p in loc:
        if prev == "rule" and isinstance(node, dict) and node.get("kind") == p:
            prev = None
            continue  # the tag pydantic adds for a discriminated union (rule.thresholds.steps)
        prev = p
        if isinstance(p, int):
            node = node[p] if isinstance(node, list) and p < len(node) else None
            code = node.get("code") if isinstance(node, dict) else None
            parts[-1] = f"{parts[-1]}[{p}]" + (f"({code})" if code else "") if parts else f"[{p}]"
        else:
            node = node.get(p) if isinstance(node, dict) else None
            parts.append(str(p))
    return ".".join(parts)


def parse_system(data: Mapping[str, Any]) -> IndicatorSystem:
    try:
        return IndicatorSystem.model_validate(data)
    except ValidationError as e:
        lines = [f"{_where(err['loc'], data) or '(system)'}: {err['msg']}" for err in e.errors()]
        raise SystemInvalid(lines) from None


def load_system(text: str) -> IndicatorSystem:
    """An :class:`IndicatorSystem` from YAML text; :class:`SystemInvalid` with every error otherwise."""
    try:
        data = yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader (libyaml's when present)
    except yaml.YAMLError as e:
        raise SystemInvalid([f"not valid YAML: {e}"]) from None
    if not isinstance(data, dict):
        raise SystemInvalid(["the file must be a mapping (code, version, name, levels, dimensions)"])
    return parse_system(data)


def dump_system(system: IndicatorSystem) -> str:
    """YAML text of a system (round-trips through :func:`load_system` with the same content hash)."""
    data = system.model_dump(mode="json", exclude_defaults=False)
    return yaml.dump(data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=120)


def global_weights(system: IndicatorSystem) -> dict[str, float]:
    """Each indicator's weight in the total: the product of the sibling-normalised weights on its path."""
    out = {}
    dw = sum(d.weight for d in system.dimensions)
    for d in system.dimensions:
        sw = sum(s.weight for s in d.subdimensions)
        for s in d.subdimensions:
            iw = sum(i.weight for i in s.indicators)
            for i in s.indicators:
                out[i.code] = d.weight / dw * s.weight / sw * i.weight / iw
    return out


def set_weights(system: IndicatorSystem, parent: str, weights: Mapping[str, float]) -> IndicatorSystem:
    """A copy of ``system`` with new weights for the children of ``parent`` (a dimension or
    sub-dimension code, or ``total`` for the dimensions), e.g. ``ahp(matrix, codes).weights_by_name()``.
    ``weights`` must name exactly those children. The copy has a new content hash."""
    data = system.model_dump(mode="json")
    if parent == "total":
        children = data["dimensions"]
    else:
        nodes = {d["code"]: d["subdimensions"] for d in data["dimensions"]}
        nodes |= {s["code"]: s["indicators"] for d in data["dimensions"] for s in d["subdimensions"]}
        if parent not in nodes:
            raise KeyError(f"no dimension or sub-dimension {parent!r}")
        children = nodes[parent]
    codes = [c["code"] for c in children]
    if sorted(codes) != sorted(weights):
        raise KeyError(f"weights must name exactly the children of {parent}: {codes}")
    for c in children:
        c["weight"] = float(weights[c["code"]])
    return parse_system(data)


def default_maturity_system() -> IndicatorSystem:
    """The default 1.3.1 enterprise maturity system shipped in data/maturity_default.yaml."""
    text = resources.files("somp.modules.evaluation").joinpath("data/maturity_default.yaml").read_text("utf-8")
    return load_system(text)


def questionnaire(system: IndicatorSystem) -> list[dict[str, Any]]:
    """The bilingual questionnaire of a system: one item per questionnaire indicator, with its answer
    options (level criteria) or its unit."""
    items = []
    for ind in system.indicators():
        if ind.source.kind is not SourceKind.questionnaire:
            continue
        item: dict[str, Any] = {"code": ind.code, "question": ind.source.question.model_dump(), "unit": ind.unit}
        if isinstance(ind.rule, LevelRule):
            item["options"] = [{"value": 0, "zh": "以上均不符合", "en": "none of these"}] + [
                {"value": o.level, **o.description.model_dump()} for o in ind.rule.levels
            ]
        items.append(item)
    return items


# ---- scoring ------------------------------------------------------------------------------------------


class Status(StrEnum):
    scored = "scored"
    missing = "missing"  # no value: not scored, excluded from the parent's mean, lowers coverage
    invalid = "invalid"  # a value the rule cannot score (e.g. level 7 of 5): reported, treated as missing


class CriterionStatus(StrEnum):
    met = "met"
    not_met = "not_met"
    missing = "missing"


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def score_value(indicator: Indicator, value: float) -> float:
    """The 0-100 score of one value under the indicator's rule (ValueError for a value it cannot score)."""
    r = indicator.rule
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{indicator.code}: value {value!r} is not a finite number")
    if isinstance(r, ThresholdRule):
        benefit = indicator.direction is Direction.benefit
        reached = [s.score for s in r.steps if (v >= s.at if benefit else v <= s.at)]
        return reached[-1] if reached else r.below
    if isinstance(r, LinearRule):
        return 100.0 * min(1.0, max(0.0, (v - r.worst) / (r.best - r.worst)))
    top = len(r.levels)
    if v != int(v) or not 0 <= v <= top:
        raise ValueError(f"{indicator.code}: level answer must be a whole number 0-{top}, got {value!r}")
    return 100.0 * v / top


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    status: Status
    value: float | None
    score: float | None
    source: SourceKind
    weight: float  # global weight: product of the normalised weights down the tree
    message: str = ""


@dataclass(frozen=True)
class NodeResult:
    """A dimension, sub-dimension or the total: weighted mean of the children that have data."""

    code: str
    score: float | None  # None when no child has data
    coverage: float  # weight share (0-1) of the leaf indicators below with data
    scored: int
    missing: int


@dataclass(frozen=True)
class CriterionResult:
    level: int
    target: str  # an indicator or node code, "total", or "coverage" (the level's min_coverage)
    status: CriterionStatus
    observed: float | None  # the value, score or coverage compared
    required: dict[str, float]  # e.g. {"min_value": 0.3}


@dataclass(frozen=True)
class Evaluation:
    system_code: str
    system_version: str
    content_hash: str
    total: NodeResult
    dimensions: dict[str, NodeResult]
    subdimensions: dict[str, NodeResult]
    indicators: dict[str, IndicatorResult]
    level: int  # 0: not even level 1 reached
    criteria: list[CriterionResult] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        return [c for c, r in self.indicators.items() if r.status is not Status.scored]

    def next_level_gaps(self) -> list[CriterionResult]:
        """The criteria of the next level that are not met (what to improve, or to supply)."""
        return [c for c in self.criteria if c.level == self.level + 1 and c.status is not CriterionStatus.met]


def _mean(children: list[tuple[float, float | None]]) -> float | None:
    have = [(w, s) for w, s in children if s is not None]
    total = sum(w for w, _ in have)
    return sum(w * s for w, s in have) / total if have else None


def score(system: IndicatorSystem, values: Mapping[str, float | None]) -> Evaluation:
    """Score one enterprise's indicator values (by indicator code) against ``system``.

    Codes in ``values`` that the system does not have raise KeyError (a typo must not pass silently).
    """
    unknown = set(values) - system._indicator_codes()
    if unknown:
        raise KeyError(f"values for codes the system does not have: {sorted(unknown)}")
    inds: dict[str, IndicatorResult] = {}
    subs: dict[str, NodeResult] = {}
    dims: dict[str, NodeResult] = {}
    dim_children: list[tuple[float, float | None]] = []
    covered_total = 0.0
    counts_total = [0, 0]
    dw_sum = sum(d.weight for d in system.dimensions)
    for d in system.dimensions:
        sw_sum = sum(s.weight for s in d.subdimensions)
        sub_children: list[tuple[float, float | None]] = []
        d_cov, d_counts = 0.0, [0, 0]
        for s in d.subdimensions:
            iw_sum = sum(i.weight for i in s.indicators)
            ind_children: list[tuple[float, float | None]] = []
            s_cov, s_counts = 0.0, [0, 0]
            for ind in s.indicators:
                gw = (d.weight / dw_sum) * (s.weight / sw_sum) * (ind.weight / iw_sum)
                raw = values.get(ind.code)
                if _is_missing(raw):
                    res = IndicatorResult(ind.code, Status.missing, None, None, ind.source.kind, gw, "no value")
                else:
                    try:
                        res = IndicatorResult(ind.code, Status.scored, float(raw), score_value(ind, raw),
                                              ind.source.kind, gw)
                    except (TypeError, ValueError) as e:
                        res = IndicatorResult(ind.code, Status.invalid, None, None, ind.source.kind, gw, str(e))
                inds[ind.code] = res
                ind_children.append((ind.weight, res.score))
                if res.status is Status.scored:
                    s_cov += ind.weight / iw_sum
                    s_counts[0] += 1
                else:
                    s_counts[1] += 1
            subs[s.code] = NodeResult(s.code, _mean(ind_children), s_cov, *s_counts)
            sub_children.append((s.weight, subs[s.code].score))
            d_cov += s.weight / sw_sum * s_cov
            d_counts = [d_counts[0] + s_counts[0], d_counts[1] + s_counts[1]]
        dims[d.code] = NodeResult(d.code, _mean(sub_children), d_cov, *d_counts)
        dim_children.append((d.weight, dims[d.code].score))
        covered_total += d.weight / dw_sum * d_cov
        counts_total = [counts_total[0] + d_counts[0], counts_total[1] + d_counts[1]]
    total = NodeResult("total", _mean(dim_children), covered_total, *counts_total)
    level, crit = _maturity(system, total, dims | subs, inds)
    return Evaluation(system.code, system.version, system.content_hash, total, dims, subs, inds, level, crit)


def _check(c: Criterion, level: int, nodes: Mapping[str, NodeResult], inds: Mapping[str, IndicatorResult],
           total: NodeResult) -> CriterionResult:
    req = {k: v for k, v in (("min_value", c.min_value), ("max_value", c.max_value), ("min_score", c.min_score))
           if v is not None}
    if c.target in inds:
        r = inds[c.target]
        if r.status is not Status.scored:
            return CriterionResult(level, c.target, CriterionStatus.missing, None, req)
        checks = []
        if c.min_value is not None:
            checks.append(r.value >= c.min_value)
        if c.max_value is not None:
            checks.append(r.value <= c.max_value)
        if c.min_score is not None:
            checks.append(r.score >= c.min_score)
        return CriterionResult(level, c.target, CriterionStatus.met if all(checks) else CriterionStatus.not_met,
                               r.value if c.min_score is None else r.score, req)
    node = total if c.target == "total" else nodes[c.target]
    if node.score is None:
        return CriterionResult(level, c.target, CriterionStatus.missing, None, req)
    ok = node.score >= c.min_score
    return CriterionResult(level, c.target, CriterionStatus.met if ok else CriterionStatus.not_met, node.score, req)


def _maturity(system: IndicatorSystem, total: NodeResult, nodes: Mapping[str, NodeResult],
              inds: Mapping[str, IndicatorResult]) -> tuple[int, list[CriterionResult]]:
    reached = 0
    results: list[CriterionResult] = []
    for lv in system.levels:
        rs = [_check(c, lv.level, nodes, inds, total) for c in lv.criteria]
        if lv.min_coverage > 0:
            st = CriterionStatus.met if total.coverage >= lv.min_coverage - 1e-12 else CriterionStatus.missing
            rs.insert(0, CriterionResult(lv.level, "coverage", st, total.coverage, {"min_coverage": lv.min_coverage}))
        results.extend(rs)
        if reached == lv.level - 1 and all(r.status is CriterionStatus.met for r in rs):
            reached = lv.level
    return reached, results
