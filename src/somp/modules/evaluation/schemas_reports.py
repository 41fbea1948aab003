"""API contract of evidence files, financial statements (1.3.2 enterprise level), sustainability
records (1.3.3) and reports of statistical evaluation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field

from somp.core.schemas import InputModel, ReadModel, Stamped
from somp.modules.evaluation.schemas import ActivityIn, EmissionFactorIn


class EvidenceRead(ReadModel):
    id: int
    evaluation_id: int
    indicator_code: str
    filename: str
    content_type: str = Field(description="the type the content was recognised as (not the client's claim)")
    size: int
    sha256: str
    uploaded_at: dt.datetime
    uploaded_by: int | None


class StatementRead(Stamped):
    tenant_id: int
    year: int
    unit: str
    items: dict[str, float]
    filename: str
    sha256: str
    result: dict[str, Any] = Field(description="service input ratio, value added, service value added and shares")
    uploaded_by: int | None


class SustainabilityIn(InputModel):
    """One year's environmental, social and governance figures (names in docs/evaluation.md; absent or
    null = not reported, never 0), and optionally the carbon activities with the user's emission
    factors (scope 1/2/3 footprint). Without ``revenue`` the year's financial statement gives it."""

    year: int = Field(ge=2000, le=2100)
    figures: dict[str, float | None] = Field(default_factory=dict, max_length=100)
    activities: list[ActivityIn] = Field(default_factory=list, max_length=5000)
    factors: list[EmissionFactorIn] = Field(default_factory=list, max_length=1000)
    version: int | None = Field(None, description="the stored record's version, to detect concurrent edits")


class SustainabilityRead(Stamped):
    tenant_id: int
    year: int
    figures: dict[str, float | None]
    activities: list[dict[str, Any]]
    factors: list[dict[str, Any]]
    result: dict[str, Any] = Field(description="footprint by scope and category, indicators with sources, E/S/G scores")
    updated_by: int | None
