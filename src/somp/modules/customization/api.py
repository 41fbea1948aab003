"""REST routes of the configurator and C2M orders (framework nodes 3.2, 2.1.2)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from somp.api.common import Listing
from somp.api.deps import RequestContext, requires
from somp.core.pagination import Page
from somp.core.schemas import MAX_ID
from somp.modules.customization import orders, service
from somp.modules.customization.models import C2MStatus, ConfigurableStatus
from somp.modules.customization.schemas import (
    C2MOrderCreate,
    C2MOrderRead,
    C2MTransition,
    ConfigurableCreate,
    ConfigurableRead,
    ConfigurableUpdate,
    ConfigurableWritten,
    ConfigureRequest,
    ConfigureResult,
    ModelImport,
    ModelVersionCreate,
    ModelVersionDetail,
    ModelVersionRead,
    ProblemRead,
)

router = APIRouter(prefix="/customization", tags=["customization (C2M)"])
Read = Annotated[RequestContext, Depends(requires("customization:read"))]
Write = Annotated[RequestContext, Depends(requires("customization:write"))]
Version = Annotated[int, Query(ge=1, le=10**9, description="model version number; default the current one")]


def _written(conf, row, warnings) -> ConfigurableWritten:  # noqa: ANN001
    detail = ModelVersionDetail.model_validate(row).model_copy(
        update={"warnings": [ProblemRead(path=w.path, message=w.message, code=w.code) for w in warnings]}
    )
    return ConfigurableWritten(**ConfigurableRead.model_validate(conf).model_dump(), model_version=detail)


@router.post("/offerings", response_model=ConfigurableWritten, status_code=status.HTTP_201_CREATED)
def create_configurable(data: ConfigurableCreate, c: Write):
    """Define a configurable offering on a catalog offering, with its first model version (validated:
    unknown codes, duplicates, bounds, self-references and a model without any configuration are
    refused with the path of each problem; options that can never be chosen and options requiring
    each other in a cycle are warnings)."""
    conf, row, warnings = service.create_configurable(c.session, data, c.principal.user_id)
    c.commit()
    return _written(conf, row, warnings)


@router.post("/import", response_model=ConfigurableWritten)
def import_model(data: ModelImport, c: Write, response: Response):
    """A model file (YAML or JSON with its header: code, names, catalog offering code): a new
    configurable offering (201), the next version of an existing one (201), or nothing new when the
    content equals the current version (200)."""
    conf, row, warnings, added = service.import_model(c.session, data, c.principal.user_id)
    c.commit()
    response.status_code = status.HTTP_201_CREATED if added else status.HTTP_200_OK
    return _written(conf, row, warnings)


@router.get("/offerings", response_model=Page[ConfigurableRead])
def list_configurables(
    c: Read,
    params: Listing,
    offering_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: ConfigurableStatus | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    items, nxt = service.list_configurables(c.session, offering_id=offering_id, status=status, q=q, **params.kw())
    return {"items": items, "next_cursor": nxt, "limit": params.limit}


@router.get("/offerings/{configurable_id}", response_model=ConfigurableRead)
def get_configurable(configurable_id: int, c: Read):
    return service.get_configurable(c.session, configurable_id)


@router.patch("/offerings/{configurable_id}", response_model=ConfigurableRead)
def update_configurable(configurable_id: int, data: ConfigurableUpdate, c: Write):
    conf = service.update_configurable(c.session, configurable_id, data)
    c.commit()
    return conf


@router.get("/offerings/{configurable_id}/versions", response_model=list[ModelVersionRead])
def list_versions(configurable_id: int, c: Read):
    return service.list_model_versions(c.session, configurable_id)


@router.post("/offerings/{configurable_id}/versions", response_model=ConfigurableWritten, status_code=201)
def add_version(configurable_id: int, data: ModelVersionCreate, c: Write):
    """Edit the model: store it as the next version (orders keep the version they were made on)."""
    conf, row, warnings = service.add_model_version(c.session, configurable_id, data, c.principal.user_id)
    c.commit()
    return _written(conf, row, warnings)


@router.get("/offerings/{configurable_id}/versions/{model_version}", response_model=ModelVersionDetail)
def get_version(configurable_id: int, model_version: int, c: Read):
    conf = service.get_configurable(c.session, configurable_id)
    return service.get_model_version(c.session, conf, model_version)


@router.get("/offerings/{configurable_id}/export")
def export_model(
    configurable_id: int,
    c: Read,
    format: Literal["yaml", "json"] = "yaml",  # noqa: A002 - the query parameter's name
    version: Version | None = None,
):
    """The model as a file (YAML or JSON), ready for ``POST /customization/import``."""
    text = service.export_model(c.session, configurable_id, version, format)
    media = "application/json" if format == "json" else "application/yaml"
    return Response(text, media_type=f"{media}; charset=utf-8")


@router.post("/offerings/{configurable_id}/configure", response_model=ConfigureResult)
def configure(configurable_id: int, req: ConfigureRequest, c: Read):
    """Given the customer's choices (and numeric requirements): every option's state (chosen, ruled
    out, required, open or impossible with the rules that rule it out), the cheapest completion
    with its price, or, when the choices cannot all hold, the minimal conflicting set in words."""
    return service.configure(c.session, configurable_id, req)


@router.post("/orders", response_model=C2MOrderRead, status_code=status.HTTP_201_CREATED)
def confirm(data: C2MOrderCreate, c: Write):
    """Confirm a configuration: a C2M production order (released) with its bill of options and a
    draft contract for the customer. Conflicting choices: 422 with the rules; a changed model: 409."""
    order = orders.confirm(c.session, data, c.principal.user_id)
    c.commit()
    return orders.to_read(c.session, [order])[0]


@router.get("/orders", response_model=Page[C2MOrderRead])
def list_orders(
    c: Read,
    params: Listing,
    status: C2MStatus | None = None,
    customer_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    configurable_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    contract_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    items, nxt = orders.list_orders(
        c.session,
        status=status,
        customer_id=customer_id,
        configurable_id=configurable_id,
        contract_id=contract_id,
        q=q,
        **params.kw(),
    )
    return {"items": orders.to_read(c.session, items), "next_cursor": nxt, "limit": params.limit}


@router.get("/orders/{order_id}", response_model=C2MOrderRead)
def get_order(order_id: int, c: Read):
    return orders.to_read(c.session, [orders.get_order(c.session, order_id)])[0]


@router.post("/orders/{order_id}/transitions", response_model=C2MOrderRead)
def transition_order(order_id: int, req: C2MTransition, c: Write):
    """Start production, complete, deliver or cancel; an illegal move is refused (409)."""
    order = orders.transition_order(c.session, order_id, req)
    c.commit()
    return orders.to_read(c.session, [order])[0]
