"""List, detail, create, edit and transition pages for an entity, built from one spec.

A module's ``web.py`` describes an entity with :class:`EntitySpec` (its service functions, input
schemas, fields, columns, filters and state machine) and calls :func:`add_routes`; the pages are
the generic templates ``list.html``, ``detail.html`` and ``form.html``. Paths follow the API's:
``/assets``, ``/assets/new``, ``/assets/{asset_id}``, ``/assets/{asset_id}/edit`` and
``POST /assets/{asset_id}/transition``.

Routes are added directly to the module's router (no nested ``include_router``), so
``app.state.route_table`` lists every page route.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup, escape
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from starlette.datastructures import FormData

from somp.core.errors import DomainError
from somp.web import forms
from somp.web.context import WebContext, check_csrf, flash, page, parse_id
from somp.web.forms import MAX_ID, Field
from somp.web.render import e_for, fmt_date, fmt_dt, fmt_money, fmt_num, render, t_for

log = logging.getLogger(__name__)

ENTITIES: dict[str, EntitySpec] = {}
"""Entities with pages, by path segment; reference columns find their target here."""


async def read_form(request: Request) -> FormData:
    return await request.form()


@dataclass(frozen=True)
class Column:
    """A displayed value. ``kind``: text, link (to the detail page), enum, enums, ref (a row of the
    entity ``ref``), money, num, date, datetime, bool, breach, json or multiline."""

    name: str
    kind: str = "text"
    label: str | None = None
    enum_prefix: str | None = None
    ref: str | None = None

    @property
    def label_key(self) -> str:
        return self.label or f"field.{self.name}"


@dataclass(frozen=True)
class Filter:
    """A list filter (query parameter ``name``); ``kind``: text, enum, select (an id), bool or date."""

    name: str
    kind: str = "text"
    label: str | None = None
    enum: type[enum.Enum] | None = None
    enum_prefix: str | None = None
    options: Callable[[Any], list[tuple[str, str]]] | None = None

    @property
    def label_key(self) -> str:
        return self.label or ("filter.q" if self.name == "q" else f"field.{self.name}")

    def as_field(self) -> Field:
        return Field(self.name, kind=self.kind, enum=self.enum, enum_prefix=self.enum_prefix, options=self.options)

    def convert(self, raw: str) -> Any:
        import datetime as dt

        if self.kind == "enum" and self.enum is not None:
            return self.enum(raw)
        if self.kind == "select":
            value = int(raw)
            if not 1 <= value <= MAX_ID:
                raise ValueError(raw)
            return value
        if self.kind == "bool":
            return raw in ("1", "on", "true")
        if self.kind == "date":
            return dt.date.fromisoformat(raw)
        if len(raw) > 100:
            raise ValueError(raw)
        return raw


@dataclass(frozen=True)
class TransitionSpec:
    """A state machine on the detail page: one button per allowed next state."""

    field: str  # attribute holding the state, e.g. "state"
    target: str  # input name of the request schema, e.g. "to_state"
    enum_prefix: str
    permission: str
    allowed: Callable[[Any], Iterable[enum.Enum]]
    schema: type[BaseModel]
    apply: Callable[[Any, int, Any, WebContext], Any]  # (session, id, request model, w)
    extra: tuple[Field, ...] = ()


@dataclass
class Section:
    """An extra block of the detail page, rendered by ``template`` with ``data``."""

    title: str
    template: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class EntitySpec:
    name: str  # path segment: "assets", "work-orders"
    id_param: str  # "asset_id"
    singular: str  # label key of one row, "entity.asset"
    plural: str  # label key of the list, "nav.assets"
    model: type
    title: str | Callable[[Any], str]
    read_perm: str
    list_fn: Callable[..., tuple[list[Any], str | None]]
    get_fn: Callable[[Any, int], Any]
    columns: list[Column]
    detail: list[Column]
    fields: list[Field] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    create_perm: str | None = None
    update_perm: str | None = None
    create_schema: type[BaseModel] | None = None
    update_schema: type[BaseModel] | None = None
    create_fn: Callable[[Any, Any, WebContext], Any] | None = None
    update_fn: Callable[[Any, int, Any, WebContext], Any] | None = None
    transition: TransitionSpec | None = None
    display: Callable[[Any, list[Any]], list[Any]] | None = None  # rows -> what the pages show
    sections: Callable[[WebContext, Any], list[Section]] | None = None
    initial: Callable[[WebContext, Any], dict[str, Any]] | None = None  # extra edit-form values
    defaults: Callable[[WebContext], dict[str, Any]] | None = None  # create-form values
    aliases: dict[str, str] = field(default_factory=dict)  # service field name -> input name
    after_update: Callable[[Request, Any], None] | None = None
    page_size: int = 25

    def title_of(self, obj: Any) -> str:
        return self.title(obj) if callable(self.title) else str(getattr(obj, self.title))

    def url(self, obj_or_id: Any) -> str:
        return f"/{self.name}/{getattr(obj_or_id, 'id', obj_or_id)}"

    def edit_fields(self, w: WebContext) -> list[Field]:
        names = set(self.update_schema.model_fields) if self.update_schema else set()
        return [f for f in forms.visible(self.fields, w, "edit") if f.name in names]

    def shown(self, session: Any, rows: list[Any]) -> list[Any]:
        return self.display(session, rows) if self.display else rows


# ------------------------------------------------------------------------------------ display


def resolve_refs(w: WebContext, columns: Iterable[Column], items: list[Any]) -> dict[str, dict[int, tuple]]:
    out: dict[str, dict[int, tuple]] = {}
    for c in columns:
        target = ENTITIES.get(c.ref or "")
        if c.kind != "ref" or target is None:
            continue
        ids = {getattr(i, c.name, None) for i in items} - {None}
        if not ids:
            continue
        rows = w.session.scalars(select(target.model).where(target.model.id.in_(ids))).all()
        link = w.can(target.read_perm)
        out[c.name] = {r.id: (target.title_of(r), target.url(r) if link else None) for r in rows}
    return out


def cell(w: WebContext, spec: EntitySpec, refs: dict, c: Column, obj: Any) -> Markup:
    t, e = t_for(w.lang), e_for(w.lang)
    v = getattr(obj, c.name, None)
    if v is None or v == "" or (isinstance(v, list | dict) and not v):
        return Markup('<span class="muted" aria-label="{}">–</span>').format(t("value.none"))
    k = c.kind
    if k == "link":
        return Markup('<a href="{}">{}</a>').format(spec.url(obj), v)
    if k == "enum":
        return escape(e(c.enum_prefix or "", v))
    if k == "enums":
        return escape(
            "、".join(e(c.enum_prefix or "", x) for x in v)
            if w.lang == "zh"
            else ", ".join(e(c.enum_prefix or "", x) for x in v)
        )
    if k == "ref":
        name, href = refs.get(c.name, {}).get(v, (f"#{v}", None))
        return Markup('<a href="{}">{}</a>').format(href, name) if href else escape(name)
    if k == "money":
        return Markup('<span class="num">{}</span>').format(fmt_money(v))
    if k == "num":
        return Markup('<span class="num">{}</span>').format(fmt_num(v))
    if k == "date":
        return escape(fmt_date(v))
    if k == "datetime":
        return escape(fmt_dt(v))
    if k == "bool":
        return escape(t("value.yes") if v else t("value.no"))
    if k == "breach":
        if v:
            return Markup('<span class="badge bad">{}</span>').format(t("value.breached"))
        return Markup('<span class="badge ok">{}</span>').format(t("value.on_time"))
    if k == "json":
        import json

        return Markup('<code class="json">{}</code>').format(json.dumps(v, ensure_ascii=False, default=str))
    if k == "multiline":
        return Markup('<span class="pre">{}</span>').format(v)
    return escape(str(v))


def table_section(
    w: WebContext,
    title: str,
    columns: list[Column],
    rows: list[Any],
    entity: str | None = None,
    **data: Any,
) -> Section:
    """A detail-page table of related rows; ``link`` columns open ``entity``'s detail page."""
    spec = ENTITIES.get(entity or "")
    refs = resolve_refs(w, columns, rows)
    return Section(
        title,
        "sections/table.html",
        {
            "columns": columns,
            "rows": rows,
            **data,
            "cell": lambda c, r: cell(w, spec, refs, c, r) if spec or c.kind != "link" else escape(getattr(r, c.name)),
        },
    )


