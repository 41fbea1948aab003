"""API contract of statistical evaluation (1.3.1, 1.3.2): indicator systems, evaluations of an
enterprise with their answers, review and result, and the AHP and input-output engines."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from somp.core.schemas import MAX_ID, InputModel, ReadModel, Stamped
from somp.modules.evaluation.models import AnswerSource, EvaluationStatus

IndicatorCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
MAX_SYSTEM_TEXT = 500_000


class SystemCreate(InputModel):
    """An indicator system as YAML text (the format of docs/evaluation.md, ``somp evaluate system
    validate``). It is stored as a new version; a system with the same code and version exists: 409."""

    document: str = Field(min_length=1, max_length=MAX_SYSTEM_TEXT, description="the system's YAML text")


class SystemRead(ReadModel):
    id: int
    tenant_id: int | None = Field(description="NULL: a platform system, visible to every enterprise")
    code: str
    version: str
    content_hash: str
    framework: str
    name_zh: str
    name_en: str
    indicators: int
    levels: int
    builtin: bool
    created_at: dt.datetime


class SystemDetail(SystemRead):
    document: str
    questionnaire: list[dict[str, Any]] = Field(description="the bilingual questionnaire (questionnaire indicators)")
    indicator_list: list[dict[str, Any]] = Field(
        description="every indicator: code, names, unit, source kind, platform function, global weight"
    )
    level_names: list[dict[str, Any]]


class EvaluationCreate(InputModel):
    system_id: int = Field(ge=1, le=MAX_ID)
    year: int | None = Field(None, ge=2000, le=2100, description="the calendar year evaluated (or give the dates)")
    period_start: dt.date | None = None
    period_end: dt.date | None = Field(None, description="exclusive")
    title: str = Field("", max_length=200)

    @model_validator(mode="after")
    def _period(self) -> EvaluationCreate:
        if self.year is not None:
            if self.period_start is not None or self.period_end is not None:
                raise ValueError("give either year or period_start and period_end")
            self.period_start, self.period_end = dt.date(self.year, 1, 1), dt.date(self.year + 1, 1, 1)
        if self.period_start is None or self.period_end is None:
            raise ValueError("give year, or period_start and period_end")
        if self.period_end <= self.period_start:
            raise ValueError("period_end must be after period_start")
        if (self.period_end - self.period_start).days > 3 * 366:
            raise ValueError("a period is at most three years")
        return self


class Evidence(InputModel):
    """An attachment supporting an answer, by name and content digest (the file stays with the enterprise
    or in its document store; the digest shows later that the same file is meant)."""

    name: str = Field(min_length=1, max_length=200)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int | None = Field(None, ge=0)


class AnswerIn(InputModel):
    indicator_code: IndicatorCode
    value: float | None = Field(description="the answer (a level 0-N for level criteria); null: missing")
    note: str | None = Field(None, max_length=2000)
    evidence: list[Evidence] = Field(default_factory=list, max_length=20)


class AnswersIn(InputModel):
    answers: list[AnswerIn] = Field(min_length=1, max_length=500)
    version: int | None = Field(None, description="the evaluation's version, to detect concurrent edits")


class AnswerRead(ReadModel):
    indicator_code: str
    value: float | None
    source: AnswerSource
    note: str | None
    detail: dict[str, Any]
    evidence: list[dict[str, Any]]
    answered_at: dt.datetime
    answered_by: int | None


class EvaluationRead(Stamped):
    tenant_id: int
    system_id: int
    system_code: str
    system_version: str
    content_hash: str
    period_start: dt.date
    period_end: dt.date
    title: str
    status: EvaluationStatus
    created_by: int | None
    submitted_at: dt.datetime | None
    submitted_by: int | None
    review_started_at: dt.datetime | None
    reviewer_id: int | None
    reviewed_at: dt.datetime | None
    review_note: str | None
    score: float | None = Field(description="0-100 over the indicators with data; null when none has data")
    level: int | None = Field(description="maturity level reached (0: none); null until computed")
    coverage: float | None = Field(description="weight share (0-1) of the indicators that have data")
    computed_at: dt.datetime | None


class EvaluationListItem(EvaluationRead):
    enterprise: str | None = Field(None, description="the enterprise's name")


class EvaluationDetail(EvaluationRead):
    answers: list[AnswerRead]
    result: dict[str, Any] | None
    level_name: dict[str, str] | None


class EvaluationVersion(InputModel):
    version: int | None = None


class ReviewIn(InputModel):
    """An evaluator's step: take a submitted self-assessment for review, then accept it (reviewed) or
    return it to the enterprise with a note."""

    to_status: Literal["under_review", "reviewed", "returned"]
    note: str | None = Field(None, max_length=5000)
    version: int | None = None


class AhpIn(InputModel):
    """A pairwise comparison matrix as numbers (``criteria`` + ``matrix``) or as the CSV text of
    ``somp evaluate ahp`` (header row and first column of names; cells like 3 or 1/3)."""

    criteria: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] | None = Field(None, max_length=15)
    matrix: list[list[float]] | None = Field(None, max_length=15)
    csv: str | None = Field(None, max_length=20_000)
    max_cr: float = Field(0.1, gt=0, le=1)

    @model_validator(mode="after")
    def _one_form(self) -> AhpIn:
        if (self.csv is None) == (self.matrix is None):
            raise ValueError("give either matrix (with criteria) or csv")
        return self


class AhpPair(ReadModel):
    row: str
    column: str
    judgement: float
    implied: float


class AhpRead(ReadModel):
    weights: dict[str, float]
    lambda_max: float
    CI: float
    CR: float
    RI: float
    most_inconsistent_pair: AhpPair | None


class ServiceInputRead(ReadModel):
    region: str
    sector: str
    direct: float
    complete: float
    direct_by_service: dict[str, float]
    complete_by_service: dict[str, float]
    direct_domestic: float | None = None
    direct_imported: float | None = None
    complete_domestic: float | None = None
    complete_imported: float | None = None


class IOResult(ReadModel):
    regions: list[str]
    sectors: list[str]
    balances_checked: list[str]
    balanced: bool
    imbalances: list[dict[str, Any]]
    service_inputs: list[ServiceInputRead]


class EmissionFactorIn(InputModel):
    key: str = Field(min_length=1, max_length=80)
    value: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=60, description="emitted mass per activity unit, e.g. tCO2/MWh")
    source: str = Field("", max_length=300)
    gas: str = Field("CO2e", max_length=10)
    gwp: float | None = Field(None, gt=0)


class ActivityIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    scope: Literal[1, 2, 3]
    quantity: float = Field(ge=0)
    unit: str = Field(min_length=1, max_length=60)
    factor: str = Field(min_length=1, max_length=80, description="key of one of the factors")
    category: str = Field("", max_length=120)
    conversion_value: float | None = Field(None, gt=0, description="e.g. a heating value 0.001026 ...")
    conversion_unit: str | None = Field(None, max_length=60, description="... in mmBtu/scf")

    @model_validator(mode="after")
    def _conversion(self) -> ActivityIn:
        if (self.conversion_value is None) != (self.conversion_unit is None):
            raise ValueError("give conversion_value and conversion_unit together")
        return self


class CarbonIn(InputModel):
    """Activities (energy, fuels, materials...) in scopes 1/2/3 with the user's emission factors;
    units are checked (kWh against a factor per MWh converts; scf against one per mmBtu needs a
    heating value). ``intensity_denominator``: e.g. revenue in 10,000 CNY."""

    activities: list[ActivityIn] = Field(min_length=1, max_length=5000)
    factors: list[EmissionFactorIn] = Field(min_length=1, max_length=1000)
    intensity_denominator: float | None = Field(None, gt=0)
    intensity_unit: str = Field("10k CNY", max_length=40)


class CarbonLine(ReadModel):
    activity: str
    scope: int
    category: str
    quantity_in_factor_unit: float
    factor_unit: str
    gas: str
    gas_mass_kg: float
    co2e_t: float


class CarbonResult(ReadModel):
    lines: list[CarbonLine]
    by_scope: dict[int, float] = Field(description="t CO2e per scope (every scope present)")
    by_category: dict[str, float]
    total_t: float
    intensity: dict[str, float | str] | None


class RegionIn(InputModel):
    code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code")
    name: str = Field(min_length=1, max_length=100)
    area_km2: float = Field(gt=0)
    statistics: dict[str, float] = Field(
        default_factory=dict,
        description="manufacturing_enterprises, service_platforms; per year as name@2024",
        max_length=200,
    )


class EnterpriseRecordIn(InputModel):
    enterprise: str = Field(min_length=1, max_length=200)
    region: str = Field(pattern=r"^\d{6}$")
    year: int = Field(ge=2000, le=2100)
    som: bool = True
    leading_brand: bool = False
    demonstration: bool = False
    maturity_level: int | None = Field(None, ge=0, le=5)
    supplier_spend: float | None = Field(None, ge=0)
    supplier_spend_local: float | None = Field(None, ge=0)
    revenue: float | None = Field(None, ge=0)
    service_revenue: float | None = Field(None, ge=0)


class RegionsIn(InputModel):
    """Regions (1.3.4) with their enterprises' yearly records, evaluated together over ``years``;
    ``previous_year`` (one of ``years``) adds the year-over-year comparison with the last year.
    ``include_platform`` (evaluators): also count the platform's enterprises registered in each
    region, with their reviewed maturity level and measured revenue of each year."""

    regions: list[RegionIn] = Field(min_length=1, max_length=500)
    records: list[EnterpriseRecordIn] = Field(default_factory=list, max_length=100_000)
    years: list[int] = Field(min_length=1, max_length=20)
    previous_year: int | None = None
    include_platform: bool = False

    @model_validator(mode="after")
    def _years(self) -> RegionsIn:
        if self.previous_year is not None and (self.previous_year not in self.years or len(set(self.years)) < 2):
            raise ValueError("previous_year must be one of two or more years")
        return self
