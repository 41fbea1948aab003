"""Tables of requirements engineering in the pss module (framework node 2.1.1, 需求工程).

* :class:`Requirement` — a customer requirement on a catalog offering, captured from a customer,
  a ticket, a survey, an interview or elsewhere (the source kind and its reference are stored as
  given: the after-sales module is never imported), with a MoSCoW priority, an importance weight
  and a status; :class:`RequirementChange` is its change history (who changed which field from
  what to what, and when).
* :class:`KanoQuestionnaire` — a Kano questionnaire on an offering: one functional/dysfunctional
  question pair per requirement (:class:`KanoQuestion`) and the respondents' answer pairs
  (:class:`KanoAnswer`, one per respondent and requirement).
* :class:`QfdHouse` — the house of quality of an offering: the requirements it deploys (the rows),
  technical characteristics with direction and unit, the 9/3/1 relationship matrix and the
  correlation roof, and where the requirement weights come from (importance or Kano).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import Index, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import JSON, Base, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum
from somp.modules.pss.kano import Answer

Weight = Numeric(9, 3)


class RequirementSource(enum.StrEnum):
    customer = "customer"  # said by a customer (a visit, a call, a co-design session)
    ticket = "ticket"  # raised in an after-sales ticket
    survey = "survey"  # from a survey's answers
    interview = "interview"
    market = "market"  # market or competitor analysis
    internal = "internal"  # engineering, service or sales staff


class RequirementPriority(enum.StrEnum):
    """MoSCoW."""

    must = "must"
    should = "should"
    could = "could"
    wont = "wont"


class RequirementStatus(enum.StrEnum):
    captured = "captured"
    analysed = "analysed"
    accepted = "accepted"
    implemented = "implemented"
    rejected = "rejected"


class QuestionnaireStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class WeightSource(enum.StrEnum):
    importance = "importance"  # the requirements' own weights
    kano = "kano"  # weight x max(Better, |Worse|) of a Kano questionnaire


class Requirement(TenantOwned, Timestamped, Base):
    __tablename__ = "pss_requirements"
    __table_args__ = (
        tenant_key("pss_requirements"),
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("offering_id", "offerings"),
        tenant_fk("customer_id", "customers"),
        Index("ix_pss_requirements_offering", "tenant_id", "offering_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    offering_id: Mapped[int]
    customer_id: Mapped[int | None]
    source_kind: Mapped[RequirementSource] = mapped_column(str_enum(RequirementSource, "pss_requirement_source"))
    source_ref: Mapped[str | None] = mapped_column(String(64))  # ticket number, survey id, ...
    priority: Mapped[RequirementPriority] = mapped_column(
        str_enum(RequirementPriority, "pss_requirement_priority"), default=RequirementPriority.should
    )
    weight: Mapped[Decimal] = mapped_column(Weight, default=Decimal(1))
    status: Mapped[RequirementStatus] = mapped_column(
        str_enum(RequirementStatus, "pss_requirement_status"), default=RequirementStatus.captured
    )


class RequirementChange(TenantOwned, Base):
    __tablename__ = "pss_requirement_changes"
    __table_args__ = (
        tenant_fk("requirement_id", "pss_requirements", ondelete="CASCADE"),
        Index("ix_pss_requirement_changes_requirement", "tenant_id", "requirement_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))  # created, updated, status
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # field -> [old, new]
    note: Mapped[str | None] = mapped_column(String(300))


class KanoQuestionnaire(TenantOwned, Timestamped, Base):
    __tablename__ = "pss_kano_questionnaires"
    __table_args__ = (
        tenant_key("pss_kano_questionnaires"),
        UniqueConstraint("tenant_id", "code"),
        tenant_fk("offering_id", "offerings"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    offering_id: Mapped[int]
    status: Mapped[QuestionnaireStatus] = mapped_column(
        str_enum(QuestionnaireStatus, "pss_questionnaire_status"), default=QuestionnaireStatus.open
    )


class KanoQuestion(TenantOwned, Base):
    __tablename__ = "pss_kano_questions"
    __table_args__ = (
        UniqueConstraint("tenant_id", "questionnaire_id", "requirement_id"),
        tenant_fk("questionnaire_id", "pss_kano_questionnaires", ondelete="CASCADE"),
        tenant_fk("requirement_id", "pss_requirements"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int]
    requirement_id: Mapped[int]
    line_no: Mapped[int]
    functional: Mapped[str] = mapped_column(String(300))  # "If the product has ..., how do you feel?"
    dysfunctional: Mapped[str] = mapped_column(String(300))  # "If it does not have ..., how do you feel?"


class KanoAnswer(TenantOwned, Base):
    __tablename__ = "pss_kano_answers"
    __table_args__ = (
        UniqueConstraint("tenant_id", "questionnaire_id", "respondent", "requirement_id"),
        tenant_fk("questionnaire_id", "pss_kano_questionnaires", ondelete="CASCADE"),
        tenant_fk("requirement_id", "pss_requirements"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int]
    requirement_id: Mapped[int]
    respondent: Mapped[str] = mapped_column(String(80))
    functional: Mapped[Answer] = mapped_column(str_enum(Answer, "pss_kano_functional"))
    dysfunctional: Mapped[Answer] = mapped_column(str_enum(Answer, "pss_kano_dysfunctional"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QfdHouse(TenantOwned, Timestamped, Base):
    __tablename__ = "pss_qfd_houses"
    __table_args__ = (
        tenant_key("pss_qfd_houses"),
        UniqueConstraint("tenant_id", "offering_id"),
        tenant_fk("offering_id", "offerings"),
        tenant_fk("questionnaire_id", "pss_kano_questionnaires"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int]
    weight_source: Mapped[WeightSource] = mapped_column(
        str_enum(WeightSource, "pss_qfd_weight_source"), default=WeightSource.importance
    )
    questionnaire_id: Mapped[int | None]  # the Kano questionnaire when weight_source is kano
    requirements: Mapped[list[Any]] = mapped_column(JSON, default=list)  # requirement codes, the rows in order
    characteristics: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{code, name, name_en, direction, unit}]
    relationships: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{requirement, characteristic, strength}]
    roof: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{a, b, correlation}]
