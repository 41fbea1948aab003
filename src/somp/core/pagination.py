"""Cursor (keyset) pagination over integer primary keys.

A cursor is opaque to clients: the URL-safe base64 of ``"<direction>:<last id>"``. Keyset paging
stays fast on deep pages (no OFFSET scan) and is stable while rows are added.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import Select

from somp.core.errors import invalid

T = TypeVar("T")
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
Order = Literal["asc", "desc"]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(None, description="pass as `cursor` to get the next page; null on the last")
    limit: int


def encode_cursor(order: Order, last_id: int) -> str:
    return base64.urlsafe_b64encode(f"{order}:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, order: Order) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        direction, _, value = raw.partition(":")
        last = int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid("cursor", "not a cursor returned by this API") from None
    if direction != order:
        raise invalid("cursor", f"cursor was made for order={direction}, not order={order}")
    return last


def keyset(stmt: Select[Any], id_column: Any, *, limit: int, cursor: str | None, order: Order) -> Select[Any]:
    """Add keyset criteria, ordering and ``limit + 1`` (to know whether a next page exists)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"must be between 1 and {MAX_LIMIT}")
    if cursor:
        last = decode_cursor(cursor, order)
        stmt = stmt.where(id_column > last if order == "asc" else id_column < last)
    stmt = stmt.order_by(id_column.asc() if order == "asc" else id_column.desc())
    return stmt.limit(limit + 1)


def page_of(
    rows: Sequence[Any], *, limit: int, order: Order, id_of: Any = lambda r: r.id
) -> tuple[list[Any], str | None]:
    """Split ``limit + 1`` fetched rows into the page and the next cursor."""
    items = list(rows[:limit])
    nxt = encode_cursor(order, id_of(items[-1])) if len(rows) > limit and items else None
    return items, nxt
