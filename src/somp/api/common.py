"""Shared pieces of the API routers: list parameters and page responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query

from somp.core.pagination import DEFAULT_LIMIT, MAX_LIMIT


@dataclass(frozen=True)
class ListParams:
    limit: int
    cursor: str | None
    order: Literal["asc", "desc"]

    def kw(self) -> dict[str, Any]:
        return {"limit": self.limit, "cursor": self.cursor, "order": self.order}


async def _list_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page")] = None,
    order: Annotated[Literal["asc", "desc"], Query(description="by id (creation order)")] = "asc",
) -> ListParams:
    return ListParams(limit, cursor, order)


Listing = Annotated[ListParams, Depends(_list_params)]


def page(result: tuple[list[Any], str | None], params: ListParams) -> dict[str, Any]:
    items, nxt = result
    return {"items": items, "next_cursor": nxt, "limit": params.limit}
