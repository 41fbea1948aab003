"""Pages of the configurator and C2M orders (framework nodes 3.2 customised services / C2M, 2.1.2).

* ``/customization/offerings``: the configurable offerings, each model's file (export), and for
  staff a form that stores a pasted model file (a new offering or its next version; problems listed
  with their paths).
* ``/customization/offerings/{id}``: the configurator. The customer's choices travel in the query
  string (``c``: chosen options, ``x``: ruled-out options, ``lo.<attribute>`` / ``hi.<attribute>``:
  numeric requirements), so the page works as a plain GET form; with JavaScript
  (static/customization/configurator.js) every change asks ``.../state`` (the same query as JSON,
  in the page's language) and redraws the options: impossible ones greyed out with the rules that
  rule them out (still clickable: choosing one anyway shows the conflict it makes, and in a single
  choice group it switches the choice), the live price and attributes, and a conflict with its
  minimal set of rules.
* ``POST /customization/offerings/{id}/confirm``: the configuration becomes a C2M order.
* ``/customization/orders`` and ``/customization/orders/{id}``: C2M orders, their bill of options
  and their state machine (generic entity pages).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData, QueryParams

from somp.core.errors import DomainError
from somp.modules.customers.service import list_customers
from somp.modules.customization import orders, service
from somp.modules.customization.models import C2M_TRANSITIONS, C2MOrder, C2MStatus
from somp.modules.customization.offering import describe_group
from somp.modules.customization.schemas import (
    C2MOrderCreate,
    C2MTransition,
    ConfigureRequest,
    ConfigureResult,
    ModelImport,
)
from somp.web.context import WebContext, check_csrf, flash, page, parse_id
from somp.web.crud import Column, EntitySpec, Filter, Section, TransitionSpec, add_routes, read_form, table_section
from somp.web.forms import Field, domain_errors, options_from, pydantic_errors
from somp.web.render import ENV, fmt_money, fmt_num, render, t_for

router = APIRouter(include_in_schema=False)
READ, WRITE = "customization:read", "customization:write"
BASE = "/customization"

LIST = ENV.from_string("""{% extends "base.html" %}
{% block content %}
<h1>{{ t('customization.page.title') }}</h1>
<p class="muted">{{ t('customization.page.intro') }}</p>
{% if rows %}
<div class="table-wrap">
<table class="data">
  <thead><tr>
    <th scope="col">{{ t('field.code') }}</th><th scope="col">{{ t('field.name') }}</th>
    <th scope="col">{{ t('customization.field.model_version') }}</th><th scope="col">{{ t('field.status') }}</th>
    <th scope="col">{{ t('customization.field.model_file') }}</th>
  </tr></thead>
  <tbody>
  {% for r in rows %}
    <tr><th scope="row"><a href="/customization/offerings/{{ r.id }}">{{ r.code }}</a></th><td>{{ r.name }}</td>
    <td class="num">{{ r.current_version }}</td><td>{{ e('configurable_status', r.status) }}</td>
    <td><a href="/customization/offerings/{{ r.id }}/export" download>
      {{ t('customization.action.export') }}</a></td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">{{ t('msg.no_items') }}</p>
{% endif %}
<p><a href="/customization/orders">{{ t('customization.nav.orders') }}</a></p>
{% if can_write %}
<form method="post" action="/customization/offerings/import" class="card" id="cfg-import">
  <h2>{{ t('customization.section.import') }}</h2>
  <p class="hint">{{ t('customization.page.import_hint') }}</p>
  <input type="hidden" name="{{ CSRF_FIELD }}" value="{{ csrf }}">
  {% if problems %}<div class="alert" role="alert"><ul>{% for p in problems %}<li><code>{{ p.field }}</code>
    {{ p.message }}</li>{% endfor %}</ul></div>{% endif %}
  <div class="field"><label for="cfg-document">{{ t('customization.field.model_file') }}</label>
    <textarea id="cfg-document" name="document" rows="14" required>{{ document }}</textarea></div>
  <div class="field"><label for="cfg-note">{{ t('field.notes') }}</label>
    <input id="cfg-note" name="note" value="{{ note }}"></div>
  <div class="button-row"><button type="submit">{{ t('customization.action.import') }}</button></div>
