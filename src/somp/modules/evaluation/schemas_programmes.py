"""API contract of the standards catalogue, conformance self-checks, recognition programmes and stored
regions (issue 4; framework nodes 1.3.1, 1.3.4)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from somp.core.schemas import MAX_ID, InputModel, ReadModel
from somp.modules.evaluation.models import ApplicationStatus, StandardStatus
from somp.modules.evaluation.schemas import Evidence

Year = Field(ge=2000, le=2100)


class TextIn(InputModel):
    zh: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)


class ClauseIn(InputModel):
    code: str = Field(min_length=1, max_length=40)
    zh: str = Field(min_length=1, max_length=500)
    en: str = Field(min_length=1, max_length=500)


class StandardIn(InputModel):
    """A catalogue entry, validated as in data/standards.yaml: a published standard needs its code and
    year; ``verification`` says what was checked (verified, partial, unverified) and ``source_note``
    where."""

    key: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    code: str | None = Field(None, max_length=60)
    title: TextIn
    status: StandardStatus
    year: int | None = Field(None, ge=1950, le=2100)
    kind: Literal["national", "industry", "group", "local"] = "national"
    framework: list[str] = Field(default_factory=list, max_length=20)
    counts_toward_target: bool = True
    verification: Literal["verified", "partial", "unverified"]
    source_note: str = Field("", max_length=5000)
    clauses: list[ClauseIn] = Field(default_factory=list, max_length=500)


class StandardRead(ReadModel):
    id: int
    key: str
    code: str | None
    title_zh: str
    title_en: str
    status: StandardStatus
    year: int | None
    kind: str
    framework: list[str]
    counts_toward_target: bool
    verification: str
    source_note: str
    clauses: list[dict[str, Any]]
    builtin: bool


class StandardsProgressRead(ReadModel):
    target: int
    published: int
    by_status: dict[str, int]
    share: float
    related: int


class StandardsRead(ReadModel):
    progress: StandardsProgressRead
    items: list[StandardRead]


class ItemIn(InputModel):
    clause: str = Field(min_length=1, max_length=40)
    judgement: Literal["conforms", "partial", "not_conforming", "not_applicable"]
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)
    note: str | None = Field(None, max_length=2000)


class CheckCreate(InputModel):
    standard_id: int = Field(ge=1, le=MAX_ID)
    items: list[ItemIn] = Field(default_factory=list, max_length=500)


class CheckUpdate(InputModel):
    items: list[ItemIn] = Field(max_length=500)
    submit: bool = False
    version: int | None = None


class CheckRead(ReadModel):
    id: int
    tenant_id: int
    standard_id: int
    standard_code: str | None
    items: list[dict[str, Any]]
    summary: dict[str, Any]
    submitted_at: dt.datetime | None
    created_at: dt.datetime
    version: int


class ApplicationCreate(InputModel):
    """An enterprise's application to an enterprise programme (data/programmes.yaml) for a year, with
    its declared figures by metric (used only where the platform measures nothing)."""

    programme: str = Field(min_length=1, max_length=60)
    year: int = Year
    declared: dict[str, float | bool] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)


class RegionApplicationCreate(InputModel):
    """An evaluator files a stored region's application to a regional programme."""

    programme: str = Field(min_length=1, max_length=60)
    region_id: int = Field(ge=1, le=MAX_ID)
    year: int = Year
    declared: dict[str, float | bool] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list, max_length=50)


class ApplicationUpdate(InputModel):
    declared: dict[str, float | bool] = Field(default_factory=dict)
    evidence: list[Evidence] | None = None
    version: int | None = None


class VersionIn(InputModel):
    version: int | None = None


class DecisionIn(InputModel):
    to_status: Literal["under_review", "approved", "rejected", "returned"]
    note: str | None = Field(None, max_length=5000)
    version: int | None = None


class ApplicationRead(ReadModel):
    id: int
    tenant_id: int | None
    region_id: int | None
    programme: str
    programme_hash: str
    year: int
    status: ApplicationStatus
    declared: dict[str, Any]
    evidence: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    eligible: bool | None
    submitted_at: dt.datetime | None
    decided_at: dt.datetime | None
    decision_note: str | None
    created_at: dt.datetime
    version: int


class RegionIn(InputModel):
    code: str = Field(pattern=r"^\d{6}$", description="GB/T 2260 code")
    name_zh: str = Field(min_length=1, max_length=120)
    name_en: str = Field("", max_length=120)
    area_km2: float = Field(gt=0, allow_inf_nan=False)


class StatisticIn(InputModel):
    year: int = Year
    name: Literal["manufacturing_enterprises", "service_platforms"]
    value: float = Field(ge=0, allow_inf_nan=False)
    source: str = Field("", max_length=300)


class StatisticsIn(InputModel):
    statistics: list[StatisticIn] = Field(min_length=1, max_length=1000)


class MemberIn(InputModel):
    tenant_id: int = Field(ge=1, le=MAX_ID)
    som: bool = True


class FiguresIn(InputModel):
    """The enterprise's declared supplier spend in a year: total and with suppliers inside the region."""

    year: int = Year
    supplier_spend: float | None = Field(None, ge=0, allow_inf_nan=False)
    supplier_spend_local: float | None = Field(None, ge=0, allow_inf_nan=False)


class MemberRead(ReadModel):
    id: int
    tenant_id: int
    region_id: int
    som: bool
    figures: dict[str, Any]


class RegionRead(ReadModel):
    id: int
    code: str
    name_zh: str
    name_en: str
    area_km2: float


class RegionDetail(RegionRead):
    statistics: list[dict[str, Any]]
    members: list[MemberRead]


class RankingIn(InputModel):
    years: list[int] = Field(min_length=1, max_length=20)
    previous_year: int | None = Field(None, ge=2000, le=2100)


class RecordFileRead(ReadModel):
    """An evidence file of a self-check (``check_id``; ``item`` the clause) or an application
    (``application_id``; ``item`` a criterion's metric, "" for the whole application)."""

    id: int
    check_id: int | None
    application_id: int | None
    item: str
    filename: str
    content_type: str = Field(description="the type the content was recognised as (not the client's claim)")
    size: int
    sha256: str
    uploaded_at: dt.datetime
    uploaded_by: int | None
