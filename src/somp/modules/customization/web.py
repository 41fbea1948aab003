"""Pages of the configurator and C2M orders."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
