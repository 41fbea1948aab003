"""API contract of customers (framework node 1.2.1)."""

from __future__ import annotations

from pydantic import Field

from somp.core.schemas import Code, InputModel, LongText, Name, ReadModel, ShortText, Stamped
from somp.modules.tenants.schemas import USCC, IndustryCode, RegionCode


class CustomerCreate(InputModel):
    code: Code
    name: Name
    name_en: Name | None = None
    uscc: USCC | None = None
    industry_code: IndustryCode | None = None
    region_code: RegionCode | None = None
    contact_name: str | None = Field(None, max_length=80)
    contact_phone: str | None = Field(None, max_length=32, pattern=r"^[0-9+\-() ]{5,32}$")
    contact_email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: ShortText | None = None
    notes: LongText | None = None


class CustomerUpdate(InputModel):
    name: Name | None = None
    name_en: Name | None = None
    uscc: USCC | None = None
    industry_code: IndustryCode | None = None
    region_code: RegionCode | None = None
    contact_name: str | None = Field(None, max_length=80)
    contact_phone: str | None = Field(None, max_length=32, pattern=r"^[0-9+\-() ]{5,32}$")
    contact_email: str | None = Field(None, max_length=200, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    address: ShortText | None = None
    notes: LongText | None = None
    version: int | None = None


class CustomerRead(Stamped):
    code: str
    name: str
    name_en: str | None
    uscc: str | None
    industry_code: str | None
    region_code: str | None
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    address: str | None
    notes: str | None


class CustomerRef(ReadModel):
    id: int
    code: str
    name: str