</form>
{% endif %}
{% endblock %}""")

CONFIGURATOR = ENV.from_string("""{% extends "base.html" %}
{% block head %}<link rel="stylesheet" href="/static/customization/configurator.css">{% endblock %}
{% block content %}
<h1>{{ name }}</h1>
<p class="muted">{{ t('customization.page.configurator_intro') }}
  {{ t('customization.field.model_version') }} {{ view.model_version }}</p>
{% if errors %}<div class="alert" role="alert"><ul>{% for m in errors %}<li>{{ m }}</li>{% endfor %}</ul></div>
{% endif %}
<div class="cfg-layout">
<form method="get" action="{{ url }}" id="cfg-form" class="cfg-form" data-state-url="{{ url }}/state">
  {% for g in groups %}
  <fieldset class="cfg-group" data-group="{{ g.code }}" data-single="{{ 'true' if g.single else 'false' }}">
    <legend>{{ g.name }} <span class="muted cfg-rule">{{ g.rule }}</span></legend>
    {% for o in g.options %}{% set s = view.options[o.code] %}
    <div class="cfg-option state-{{ s.state }}" data-option="{{ o.code }}">
      <label><input type="checkbox" name="c" value="{{ o.code }}"{% if s.state == 'chosen' %} checked{% endif %}
        aria-describedby="reason-{{ o.code }}">
        <span class="cfg-name">{{ o.name }}</span>
        <span class="num cfg-price">{{ o.price }}</span>
        <span class="badge cfg-state">{{ s.state_label }}</span></label>
      <p class="cfg-reason hint" id="reason-{{ o.code }}"{% if not s.reason %} hidden{% endif %}>{{ s.reason }}</p>
    </div>
    {% endfor %}
  </fieldset>
  {% endfor %}
  {% for x in ruled_out %}<input type="hidden" name="x" value="{{ x }}">{% endfor %}
  {% if attributes %}
  <fieldset class="cfg-group cfg-requirements">
    <legend>{{ t('customization.section.requirements') }}</legend>
    {% for a in attributes %}
    <div class="cfg-req">
      <span>{{ a.name }} ({{ a.unit }})</span>
      <label>{{ t('customization.field.at_least') }}
        <input type="number" step="any" name="lo.{{ a.code }}" value="{{ a.low }}" data-attr="{{ a.code }}"></label>
      <label>{{ t('customization.field.at_most') }}
        <input type="number" step="any" name="hi.{{ a.code }}" value="{{ a.high }}" data-attr="{{ a.code }}"></label>
    </div>
    {% endfor %}
  </fieldset>
  {% endif %}
  <div class="button-row"><button type="submit" id="cfg-update">{{ t('customization.action.update') }}</button>
    <a href="{{ url }}">{{ t('action.reset') }}</a></div>