def links_section(w: WebContext, title: str, links: list[tuple[str, str, str | None]]) -> Section | None:
    """Links to filtered lists (label key, URL, permission), those the user may open."""
    shown = [(key, url) for key, url, perm in links if w.can(perm)]
    return Section(title, "sections/links.html", {"links": shown}) if shown else None


# ------------------------------------------------------------------------------------ pages


def list_page(request: Request, spec: EntitySpec) -> HTMLResponse:
    with page(request, spec.read_perm) as w:
        t = t_for(w.lang)
        q = request.query_params
        kwargs, values, errors = {}, {}, []
        for f in spec.filters:
            raw = (q.get(f.name) or "").strip()
            values[f.name] = raw
            if raw:
                try:
                    kwargs[f.name] = f.convert(raw)
                except ValueError:
                    errors.append(f"{t(f.label_key)}: {t('error.invalid_filter')}")
        cursor = q.get("cursor") or None
        try:
            items, nxt = spec.list_fn(w.session, limit=spec.page_size, cursor=cursor, order="desc", **kwargs)
        except DomainError as exc:
            w.rollback()
            items, nxt = [], None
            errors += [m for _p, m in forms.domain_errors(exc, w.lang)]
        items = spec.shown(w.session, items)
        refs = resolve_refs(w, spec.columns, items)
        kept = {k: v for k, v in values.items() if v}
        return render(
            request,
            "list.html",
            w,
            title_key=spec.plural,
            spec=spec,
            items=items,
            filters=spec.filters,
            filter_values=values,
            filter_errors=errors,
            next_url=f"/{spec.name}?" + urlencode({**kept, "cursor": nxt}) if nxt else None,
            first_url=f"/{spec.name}?" + urlencode(kept) if cursor else None,
            can_create=spec.create_fn is not None and w.can(spec.create_perm),
            cell=lambda c, obj: cell(w, spec, refs, c, obj),
        )


