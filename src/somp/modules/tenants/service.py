"""Tenants, users and API tokens (core identity) as services."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from somp.core.database import utcnow
from somp.core.errors import FieldError, Forbidden, NotFound, ValidationFailed
from somp.core.identity import ApiToken, Role, Tenant, User
from somp.core.pagination import Order
from somp.core.schemas import MAX_ID
from somp.core.security import hash_password, issue_token, password_problems
from somp.core.service import apply_changes, ensure_unique, get_or_404, list_page
from somp.core.tenancy import current_scope
from somp.modules.tenants.schemas import TenantCreate, TenantUpdate, TokenCreate, UserCreate, UserUpdate


def create_tenant(session: Session, data: TenantCreate) -> Tenant:
    ensure_unique(session, Tenant, "uscc", data.uscc)
    tenant = Tenant(**data.model_dump())
    session.add(tenant)
    session.flush()
    return tenant


def get_tenant(session: Session, tenant_id: int) -> Tenant:
    return get_or_404(session, Tenant, tenant_id, "tenant")


def update_tenant(session: Session, tenant_id: int, data: TenantUpdate) -> Tenant:
    tenant = get_tenant(session, tenant_id)
    if data.active is False and not current_scope(session).platform:
        raise Forbidden("only a platform administrator deactivates a tenant")
    apply_changes(tenant, data.model_dump(exclude_unset=True))
    session.flush()
    return tenant


def list_tenants(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    q: str | None = None,
    region_code: str | None = None,
    industry_code: str | None = None,
) -> tuple[list[Tenant], str | None]:
    stmt = select(Tenant)
    if q:
        stmt = stmt.where(Tenant.name.icontains(q, autoescape=True) | Tenant.uscc.icontains(q, autoescape=True))
    if region_code:
        stmt = stmt.where(Tenant.region_code.startswith(region_code.rstrip("0") or region_code, autoescape=True))
    if industry_code:
        stmt = stmt.where(Tenant.industry_code.startswith(industry_code, autoescape=True))
    return list_page(session, stmt, Tenant, limit=limit, cursor=cursor, order=order)


def _check_password(password: str, field: str = "password") -> None:
    problems = password_problems(password)
    if problems:
        raise ValidationFailed("weak password", [FieldError(field, "password needs " + " and ".join(problems), "weak")])


def _check_roles(session: Session, roles: list[Role], tenant_id: int | None, customer_id: int | None) -> None:
    errors = []
    tenant_roles = [r for r in roles if r.is_tenant_role]
    if tenant_id is None and tenant_roles:
        errors.append(FieldError("roles", f"roles {', '.join(tenant_roles)} need a tenant", "needs_tenant"))
    if tenant_id is not None and len(tenant_roles) != len(roles):
        errors.append(FieldError("roles", "platform_admin and evaluator users belong to no tenant", "no_tenant"))
    if Role.customer_user in roles:
        if len(roles) > 1:
            errors.append(FieldError("roles", "a customer user holds no other role", "exclusive"))
        if customer_id is None:
            errors.append(FieldError("customer_id", "a customer user acts for one customer", "required"))
    elif customer_id is not None:
        errors.append(FieldError("customer_id", "only customer users are linked to a customer", "not_allowed"))
    if errors:
        raise ValidationFailed("invalid roles", errors)
    if customer_id is not None:
        from somp.modules.customers.models import Customer  # kernel module; imported when needed

        c = session.get(Customer, customer_id)
        if c is None or c.tenant_id != tenant_id:
            raise ValidationFailed(
                "invalid reference", [FieldError("customer_id", f"no customer with id {customer_id}", "not_found")]
            )


def create_user(session: Session, data: UserCreate) -> User:
    scope = current_scope(session)
    tenant_id = data.tenant_id
    if scope.tenant_id is not None:
        if tenant_id not in (None, scope.tenant_id):
            raise ValidationFailed(
                "invalid tenant", [FieldError("tenant_id", "you can only add users to your tenant", "not_allowed")]
            )
        tenant_id = scope.tenant_id
    elif tenant_id is not None:
        get_or_404(session, Tenant, tenant_id, "tenant")
    _check_roles(session, data.roles, tenant_id, data.customer_id)
    _check_password(data.password)
    ensure_unique(session, User, "username", data.username)
    user = User(
        tenant_id=tenant_id,
        customer_id=data.customer_id,
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        password_hash=hash_password(data.password),
        roles=[r.value for r in data.roles],
        language=data.language,
    )
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, user_id: int) -> User:
    return get_or_404(session, User, user_id, "user")


def update_user(session: Session, user_id: int, data: UserUpdate) -> User:
    user = get_user(session, user_id)
    changes = data.model_dump(exclude_unset=True, exclude={"password", "roles"})
    if data.roles is not None:
        _check_roles(session, data.roles, user.tenant_id, user.customer_id)
        changes["roles"] = sorted(r.value for r in set(data.roles))
    if data.password is not None:
        _check_password(data.password)
        changes["password_hash"] = hash_password(data.password)
    apply_changes(user, changes)
    session.flush()
    return user


def list_users(
    session: Session,
    *,
    limit: int,
    cursor: str | None,
    order: Order = "asc",
    role: Role | None = None,
    q: str | None = None,
) -> tuple[list[User], str | None]:
    stmt = select(User)
    if q:
        stmt = stmt.where(User.username.icontains(q, autoescape=True) | User.display_name.icontains(q, autoescape=True))
    if role:  # roles are a JSON list of plain words; match the quoted word in its text form
        stmt = stmt.where(cast(User.roles, String).like(f'%"{role.value}"%'))
    return list_page(session, stmt, User, limit=limit, cursor=cursor, order=order)


def issue_api_token(session: Session, user: User, data: TokenCreate) -> tuple[ApiToken, str]:
    issued = issue_token("api")
    expires = utcnow() + dt.timedelta(days=data.expires_in_days) if data.expires_in_days else None
    row = ApiToken(
        tenant_id=user.tenant_id,
        user_id=user.id,
        name=data.name,
        prefix=issued.prefix,
        secret_hash=issued.secret_hash,
        expires_at=expires,
    )
    session.add(row)
    session.flush()
    return row, issued.plaintext


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)))


def revoke_token(session: Session, user_id: int, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id) if 0 < token_id <= MAX_ID else None
    if token is None or token.user_id != user_id:
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
    session.flush()
    return token
