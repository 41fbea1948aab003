"""Tables of PSS design and delivery (framework nodes 2.1.2 产品服务组合设计 and 2.1.5 交付), loaded
with :mod:`.models`:

* :class:`BlueprintVersion` — the versions of an offering's service blueprint (the document of
  :mod:`.blueprint` as JSON with its content hash); a version row never changes, an edit stores the
  next number, and the highest number is the current blueprint.
* :class:`ProductComponent` — the component list of a product (airend, motor, controller...): what a
  service can touch.
* :class:`ServiceInterface` — a product-service interface: which service item of an offering (by its
  line number) touches which component of the offering's product, and how.
* :class:`DeliveryProject` / :class:`DeliveryStage` / :class:`DeliveryEvent` — a delivery project per
  contract with its five stages (plan, ship, install, commission, acceptance), planned and actual
  dates, the commissioning attempts (first-time-right) and the log of what happened.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from somp.core.database import JSON, Base, TenantOwned, Timestamped, tenant_fk, tenant_key, utcnow
from somp.core.identity import str_enum


class BlueprintVersion(TenantOwned, Base):
    __tablename__ = "pss_blueprint_versions"
    __table_args__ = (
        tenant_key("pss_blueprint_versions"),
        UniqueConstraint("tenant_id", "offering_id", "number"),
        tenant_fk("offering_id", "offerings", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int]
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    step_count: Mapped[int]
    fail_points: Mapped[int]
    note: Mapped[str | None] = mapped_column(String(300))
    created_by: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProductComponent(TenantOwned, Base):
    __tablename__ = "pss_product_components"
    __table_args__ = (
        tenant_key("pss_product_components"),
        UniqueConstraint("tenant_id", "product_id", "code"),
        tenant_fk("product_id", "products", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int]
    position: Mapped[int]
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    part_number: Mapped[str | None] = mapped_column(String(64))  # the BOM line it stands for, if any


class InterfaceKind(enum.StrEnum):
    """How a service touches a product component."""

    installs = "installs"
    monitors = "monitors"
    inspects = "inspects"
    maintains = "maintains"
    repairs = "repairs"
    replaces = "replaces"
    upgrades = "upgrades"
    recycles = "recycles"


class ServiceInterface(TenantOwned, Base):
    __tablename__ = "pss_service_interfaces"
    __table_args__ = (
        UniqueConstraint("tenant_id", "offering_id", "service_line_no", "component_id"),
        tenant_fk("offering_id", "offerings", ondelete="CASCADE"),
        tenant_fk("component_id", "pss_product_components"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    offering_id: Mapped[int]
    service_line_no: Mapped[int]  # the offering's service item (offering_service_items.line_no)
    component_id: Mapped[int]
    kind: Mapped[InterfaceKind] = mapped_column(str_enum(InterfaceKind, "pss_interface_kind"))
    note: Mapped[str | None] = mapped_column(String(300))


class DeliveryStatus(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    accepted = "accepted"
    cancelled = "cancelled"


class StageKind(enum.StrEnum):
    """The stages of a delivery, in order."""

    plan = "plan"
    ship = "ship"
    install = "install"
    commission = "commission"
    acceptance = "acceptance"


STAGE_ORDER = tuple(StageKind)


class StageStatus(enum.StrEnum):
    pending = "pending"
    in_progress = "in_progress"
    done = "done"


class DeliveryEventKind(enum.StrEnum):
    created = "created"
    started = "started"
    completed = "completed"
    failed = "failed"  # a commissioning attempt that did not pass
    cancelled = "cancelled"


class DeliveryProject(TenantOwned, Timestamped, Base):
    __tablename__ = "pss_delivery_projects"
    __customer_column__ = "customer_id"
    __table_args__ = (
        tenant_key("pss_delivery_projects"),
        UniqueConstraint("tenant_id", "number"),
        tenant_fk("contract_id", "contracts"),
        tenant_fk("customer_id", "customers"),
        Index("ix_pss_delivery_projects_contract", "tenant_id", "contract_id"),
        Index("ix_pss_delivery_projects_accepted", "tenant_id", "accepted_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    contract_id: Mapped[int]
    customer_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[DeliveryStatus] = mapped_column(
        str_enum(DeliveryStatus, "pss_delivery_status"), default=DeliveryStatus.planned
    )
    ordered_on: Mapped[dt.date]  # lead time runs from here
    due_on: Mapped[dt.date]  # promised acceptance: the planned end of the acceptance stage
    commission_attempts: Mapped[int] = mapped_column(default=0)
    commissioned_on: Mapped[dt.date | None]
    first_time_right: Mapped[bool | None]
    accepted_on: Mapped[dt.date | None]
    note: Mapped[str | None] = mapped_column(Text)


class DeliveryStage(TenantOwned, Base):
    __tablename__ = "pss_delivery_stages"
    __table_args__ = (
        UniqueConstraint("tenant_id", "project_id", "stage"),
        tenant_fk("project_id", "pss_delivery_projects", ondelete="CASCADE"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int]
    seq: Mapped[int]
    stage: Mapped[StageKind] = mapped_column(str_enum(StageKind, "pss_delivery_stage"))
    status: Mapped[StageStatus] = mapped_column(
        str_enum(StageStatus, "pss_delivery_stage_status"), default=StageStatus.pending
    )
    planned_start: Mapped[dt.date]
    planned_end: Mapped[dt.date]
    actual_start: Mapped[dt.date | None]
    actual_end: Mapped[dt.date | None]


class DeliveryEvent(TenantOwned, Base):
    __tablename__ = "pss_delivery_events"
    __table_args__ = (
        tenant_fk("project_id", "pss_delivery_projects", ondelete="CASCADE"),
        Index("ix_pss_delivery_events_project", "tenant_id", "project_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int]
    stage: Mapped[StageKind | None] = mapped_column(str_enum(StageKind, "pss_delivery_stage"))
    kind: Mapped[DeliveryEventKind] = mapped_column(str_enum(DeliveryEventKind, "pss_delivery_event_kind"))
    on: Mapped[dt.date]
    note: Mapped[str | None] = mapped_column(String(300))
    by_user_id: Mapped[int | None]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
