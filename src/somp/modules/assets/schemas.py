"""API contract of assets: the installed base and its lifecycle (framework node 3.6)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field, model_validator

from somp.core.schemas import MAX_ID, Code, InputModel, LongText, Name, ReadModel, ShortText, Stamped
from somp.modules.assets.lifecycle import AssetState
from somp.modules.tenants.schemas import RegionCode


class SiteFields(InputModel):
    @model_validator(mode="after")
    def _both_coordinates(self):  # noqa: ANN202
        lat, lon = getattr(self, "latitude", None), getattr(self, "longitude", None)
        if (lat is None) != (lon is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class AssetCreate(SiteFields):
    serial_number: Code
    product_id: int = Field(ge=1, le=MAX_ID)
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    state: AssetState = Field(
        AssetState.manufactured,
        description="initial state when registering an existing installed base (e.g. in_service)",
    )
    site_name: Name | None = None
    site_address: ShortText | None = None
    site_region_code: RegionCode | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    manufactured_on: dt.date | None = None
    delivered_on: dt.date | None = None
    installed_on: dt.date | None = None
    commissioned_on: dt.date | None = None
    warranty_until: dt.date | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> AssetCreate:
        check_date_order(self)
        return self


class AssetUpdate(SiteFields):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    site_name: Name | None = None
    site_address: ShortText | None = None
    site_region_code: RegionCode | None = None
    latitude: float | None = Field(None, ge=-90, le=90)
    longitude: float | None = Field(None, ge=-180, le=180)
    manufactured_on: dt.date | None = None
    delivered_on: dt.date | None = None
    installed_on: dt.date | None = None
    commissioned_on: dt.date | None = None
    warranty_until: dt.date | None = None
    notes: LongText | None = None
    version: int | None = None


DATE_ORDER = ("manufactured_on", "delivered_on", "installed_on", "commissioned_on")


def check_date_order(obj: object) -> None:
    """Lifecycle dates must not run backwards (manufactured <= delivered <= installed <= commissioned)."""
    seen: list[tuple[str, dt.date]] = []
    for name in DATE_ORDER:
        d = getattr(obj, name, None)
        if d is None:
            continue
        for prev_name, prev in seen:
            if d < prev:
                raise ValueError(f"{name} ({d}) is before {prev_name} ({prev})")
        seen.append((name, d))


class AssetRead(Stamped):
    serial_number: str
    product_id: int
    customer_id: int | None
    state: AssetState
    state_changed_at: dt.datetime
    site_name: str | None
    site_address: str | None
    site_region_code: str | None
    latitude: float | None
    longitude: float | None
    manufactured_on: dt.date | None
    delivered_on: dt.date | None
    installed_on: dt.date | None
    commissioned_on: dt.date | None
    warranty_until: dt.date | None
    retired_on: dt.date | None
    notes: str | None


class TransitionRequest(InputModel):
    to_state: AssetState
    reason: str | None = Field(None, max_length=2000)
    on: dt.date | None = Field(None, description="the day it happened; default today")
    version: int | None = None


class StateChangeRead(ReadModel):
    id: int
    asset_id: int
    from_state: AssetState | None
    to_state: AssetState
    at: dt.datetime
    by_user_id: int | None
    reason: str | None
    source: str


class AllowedTransitions(ReadModel):
    state: AssetState
    allowed: list[AssetState]


class DeviceTokenCreate(InputModel):
    name: str = Field(min_length=1, max_length=120)


class DeviceTokenRead(ReadModel):
    id: int
    asset_id: int
    name: str
    prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class DeviceTokenIssued(DeviceTokenRead):
    token: str = Field(description="the device secret; shown only once")
