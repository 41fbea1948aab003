"""Records of enterprise maturity evaluation (framework node 1.3.1): indicator systems (versioned YAML
documents), evaluations of an enterprise against one system version with their self-assessment ->
evaluator-review workflow, the answer per indicator with its source and evidence, and the stored
result (score, maturity level, coverage).

Evaluators read these rows across tenants (``__evaluation_visible__``; the evaluator view is
read-only, the service writes a review in the platform view after checking the evaluator's
permission). Platform systems (the built-in default) have ``tenant_id`` NULL and are read by every
tenant through the service (:func:`somp.modules.evaluation.service.visible_systems`).
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import CheckConstraint, Double, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import JSON, Base, IdType, TenantOwned, Timestamped, UTCDateTime, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum


class EvaluationStatus(enum.StrEnum):
    """draft -> self_assessed (the enterprise submits) -> under_review (an evaluator takes it) ->
    reviewed, or returned (to the enterprise, which answers again and resubmits)."""

    draft = "draft"
    self_assessed = "self_assessed"
    under_review = "under_review"
    reviewed = "reviewed"
    returned = "returned"


class AnswerSource(enum.StrEnum):
    """Where an indicator value came from (shown beside every figure)."""

    questionnaire = "questionnaire"  # 问卷: the enterprise's answer
    uploaded = "uploaded"  # 填报: a figure the enterprise uploaded (financial statement...)
    computed = "computed"  # 平台计算: computed from the tenant's platform data


class IndicatorSystemRecord(TenantOwned, Base):
    """One version of an indicator system: the YAML document as given, and what identifies it.

    A row is never changed: an edited system is a new version (a new row); ``content_hash`` is the
    engine's hash of the canonical content (:attr:`IndicatorSystem.content_hash`).
    ``tenant_id`` NULL: a platform system, visible to every tenant."""

    __tablename__ = "evaluation_systems"
    __tenant_optional__ = True
    __evaluation_visible__ = True
    __table_args__ = (
        tenant_key("evaluation_systems"),
        UniqueConstraint("tenant_id", "code", "version"),
        Index("ix_evaluation_systems_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(16))
    framework: Mapped[str] = mapped_column(String(20), default="")
    name_zh: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    document: Mapped[str] = mapped_column(Text)  # the YAML text (dump_system of the validated system)
    indicators: Mapped[int] = mapped_column(default=0)
    levels: Mapped[int] = mapped_column(default=0)
    builtin: Mapped[bool] = mapped_column(default=False)  # shipped with somp (data/maturity_default.yaml)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EvaluationRecord(TenantOwned, Timestamped, Base):
    """An evaluation of the enterprise (the tenant) against one system version, for a period.

    ``system_id`` is a plain foreign key (not a tenant one): the system may be the platform's. The
    system's code, version and content hash are copied so the evaluation says what it used even if
    read alone. The result fields hold the last computation (``result``: the engine's full output)."""

    __tablename__ = "evaluations"
    __evaluation_visible__ = True
    __table_args__ = (
        tenant_key("evaluations"),
        Index("ix_evaluations_tenant_status", "tenant_id", "status"),
        Index("ix_evaluations_status_submitted", "status", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    system_id: Mapped[int] = mapped_column(ForeignKey("evaluation_systems.id"), index=True)
    system_code: Mapped[str] = mapped_column(String(80))
    system_version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[dt.date]
    period_end: Mapped[dt.date]  # exclusive
    title: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[EvaluationStatus] = mapped_column(
        str_enum(EvaluationStatus, "evaluation_status"), default=EvaluationStatus.draft
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    review_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    review_note: Mapped[str | None] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Double)  # 0-100, None when no indicator has data
    level: Mapped[int | None]  # maturity level reached (0: none); None until computed
    coverage: Mapped[float | None] = mapped_column(Double)  # weight share of indicators with data
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class EvaluationAnswer(TenantOwned, Base):
    """The value of one indicator in one evaluation. ``value`` NULL is missing (never scored as 0);
    ``evidence`` lists attachments by name and sha256 digest: [{"name", "sha256", "size"}]."""

    __tablename__ = "evaluation_answers"
    __evaluation_visible__ = True
    __table_args__ = (
        tenant_key("evaluation_answers"),
        UniqueConstraint("evaluation_id", "indicator_code"),
        tenant_fk("evaluation_id", "evaluations", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(IdType)
    indicator_code: Mapped[str] = mapped_column(String(80))
    value: Mapped[float | None] = mapped_column(Double)
    source: Mapped[AnswerSource] = mapped_column(str_enum(AnswerSource, "evaluation_answer_source"))
    note: Mapped[str | None] = mapped_column(Text)  # the enterprise's comment, or why a computed value is missing
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # computed: numerator, denominator...
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    answered_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# ==== standards catalogue, recognition programmes, stored regions (issue 4; 1.3.1, 1.3.4) =============
# Platform rows (not tenant-owned: every scope reads them; written in a platform session after the
# caller's permission is checked): standards, regions, regional statistics. Tenant rows marked
# ``__evaluation_visible__``: an enterprise's conformance self-checks, its programme applications
# and its region memberships (the evaluator reads them across enterprises).


class StandardStatus(enum.StrEnum):
    """Where a standard of the catalogue stands (planned in the standards system guide, being
    drafted, published)."""

    planned = "planned"
    drafting = "drafting"
    published = "published"


class CatalogueStandard(Base):
    """One standard of the service-oriented manufacturing standards catalogue, mapped to framework
    nodes. ``verification`` says what was checked and where (``verified``, ``partial``,
    ``unverified``); ``counts_toward_target`` is false for related standards outside the SOM
    standards system (e.g. GB/T 39116-2020). ``clauses``: [{"code", "zh", "en"}] for self-checks."""

    __tablename__ = "evaluation_standards"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))  # stable id in the data file (the code may change)
    code: Mapped[str | None] = mapped_column(String(60))  # e.g. GB/T 43880.4-2024; None while planned
    title_zh: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    status: Mapped[StandardStatus] = mapped_column(str_enum(StandardStatus, "standard_status"))
    year: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(20))  # national, industry, group, local
    framework: Mapped[list[str]] = mapped_column(JSON, default=list)
    counts_toward_target: Mapped[bool] = mapped_column(default=True)
    verification: Mapped[str] = mapped_column(String(20))
    source_note: Mapped[str] = mapped_column(Text, default="")
    clauses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    builtin: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ConformanceCheck(TenantOwned, Timestamped, Base):
    """An enterprise's self-check of conformance to one standard's clauses (对标达标): per clause a
    judgement (conforms, partial, not_conforming, not_applicable) with evidence; ``summary`` holds
    the conformance share computed by :func:`somp.modules.evaluation.recognition.conformance`."""

    __tablename__ = "evaluation_conformance_checks"
    __evaluation_visible__ = True
    __table_args__ = (tenant_key("evaluation_conformance_checks"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    standard_id: Mapped[int] = mapped_column(ForeignKey("evaluation_standards.id"), index=True)
    standard_code: Mapped[str | None] = mapped_column(String(60))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ApplicationStatus(enum.StrEnum):
    """draft -> submitted -> under_review -> approved | rejected | returned (-> submitted again)."""

    draft = "draft"
    submitted = "submitted"
    under_review = "under_review"
    approved = "approved"
    rejected = "rejected"
    returned = "returned"


class ProgrammeApplication(TenantOwned, Timestamped, Base):
    """An application to a recognition programme (data/programmes.yaml) for a year: by an enterprise
    (``tenant_id``) or, for regional programmes, for a stored region (``tenant_id`` NULL,
    ``region_id`` set; filed by an evaluator). ``declared``: the applicant's figures; ``checks``: each
    criterion with the value used and its source (measured, declared, missing) at the last check."""

    __tablename__ = "evaluation_applications"
    __tenant_optional__ = True
    __evaluation_visible__ = True
    __table_args__ = (
        tenant_key("evaluation_applications"),
        Index("ix_evaluation_applications_programme", "programme", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    region_id: Mapped[int | None] = mapped_column(ForeignKey("evaluation_regions.id", ondelete="CASCADE"), index=True)
    programme: Mapped[str] = mapped_column(String(60))
    programme_hash: Mapped[str] = mapped_column(String(16))  # the criteria version checked against
    year: Mapped[int]
    status: Mapped[ApplicationStatus] = mapped_column(
        str_enum(ApplicationStatus, "application_status"), default=ApplicationStatus.draft
    )
    declared: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    eligible: Mapped[bool | None]
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    decision_note: Mapped[str | None] = mapped_column(Text)


class RegionRecord(Base):
    """A region evaluated under 1.3.4: GB/T 2260 code, name, area in km²."""

    __tablename__ = "evaluation_regions"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(6))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120), default="")
    area_km2: Mapped[float] = mapped_column(Double)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RegionStatistic(Base):
    """One yearly regional statistic (``manufacturing_enterprises``, ``service_platforms``...) with
    its source (statistical yearbook, bulletin)."""

    __tablename__ = "evaluation_region_statistics"
    __table_args__ = (UniqueConstraint("region_id", "year", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("evaluation_regions.id", ondelete="CASCADE"), index=True)
    year: Mapped[int]
    name: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Double)
    source: Mapped[str] = mapped_column(String(300), default="")


class RegionMember(TenantOwned, Base):
    """An enterprise (tenant) counted in a region. ``som``: counted as a service-oriented manufacturing
    enterprise. ``figures``: the enterprise's declared yearly supplier spend, {"2025":
    {"supplier_spend": x, "supplier_spend_local": y}} (the platform records no purchasing)."""

    __tablename__ = "evaluation_region_members"
    __evaluation_visible__ = True
    __table_args__ = (tenant_key("evaluation_region_members"), UniqueConstraint("region_id", "tenant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("evaluation_regions.id", ondelete="CASCADE"), index=True)
    som: Mapped[bool] = mapped_column(default=True)
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# ==== issue 4 (s3-eval2): evidence files, financial statements (1.3.2), sustainability (1.3.3) ====


class EvidenceFile(TenantOwned, Base):
    """An evidence attachment of one questionnaire answer (1.3.1): the file itself, stored in the
    database with the evaluation (one transaction: a file is stored whole or not at all).

    The content type is the one the bytes were recognised as (:mod:`.evidence`), never the client's
    claim; ``sha256`` lets anyone check the copy. The evaluator reads the files of submitted
    evaluations only (the service checks the evaluation first)."""

    __tablename__ = "evaluation_evidence_files"
    __evaluation_visible__ = True
    __table_args__ = (
        tenant_key("evaluation_evidence_files"),
        tenant_fk("evaluation_id", "evaluations", ondelete="CASCADE"),
        Index("ix_evaluation_evidence_files_evaluation", "evaluation_id", "indicator_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(IdType)
    indicator_code: Mapped[str] = mapped_column(String(80))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class FinancialStatement(TenantOwned, Timestamped, Base):
    """An enterprise's uploaded financial statement of one year (1.3.2, enterprise level): the line
    items as validated (code -> amount in ``unit``), the uploaded file's name and digest, and the
    measures computed from it by :mod:`.enterprise_io` (service input ratio, service value added).
    One row per enterprise and year; a new upload replaces it whole."""

    __tablename__ = "evaluation_financial_statements"
    __evaluation_visible__ = True
    __table_args__ = (tenant_key("evaluation_financial_statements"), UniqueConstraint("tenant_id", "year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    unit: Mapped[str] = mapped_column(String(20))  # amounts in CNY or 10k CNY (万元)
    items: Mapped[dict[str, Any]] = mapped_column(JSON)
    filename: Mapped[str] = mapped_column(String(200), default="")
    sha256: Mapped[str] = mapped_column(String(64), default="")
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class SustainabilityRecord(TenantOwned, Timestamped, Base):
    """An enterprise's sustainability figures of one year (1.3.3): the environmental, social and
    governance figures as given, the carbon activities and emission factors, and what
    :mod:`.sustainability` and :mod:`.carbon` computed from them (footprint by scope, indicators,
    E/S/G scores). One row per enterprise and year; saving again replaces it whole."""

    __tablename__ = "evaluation_sustainability"
    __evaluation_visible__ = True
    __table_args__ = (tenant_key("evaluation_sustainability"), UniqueConstraint("tenant_id", "year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)
    activities: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    factors: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


# ==== issue 4 (s5-evid): evidence files of conformance self-checks and programme applications ====


class RecordFile(TenantOwned, Base):
    """An evidence file of a conformance self-check (对标达标; ``check_id``, ``item`` the clause code)
    or of an enterprise's programme application (``application_id``, ``item`` a criterion's metric
    or "" for the application as a whole): the file itself, checked and stored as the maturity
    evidence is (:mod:`.evidence`: size, content type recognised from the bytes, sha256).

    Exactly one owner is set; the composite tenant keys make the database refuse a file of one
    enterprise on another's record. The evaluator reads the files of submitted self-checks and
    applications only (the service looks the owner up in the caller's view first).

    A regional application (filed by an evaluator for a stored region, ``tenant_id`` NULL) keeps
    its files with ``tenant_id`` NULL too (migration ``0019``): no enterprise sees them; the plain
    foreign key on ``application_id`` holds them to an existing application, which the composite
    key cannot do with a NULL tenant."""

    __tablename__ = "evaluation_record_files"
    __evaluation_visible__ = True
    __tenant_optional__ = True
    __table_args__ = (
        tenant_key("evaluation_record_files"),
        tenant_fk("check_id", "evaluation_conformance_checks", ondelete="CASCADE"),
        tenant_fk("application_id", "evaluation_applications", ondelete="CASCADE"),
        CheckConstraint("(check_id IS NULL) <> (application_id IS NULL)", name="one_owner"),
        CheckConstraint("tenant_id IS NOT NULL OR application_id IS NOT NULL", name="tenantless_application"),
        Index("ix_evaluation_record_files_check", "check_id", "item"),
        Index("ix_evaluation_record_files_application", "application_id", "item"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(  # type: ignore[assignment]
        ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=True
    )
    check_id: Mapped[int | None] = mapped_column(IdType)
    application_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("evaluation_applications.id", ondelete="CASCADE")
    )
    item: Mapped[str] = mapped_column(String(80), default="")
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
