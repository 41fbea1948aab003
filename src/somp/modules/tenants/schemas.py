"""API contract for tenants (enterprises), users and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import AfterValidator, Field, field_validator

from somp.core import cn_codes
from somp.core.identity import Role, SizeClass
from somp.core.schemas import Id, InputModel, Name, ReadModel, ShortText


def _code(fn):  # noqa: ANN001, ANN202 - adapts a cn_codes validator to pydantic
    def check(v: str) -> str:
        try:
            return fn(v)
        except cn_codes.InvalidCode as exc:
            raise ValueError(exc.reason_en) from None

    return check


USCC = Annotated[str, AfterValidator(_code(cn_codes.validate_uscc))]
IndustryCode = Annotated[str, AfterValidator(_code(cn_codes.validate_industry_code))]
RegionCode = Annotated[str, AfterValidator(_code(cn_codes.validate_region_code))]


class TenantCreate(InputModel):
    name: Name
    name_en: Name | None = None
    uscc: USCC = Field(description="统一社会信用代码, 18 characters, GB 32100")
    industry_code: IndustryCode = Field(description="GB/T 4754-2017 code, e.g. C3441")
    region_code: RegionCode = Field(description="GB/T 2260 code, e.g. 320500")
    size_class: SizeClass
    address: ShortText | None = None


class TenantUpdate(InputModel):
    name: Name | None = None
    name_en: Name | None = None
    industry_code: IndustryCode | None = None
    region_code: RegionCode | None = None
    size_class: SizeClass | None = None
    address: ShortText | None = None
    active: bool | None = None


class TenantRead(ReadModel):
    id: int
    name: str
    name_en: str | None
    uscc: str
    industry_code: str
    region_code: str
    size_class: SizeClass
    address: str | None
    active: bool
    created_at: dt.datetime


Username = Annotated[str, Field(min_length=3, max_length=80, pattern=r"^[A-Za-z0-9_.@\-]+$")]


class UserCreate(InputModel):
    username: Username
    display_name: Name
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=1, max_length=200)
    roles: list[Role] = Field(min_length=1)
    tenant_id: Id | None = Field(None, description="platform administrators only: the user's tenant")
    customer_id: Id | None = Field(None, description="required for customer users: the customer they act for")
    language: str = Field("zh", pattern=r"^(zh|en)$")

    @field_validator("roles")
    @classmethod
    def _distinct(cls, v: list[Role]) -> list[Role]:
        return sorted(set(v))


class UserUpdate(InputModel):
    display_name: Name | None = None
    email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Role] | None = Field(None, min_length=1)
    language: str | None = Field(None, pattern=r"^(zh|en)$")
    active: bool | None = None


class UserRead(ReadModel):
    id: int
    tenant_id: int | None
    customer_id: int | None
    username: str
    display_name: str
    email: str | None
    roles: list[Role]
    language: str
    active: bool
    created_at: dt.datetime
    last_login_at: dt.datetime | None


class TokenRequest(InputModel):
    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    name: str = Field("api", min_length=1, max_length=120)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenRead(ReadModel):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="the secret token; shown only once")


class Me(ReadModel):
    user_id: int
    username: str
    display_name: str
    tenant_id: int | None
    customer_id: int | None
    roles: list[Role]
    language: str
