"""Templates: the Jinja2 environment, the label functions every template uses, formatting, the
navigation and safe JSON embedding.

Every visible word comes from :func:`somp.modules.terminology.service.label` (``t('key')`` in a
template) or :func:`~somp.modules.terminology.service.enum_label` (``e('prefix', value)``). A key
that resolves nowhere is recorded in :data:`MISSING`, which the tests assert stays empty.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from somp.core.auth import Principal
from somp.core.modules import installed_modules
from somp.modules.terminology.service import (
    enum_label,
    framework_index,
    framework_tree,
    glossary,
    label,
    ui_labels,
)
from somp.web.context import CSRF_FIELD, WebContext, csrf_token, here, language, pop_flash

MISSING: set[str] = set()
"""Label keys asked for by a page that resolve nowhere (shown raw); the tests keep this empty."""


def has_label(key: str) -> bool:
    return key in ui_labels() or key in glossary() or key in framework_index()


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def t_for(lang: str):  # noqa: ANN201
    def t(key: str, **params: Any) -> str:
        if not has_label(key):
            MISSING.add(key)
        text = label(key, lang)  # type: ignore[arg-type]
        return text.format_map(_Params(params)) if params else text

    return t


def e_for(lang: str):  # noqa: ANN201
    def e(prefix: str, value: Any) -> str:
        if value is None or value == "":
            return ""
        v = value.value if isinstance(value, enum.Enum) else str(value)
        if not has_label(f"{prefix}_{v}"):
            MISSING.add(f"{prefix}_{v}")
        return enum_label(prefix, v, lang)  # type: ignore[arg-type]

    return e


def fmt_money(x: Any) -> str:
    if x is None or x == "":
        return ""
    return f"{Decimal(x):,.2f}"


def fmt_num(x: Any) -> str:
    """Decimals exactly as stored; floats by their shortest repr (never the binary expansion)."""
    if x is None or x == "":
        return ""
    if isinstance(x, float):
        x = repr(x)
    return format(Decimal(x).normalize(), "f")


def fmt_pct(x: float | None, digits: int = 1) -> str | None:
    return None if x is None else f"{x * 100:.{digits}f}%"


def fmt_dt(x: dt.datetime | None) -> str:
    if x is None:
        return ""
    return x.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def fmt_date(x: dt.date | None) -> str:
    return "" if x is None else x.isoformat()


def json_script(data: Any) -> Markup:
    """JSON for a ``<script type="application/json">`` element: ``<``, ``>`` and ``&`` escaped as
    ``\\u003c`` etc., so the data can never close the script element (``</script>``)."""
    raw = orjson.dumps(data, default=str).decode()
    raw = raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    raw = raw.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(raw)


@dataclass(frozen=True)
class NavLink:
    label: str
    path: str


@dataclass(frozen=True)
class NavArea:
    code: str
    label: str
    links: list[NavLink]


def navigation(principal: Principal, lang: str) -> list[NavArea]:
    """The four framework areas with the manifests' nav items this user may open."""
    t = t_for(lang)
    by_area: dict[str, list[NavLink]] = {}
    for m in installed_modules():
        for item in m.nav:
            if principal.can(item.permission):
                by_area.setdefault(item.area, []).append(NavLink(t(item.label), item.path))
    return [
        NavArea(a.code, a.label(lang), by_area[a.code])  # type: ignore[arg-type]
        for a in framework_tree()
        if by_area.get(a.code)
    ]


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("somp.web", "templates"),
        autoescape=select_autoescape(("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=fmt_money, num=fmt_num, pct=fmt_pct, dt=fmt_dt, date=fmt_date, json_script=json_script)
    env.globals["CSRF_FIELD"] = CSRF_FIELD
    return env


ENV = _env()


def render(
    request: Request,
    template: str,
    w: WebContext | None = None,
    *,
    status: int = 200,
    title_key: str | None = None,
    title: str | None = None,
    principal: Principal | None = None,
    **data: Any,
) -> HTMLResponse:
    principal = w.principal if w else principal
    lang = w.lang if w else language(request, principal)
    t = t_for(lang)
    ctx = {
        "request": request,
        "w": w,
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": t,
        "e": e_for(lang),
        "user": principal,
        "nav": navigation(principal, lang) if principal else [],
        "csrf": csrf_token(request),
        "here": here(request),
        "path": request.url.path,
        "flashes": [t(k, **p) for k, p in pop_flash(request)],
        "title": title if title is not None else (t(title_key) if title_key else t("app.name")),
    }
    ctx.update(data)
    html = ENV.get_template(template).render(ctx)
    return HTMLResponse(html, status_code=status)
