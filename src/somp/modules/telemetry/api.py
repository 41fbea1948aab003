"""REST routes of telemetry: device ingest, historical import, series and the metric catalogue.

Devices authenticate with their own token (``Authorization: Bearer somp_dev_...``) and can do
nothing else. The body is read raw and decoded with msgspec (pydantic validation of a thousand
readings would cost more than storing them); a refused body is kept as a dead letter and answered
with a problem naming the reason.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials

from somp.api.common import Listing, page
from somp.api.deps import RequestContext, bearer, requires
from somp.core.database import utcnow
from somp.core.errors import FieldError, Unauthorized, ValidationFailed
from somp.core.pagination import Page
from somp.core.security import parse_token
from somp.modules.telemetry import service
from somp.modules.telemetry.ingest import GroupCommitter, Ingestor, Item, Source
from somp.modules.telemetry.payloads import PayloadError, decode_csv, decode_json
from somp.modules.telemetry.schemas import (
    BucketRead,
    DeadLetterRead,
    IngestResponse,
    LatestRead,
    MetricRead,
    MetricUpdate,
    SeriesRead,
)

router = APIRouter(tags=["telemetry"])
MAX_BODY = 16 * 1024 * 1024
INLINE_DECODE = 256 * 1024
BULK_BODY = {
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "text/csv": {"schema": {"type": "string"}},
    },
    "description": "a somp batch, a single reading, ThingsBoard telemetry JSON, or CSV (metric,ts,value[,asset])",
}


def ingestor(request: Request) -> Ingestor:
    state = request.app.state
    if getattr(state, "ingestor", None) is None or state.ingestor.db is not state.db:
        state.ingestor = Ingestor(state.db)
        state.device_auth = service.DeviceAuthenticator(state.db)
        state.committer = GroupCommitter(state.ingestor)
    return state.ingestor


async def _body(request: Request) -> bytes:
    size = request.headers.get("content-length")
    if size and size.isdigit() and int(size) > MAX_BODY:
        raise ValidationFailed("payload too large", [FieldError("body", f"at most {MAX_BODY} bytes", "too_large")])
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ValidationFailed("payload too large", [FieldError("body", f"at most {MAX_BODY} bytes", "too_large")])
    return raw


def _decode(request: Request, raw: bytes, now: dt.datetime):  # noqa: ANN202
    ctype = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if ctype in ("text/csv", "application/csv"):
        return decode_csv(raw)
    return decode_json(raw, now)


def _item(source: Source, request: Request, raw: bytes) -> Item:
    try:
        return Item(source, _decode(request, raw, utcnow()), raw)
    except PayloadError as exc:
        return Item(source, None, raw, error=exc.reason)


async def _store(source: Source, request: Request, raw: bytes) -> IngestResponse:
    """Decode, then store in the next group transaction; answer after its commit. A body up to
    ``INLINE_DECODE`` bytes is decoded on the event loop: a thread would not run it in parallel
    (the GIL) and the hop costs more than decoding a 1,000-reading batch; larger ones go to a
    worker thread so the loop keeps serving."""
    if len(raw) <= INLINE_DECODE:
        item = _item(source, request, raw)
    else:
        item = await run_in_threadpool(_item, source, request, raw)
    outcome = await asyncio.wrap_future(request.app.state.committer.submit(item))
    if not outcome.ok:
        raise ValidationFailed("telemetry refused", [FieldError("body", outcome.error, "refused")])
    return IngestResponse(batch_id=outcome.batch_id, accepted=outcome.accepted, duplicate=outcome.duplicate)


@router.post("/telemetry", response_model=IngestResponse, openapi_extra={"requestBody": BULK_BODY})
async def ingest_from_device(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
):
    """Readings from a device (its token decides the tenant and the asset). Acknowledged only
    after they are committed; a re-sent batch (same ``batch_id``, or the same bytes) is not stored
    twice. Up to 100,000 readings per request."""
    ing = ingestor(request)
    raw = await _body(request)
    token = credentials.credentials if credentials else ""
    parsed = parse_token(token)
    device = None
    if parsed and parsed[0] == "dev":
        known, device = request.app.state.device_auth.cached(token)  # a thread hop only on a cache miss
        if not known:
            device = await run_in_threadpool(request.app.state.device_auth, token)
    if device is None:
        await run_in_threadpool(ing.dead_letter, None, None, "http", "unknown or revoked device token", raw)
        raise Unauthorized("send a device token as `Authorization: Bearer somp_dev_...`")
    tenant_id, asset_id = device
    return await _store(Source(tenant_id, asset_id, "http"), request, raw)


@router.post("/telemetry/import", response_model=IngestResponse, openapi_extra={"requestBody": BULK_BODY})
async def import_history(request: Request, c: Annotated[RequestContext, Depends(requires("telemetry:write"))]):
    """Historical readings of the caller's assets, each naming its asset by serial number (CSV
    column ``asset`` or JSON ``asset``); stored whole or refused whole, like a device batch."""
    ingestor(request)  # the writer of this process, created on first use
    raw = await _body(request)
    return await _store(Source(c.principal.tenant_id, None, "file"), request, raw)


@router.get("/assets/{asset_id}/telemetry", response_model=SeriesRead)
def asset_series(
    asset_id: int,
    c: Annotated[RequestContext, Depends(requires("telemetry:read"))],
    metric: Annotated[str, Query(min_length=1, max_length=64)],
    start: dt.datetime,
    end: Annotated[dt.datetime | None, Query(description="default now")] = None,
    bucket: Annotated[str, Query(description="30s, 15m, 1h, 1d ...")] = "1h",
):
    """min / max / avg / last / count per time bucket (aligned to the Unix epoch, UTC)."""
    end = end or utcnow()
    if start.tzinfo is None or end.tzinfo is None:
        raise ValidationFailed("naive time", [FieldError("start", "give times with a UTC offset", "naive")])
    seconds = service.parse_bucket(bucket)
    rows = service.aggregate(c.session, asset_id, metric, start, end, seconds)
    m = service.metric_by_key(c.session, metric)
    return SeriesRead(
        asset_id=asset_id,
        metric=metric,
        unit=m.unit,
        bucket=bucket,
        start=start,
        end=end,
        buckets=[BucketRead.model_validate(b) for b in rows],
    )


@router.get("/assets/{asset_id}/telemetry/latest", response_model=list[LatestRead])
def asset_latest(asset_id: int, c: Annotated[RequestContext, Depends(requires("telemetry:read"))]):
    return [LatestRead(metric=m.key, unit=m.unit, ts=ts, value=v) for m, ts, v in service.latest(c.session, asset_id)]


@router.get("/telemetry/metrics", response_model=Page[MetricRead])
def list_metrics(c: Annotated[RequestContext, Depends(requires("telemetry:read"))], params: Listing):
    return page(service.list_metrics(c.session, **params.kw()), params)


@router.patch("/telemetry/metrics/{metric_id}", response_model=MetricRead)
def update_metric(
    metric_id: int,
    data: MetricUpdate,
    request: Request,
    c: Annotated[RequestContext, Depends(requires("telemetry:write"))],
):
    """Name, unit, kind and valid range of a metric (readings outside the range are refused)."""
    m = service.update_metric(c.session, metric_id, data.model_dump(exclude_unset=True))
    c.commit()
    ingestor(request).forget_metrics()
    return m


@router.get("/telemetry/dead-letters", response_model=Page[DeadLetterRead])
def list_dead_letters(c: Annotated[RequestContext, Depends(requires("telemetry:read"))], params: Listing):
    """Refused messages of the tenant's devices (``order=desc`` for the newest first)."""
    return page(service.list_dead_letters(c.session, **params.kw()), params)
