"""Remote O&M pages of full lifecycle management (framework node 3.6).

* ``GET /lifecycle``: the fleet overview. Counts (assets in the field, scored, by health band;
  open alarms by severity), a map of the sites coloured by health, the health distribution and
  the open alarms (newest first, 50 a page, filterable by severity and acknowledgement) with an
  acknowledge button for users holding ``lifecycle:acknowledge``.
* ``GET /assets/{asset_id}/monitoring``: one asset. Live charts of every metric (min/max band and
  average line over 24 h, 7 d or 30 d in at most 288 buckets), the latest values, the health index
  and the remaining useful life with its 90% interval, the asset's alarms, the timeline of the
  whole chain (state changes, alarms raised / acknowledged / cleared, work orders opened /
  resolved / closed) and its work orders.
* ``GET /assets/{asset_id}/monitoring/series?range=24h``: the charts' data as JSON, fetched by the
  page every 30 s. The REST series route wants an API token, pages hold a session cookie, so
  the page reads this same-origin route, authenticated by the session like every page.
* ``POST /lifecycle/alarms/{alarm_id}/acknowledge``: the acknowledge form (CSRF-protected);
  back to the page it came from.

The map needs no network: the plotly wheel ships no topojson (``plotly/package_data`` has
``plotly.min.js``, ``datasets`` and ``templates`` only), so sites are a scatter on
longitude/latitude axes, latitude scaled by 1/cos(mean latitude) so distances look right.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from typing import Any
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select
from starlette.datastructures import FormData

from somp.core.database import utcnow
from somp.core.errors import DomainError, NotFound
from somp.core.identity import User
from somp.modules.assets.lifecycle import END_OF_LIFE, AssetState
from somp.modules.assets.models import Asset
from somp.modules.assets.service import get_asset, timeline
from somp.modules.lifecycle import service
from somp.modules.lifecycle.models import Alarm, AlarmSeverity, AlarmStatus, HealthScore
from somp.modules.telemetry import service as telemetry
from somp.modules.telemetry.models import Metric
from somp.modules.workorders.models import WorkOrder
from somp.modules.workorders.service import list_work_orders
from somp.web.context import WebContext, check_csrf, flash, page, parse_id, safe_next
from somp.web.crud import Column, read_form, table_section
from somp.web.render import e_for, fmt_dt, has_label, render, t_for

router = APIRouter(include_in_schema=False)

FLEET_URL = "/lifecycle"
# Assets out in the field (installed and not yet retired): the ones remote O&M watches.
IN_FIELD = tuple(
    s for s in AssetState if s not in END_OF_LIFE and s not in (AssetState.manufactured, AssetState.delivered)
)
SEVERITIES = tuple(AlarmSeverity)  # most severe first
# (band, lowest health of the band); a missing score is the band "none"
BANDS = (("good", 70.0), ("fair", 40.0), ("poor", 0.0))
HIST_BIN = 5  # health points per histogram bar
ALARM_PAGE = 50
MAP_LIMIT = 3000  # sites drawn on the map (the least healthy first; about 0.2 kB each)
WORST = 10  # rows of the "least healthy" table
# range -> (span, bucket seconds): at most 288 points a chart; hour buckets come from the roll-ups
RANGES: dict[str, tuple[dt.timedelta, int]] = {
    "24h": (dt.timedelta(hours=24), 300),
    "7d": (dt.timedelta(days=7), 3600),
    "30d": (dt.timedelta(days=30), 4 * 3600),
}
DEFAULT_RANGE = "24h"
REFRESH_SECONDS = 30
MAX_METRICS = 12
ASSET_ALARMS = 50  # open alarms on the asset page
RECENT_ALARMS = 10  # cleared alarms on the asset page
TIMELINE_LIMIT = 200
WORK_ORDERS = 20
NO_SCORE_COLOR = "#9aa5b1"


def band_of(health: float | None) -> str:
    if health is None:
        return "none"
    for name, low in BANDS:
        if health >= low:
            return name
    return "poor"


def fmt_value(x: float | None) -> str:
    """A reading for people: six significant digits, no exponent below a million."""
    if x is None or not math.isfinite(x):
        return ""
    return f"{x:.6g}"


def fmt_rul(score: HealthScore) -> dict[str, str]:
    return {
        "rul": f"{score.rul:,.0f}",
        "low": f"{score.rul_low:,.0f}",
        "high": f"{score.rul_high:,.0f}",
        "unit": score.unit,
    }


def metric_name(m: Metric, lang: str) -> str:
    if lang == "en":
        return m.name_en or m.name or m.key
    return m.name or m.name_en or m.key


def _plot_time(t: dt.datetime) -> str:
    """Plotly date axes have no time zones: UTC wall time, the axis says UTC."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


