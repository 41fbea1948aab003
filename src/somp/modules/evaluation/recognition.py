"""Standards catalogue and recognition programmes as data (issue 4; framework nodes 1.3.1, 1.3.4).
Pure: pydantic, yaml; no database, no web framework.

* :func:`load_catalogue` reads the standards catalogue (data/standards.yaml): standards mapped to
  framework nodes with their status (planned, drafting, published), verification and clauses;
  :func:`standards_progress` counts them against the plan's target of 20.
* :func:`conformance` scores an enterprise's self-check against a standard's clauses (对标达标):
  conforming share over the applicable clauses judged, with the coverage of the judgement.
* :func:`load_programmes` reads the recognition programmes (data/programmes.yaml) whose eligibility
  criteria are data; :func:`check_criteria` checks them against measured figures where the platform
  has them and declared figures otherwise, always saying which (never a missing figure as zero).
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class RecognitionInvalid(ValueError):
    def __init__(self, message: str, errors: Sequence[str] = ()) -> None:
        super().__init__(message + ("".join(f"\n  {e}" for e in errors) if errors else ""))
        self.errors = list(errors)


class Text2(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


# ---- standards catalogue ------------------------------------------------------------------------------

STATUSES = ("planned", "drafting", "published")
VERIFICATIONS = ("verified", "partial", "unverified")


class Clause(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1, max_length=40)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Standard(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    code: str | None = Field(default=None, max_length=60)
    title: Text2
    status: Literal["planned", "drafting", "published"]
    year: int | None = Field(default=None, ge=1950, le=2100)
    kind: Literal["national", "industry", "group", "local"] = "national"
    framework: list[str] = Field(default_factory=list)
    counts_toward_target: bool = True
    verification: Literal["verified", "partial", "unverified"]
    source_note: str = ""
    clauses: list[Clause] = Field(default_factory=list)

    @field_validator("framework")
    @classmethod
    def _nodes(cls, v: list[str]) -> list[str]:
        for node in v:
            parts = node.split(".")
            if not (1 <= len(parts) <= 3 and all(p.isdigit() for p in parts)):
                raise ValueError(f"framework node {node!r} is not like 1.3.4")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Standard:
        if self.status == "published" and (not self.code or self.year is None):
            raise ValueError("a published standard needs its code and year")
        if len({c.code for c in self.clauses}) != len(self.clauses):
            raise ValueError("clause codes repeat")
        return self


class Catalogue(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    target: int = Field(ge=1)
    plan: Text2
    standards: list[Standard]

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        keys = [s.key for s in self.standards]
        if len(set(keys)) != len(keys):
            raise ValueError("standard keys repeat")
        return self


def _errors(e: ValidationError) -> list[str]:
    return [f"{'.'.join(str(x) for x in err['loc']) or '(document)'}: {err['msg']}" for err in e.errors()]


def load_catalogue(text: str) -> Catalogue:
    try:
        return Catalogue.model_validate(yaml.safe_load(text))
    except ValidationError as e:
        raise RecognitionInvalid("the standards catalogue is invalid", _errors(e)) from None


@cache
def default_catalogue() -> Catalogue:
    return load_catalogue((files("somp.modules.evaluation") / "data" / "standards.yaml").read_text("utf-8"))


@dataclass(frozen=True)
class StandardsProgress:
    target: int
    by_status: dict[str, int]  # every catalogue entry that counts toward the target
    published: int  # toward the target
    share: float  # published / target, may exceed 1
    related: int  # catalogue entries outside the target (related standards)


def standards_progress(entries: Sequence[Mapping[str, Any]], target: int) -> StandardsProgress:
    """Count catalogue entries (``status``, ``counts_toward_target``) against the plan's target: only
    published standards of the SOM standards system count as done."""
    counted = [e for e in entries if e.get("counts_toward_target", True)]
    by_status = {s: sum(1 for e in counted if e["status"] == s) for s in STATUSES}
    return StandardsProgress(target, by_status, by_status["published"], by_status["published"] / target,
                             len(entries) - len(counted))  # fmt: skip


# ---- conformance self-check (对标达标) ----------------------------------------------------------------


class Judgement(enum.StrEnum):
    conforms = "conforms"
    partial = "partial"
    not_conforming = "not_conforming"
    not_applicable = "not_applicable"


JUDGEMENT_CREDIT = {Judgement.conforms: 1.0, Judgement.partial: 0.5, Judgement.not_conforming: 0.0}


@dataclass(frozen=True)
class ConformanceSummary:
    clauses: int
    judged: int
    applicable: int  # judged and not not_applicable
    counts: dict[str, int]
    unjudged: list[str]  # clause codes with no judgement: missing, not counted as failing
    share: float | None  # credit over applicable judged clauses; None when none
    coverage: float | None  # judged / clauses
    evidence_missing: list[str]  # clauses judged conforming or partial without any evidence

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def conformance(clause_codes: Sequence[str], items: Sequence[Mapping[str, Any]]) -> ConformanceSummary:
    """The conformance share of a self-check: conforming clauses count 1, partial 0.5, not conforming
    0, over the applicable clauses judged (not_applicable ones leave the base). Unjudged clauses
    are missing (listed, and lower the coverage), never counted as not conforming. Items naming an
    unknown clause, repeating one or with an unknown judgement are refused."""
    known = list(clause_codes)
    errors = []
    seen: set[str] = set()
    for k, it in enumerate(items):
        code = it.get("clause")
        if code not in known:
            errors.append(f"items[{k}].clause: the standard has no clause {code!r}")
        elif code in seen:
            errors.append(f"items[{k}].clause: clause {code!r} judged twice")
        seen.add(code)
        if it.get("judgement") not in Judgement.__members__:
            errors.append(f"items[{k}].judgement: one of {', '.join(Judgement)}")
    if errors:
        raise RecognitionInvalid("the self-check is invalid", errors)
    judged = {it["clause"]: Judgement(it["judgement"]) for it in items}
    counts = {j.value: sum(1 for v in judged.values() if v is j) for j in Judgement}
    applicable = [c for c, j in judged.items() if j is not Judgement.not_applicable]
    share = sum(JUDGEMENT_CREDIT[judged[c]] for c in applicable) / len(applicable) if applicable else None
    no_evidence = [it["clause"] for it in items
                   if it["judgement"] in ("conforms", "partial") and not it.get("evidence")]  # fmt: skip
    return ConformanceSummary(
        clauses=len(known), judged=len(judged), applicable=len(applicable), counts=counts,
        unjudged=[c for c in known if c not in judged], share=share,
        coverage=len(judged) / len(known) if known else None, evidence_missing=no_evidence,
    )  # fmt: skip


# ---- recognition programmes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    unit: str
    applicant: Literal["enterprise", "region"]
    measured_by: str | None  # how the platform measures it (None: declared only)
    kind: Literal["number", "count", "share"] = "number"
    zh: str = ""
    en: str = ""


METRICS: dict[str, Metric] = {
    "service_revenue_share": Metric("ratio", "enterprise", "platform: service_revenue_share (invoiced, the year)",
                                    "share", "服务收入占营业收入比重", "Service revenue share of operating revenue"),
    "operating_revenue_cny": Metric("CNY", "enterprise", "platform: invoiced service + product revenue, the year",
                                    "number", "营业收入（元）", "Operating revenue (CNY)"),
    "repurchase_rate": Metric("ratio", "enterprise", "platform: repurchase_rate (the year)", "share",
                              "客户复购率", "Customer repurchase rate"),
    "connected_asset_share": Metric("ratio", "enterprise", "platform: connected_asset_share (end of the year)",
                                    "share", "联网设备占比", "Connected asset share"),
    "sla_attainment": Metric("ratio", "enterprise", "platform: sla_attainment (the year)", "share",
                             "服务水平协议达成率", "SLA attainment"),
    "maturity_level": Metric("level", "enterprise", "platform: latest reviewed maturity evaluation of the year",
                             "count", "服务型制造成熟度等级", "SOM maturity level"),
    "years_in_operation": Metric("years", "enterprise", None, "number", "持续经营年限", "Years in operation"),
    "major_incidents": Metric("count", "enterprise", None, "count", "近三年重大安全、质量、环境事故数",
                              "Major safety/quality/environmental incidents (3 years)"),
    "region_som_enterprises": Metric("count", "region", "platform: SOM member enterprises of the region", "count",
                                     "服务型制造企业数", "SOM enterprises"),
    "region_som_density": Metric("per km²", "region", "platform: regional evaluation (som_density)", "number",
                                 "服务型制造企业密度", "SOM enterprise density"),
    "region_local_collaboration_rate": Metric("ratio", "region", "platform: regional evaluation "
                                              "(local_collaboration_rate)", "share", "本地产业链协作率",
                                              "Local industrial-chain collaboration rate"),
    "region_index": Metric("0-100", "region", "platform: regional development index of the year", "number",
                           "区域发展指数", "Regional development index"),
}  # fmt: skip


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(min_length=1, max_length=20)
    metric: str
    op: Literal[">=", "<=", "=="]
    value: float
    basis: Literal["published", "issue", "proposal"]
    quote: str | None = None

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        if v not in METRICS:
            raise ValueError(f"unknown metric {v!r}; known: {', '.join(METRICS)}")
        return v

    @model_validator(mode="after")
    def _quoted(self) -> Criterion:
        if self.basis == "published" and not self.quote:
            raise ValueError("a published threshold needs the quote of the programme text")
        return self


class Programme(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,59}$")
    applicant: Literal["enterprise", "region"]
    name: Text2
    target: int | None = Field(default=None, ge=1)
    criteria: list[Criterion] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> Programme:
        if len({c.code for c in self.criteria}) != len(self.criteria):
            raise ValueError("criterion codes repeat")
        wrong = [c.metric for c in self.criteria if METRICS[c.metric].applicant != self.applicant]
        if wrong:
            raise ValueError(f"metrics {wrong} are not for a {self.applicant} applicant")
        return self

    @property
    def content_hash(self) -> str:
        canon = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canon.encode()).hexdigest()[:16]


class Programmes(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    programmes: list[Programme]

    @model_validator(mode="after")
    def _unique(self) -> Programmes:
        codes = [p.code for p in self.programmes]
        if len(set(codes)) != len(codes):
            raise ValueError("programme codes repeat")
        return self

    def get(self, code: str) -> Programme:
        for p in self.programmes:
            if p.code == code:
                return p
        raise KeyError(code)


def load_programmes(text: str) -> Programmes:
    try:
        return Programmes.model_validate(yaml.safe_load(text))
    except ValidationError as e:
        raise RecognitionInvalid("the programmes file is invalid", _errors(e)) from None


@cache
def default_programmes() -> Programmes:
    return load_programmes((files("somp.modules.evaluation") / "data" / "programmes.yaml").read_text("utf-8"))


@dataclass(frozen=True)
class CriterionCheck:
    code: str
    metric: str
    op: str
    required: float
    basis: str
    value: float | None
    source: Literal["measured", "declared", "missing"]
    met: bool | None  # None: missing
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _number(v: Any) -> float | None:
    if isinstance(v, bool):  # a yes/no declaration counts as 1/0
        return float(v)
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def check_criteria(
    programme: Programme,
    measured: Mapping[str, float | None],
    declared: Mapping[str, Any],
    notes: Mapping[str, str] | None = None,
) -> list[CriterionCheck]:
    """Check each criterion: the measured value when the platform has one (a declared figure never
    overrides it), else the declared figure, else missing (``met`` None, never failed as zero)."""
    out = []
    for c in programme.criteria:
        m = _number(measured.get(c.metric))
        d = _number(declared.get(c.metric))
        value, source = (m, "measured") if m is not None else (d, "declared") if d is not None else (None, "missing")
        met = None
        if value is not None:
            met = {">=": value >= c.value, "<=": value <= c.value, "==": math.isclose(value, c.value)}[c.op]
        note = (notes or {}).get(c.metric, "")
        if m is not None and d is not None and not math.isclose(m, d, rel_tol=1e-9):
            note = f"declared {d:g} ignored: the platform measured {m:g}"
        out.append(CriterionCheck(c.code, c.metric, c.op, c.value, c.basis, value, source, met, note))  # type: ignore[arg-type]
    return out


def validate_declared(programme: Programme, declared: Mapping[str, Any]) -> list[str]:
    """Declared figures must name the programme's metrics and be finite numbers (shares in [0, 1],
    counts and amounts not negative)."""
    errors = []
    metrics = {c.metric for c in programme.criteria}
    for k, v in declared.items():
        if k not in metrics:
            errors.append(f"declared.{k}: not a metric of programme {programme.code} ({', '.join(sorted(metrics))})")
            continue
        x = _number(v)
        if x is None:
            errors.append(f"declared.{k}: a finite number")
        elif x < 0 or (METRICS[k].kind == "share" and x > 1):
            errors.append(f"declared.{k}: {'between 0 and 1' if METRICS[k].kind == 'share' else 'not negative'}")
    return errors


def eligible(checks: Sequence[CriterionCheck]) -> bool | None:
    """True when every criterion is met, False when one is not met, None when none fails but one is
    missing (the application cannot be decided on those figures)."""
    if any(c.met is False for c in checks):
        return False
    if any(c.met is None for c in checks):
        return None
    return True
