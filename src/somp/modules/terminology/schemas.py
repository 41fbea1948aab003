"""API contract of the terminology module."""

from __future__ import annotations

from pydantic import BaseModel


class TermRead(BaseModel):
    key: str
    zh: str
    en: str
    definition_zh: str
    definition_en: str
    framework: list[str]
    source: str
    see_also: list[str]


class FrameworkNodeRead(BaseModel):
    code: str
    zh: str
    en: str
    module: str | None
    scope: str | None
    children: list[FrameworkNodeRead]