def _esc(text: str | None) -> str:
    return html.escape(text or "", quote=False)


# ------------------------------------------------------------------------------------ alarms


def _users(w: WebContext, ids: set[int]) -> dict[int, str]:
    ids.discard(None)  # type: ignore[arg-type]
    if not ids:
        return {}
    return dict(w.session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _metric_names(w: WebContext, alarms: list[Alarm]) -> dict[str, str]:
    keys = {k for al in alarms for k in (al.values or {})}
    if not keys:
        return {}
    return {m.key: metric_name(m, w.lang) for m in w.session.scalars(select(Metric).where(Metric.key.in_(keys)))}


def alarm_summary(w: WebContext, al: Alarm, names: dict[str, str]) -> str:
    """The alarm in the reader's language: its reason and the readings that made it (the engine's
    ``message`` is English; the pages show it as a tooltip)."""
    key = f"alarm_reason_{al.reason}"
    reason = t_for(w.lang)(key) if has_label(key) else al.reason
    values = [
        f"{names.get(k, k)} = {fmt_value(v) if isinstance(v, int | float) else v}" for k, v in (al.values or {}).items()
    ]
    return " · ".join([reason, *values]) if values else reason


def alarm_rows(w: WebContext, alarms: list[Alarm]) -> list[dict[str, Any]]:
    """What the alarm tables show of each alarm (asset, who acknowledged, the work order)."""
    e = e_for(w.lang)
    names = _metric_names(w, alarms)
    asset_ids = {a.asset_id for a in alarms}
    assets = {a.id: a for a in w.session.scalars(select(Asset).where(Asset.id.in_(asset_ids)))} if asset_ids else {}
    users = _users(w, {a.acknowledged_by for a in alarms if a.acknowledged_by})
    wo_ids = {a.work_order_id for a in alarms if a.work_order_id}
    numbers = (
        dict(w.session.execute(select(WorkOrder.id, WorkOrder.number).where(WorkOrder.id.in_(wo_ids))).all())
        if wo_ids and w.can("workorders:read")
        else {}
    )
    rows = []
    for al in alarms:
        asset = assets.get(al.asset_id)
        rows.append(
            {
                "id": al.id,
                "version": al.version,
                "severity": al.severity.value,
                "severity_label": e("alarm_severity", al.severity),
                "status": al.status.value,
                "status_label": e("alarm_status", al.status),
                "source_label": e("alarm_source", al.source),
                "title": al.title,
                "message": al.message,
                "summary": alarm_summary(w, al, names),
                "raised_at": fmt_dt(al.raised_at),
                "cleared_at": fmt_dt(al.cleared_at),
                "acknowledged": al.acknowledged_at is not None,
                "acknowledged_at": fmt_dt(al.acknowledged_at),
                "acknowledged_by": users.get(al.acknowledged_by, "") if al.acknowledged_by else "",
                "asset_id": al.asset_id,
                "asset_serial": asset.serial_number if asset else f"#{al.asset_id}",
                "asset_site": (asset.site_name or "") if asset else "",
                "work_order": (numbers[al.work_order_id], f"/work-orders/{al.work_order_id}")
                if al.work_order_id in numbers
                else None,
            }
        )
    return rows


# ------------------------------------------------------------------------------------ fleet


def fleet_counts(w: WebContext, healths: list[float]) -> dict[str, Any]:
    in_field = w.session.scalar(select(func.count()).select_from(Asset).where(Asset.state.in_(IN_FIELD))) or 0
    bands = {name: 0 for name, _low in BANDS}
    for h in healths:
        bands[band_of(h)] += 1
    bands["none"] = max(in_field - len(healths), 0)
    by_sev = dict(
        w.session.execute(
            select(Alarm.severity, func.count()).where(Alarm.status.in_(service.OPEN_ALARM)).group_by(Alarm.severity)
        ).all()
    )
    unacknowledged = w.session.scalar(select(func.count()).select_from(Alarm).where(Alarm.status == AlarmStatus.raised))
    return {
        "in_field": int(in_field),
        "scored": len(healths),
        "bands": bands,
        "alarms": [(s.value, int(by_sev.get(s, 0))) for s in SEVERITIES],
        "open_alarms": int(sum(by_sev.values())),
        "unacknowledged": int(unacknowledged or 0),
    }


def _field_healths(w: WebContext) -> list[float]:
    return list(
        w.session.scalars(
            select(HealthScore.health).join(Asset, Asset.id == HealthScore.asset_id).where(Asset.state.in_(IN_FIELD))
        )
    )


def histogram(healths: list[float]) -> dict[str, Any]:
    n = 100 // HIST_BIN
    counts = [0] * n
    for h in healths:
        counts[min(max(int(h // HIST_BIN), 0), n - 1)] += 1
    return {
        "x": [i * HIST_BIN + HIST_BIN / 2 for i in range(n)],
        "counts": counts,
        "bands": [band_of(i * HIST_BIN) for i in range(n)],
        "width": HIST_BIN,
    }


def map_points(w: WebContext) -> tuple[list[dict[str, Any]], int, int]:
    """(points, sites with coordinates, assets in the field without coordinates); the least
    healthy first, unscored last, at most MAP_LIMIT."""
    t = t_for(w.lang)
    located = (Asset.latitude.is_not(None), Asset.longitude.is_not(None), Asset.state.in_(IN_FIELD))
    total = w.session.scalar(select(func.count()).select_from(Asset).where(*located)) or 0
    unlocated = (
        w.session.scalar(
            select(func.count())
            .select_from(Asset)
            .where(Asset.state.in_(IN_FIELD), (Asset.latitude.is_(None)) | (Asset.longitude.is_(None)))
        )
        or 0
    )
    rows = w.session.execute(
        select(Asset, HealthScore)
        .outerjoin(HealthScore, HealthScore.asset_id == Asset.id)
        .where(*located)
        .order_by(HealthScore.health.is_(None), HealthScore.health, Asset.id)
        .limit(MAP_LIMIT)
    ).all()
    points = []
    for a, score in rows:
        lines = [f"<b>{_esc(a.serial_number)}</b>", _esc(a.site_name) or t("value.none")]
        if score is None:
            lines.append(t("msg.not_scored"))
        else:
            r = fmt_rul(score)
            lines.append(f"{t('field.health')}: {score.health:.0f}")
            lines.append(t("page.monitoring.rul_hover", **r))
        points.append(
            {
                "lon": a.longitude,
                "lat": a.latitude,
                "health": None if score is None else round(score.health, 1),
                "text": "<br>".join(lines),
                "url": f"/assets/{a.id}/monitoring",
            }
        )
    return points, int(total), int(unlocated)


def worst_assets(w: WebContext) -> list[dict[str, Any]]:
    rows = w.session.execute(
        select(Asset, HealthScore)
        .join(HealthScore, HealthScore.asset_id == Asset.id)
        .where(Asset.state.in_(IN_FIELD))
        .order_by(HealthScore.health, Asset.id)
        .limit(WORST)
    ).all()
    e = e_for(w.lang)
    return [
        {
            "id": a.id,
            "serial": a.serial_number,
            "site": a.site_name or "",
            "state": e("asset_state", a.state),
            "health": f"{s.health:.0f}",
            "band": band_of(s.health),
            **fmt_rul(s),
            "scored_at": fmt_dt(s.scored_at),
        }
        for a, s in rows
    ]


def fleet(request: Request) -> HTMLResponse:
    with page(request, "lifecycle:read") as w:
        t = t_for(w.lang)
        q = request.query_params
        errors: list[str] = []
        severity = (q.get("severity") or "").strip()
        if severity and severity not in {s.value for s in SEVERITIES}:
            errors.append(f"{t('field.severity')}: {t('error.invalid_filter')}")
            severity = ""
        unacked = q.get("unacknowledged") in ("1", "on", "true")
        cursor = q.get("cursor") or None
        try:
            alarms, nxt = service.list_alarms(
                w.session,
                limit=ALARM_PAGE,
                cursor=cursor,
                order="desc",
                status="raised" if unacked else "open",
                severity=severity or None,
            )
        except DomainError:  # a cursor that is not ours
            w.rollback()
            alarms, nxt = [], None
            errors.append(f"{t('nav.pagination')}: {t('error.invalid_filter')}")
        kept = {k: v for k, v in (("severity", severity), ("unacknowledged", "1" if unacked else "")) if v}
        healths = _field_healths(w)
        points, located, unlocated = map_points(w)
        lats = [p["lat"] for p in points]
        chart = {
            "map": {
                "points": points,
                "aspect": 1 / max(math.cos(math.radians(sum(lats) / len(lats))), 0.2) if lats else 1,
                "colorbar": t("field.health"),
                "no_score": t("health_band_none"),
                "no_score_color": NO_SCORE_COLOR,
                "lon": t("field.longitude"),
                "lat": t("field.latitude"),
            },
            "hist": histogram(healths) | {"x_title": t("field.health"), "y_title": t("page.home.count")},
        }
        return render(
            request,
            "lifecycle/fleet.html",
            w,
            title_key="page.monitoring.title",
            counts=fleet_counts(w, healths),
            chart=chart,
            has_map=bool(points),
            map_total=located,
            map_shown=len(points),
            map_unlocated=unlocated,
            has_scores=bool(healths),
            alarms=alarm_rows(w, alarms),
            severity=severity,
            severities=[(s.value, e_for(w.lang)("alarm_severity", s)) for s in SEVERITIES],
            unacknowledged=unacked,
            filter_errors=errors,
            next_url=f"{FLEET_URL}?" + urlencode({**kept, "cursor": nxt}) + "#alarms" if nxt else None,
            first_url=f"{FLEET_URL}?" + urlencode(kept) + "#alarms" if cursor else None,
            can_ack=w.can("lifecycle:acknowledge"),
            worst=worst_assets(w),
        )


# ------------------------------------------------------------------------------------ one asset


def _range(raw: str | None) -> str:
    return raw if raw in RANGES else DEFAULT_RANGE


def _floor(t: dt.datetime, seconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp((int(t.timestamp()) // seconds) * seconds, dt.UTC)


def _since(raw: str | None) -> dt.datetime | None:
    """The ``since`` of a refresh: a bucket time as the charts hold it (UTC wall time)."""
    if not raw or len(raw) > 40:
        return None
    try:
        t = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def series_payload(
    w: WebContext, asset_id: int, rng: str, now: dt.datetime, since: dt.datetime | None = None
) -> dict[str, Any]:
    """Every metric of the asset (at most MAX_METRICS) over the range: per bucket min, max and
    average; a missing bucket is a gap (None) so lines do not bridge an outage.

    With ``since`` (a refresh: the start of the newest bucket the page holds) only the buckets from
    there on are read and sent (``partial``); the page replaces its buckets from that time and drops
    those that slid out of the window, so a refresh reads minutes of readings, not the whole range.
    """
    span, seconds = RANGES[rng]
    end = now
    start = _floor(end - span, seconds)
    read_from = start
    if since is not None and start < since <= end:
        read_from = _floor(since, seconds)
    metrics = []
    for m, ts, value in telemetry.latest(w.session, asset_id)[:MAX_METRICS]:
        buckets = telemetry.aggregate(w.session, asset_id, m.key, read_from, end, seconds)
        x: list[str] = []
        lo: list[float | None] = []
        hi: list[float | None] = []
        avg: list[float | None] = []
        prev: dt.datetime | None = None
        for b in buckets:
            if prev is not None and (b.start - prev).total_seconds() > seconds:
                x.append(_plot_time(prev + dt.timedelta(seconds=seconds)))
                lo.append(None)
                hi.append(None)
                avg.append(None)
            x.append(_plot_time(b.start))
            lo.append(b.min)
            hi.append(b.max)
            avg.append(b.avg)
            prev = b.start
        metrics.append(
            {
                "key": m.key,
                "name": metric_name(m, w.lang),
                "unit": m.unit or "",
                "t": x,
                "min": lo,
                "max": hi,
                "avg": avg,
                "latest": {"value": value, "text": fmt_value(value), "at": fmt_dt(ts)},
            }
        )
    return {
        "range": rng,
        "start": _plot_time(start),
        "end": _plot_time(end),
        "from": _plot_time(read_from),
        "partial": read_from > start,
        "bucket_seconds": seconds,
        "updated": fmt_dt(now),
        "metrics": metrics,
    }


def timeline_events(w: WebContext, asset: Asset) -> list[dict[str, Any]]:
    """The asset's chain in one list, newest first: state changes, alarms raised, acknowledged
    and cleared, work orders opened, resolved and closed."""
    e = e_for(w.lang)
    events: list[dict[str, Any]] = []

    def add(at: dt.datetime | None, kind: str, text: str, detail: str = "", url: str | None = None) -> None:
        if at is not None:
            label = e("timeline_event", kind)
            events.append({"at": at, "kind": kind, "label": label, "text": text, "detail": detail, "url": url})

    changes = timeline(w.session, asset.id)
    users = _users(w, {c.by_user_id for c in changes if c.by_user_id})
    for c in changes:
        text = (
            f"{e('asset_state', c.from_state)} → {e('asset_state', c.to_state)}"
            if c.from_state
            else e("asset_state", c.to_state)
        )
        who = users.get(c.by_user_id, "") if c.by_user_id else ""
        detail = " · ".join(x for x in (e("state_change_source", c.source), who, c.reason or "") if x)
        add(c.at, "state_change", text, detail)
    alarms = w.session.scalars(
        select(Alarm)
        .where(Alarm.asset_id == asset.id)
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(TIMELINE_LIMIT)
    ).all()
    users = _users(w, {a.acknowledged_by for a in alarms if a.acknowledged_by})
    names = _metric_names(w, list(alarms))
    for al in alarms:
        sev = e("alarm_severity", al.severity)
        add(al.raised_at, "alarm_raised", al.title, f"{sev} · {alarm_summary(w, al, names)}")
        add(al.acknowledged_at, "alarm_acknowledged", al.title, users.get(al.acknowledged_by, ""))
        add(al.cleared_at, "alarm_cleared", al.title, sev)
    if w.can("workorders:read"):
        orders = w.session.scalars(
            select(WorkOrder)
            .where(WorkOrder.asset_id == asset.id)
            .order_by(WorkOrder.opened_at.desc())
            .limit(TIMELINE_LIMIT)
        ).all()
        for wo in orders:
            url = f"/work-orders/{wo.id}"
            text = f"{wo.number} {wo.title}"
            kind = e("work_order", wo.kind)
            add(wo.opened_at, "work_order_opened", text, f"{kind} · {e('priority', wo.priority)}", url)
            add(wo.resolved_at, "work_order_resolved", text, wo.resolution_notes or "", url)
            add(wo.closed_at, "work_order_closed", text, "", url)
    events.sort(key=lambda ev: ev["at"], reverse=True)
    out = events[:TIMELINE_LIMIT]
    for ev in out:
        ev["at_text"] = fmt_dt(ev["at"])
        ev["at_iso"] = ev["at"].astimezone(dt.UTC).isoformat()
    return out


WORK_ORDER_COLUMNS = [
    Column("number", "link"),
    Column("title"),
    Column("kind", "enum", enum_prefix="work_order", label="field.work_order_kind"),
    Column("priority", "enum", enum_prefix="priority"),
    Column("status", "enum", enum_prefix="work_order_status"),
    Column("opened_at", "datetime"),
    Column("resolution_due_at", "datetime"),
    Column("closed_at", "datetime"),
]


def asset_page(request: Request) -> HTMLResponse:
    with page(request, "lifecycle:read") as w:
        t = t_for(w.lang)
        asset = get_asset(w.session, parse_id(request, "asset_id"))
        rng = _range(request.query_params.get("range"))
        now = utcnow()
        score = w.session.scalar(select(HealthScore).where(HealthScore.asset_id == asset.id))
        series = series_payload(w, asset.id, rng, now) if w.can("telemetry:read") else None
        mine = {"cursor": None, "order": "desc", "asset_id": asset.id}
        open_alarms, _ = service.list_alarms(w.session, limit=ASSET_ALARMS, status="open", **mine)
        cleared, _ = service.list_alarms(w.session, limit=RECENT_ALARMS, status="cleared", **mine)
        orders = None
        if w.can("workorders:read"):
            rows, _ = list_work_orders(w.session, limit=WORK_ORDERS, cursor=None, order="desc", asset_id=asset.id)
            orders = table_section(w, "section.work_orders", WORK_ORDER_COLUMNS, rows, entity="work-orders")
        health = None
        if score is not None:
            health = {
                "health": round(score.health, 1),
                "band": band_of(score.health),
                "band_label": e_for(w.lang)("health_band", band_of(score.health)),
                "rul": score.rul,
                "rul_low": score.rul_low,
                "rul_high": score.rul_high,
                "text": fmt_rul(score),
                "scored_at": fmt_dt(score.scored_at),
                "data_until": fmt_dt(score.data_until),
            }
        here_url = f"/assets/{asset.id}/monitoring"
        data = {
            "series_url": f"{here_url}/series",
            "range": rng,
            "refresh_seconds": REFRESH_SECONDS,
            "series": series,
            "health": health,
            "labels": {
                "band": t("page.asset_monitoring.band"),
                "avg": t("page.asset_monitoring.avg"),
                "time": t("page.asset_monitoring.time_utc"),
                "no_data": t("msg.no_data_in_range"),
                "health": t("field.health"),
                "rul": t("field.rul"),
                "interval": t("page.asset_monitoring.interval90"),
            },
        }
        return render(
            request,
            "lifecycle/asset.html",
            w,
            title=t("page.asset_monitoring.title", serial=asset.serial_number),
            asset=asset,
            state_label=e_for(w.lang)("asset_state", asset.state),
            rng=rng,
            ranges=list(RANGES),
            here_url=here_url,
            series=series,
            health=health,
            data=data,
            open_alarms=alarm_rows(w, open_alarms),
            cleared_alarms=alarm_rows(w, cleared),
            can_ack=w.can("lifecycle:acknowledge"),
            can_telemetry=w.can("telemetry:read"),
            events=timeline_events(w, asset),
            orders=orders,
            orders_url=f"/work-orders?asset_id={asset.id}",
        )


def asset_series(request: Request) -> Response:
    """The charts' data (JSON) for the page's periodic refresh."""
    with page(request, "lifecycle:read") as w:
        w.require("telemetry:read")
        asset = get_asset(w.session, parse_id(request, "asset_id"))
        q = request.query_params
        data = series_payload(w, asset.id, _range(q.get("range")), utcnow(), _since(q.get("since")))
        body = orjson.dumps(data, option=orjson.OPT_SERIALIZE_NUMPY)
        return Response(body, media_type="application/json", headers={"Cache-Control": "no-store"})


# ------------------------------------------------------------------------------------ acknowledge


def acknowledge(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "lifecycle:acknowledge") as w:
        check_csrf(request, form)
        alarm_id = parse_id(request, "alarm_id")
        nxt = form.get("next")
        back = safe_next(nxt if isinstance(nxt, str) else None, FLEET_URL)
        raw_version = form.get("version")
        version = int(raw_version) if isinstance(raw_version, str) and raw_version.isdigit() else None
        alarm = service.get_alarm(w.session, alarm_id)  # another tenant's alarm: 404
        title = alarm.title
        try:
            alarm = service.acknowledge_alarm(w.session, alarm_id, w.principal.user_id, version)
        except NotFound:
            raise
        except DomainError:  # acknowledged meanwhile (by someone else, or a stale page)
            w.rollback()
            flash(request, "msg.alarm_not_acknowledged", title=title)
            return RedirectResponse(back, status_code=303)
        w.commit()
        flash(request, "msg.alarm_acknowledged", title=title)
        return RedirectResponse(back, status_code=303)


router.add_api_route(FLEET_URL, fleet, methods=["GET"], response_class=HTMLResponse, name="web_lifecycle_fleet")
router.add_api_route(
    "/lifecycle/alarms/{alarm_id}/acknowledge",
    acknowledge,
    methods=["POST"],
    response_class=HTMLResponse,
    name="web_lifecycle_acknowledge",
)
router.add_api_route(
    "/assets/{asset_id}/monitoring",
    asset_page,
    methods=["GET"],
    response_class=HTMLResponse,
    name="web_lifecycle_asset",
)
router.add_api_route(
    "/assets/{asset_id}/monitoring/series",
    asset_series,
    methods=["GET"],
    name="web_lifecycle_asset_series",
)