</form>
<aside class="cfg-side">
  <section id="cfg-conflict" class="alert" role="alert"{% if not view.conflict %} hidden{% endif %}>
    <h2>{{ t('customization.section.conflict') }}</h2>
    <p>{{ t('customization.page.conflict_intro') }}</p>
    <ul id="cfg-conflict-items">{% for i in (view.conflict or []) %}
      <li data-kind="{{ i.kind }}" data-code="{{ i.code }}">
        <span class="badge">{{ i.kind_label }}</span> {{ i.message }}</li>
    {% endfor %}</ul>
  </section>
  <section id="cfg-summary" class="card"{% if view.conflict %} hidden{% endif %}>
    <h2>{{ t('customization.section.price') }}</h2>
    <table class="data compact"><tbody id="cfg-lines">{% for ln in view.lines %}
      <tr><td>{{ ln.name }}</td><td class="num">{{ ln.amount }}</td></tr>{% endfor %}</tbody>
      <tfoot><tr><th scope="row">{{ t('customization.field.total') }}</th>
      <td class="num" id="cfg-total">{{ view.total }}</td></tr></tfoot></table>
    <p class="hint">{{ t('customization.page.completion_hint') }}</p>
    <ul id="cfg-attributes">{% for a in view.attributes %}<li>{{ a }}</li>{% endfor %}</ul>
  </section>
  {% if can_confirm %}
  <form method="post" action="{{ url }}/confirm" id="cfg-confirm" class="card">
    <h2>{{ t('customization.section.confirm') }}</h2>
    <input type="hidden" name="{{ CSRF_FIELD }}" value="{{ csrf }}">
    <input type="hidden" name="model_version" value="{{ view.model_version }}">
    <input type="hidden" name="query" id="cfg-query" value="{{ query }}">
    <div class="field"><label for="cfg-customer">{{ t('field.customer_id') }}</label>
      <select id="cfg-customer" name="customer_id" required>{% for v, label in customers %}
        <option value="{{ v }}">{{ label }}</option>{% endfor %}</select></div>
    <div class="field"><label for="cfg-qty">{{ t('field.quantity') }}</label>
      <input id="cfg-qty" type="number" name="quantity" min="1" value="1" required></div>
    <div class="button-row"><button type="submit" id="cfg-confirm-button"{% if view.conflict %} disabled{% endif %}>
      {{ t('customization.action.confirm') }}</button></div>
  </form>
  {% endif %}
