"""REST routes of PSS design and delivery under ``/api/v1/pss`` (framework nodes 2.1.2 and 2.1.5):
an offering's service blueprint (versions, YAML export, SVG diagram), product component lists,
product-service interfaces, delivery projects with their progress, and the delivery KPIs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.pss import delivery, design
from somp.modules.pss.design_models import DeliveryStatus
from somp.modules.pss.design_schemas import (
    BlueprintRead,
    BlueprintVersionCreate,
    BlueprintVersionRead,
    ComponentRead,
    ComponentsIn,
    DeliveryKpisRead,
    DeliveryProgress,
    DeliveryProjectCreate,
    DeliveryProjectDetail,
    DeliveryProjectRead,
    InterfaceMatrix,
    InterfacesIn,
    PortalDeliveryProject,
)

router = APIRouter(tags=["pss"])
Read = Annotated[RequestContext, Depends(requires("pss:read"))]
Write = Annotated[RequestContext, Depends(requires("pss:write"))]
PortalDelivery = Annotated[RequestContext, Depends(requires("delivery:read"))]
Version = Annotated[int | None, Query(ge=1, le=MAX_ID, description="a version number; default the current")]


@router.get("/pss/offerings/{offering_id}/blueprint", response_model=BlueprintRead)
def get_blueprint(offering_id: int, c: Read, version: Version = None):
    """A version of the offering's service blueprint with its summary, findings and interfaces."""
    return design.blueprint_view(c.session, design.get_blueprint_version(c.session, offering_id, version))


@router.get("/pss/offerings/{offering_id}/blueprint/versions", response_model=list[BlueprintVersionRead])
def list_blueprint_versions(offering_id: int, c: Read):
    return design.list_blueprint_versions(c.session, offering_id)


@router.post(
    "/pss/offerings/{offering_id}/blueprint/versions", response_model=BlueprintRead,
    status_code=status.HTTP_201_CREATED,
)  # fmt: skip
def add_blueprint_version(offering_id: int, data: BlueprintVersionCreate, c: Write, response: Response):
    """Validate and store the next version (422 with every reason; 409 when ``based_on`` is stale).
    The same content as the current version stores nothing (200)."""
    row, created = design.add_blueprint_version(c.session, offering_id, data, c.principal.user_id)
    out = BlueprintRead.model_validate(design.blueprint_view(c.session, row))
    c.commit()
    if not created:
        response.status_code = status.HTTP_200_OK
    return out


@router.get("/pss/offerings/{offering_id}/blueprint/export")
def export_blueprint(offering_id: int, c: Read, version: Version = None):
    return Response(
        design.export_blueprint(c.session, offering_id, version), media_type="application/yaml; charset=utf-8"
    )


@router.get("/pss/offerings/{offering_id}/blueprint/svg")
def blueprint_svg(offering_id: int, c: Read, version: Version = None, lang: Literal["zh", "en"] = "zh"):
    return Response(design.render_blueprint(c.session, offering_id, version, lang), media_type="image/svg+xml")


@router.get("/pss/products/{product_id}/components", response_model=list[ComponentRead])
def list_components(product_id: int, c: Read):
    return design.list_components(c.session, product_id)


@router.put("/pss/products/{product_id}/components", response_model=list[ComponentRead])
def set_components(product_id: int, data: ComponentsIn, c: Write):
    """Replace the product's component list (stored whole or refused whole)."""
    out = [ComponentRead.model_validate(x) for x in design.set_components(c.session, product_id, data)]
    c.commit()
    return out


@router.get("/pss/offerings/{offering_id}/interfaces", response_model=InterfaceMatrix)
def get_interfaces(offering_id: int, c: Read):
    """Service items x product components, with the current blueprint's steps per component."""
    return design.interface_matrix(c.session, offering_id)


@router.put("/pss/offerings/{offering_id}/interfaces", response_model=InterfaceMatrix)
def set_interfaces(offering_id: int, data: InterfacesIn, c: Write):
    out = InterfaceMatrix.model_validate(design.set_interfaces(c.session, offering_id, data))
    c.commit()
    return out


@router.post("/pss/delivery-projects", response_model=DeliveryProjectDetail, status_code=status.HTTP_201_CREATED)
def create_delivery_project(data: DeliveryProjectCreate, c: Write):
    p = delivery.create_project(c.session, data, c.principal.user_id)
    out = DeliveryProjectDetail.model_validate(delivery.detail(c.session, p.id))
    c.commit()
    return out


@router.get("/pss/delivery-projects", response_model=Page[DeliveryProjectRead])
def list_delivery_projects(
    c: Read, params: Listing, contract_id: int | None = None, customer_id: int | None = None,
    status_: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
):  # fmt: skip
    return page(
        delivery.list_projects(c.session, contract_id=contract_id, customer_id=customer_id, status=status_,
                               **params.kw()), params,
    )  # fmt: skip


@router.get("/pss/delivery-projects/{project_id}", response_model=DeliveryProjectDetail)
def get_delivery_project(project_id: int, c: Read):
    return delivery.detail(c.session, project_id)


@router.get("/portal/delivery-projects", response_model=list[PortalDeliveryProject])
def portal_delivery_projects(c: PortalDelivery):
    """The customer user's own delivery projects with their stages (newest first, at most 200);
    the customer scope of the session narrows the rows (2.1.5, portal)."""
    return delivery.portal_read(c.session)


@router.post("/pss/delivery-projects/{project_id}/progress", response_model=DeliveryProjectDetail)
def delivery_progress(project_id: int, data: DeliveryProgress, c: Write):
    """A stage started or completed, a commissioning attempt failed, or the project cancelled
    (409 outside the state machine); the acceptance records the customer's participation."""
    delivery.progress(c.session, project_id, data, c.principal.user_id)
    out = DeliveryProjectDetail.model_validate(delivery.detail(c.session, project_id))
    c.commit()
    return out


@router.get("/pss/delivery-kpis", response_model=DeliveryKpisRead)
def delivery_kpis(c: Read, period: Annotated[str, Query(pattern=r"^\d{4}(-\d{2}|-Q[1-4])?$")]):
    """On-time delivery rate, first-time-right commissioning rate and lead time (median, p90) of a
    month ``YYYY-MM``, quarter ``YYYY-Qn`` or year ``YYYY``."""
    return delivery.kpis(c.session, period)
