"""API contract of requirements engineering in the pss module (framework node 2.1.1): requirements
and their change history, Kano questionnaires with their answers and results, and houses of
quality with their priorities."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from somp.core.schemas import Code, Id, InputModel, LongText, Name, ReadModel, ShortText, Stamped, scaled
from somp.modules.pss.kano import Answer
from somp.modules.pss.requirements_models import (
    QuestionnaireStatus,
    RequirementPriority,
    RequirementSource,
    RequirementStatus,
    WeightSource,
)

Weight = Annotated[Decimal, Field(gt=0, le=100, max_digits=9, decimal_places=3), scaled(3)]
Question = Annotated[str, Field(min_length=1, max_length=300)]
Ref = Annotated[str, Field(min_length=1, max_length=64)]
Respondent = Annotated[str, Field(min_length=1, max_length=80)]


class RequirementCreate(InputModel):
    code: Code = Field(max_length=40)
    title: Name
    title_en: Name | None = None
    description: LongText | None = None
    offering_id: Id = Field(description="the catalog offering the requirement is about")
    customer_id: Id | None = Field(None, description="the customer who stated it, when known")
    source_kind: RequirementSource
    source_ref: Ref | None = Field(None, description="the source's reference: ticket number, survey id, ...")
    priority: RequirementPriority = RequirementPriority.should
    weight: Weight = Field(Decimal(1), description="importance, > 0 (e.g. 1-5); the QFD weight")


class RequirementUpdate(InputModel):
    title: Name | None = None
    title_en: Name | None = None
    description: LongText | None = None
    customer_id: Id | None = None
    source_kind: RequirementSource | None = None
    source_ref: Ref | None = None
    priority: RequirementPriority | None = None
    weight: Weight | None = None
    status: RequirementStatus | None = None
    note: ShortText | None = Field(None, description="why (kept in the change history)")
    version: int | None = Field(None, description="the version read; a stale one is refused (409)")


class RequirementRead(Stamped):
    code: str
    title: str
    title_en: str | None
    description: str | None
    offering_id: int
    customer_id: int | None
    source_kind: RequirementSource
    source_ref: str | None
    priority: RequirementPriority
    weight: Decimal
    status: RequirementStatus


class RequirementChangeRead(ReadModel):
    id: int
    requirement_id: int
    at: dt.datetime
    by_user_id: int | None
    kind: str
    changes: dict[str, Any]
    note: str | None


class QuestionIn(InputModel):
    requirement_id: Id
    functional: Question | None = Field(None, description="default: 如果具备「需求」，您觉得如何？")
    dysfunctional: Question | None = Field(None, description="default: 如果不具备「需求」，您觉得如何？")


class QuestionnaireCreate(InputModel):
    code: Code = Field(max_length=40)
    title: Name
    offering_id: Id
    questions: list[QuestionIn] = Field(min_length=1, max_length=200)


class QuestionnaireUpdate(InputModel):
    title: Name | None = None
    status: QuestionnaireStatus | None = None


class QuestionRead(ReadModel):
    requirement_id: int
    requirement_code: str
    line_no: int
    functional: str
    dysfunctional: str


class QuestionnaireRead(Stamped):
    code: str
    title: str
    offering_id: int
    status: QuestionnaireStatus
    questions: list[QuestionRead] = []
    answers: int = 0
    respondents: int = 0


class AnswerIn(InputModel):
    respondent: Respondent
    requirement: Ref = Field(description="the requirement's code")
    functional: Answer
    dysfunctional: Answer


class AnswersIn(InputModel):
    answers: list[AnswerIn] = Field(min_length=1, max_length=50_000)


class AnswersStored(ReadModel):
    stored: int
    respondents: int


class KanoRow(ReadModel):
    requirement_id: int
    code: str
    title: str
    weight: Decimal
    n: int
    counts: dict[str, int]
    category: str | None
    category_zh: str | None
    category_en: str | None
    category_strength: float | None
    significant: bool | None
    better: float | None
    worse: float | None


class KanoResults(ReadModel):
    questionnaire_id: int
    respondents: int
    requirements: list[KanoRow]


class CharacteristicIn(InputModel):
    code: Code = Field(max_length=40)
    name: Name
    name_en: Name | None = None
    direction: Literal["minimise", "maximise", "target"] = "target"
    unit: Annotated[str, Field(max_length=24)] | None = None


class RelationshipIn(InputModel):
    requirement: Code = Field(description="a requirement code of the house")
    characteristic: Code
    strength: Literal[0, 1, 3, 9]


class RoofIn(InputModel):
    a: Code
    b: Code
    correlation: Literal[-2, -1, 0, 1, 2]


class HouseIn(InputModel):
    requirements: list[Code] | None = Field(
        None, description="requirement codes of the offering, the rows in order (default: all not rejected)"
    )
    weight_source: WeightSource = WeightSource.importance
    questionnaire_id: Id | None = Field(None, description="the Kano questionnaire when weight_source is kano")
    characteristics: list[CharacteristicIn] = Field(min_length=1, max_length=100)
    relationships: list[RelationshipIn] = Field(default_factory=list, max_length=10_000)
    roof: list[RoofIn] = Field(default_factory=list, max_length=5_000)
    version: int | None = None

    @model_validator(mode="after")
    def _kano_needs_a_questionnaire(self) -> HouseIn:
        if self.weight_source is WeightSource.kano and self.questionnaire_id is None:
            raise ValueError("weight_source kano needs questionnaire_id")
        return self


class HouseRead(Stamped):
    offering_id: int
    weight_source: WeightSource
    questionnaire_id: int | None
    requirements: list[str]
    characteristics: list[dict[str, Any]]
    relationships: list[dict[str, Any]]
    roof: list[dict[str, Any]]


class PriorityRow(ReadModel):
    code: str
    name: str
    name_en: str | None
    unit: str | None
    direction: str
    absolute: float
    relative_pct: float
    rank: int


class WeightRow(ReadModel):
    code: str
    title: str
    title_en: str | None = None
    importance: Decimal
    weight: float
    kano_category: str | None = None


class HousePriorities(ReadModel):
    offering_id: int
    weight_source: WeightSource
    requirements: list[WeightRow]
    characteristics: list[PriorityRow]
    matrix: list[list[int]]
    roof: list[list[int]]
    trade_offs: list[dict[str, Any]]