</aside>
</div>
<script type="application/json" id="cfg-data">{{ data|json_script }}</script>
{% endblock %}
{% block scripts %}<script src="/static/customization/configurator.js"></script>{% endblock %}""")


def _split(values: list[str]) -> list[str]:
    return [c for v in values for c in v.split(",") if c.strip()][:2000]


def _query(params: Any) -> tuple[dict[str, bool], dict[str, dict[str, str | None]], list[str]]:
    """Choices and requirements from the query string (``c``, ``x``, ``lo.*``, ``hi.*``)."""
    choices = dict.fromkeys(_split(params.getlist("x")), False) | dict.fromkeys(_split(params.getlist("c")), True)
    reqs: dict[str, dict[str, str | None]] = {}
    for key, value in params.multi_items():
        side, _, attr = key.partition(".")
        if side in ("lo", "hi") and attr and value.strip():
            reqs.setdefault(attr, {"low": None, "high": None})["low" if side == "lo" else "high"] = value.strip()
    return choices, reqs, _split(params.getlist("x"))


def _money(x: Decimal) -> str:
    return fmt_money(x)


def view_model(result: ConfigureResult, lang: str, units: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """What the page shows of a query result, in ``lang`` (the JSON route sends the same)."""
    t = t_for(lang)
    zh = lang == "zh"

    def msg(item: Any) -> str:
        return item.message_zh if zh else item.message_en

    options = {}
    for o in result.options:
        reason = ""
        if o.reason is not None:
            reason = t(
                "customization.page.impossible_because", why=(o.reason.message_zh if zh else o.reason.message_en)
            )
        label = "" if o.state == "unknown" else t(f"customization.state.{o.state}")  # unknown: on a conflict
        options[o.code] = {"state": o.state, "state_label": label, "reason": reason}
    conflict = None
    if result.conflict is not None:
        conflict = [
            {"kind": i.kind, "code": i.code, "kind_label": t(f"customization.item.{i.kind}"), "message": msg(i)}
            for i in result.conflict.items
        ]
    comp = result.completion
    return {
        "status": result.status,
        "model_version": result.model_version,
        "options": options,
        "conflict": conflict,
        "lines": [{"name": ln.name_zh if zh else ln.name_en, "amount": _money(ln.amount)} for ln in comp.price_lines]
        if comp
        else [],
        "total": f"{_money(comp.total)} {comp.currency}" if comp else "",
        "attributes": [
            f"{units[k][0]}: {fmt_num(v)} {units[k][1]}"
            for k, v in (comp.attributes.items() if comp else [])
            if k in units
        ],
    }


def _units(cfg: Any, lang: str) -> dict[str, tuple[str, str]]:
    return {a.code: (a.name_zh if lang == "zh" else a.name_en, a.unit) for a in cfg.offering.attributes}


def _run(w: WebContext, configurable_id: int, params: Any) -> tuple[Any, ConfigureResult | None, list[str], dict]:
    conf = service.get_configurable(w.session, configurable_id)
    choices, reqs, _ = _query(params)
    try:
        req = ConfigureRequest(choices=choices, requirements=reqs)
        return conf, service.configure(w.session, conf.id, req), [], reqs
    except DomainError as exc:
        return conf, None, [m for _f, m in domain_errors(exc, w.lang)], reqs
    except ValidationError as exc:  # a requirement that is not a number, low above high
        return conf, None, [f"{path}: {msg}" for path, msg in pydantic_errors(exc, w.lang)], reqs


def configurator(request: Request) -> HTMLResponse:
    with page(request, READ) as w:
        configurable_id = parse_id(request, "configurable_id")
        conf, result, errors, reqs = _run(w, configurable_id, request.query_params)
        if result is None:  # a bad query string: show the untouched configuration with the reason
            result = service.configure(w.session, conf.id, ConfigureRequest())
            reqs = {}
        _, _, compiled = service.compiled(w.session, conf, result.model_version)
        cfg, lang = compiled.cfg, w.lang
        zh = lang == "zh"
        doc_groups = cfg.offering.groups
        groups = [
            {"code": g.code, "name": g.name_zh if zh else g.name_en, "single": g.single,
             "rule": describe_group(g, lang).removeprefix(g.name_zh if zh else g.name_en).lstrip("：: "),
             "options": [{"code": o.code, "name": o.name_zh if zh else o.name_en, "price": _price(o.price, lang)}
                         for o in g.options]}
            for g in doc_groups
        ]  # fmt: skip
        attributes = [
            {"code": a.code, "name": a.name_zh if zh else a.name_en, "unit": a.unit,
             "low": (reqs.get(a.code) or {}).get("low") or "", "high": (reqs.get(a.code) or {}).get("high") or ""}
            for a in cfg.offering.attributes
        ]  # fmt: skip
        units = _units(cfg, lang)
        view = view_model(result, lang, units)
        can_confirm = w.can(WRITE)
        customers = options_from(list_customers, lambda c: f"{c.code} {c.name}")(w) if can_confirm else []
        url = f"{BASE}/offerings/{conf.id}"
        _, _, ruled_out = _query(request.query_params)
        return render(
            request,
            CONFIGURATOR,
            w,
            title=conf.name_zh if zh else conf.name_en,
            name=conf.name_zh if zh else conf.name_en,
            url=url,
            groups=groups,
            attributes=attributes,
            ruled_out=ruled_out,
            view=view,
            errors=errors,
            can_confirm=can_confirm,
            customers=customers,
            query=request.url.query,
            data={"state_url": f"{url}/state", "view": view},
        )


def _price(amount: Decimal, lang: str) -> str:
    if not amount:
        return t_for(lang)("customization.value.included")
    return f"+{fmt_money(amount)}"


def state(request: Request) -> Response:
    """The configurator's state for a query string (JSON, in the page's language)."""
    with page(request, READ) as w:
        conf, result, errors, _ = _run(w, parse_id(request, "configurable_id"), request.query_params)
        if result is None:
            body: dict[str, Any] = {"status": "invalid", "errors": errors}
        else:
            _, _, compiled = service.compiled(w.session, conf, result.model_version)
            body = view_model(result, w.lang, _units(compiled.cfg, w.lang)) | {
                "query": request.url.query,
                "elapsed_ms": result.elapsed_ms,
            }
        return Response(orjson.dumps(body), media_type="application/json", headers={"Cache-Control": "no-store"})


def confirm(request: Request, form: FormData = Depends(read_form)) -> Response:
    with page(request, WRITE) as w:
        check_csrf(request, form)
        configurable_id = parse_id(request, "configurable_id")
        conf = service.get_configurable(w.session, configurable_id)
        raw = form.get("query")
        choices, reqs, _ = _query(QueryParams(raw if isinstance(raw, str) else ""))
        back = f"{BASE}/offerings/{conf.id}" + (f"?{raw}" if isinstance(raw, str) and raw else "")

        def number(name: str) -> int | None:
            v = form.get(name)
            return int(v) if isinstance(v, str) and v.isdigit() and len(v) < 12 else None

        try:
            data = C2MOrderCreate(
                configurable_id=conf.id,
                customer_id=number("customer_id") or 0,
                choices=choices,
                requirements=reqs,
                model_version=number("model_version"),
                quantity=number("quantity") or 0,
            )
            order = orders.confirm(w.session, data, w.principal.user_id)
        except DomainError as exc:
            w.rollback()
            for _f, m in domain_errors(exc, w.lang):
                flash(request, "customization.msg.not_confirmed", reason=m)
            return RedirectResponse(back, status_code=303)
        except ValueError:  # pydantic: no customer chosen, a quantity below 1
            w.rollback()
            flash(request, "customization.msg.not_confirmed", reason=t_for(w.lang)("error.invalid_value"))
            return RedirectResponse(back, status_code=303)
        w.commit()
        flash(request, "customization.msg.confirmed", number=order.number)
        return RedirectResponse(f"{BASE}/orders/{order.id}", status_code=303)


def configurables(request: Request) -> HTMLResponse:
    with page(request, READ) as w:
        return _list(w, rows_of(w))


def rows_of(w: WebContext) -> list[dict[str, Any]]:
    items, _ = service.list_configurables(w.session, limit=200, cursor=None, order="asc")
    zh = w.lang == "zh"
    return [
        {"id": c.id, "code": c.code, "name": c.name_zh if zh else c.name_en,
         "current_version": c.current_version, "status": c.status.value}
        for c in items
    ]  # fmt: skip


def _list(w: WebContext, rows: list[dict[str, Any]], status: int = 200, **form: Any) -> HTMLResponse:
    values = {"problems": [], "document": "", "note": ""} | form
    return render(w.request, LIST, w, status=status, title_key="customization.page.title", rows=rows,
                  can_write=w.can(WRITE), **values)  # fmt: skip


def import_model(request: Request, form: FormData = Depends(read_form)) -> Response:
    """A model file pasted into the list page: a new configurable offering or its next version."""
    with page(request, WRITE) as w:
        check_csrf(request, form)
        text = form.get("document") if isinstance(form.get("document"), str) else ""
        note = form.get("note") if isinstance(form.get("note"), str) else ""
        try:
            data = ModelImport(document=text, note=note or None)
            conf, row, warnings, added = service.import_model(w.session, data, w.principal.user_id)
        except DomainError as exc:
            w.rollback()
            problems = [{"field": e.field, "message": e.message} for e in exc.errors] or [
                {"field": "document", "message": exc.detail}
            ]
            return _list(w, rows_of(w), 422, problems=problems, document=text, note=note)
        except ValueError as exc:  # pydantic: an empty or oversized document
            w.rollback()
            problems = [{"field": "document", "message": str(exc).splitlines()[-1].strip()}]
            return _list(w, rows_of(w), 422, problems=problems, document=text[:100000], note=note)
        w.commit()
        key = "customization.msg.imported" if added else "customization.msg.import_unchanged"
        flash(request, key, code=conf.code, version=row.number, warnings=len(warnings))
        return RedirectResponse(f"{BASE}/offerings/{conf.id}", status_code=303)


def export_model(request: Request) -> Response:
    """The current model as a YAML file."""
    with page(request, READ) as w:
        conf = service.get_configurable(w.session, parse_id(request, "configurable_id"))
        text = service.export_model(w.session, conf.id)
        disposition = f'attachment; filename="{conf.code}-v{conf.current_version}.yaml"'
        return Response(text, media_type="application/yaml; charset=utf-8",
                        headers={"Content-Disposition": disposition})  # fmt: skip


router.add_api_route(
    f"{BASE}/offerings", configurables, methods=["GET"], response_class=HTMLResponse, name="web_customization"
)
router.add_api_route(
    f"{BASE}/offerings/import",
    import_model,
    methods=["POST"],
    response_class=HTMLResponse,
    name="web_customization_import",
)
router.add_api_route(
    f"{BASE}/offerings/{{configurable_id}}/export", export_model, methods=["GET"], name="web_customization_export"
)
router.add_api_route(
    f"{BASE}/offerings/{{configurable_id}}",
    configurator,
    methods=["GET"],
    response_class=HTMLResponse,
    name="web_customization_configurator",
)
router.add_api_route(
    f"{BASE}/offerings/{{configurable_id}}/state", state, methods=["GET"], name="web_customization_state"
)
router.add_api_route(
    f"{BASE}/offerings/{{configurable_id}}/confirm",
    confirm,
    methods=["POST"],
    response_class=HTMLResponse,
    name="web_customization_confirm",
)


# ---- C2M orders ----------------------------------------------------------------------------------


def _order_sections(w: WebContext, order: C2MOrder) -> list[Section]:
    zh = w.lang == "zh"
    rows = [
        {"line_no": ln.line_no, "kind": ln.kind.value, "code": ln.code, "name": ln.name_zh if zh else ln.name_en,
         "product_code": ln.product_code, "unit_price": ln.unit_price}
        for ln in orders.order_lines(w.session, [order.id])[order.id]
    ]  # fmt: skip

    class Row:
        def __init__(self, d: dict[str, Any]):
            self.__dict__.update(d)

    columns = [
        Column("kind", "enum", enum_prefix="c2m_line_kind", label="field.kind"),
        Column("code", label="field.code"),
        Column("name", label="field.name"),
        Column("product_code", label="customization.field.product"),
        Column("unit_price", "money", label="field.unit_price"),
    ]
    return [table_section(w, "customization.section.bill_of_options", columns, [Row(r) for r in rows])]


customer_options = options_from(list_customers, lambda c: f"{c.code} {c.name}")

ORDERS = EntitySpec(
    name="customization/orders",
    id_param="order_id",
    singular="customization.entity.order",
    plural="customization.nav.orders",
    model=C2MOrder,
    title="number",
    read_perm=READ,
    list_fn=orders.list_orders,
    get_fn=orders.get_order,
    columns=[
        Column("number", "link"),
        Column("customer_id", "ref", ref="customers"),
        Column("status", "enum", enum_prefix="c2m_status"),
        Column("quantity", "num"),
        Column("total_amount", "money", label="customization.field.total"),
        Column("model_version", "num", label="customization.field.model_version"),
        Column("released_at", "datetime", label="customization.field.released_at"),
    ],
    detail=[
        Column("number"),
        Column("status", "enum", enum_prefix="c2m_status"),
        Column("customer_id", "ref", ref="customers"),
        Column("contract_id", "ref", ref="contracts"),
        Column("model_version", "num", label="customization.field.model_version"),
        Column("quantity", "num"),
        Column("unit_price", "money"),
        Column("total_amount", "money", label="customization.field.total"),
        Column("released_at", "datetime", label="customization.field.released_at"),
        Column("started_at", "datetime", label="customization.field.started_at"),
        Column("completed_at", "datetime", label="customization.field.completed_at"),
        Column("delivered_at", "datetime", label="customization.field.delivered_at"),
        Column("notes", "multiline"),
    ],
    filters=[
        Filter("q"),
        Filter("status", "enum", enum=C2MStatus, enum_prefix="c2m_status"),
        Filter("customer_id", "select", options=customer_options),
    ],
    transition=TransitionSpec(
        field="status",
        target="to_status",
        enum_prefix="c2m_status",
        permission=WRITE,
        allowed=lambda o: C2M_TRANSITIONS[o.status],
        schema=C2MTransition,
        apply=lambda s, id_, req, w: orders.transition_order(s, id_, req),
        extra=(Field("note", kind="textarea"),),
    ),
    sections=_order_sections,
)
add_routes(router, ORDERS)
