"""Pages of the shared-manufacturing marketplace (framework node 3.4), Chinese and English.

* ``GET /shared-mfg``: the capacity board: the factory's resources with their capabilities and
  their available, booked and idle hours over the next 7 days, the orders it serves;
* ``GET /shared-mfg/gantt``: Gantt chart of the bookings on the factory's resources, with the
  progress buttons (started / finished); ``POST /shared-mfg/bookings/{booking_id}/progress``;
* ``GET /shared-mfg/orders``, ``GET|POST /shared-mfg/orders/new``: the buyer's orders and the order
  posting form (stored and quoted in one step, or refused whole with the reasons);
* ``GET /shared-mfg/orders/{order_id}``: one order: quote, plan as a Gantt chart per part, progress,
  the reschedule diff lines; ``POST .../accept`` (accept the quote and schedule now), ``.../cancel``,
  ``.../settle``;
* ``GET /shared-mfg/changes``: the reschedule diff (old against new bars, and the table);
* ``GET /shared-mfg/demand``: demand by capability and week against published capacity.

Charts are drawn by ``/static/shared_mfg/charts.js`` with the Plotly.js of the plotly wheel; times
are UTC wall time (Plotly date axes have no time zones) and the axes say so.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import select
from starlette.datastructures import FormData

from somp.core.database import utcnow
from somp.core.errors import DomainError, NotFound
from somp.modules.shared_manufacturing import marketplace, service
from somp.modules.shared_manufacturing.matching import available_windows, hours, subtract
from somp.modules.shared_manufacturing.models import (
    Block,
    BlockKind,
    Booking,
    Grade,
    RunTrigger,
    ScheduleChange,
)
from somp.modules.shared_manufacturing.schemas import BlockCreate, OrderCreate
from somp.web.context import PageForbidden, PageNotFound, check_csrf, flash, page, parse_id
from somp.web.crud import read_form
from somp.web.render import render, t_for

router = APIRouter(include_in_schema=False)
PARTS, OPS = 3, 4  # rows of the posting form
ACCEPT_TIME_LIMIT = 3.0


def _tenant(w) -> int:  # noqa: ANN001
    if w.principal.tenant_id is None:
        raise PageForbidden("shared_mfg:write")
    return w.principal.tenant_id


def _iso(x: dt.datetime | None) -> str | None:
    return None if x is None else x.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


# ------------------------------------------------------------------------------ capacity board


def board(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:read") as w:
        _tenant(w)
        start = utcnow().replace(minute=0, second=0, microsecond=0)
        end = start + dt.timedelta(days=7)
        resources, _ = service.list_resources(w.session, limit=500, cursor=None, order="asc")
        reads = service.resource_reads(w.session, resources)
        blocks: dict[int, list] = defaultdict(list)
        for b in w.session.scalars(select(Block).where(Block.end_at > start, Block.start_at < end)):
            blocks[b.resource_id].append((b.start_at, b.end_at))
        booked: dict[int, list] = defaultdict(list)
        for b in service.bookings_between(w.session, start, end):
            booked[b.resource_id].append((max(b.start_at, start), min(b.end_at, end)))
        rows = []
        for r in reads:
            avail = subtract(available_windows(r.calendar, start, end), blocks[r.id])
            a, bk = hours(avail), hours(booked[r.id])
            rows.append({"r": r, "available": a, "booked": bk, "idle": max(0.0, a - bk),
                         "load": bk / a if a else None})  # fmt: skip
        return render(request, "shared_mfg/board.html", w, title_key="mfg.board.title", rows=rows,
                      served=service.served_orders(w.session), start=start, end=end)  # fmt: skip


def breakdown(request: Request, form: FormData = Depends(read_form)) -> Response:
    """Report a breakdown of one of the factory's resources: blocked from now for the given hours;
    when it hits booked work the marketplace is re-planned at once and the diff page opens."""
    with page(request, "shared_mfg:write") as w:
        check_csrf(request, form)
        resource_id = parse_id(request, "resource_id")
        try:
            r = service.get_resource(w.session, resource_id)
        except NotFound:
            raise PageNotFound() from None
        raw = str(form.get("hours") or "")
        hours_down = float(raw) if raw.replace(".", "", 1).isdigit() and 0 < float(raw) <= 24 * 30 else None
        if hours_down is None:
            flash(request, "mfg.msg.refused", reason="hours: 0 to 720")
            return RedirectResponse("/shared-mfg", status_code=303)
        now = utcnow()
        block = BlockCreate(kind=BlockKind.breakdown, start_at=now, end_at=now + dt.timedelta(hours=hours_down),
                            note=str(form.get("note") or "")[:300] or None)  # fmt: skip
        _block, hit = service.add_block(w.session, r.id, block)
        w.commit()
        if hit:
            marketplace.run_schedule(w.request.app.state.db, RunTrigger.breakdown, time_limit=ACCEPT_TIME_LIMIT)
        flash(request, "mfg.msg.breakdown_recorded", resource=r.code, hit=hit)
        return RedirectResponse("/shared-mfg/changes" if hit else "/shared-mfg", status_code=303)


# ------------------------------------------------------------------------------ factory Gantt


def _setup_bars(items: list[tuple[str, dt.datetime, int | None, str]], t) -> list[dict[str, Any]]:  # noqa: ANN001
    """A changeover bar (sequence-dependent setup) just before each operation that has one."""
    label = t("mfg.chart.setup")
    return [
        {"y": y, "start": _iso(start - dt.timedelta(minutes=setup)), "end": _iso(start), "group": label,
         "kind": "setup", "status": "setup", "text": f"{label} {setup} min · {what}"}
        for y, start, setup, what in items if setup
    ]  # fmt: skip


def gantt(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:read") as w:
        _tenant(w)
        t = t_for(w.lang)
        resources = {r.id: r for r in service.list_resources(w.session, limit=500, cursor=None, order="asc")[0]}
        items = list(w.session.scalars(select(Booking).order_by(Booking.start_at).limit(2000)))
        bars = [
            {"y": f"{resources[b.resource_id].code} {resources[b.resource_id].name}" if b.resource_id in resources
             else str(b.resource_id), "start": _iso(b.start_at), "end": _iso(b.end_at), "group": b.order_number,
             "text": f"{b.order_number} · {b.operation_label} · {b.buyer_label}", "status": b.status.value}
            for b in items
        ]  # fmt: skip
        bars += _setup_bars(
            [(bar["y"], b.start_at, b.setup_minutes, b.operation_label) for bar, b in zip(bars, items, strict=True)], t
        )
        chart = {"bars": bars, "axis": t("mfg.chart.time_utc"), "empty": t("msg.no_items")}
        return render(request, "shared_mfg/gantt.html", w, title_key="mfg.gantt.title", bookings=items,
                      resources=resources, chart=chart, can_progress=w.can("shared_mfg:progress"))  # fmt: skip


def progress(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "shared_mfg:progress") as w:
        check_csrf(request, form)
        booking_id = parse_id(request, "booking_id")
        try:
            b = service.get_booking(w.session, booking_id)
        except NotFound:
            raise PageNotFound() from None
        event = form.get("event")
        try:
            marketplace.record_progress(w.request.app.state.db, w.session, b.id, str(event))
            w.commit()
            flash(request, "mfg.msg.progress_recorded", op=b.operation_label)
        except (DomainError, ValueError) as exc:
            w.rollback()
            flash(request, "mfg.msg.refused", reason=str(exc))
        return RedirectResponse("/shared-mfg/gantt", status_code=303)


# ------------------------------------------------------------------------------ orders


def orders(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:read") as w:
        _tenant(w)
        items, _ = service.list_orders(w.session, limit=200, cursor=None, order="desc")
        return render(request, "shared_mfg/orders.html", w, title_key="mfg.orders.title", orders=items)


def _capability_choices(w) -> list[str]:  # noqa: ANN001
    return sorted({c.code for e in marketplace.catalogue(w.request.app.state.db) for c in e.capabilities})


def _parse_params(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for piece in (p.strip() for p in text.split(",")):
        if not piece:
            continue
        key, sep, value = piece.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"'{piece}': write name=value")
        v = value.strip()
        try:
            out[key.strip()] = int(v) if v.lstrip("-").isdigit() else float(v)
        except ValueError:
            out[key.strip()] = v
    return out


def _order_from_form(form: FormData) -> tuple[dict[str, Any], list[str]]:
    g = lambda k: str(form.get(k) or "").strip()  # noqa: E731
    errors: list[str] = []
    parts = []
    for i in range(PARTS):
        name, qty = g(f"part-{i}-name"), g(f"part-{i}-quantity")
        ops = []
        for k in range(OPS):
            cap = g(f"part-{i}-op-{k}-capability")
            if not cap:
                continue
            op: dict[str, Any] = {"capability": cap}
            if g(f"part-{i}-op-{k}-minutes"):
                op["minutes"] = g(f"part-{i}-op-{k}-minutes")
            if g(f"part-{i}-op-{k}-family"):
                op["setup_family"] = g(f"part-{i}-op-{k}-family")
            try:
                op["parameters"] = _parse_params(g(f"part-{i}-op-{k}-params"))
            except ValueError as exc:
                errors.append(f"{i + 1}.{k + 1}: {exc}")
            ops.append(op)
        if name or ops:
            parts.append({"name": name, "quantity": qty or "1", "operations": ops})

    def when(k: str) -> str:
        v = g(k)
        return v + ":00+00:00" if len(v) == 16 else v  # datetime-local: minutes, read as UTC

    data = {
        "title": g("title"), "release_at": when("release_at"), "due_at": when("due_at"),
        "quality_grade": g("quality_grade") or "C", "weight": g("weight") or "1",
        "certifications": [c.strip() for c in g("certifications").split(",") if c.strip()],
        "urgent": bool(form.get("urgent")), "parts": parts,
    }  # fmt: skip
    return data, errors


def _form(request: Request, w, values: dict[str, Any], errors: list[str], status: int = 200) -> HTMLResponse:  # noqa: ANN001
    return render(request, "shared_mfg/order_form.html", w, status=status, title_key="mfg.order_form.title",
                  values=values, errors=errors, capabilities=_capability_choices(w), grades=[g.value for g in Grade],
                  parts=range(PARTS), ops=range(OPS))  # fmt: skip


def new_order(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:write") as w:
        _tenant(w)
        now = utcnow().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
        values = {"release_at": now.strftime("%Y-%m-%dT%H:%M"),
                  "due_at": (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "quality_grade": "C",
                  "weight": "1"}  # fmt: skip
        return _form(request, w, values, [])


def create_order(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, "shared_mfg:write") as w:
        check_csrf(request, form)
        tenant_id = _tenant(w)
        values = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        data, errors = _order_from_form(form)
        if errors:
            return _form(request, w, values, errors, 422)
        try:
            o = service.post_order(w.session, OrderCreate.model_validate(data), tenant_id)
            marketplace.quote_order(w.request.app.state.db, w.session, o.id)
        except ValidationError as exc:
            w.rollback()
            msgs = [f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()]
            return _form(request, w, values, msgs, 422)
        except DomainError as exc:  # stored whole or not at all: no capacity means no order
            w.rollback()
            msgs = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.detail]
            return _form(request, w, values, msgs, 422)
        w.commit()
        flash(request, "mfg.msg.order_quoted", number=o.number)
        return RedirectResponse(f"/shared-mfg/orders/{o.id}", status_code=303)


def order_page(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:read") as w:
        t = t_for(w.lang)
        try:
            o = service.get_order(w.session, parse_id(request, "order_id"))
        except NotFound:
            raise PageNotFound() from None
        (read,) = service.order_reads(w.session, [o])
        bars = [
            {"y": f"{p.position}. {p.name}", "start": _iso(op.planned_start), "end": _iso(op.planned_end),
             "group": op.factory_label or "", "status": op.status.value,
             "text": f"#{op.position} {op.capability} · {op.factory_label} · {op.resource_label}"}
            for p in read.parts for op in p.operations if op.planned_start
        ]  # fmt: skip
        bars += _setup_bars(
            [(f"{p.position}. {p.name}", op.planned_start, op.setup_minutes, f"#{op.position} {op.capability}")
             for p in read.parts for op in p.operations if op.planned_start],
            t,
        )  # fmt: skip
        chart = {"bars": bars, "axis": t("mfg.chart.time_utc"), "empty": t("mfg.msg.not_planned"),
                 "due": _iso(o.due_at), "due_label": t("mfg.field.due_at")}  # fmt: skip
        op_ids = [op.id for p in read.parts for op in p.operations]
        changes = list(
            w.session.scalars(
                select(ScheduleChange)
                .where(ScheduleChange.operation_id.in_(op_ids))  # not by number: numbers repeat across buyers
                .order_by(ScheduleChange.id.desc())
                .limit(100)
            )
        )
        return render(request, "shared_mfg/order.html", w, title=f"{o.number} {o.title}", o=read, chart=chart,
                      changes=changes, can_write=w.can("shared_mfg:write"))  # fmt: skip


def _order_action(request: Request, form: FormData, action: str) -> Response:
    with page(request, "shared_mfg:write") as w:
        check_csrf(request, form)
        db = w.request.app.state.db
        order_id = parse_id(request, "order_id")
        try:
            o = service.get_order(w.session, order_id)
        except NotFound:
            raise PageNotFound() from None
        params: dict[str, object] = {"number": o.number}
        try:
            if action == "accept":
                o = service.accept_order(w.session, order_id)
                urgent = o.urgent
                w.commit()
                run = marketplace.run_schedule(db, RunTrigger.urgent if urgent else RunTrigger.accept,
                                               time_limit=ACCEPT_TIME_LIMIT)  # fmt: skip
                params |= {"status": run.status, "gap": "—" if run.gap is None else f"{run.gap:.1%}",
                           "seconds": f"{run.seconds:.1f}"}  # fmt: skip
            elif action == "cancel":
                marketplace.cancel_order(db, w.session, order_id)
                w.commit()
            else:
                marketplace.settle_order(db, w.session, order_id)
                w.commit()
            flash(request, f"mfg.msg.order_{action}", **params)
        except DomainError as exc:
            w.rollback()
            flash(request, "mfg.msg.refused", reason=str(exc))
        return RedirectResponse(f"/shared-mfg/orders/{order_id}", status_code=303)


def accept(request: Request, form: FormData = Depends(read_form)) -> Response:
    return _order_action(request, form, "accept")


def cancel(request: Request, form: FormData = Depends(read_form)) -> Response:
    return _order_action(request, form, "cancel")


def settle(request: Request, form: FormData = Depends(read_form)) -> Response:
    return _order_action(request, form, "settle")


# ------------------------------------------------------------------------------ diff, demand


def changes(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:read") as w:
        t = t_for(w.lang)
        items, _ = service.list_changes(w.session, limit=200, cursor=None, order="desc")
        runs = {r.id: r for r in service.list_runs(w.session, limit=50, cursor=None, order="desc")[0]}
        latest = items[0].run_id if items else None
        bars = []
        for c in (c for c in items if c.run_id == latest):
            y = f"{c.order_number} {c.operation_label}"
            if c.old_start:
                bars.append({"y": y, "start": _iso(c.old_start), "end": _iso(c.old_end), "group": t("mfg.diff.old"),
                             "text": c.old_resource or t("mfg.diff.other_factory"), "status": "old"})  # fmt: skip
            if c.new_start:
                bars.append({"y": y, "start": _iso(c.new_start), "end": _iso(c.new_end), "group": t("mfg.diff.new"),
                             "text": c.new_resource or t("mfg.diff.other_factory"), "status": "new"})  # fmt: skip
        chart = {"bars": bars, "axis": t("mfg.chart.time_utc"), "empty": t("msg.no_items"), "diff": True}
        return render(request, "shared_mfg/changes.html", w, title_key="mfg.diff.title", changes=items, runs=runs,
                      latest=latest, chart=chart)  # fmt: skip


def demand(request: Request) -> HTMLResponse:
    with page(request, "shared_mfg:analyse") as w:
        t = t_for(w.lang)
        raw = request.query_params.get("weeks", "4")
        weeks = int(raw) if raw.isdigit() and 1 <= int(raw) <= 26 else 4
        start = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
        rows = marketplace.demand_analysis(w.request.app.state.db, start, weeks)
        chart = {
            "rows": [{"capability": r.capability, "week": r.bucket_start.strftime("%Y-%m-%d"),
                      "capacity": r.capacity_hours, "demand": r.demand_hours, "verdict": r.verdict} for r in rows],
            "capacity": t("mfg.field.capacity_hours"), "demand": t("mfg.field.demand_hours"),
            "hours": t("mfg.field.hours"),
        }  # fmt: skip
        return render(request, "shared_mfg/demand.html", w, title_key="mfg.demand.title", rows=rows, chart=chart,
                      weeks=weeks)  # fmt: skip


for path, fn, methods, name in (
    ("/shared-mfg", board, ["GET"], "web_mfg_board"),
    ("/shared-mfg/resources/{resource_id}/breakdown", breakdown, ["POST"], "web_mfg_breakdown"),
    ("/shared-mfg/gantt", gantt, ["GET"], "web_mfg_gantt"),
    ("/shared-mfg/bookings/{booking_id}/progress", progress, ["POST"], "web_mfg_progress"),
    ("/shared-mfg/orders", orders, ["GET"], "web_mfg_orders"),
    ("/shared-mfg/orders/new", new_order, ["GET"], "web_mfg_order_new"),
    ("/shared-mfg/orders/new", create_order, ["POST"], "web_mfg_order_create"),
    ("/shared-mfg/orders/{order_id}", order_page, ["GET"], "web_mfg_order"),
    ("/shared-mfg/orders/{order_id}/accept", accept, ["POST"], "web_mfg_order_accept"),
    ("/shared-mfg/orders/{order_id}/cancel", cancel, ["POST"], "web_mfg_order_cancel"),
    ("/shared-mfg/orders/{order_id}/settle", settle, ["POST"], "web_mfg_order_settle"),
    ("/shared-mfg/changes", changes, ["GET"], "web_mfg_changes"),
    ("/shared-mfg/demand", demand, ["GET"], "web_mfg_demand"),
):
    router.add_api_route(path, fn, methods=methods, response_class=HTMLResponse, name=name)