def detail_response(
    w: WebContext,
    spec: EntitySpec,
    id_: int,
    *,
    status: int = 200,
    transition_values: dict | None = None,
    transition_errors: list[str] | None = None,
    notice: dict | None = None,
) -> HTMLResponse:
    obj = spec.get_fn(w.session, id_)
    shown = spec.shown(w.session, [obj])[0]
    refs = resolve_refs(w, spec.detail, [shown])
    tr = spec.transition
    allowed: list[Any] = []
    if tr is not None and w.can(tr.permission):
        allowed = sorted(tr.allowed(obj), key=lambda s: list(type(s)).index(s))
    return render(
        w.request,
        "detail.html",
        w,
        status=status,
        title=f"{t_for(w.lang)(spec.singular)} {spec.title_of(obj)}",
        spec=spec,
        obj=shown,
        allowed=allowed,
        transition=tr if allowed or transition_errors else None,
        transition_values=transition_values or {},
        transition_errors=transition_errors or [],
        sections=spec.sections(w, obj) if spec.sections else [],
        notice=notice,
        can_edit=spec.update_fn is not None and w.can(spec.update_perm),
        cell=lambda c, o: cell(w, spec, refs, c, o),
    )


def form_response(
    w: WebContext,
    spec: EntitySpec,
    fields: list[Field],
    values: dict,
    mode: str,
    *,
    obj: Any = None,
    errors: list[tuple[str, str]] = (),
    status: int = 200,
) -> HTMLResponse:
    t = t_for(w.lang)
    by_field, general = forms.place(list(errors), forms.input_names(fields, values), spec.aliases)
    if mode == "create":
        action, cancel, title = f"/{spec.name}/new", f"/{spec.name}", t("page.new", entity=t(spec.singular))
    else:
        action, cancel = f"{spec.url(obj)}/edit", spec.url(obj)
        title = t("page.edit", entity=t(spec.singular), title=spec.title_of(obj))
    return render(
        w.request,
        "form.html",
        w,
        status=status,
        title=title,
        spec=spec,
        fields=fields,
        values=values,
        errors=by_field,
        general_errors=general,
        action=action,
        cancel=cancel,
        mode=mode,
        version=values.get("version", ""),
    )


def _save(w: WebContext, parsed: forms.Parsed, run: Callable[[], Any]) -> Any:
    """Run a service call; on a domain error roll back and add its messages to ``parsed``."""
    try:
        result = run()
        w.session.flush()
        return result
    except DomainError as exc:
        w.rollback()
        parsed.errors += forms.domain_errors(exc, w.lang)
    except (IntegrityError, StaleDataError):
        w.rollback()
        parsed.errors.append(("", t_for(w.lang)("error.conflict")))
    except (StatementError, OverflowError):  # a value the database cannot take (an id beyond BIGINT)
        log.info("database refused a form value", exc_info=True)
        w.rollback()
        parsed.errors.append(("", t_for(w.lang)("error.invalid_value")))
    return None


