"""REST routes for tenants, users, API tokens and the caller's own identity."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, status

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, current_principal, requires
from somp.core.auth import Principal
from somp.core.identity import Role, User
from somp.core.pagination import Page
from somp.core.tenancy import Scope
from somp.modules.tenants import service
from somp.modules.tenants.schemas import (
    Me,
    TenantCreate,
    TenantRead,
    TenantUpdate,
    TokenCreate,
    TokenIssued,
    TokenRead,
    TokenRequest,
    UserCreate,
    UserRead,
    UserUpdate,
)

router = APIRouter(tags=["tenants and users"])


@router.post("/tenants", response_model=TenantRead, status_code=status.HTTP_201_CREATED)
def create_tenant(data: TenantCreate, c: Annotated[RequestContext, Depends(requires("tenants:create"))]):
    t = service.create_tenant(c.session, data)
    c.commit()
    return t


@router.get("/tenants", response_model=Page[TenantRead])
def list_tenants(
    c: Annotated[RequestContext, Depends(requires("tenants:read"))],
    params: Listing,
    q: Annotated[str | None, Query(max_length=100)] = None,
    region_code: Annotated[str | None, Query(pattern=r"^\d{2,6}$")] = None,
    industry_code: Annotated[str | None, Query(pattern=r"^[A-T]\d{0,4}$")] = None,
):
    return page(
        service.list_tenants(c.session, q=q, region_code=region_code, industry_code=industry_code, **params.kw()),
        params,
    )


@router.get("/tenants/{tenant_id}", response_model=TenantRead)
def get_tenant(tenant_id: int, c: Annotated[RequestContext, Depends(requires("tenants:read"))]):
    return service.get_tenant(c.session, tenant_id)


@router.patch("/tenants/{tenant_id}", response_model=TenantRead)
def update_tenant(
    tenant_id: int, data: TenantUpdate, c: Annotated[RequestContext, Depends(requires("tenants:update"))]
):
    t = service.update_tenant(c.session, tenant_id, data)
    c.commit()
    return t


@router.post("/users", response_model=UserRead, status_code=status.HTTP_201_CREATED)
def create_user(data: UserCreate, c: Annotated[RequestContext, Depends(requires("users:write"))]):
    u = service.create_user(c.session, data)
    c.commit()
    return u


@router.get("/users", response_model=Page[UserRead])
def list_users(
    c: Annotated[RequestContext, Depends(requires("users:read"))],
    params: Listing,
    role: Role | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
):
    return page(service.list_users(c.session, role=role, q=q, **params.kw()), params)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(user_id: int, c: Annotated[RequestContext, Depends(requires("users:read"))]):
    return service.get_user(c.session, user_id)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(
    user_id: int, data: UserUpdate, request: Request, c: Annotated[RequestContext, Depends(requires("users:write"))]
):
    u = service.update_user(c.session, user_id, data)
    c.commit()
    request.app.state.auth.forget(user_id)
    return u


@router.get("/me", response_model=Me)
def me(p: Annotated[Principal, Depends(current_principal)]):
    return Me(
        user_id=p.user_id,
        username=p.username,
        display_name=p.display_name,
        tenant_id=p.tenant_id,
        customer_id=p.customer_id,
        roles=sorted(p.roles),
        language=p.language,
    )


@router.post("/auth/token", response_model=TokenIssued, status_code=status.HTTP_201_CREATED, tags=["auth"])
def login_for_token(data: TokenRequest, request: Request):
    """Exchange a user name and password for a new API token (shown once)."""
    client = request.client.host if request.client else ""
    p = request.app.state.auth.login(data.username, data.password, client)
    with request.app.state.db.session(Scope.all_tenants()) as s:
        user = s.get(User, p.user_id)
        row, plaintext = service.issue_api_token(
            s, user, TokenCreate(name=data.name, expires_in_days=data.expires_in_days)
        )
        s.commit()
        return TokenIssued.model_validate({**TokenRead.model_validate(row).model_dump(), "token": plaintext})


@router.get("/tokens", response_model=list[TokenRead], tags=["auth"])
def list_tokens(c: Annotated[RequestContext, Depends(requires("tokens:read"))]):
    return service.list_tokens(c.session, c.principal.user_id)


@router.post("/tokens", response_model=TokenIssued, status_code=status.HTTP_201_CREATED, tags=["auth"])
def create_token(data: TokenCreate, c: Annotated[RequestContext, Depends(requires("tokens:write"))]):
    user = c.session.get(User, c.principal.user_id)
    row, plaintext = service.issue_api_token(c.session, user, data)
    c.commit()
    return TokenIssued.model_validate({**TokenRead.model_validate(row).model_dump(), "token": plaintext})


@router.delete("/tokens/{token_id}", response_model=TokenRead, tags=["auth"])
def revoke_token(token_id: int, request: Request, c: Annotated[RequestContext, Depends(requires("tokens:write"))]):
    t = service.revoke_token(c.session, c.principal.user_id, token_id)
    c.commit()
    request.app.state.auth.forget(c.principal.user_id)
    return t