def add_routes(router: APIRouter, spec: EntitySpec) -> None:
    """Register ``spec`` and add its pages to ``router``."""
    ENTITIES[spec.name] = spec
    base, idp = f"/{spec.name}", "{" + spec.id_param + "}"
    slug = spec.name.replace("-", "_")

    def list_view(request: Request) -> HTMLResponse:
        return list_page(request, spec)

    def detail_view(request: Request) -> HTMLResponse:
        with page(request, spec.read_perm) as w:
            return detail_response(w, spec, parse_id(request, spec.id_param))

    def new_view(request: Request) -> HTMLResponse:
        with page(request, spec.create_perm) as w:
            fields = forms.visible(spec.fields, w, "create")
            return form_response(w, spec, fields, spec.defaults(w) if spec.defaults else {}, "create")

    def create_view(request: Request, form: FormData = Depends(read_form)) -> Any:
        with page(request, spec.create_perm) as w:
            check_csrf(request, form)
            fields = forms.visible(spec.fields, w, "create")
            parsed = forms.parse(fields, form, "create", w.lang)
            model = forms.validate(spec.create_schema, parsed, w.lang)
            if model is not None:
                obj = _save(w, parsed, lambda: spec.create_fn(w.session, model, w))
                if obj is not None:
                    new_url = spec.url(obj)
                    w.commit()
                    flash(request, "msg.created", entity=t_for(w.lang)(spec.singular))
                    return RedirectResponse(new_url, status_code=303)
            return form_response(w, spec, fields, parsed.values, "create", errors=parsed.errors, status=422)

    def edit_view(request: Request) -> HTMLResponse:
        with page(request, spec.update_perm) as w:
            obj = spec.get_fn(w.session, parse_id(request, spec.id_param))
            shown = spec.shown(w.session, [obj])[0]
            fields = spec.edit_fields(w)
            values = forms.initial_values(fields, shown) | (spec.initial(w, obj) if spec.initial else {})
            if hasattr(obj, "version") and "version" in spec.update_schema.model_fields:
                values["version"] = str(obj.version)
            return form_response(w, spec, fields, values, "edit", obj=obj)

    def update_view(request: Request, form: FormData = Depends(read_form)) -> Any:
        with page(request, spec.update_perm) as w:
            check_csrf(request, form)
            id_ = parse_id(request, spec.id_param)
            obj = spec.get_fn(w.session, id_)
            fields = spec.edit_fields(w)
            parsed = forms.parse(fields, form, "edit", w.lang)
            if "version" in spec.update_schema.model_fields and form.get("version"):
                parsed.values["version"] = parsed.data["version"] = form.get("version")
            model = forms.validate(spec.update_schema, parsed, w.lang)
            if model is not None:
                done = _save(w, parsed, lambda: spec.update_fn(w.session, id_, model, w))
                if done is not None:
                    w.commit()
                    if spec.after_update:
                        spec.after_update(request, done)
                    flash(request, "msg.saved")
                    return RedirectResponse(spec.url(id_), status_code=303)
                obj = spec.get_fn(w.session, id_)
            return form_response(w, spec, fields, parsed.values, "edit", obj=obj, errors=parsed.errors, status=422)

    def transition_view(request: Request, form: FormData = Depends(read_form)) -> Any:
        tr = spec.transition
        with page(request, tr.permission) as w:
            check_csrf(request, form)
            id_ = parse_id(request, spec.id_param)
            spec.get_fn(w.session, id_)
            parsed = forms.parse(list(tr.extra), form, "create", w.lang)
            parsed.data[tr.target] = form.get(tr.target) or ""
            if form.get("version"):
                parsed.data["version"] = form.get("version")
            model = forms.validate(tr.schema, parsed, w.lang)
            if model is not None and _save(w, parsed, lambda: tr.apply(w.session, id_, model, w) or True):
                w.commit()
                flash(
                    request,
                    "msg.transitioned",
                    state=e_for(w.lang)(tr.enum_prefix, model.model_dump()[tr.target]),
                )
                return RedirectResponse(spec.url(id_), status_code=303)
            return detail_response(
                w,
                spec,
                id_,
                status=422 if model is None else 409,
                transition_values=parsed.values,
                transition_errors=[m for _p, m in parsed.errors],
            )

    def named(fn: Callable, name: str) -> Callable:
        fn.__name__ = f"web_{slug}_{name}"
        return fn

    router.add_api_route(base, named(list_view, "list"), methods=["GET"], response_class=HTMLResponse)
    if spec.create_fn is not None:
        router.add_api_route(f"{base}/new", named(new_view, "new"), methods=["GET"], response_class=HTMLResponse)
        router.add_api_route(f"{base}/new", named(create_view, "create"), methods=["POST"], response_class=HTMLResponse)
    router.add_api_route(f"{base}/{idp}", named(detail_view, "detail"), methods=["GET"], response_class=HTMLResponse)
    if spec.update_fn is not None:
        router.add_api_route(
            f"{base}/{idp}/edit", named(edit_view, "edit"), methods=["GET"], response_class=HTMLResponse
        )
        router.add_api_route(
            f"{base}/{idp}/edit", named(update_view, "update"), methods=["POST"], response_class=HTMLResponse
        )
    if spec.transition is not None:
        router.add_api_route(
            f"{base}/{idp}/transition",
            named(transition_view, "transition"),
            methods=["POST"],
            response_class=HTMLResponse,
        )
