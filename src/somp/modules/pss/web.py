"""Pages of the pss module (framework node 2.1.2): billing runs (the months billed, what each run
billed and skipped per contract, and why) and the sell-vs-serve comparison (NPV and lifecycle cost
of selling a machine vs providing it as a service, for the customer and the manufacturer, with the
inputs measured from the product and its work orders where the data has them).

The templates are kept here and extend ``base.html``; the chart is drawn by
``/static/pss/sell_vs_serve.js`` with the Plotly.js of the plotly wheel (offline)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy import select

from somp.core.errors import DomainError, NotFound
from somp.modules.catalog.models import Product
from somp.modules.pss import service
from somp.modules.pss.schemas import SellVsServeIn
from somp.web.context import PageNotFound, page, parse_id
from somp.web.render import ENV, render, t_for

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 100

RUNS = ENV.from_string("""{% extends "base.html" %}
{% block content %}
<h1>{{ t('pss.page.billing') }}</h1>
<p class="muted">{{ t('pss.page.billing_intro') }}</p>
{% if runs %}
<div class="table-wrap">
<table class="data">
  <caption>{{ t('pss.page.runs') }}</caption>
  <thead><tr>
    <th scope="col">{{ t('pss.field.run') }}</th><th scope="col">{{ t('pss.field.period') }}</th>
    <th scope="col">{{ t('pss.field.started_at') }}</th><th scope="col">{{ t('pss.field.contracts') }}</th>
    <th scope="col">{{ t('pss.field.invoices') }}</th><th scope="col">{{ t('pss.field.credit_notes') }}</th>
    <th scope="col">{{ t('pss.field.skipped') }}</th><th scope="col">{{ t('pss.field.net_invoiced') }}</th>
    <th scope="col">{{ t('pss.field.net_credited') }}</th>
  </tr></thead>
  <tbody>
  {% for r in runs %}
    <tr>
      <th scope="row"><a href="/pss/billing/{{ r.id }}">#{{ r.id }}</a></th><td>{{ r.period }}</td>
      <td>{{ r.started_at|dt }}</td><td class="num">{{ r.contracts }}</td><td class="num">{{ r.invoices }}</td>
      <td class="num">{{ r.credit_notes }}</td><td class="num">{{ r.skipped }}</td>
      <td class="num">{{ r.net_invoiced|money }}</td><td class="num">{{ r.net_credited|money }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">{{ t('msg.no_items') }}</p>
{% endif %}
<p class="hint">{{ t('pss.page.billing_cli') }} <code>somp pss bill --period 2026-10 --tenant …</code></p>
{% endblock %}""")

RUN = ENV.from_string("""{% extends "base.html" %}
{% block content %}
<h1>{{ t('pss.field.run') }} #{{ run.id }} · {{ run.period }}</h1>
<dl class="facts">
  <dt>{{ t('pss.field.contracts') }}</dt><dd>{{ run.contracts }}</dd>
  <dt>{{ t('pss.field.invoices') }}</dt><dd>{{ run.invoices }}</dd>
  <dt>{{ t('pss.field.credit_notes') }}</dt><dd>{{ run.credit_notes }}</dd>
  <dt>{{ t('pss.field.net_invoiced') }}</dt><dd>{{ run.net_invoiced|money }}</dd>
  <dt>{{ t('pss.field.net_credited') }}</dt><dd>{{ run.net_credited|money }}</dd>
  <dt>{{ t('pss.field.skipped') }}</dt>
  <dd>{{ run.skipped }}{% for reason, n in run.skip_reasons.items() %}
    · {{ e('pss.reason', reason) }}: {{ n }}{% endfor %}</dd>
</dl>
<div class="table-wrap">
<table class="data">
  <caption>{{ t('pss.page.items') }}</caption>
  <thead><tr>
    <th scope="col">{{ t('pss.field.contract') }}</th><th scope="col">{{ t('pss.field.outcome') }}</th>
    <th scope="col">{{ t('pss.field.net_invoiced') }}</th><th scope="col">{{ t('pss.field.net_credited') }}</th>
    <th scope="col">{{ t('pss.field.usage') }}</th><th scope="col">{{ t('pss.field.availability') }}</th>
    <th scope="col">{{ t('pss.field.documents') }}</th><th scope="col">{{ t('pss.field.detail') }}</th>
  </tr></thead>
  <tbody>
  {% for i in items %}
    <tr>
      <th scope="row"><a href="/contracts/{{ i.contract_id }}">{{ i.contract_number }}</a></th>
      <td>{{ e('pss.outcome', i.outcome) }}{% if i.reason %}: {{ e('pss.reason', i.reason) }}{% endif %}</td>
      <td class="num">{{ i.net_amount|money }}</td><td class="num">{{ i.credit_amount|money }}</td>
      <td class="num">{{ i.usage|num if i.usage is not none else '' }}</td>
      <td class="num">{{ i.availability_pct|num if i.availability_pct is not none else '' }}</td>
      <td>{% if i.invoice_id %}<a href="/invoices/{{ i.invoice_id }}">{{ t('pss.field.invoice') }}</a>{% endif %}
          {% if i.credit_note_id %}
          <a href="/invoices/{{ i.credit_note_id }}">{{ t('pss.field.credit_note') }}</a>{% endif %}</td>
      <td>{{ i.detail or '' }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% if more %}<p class="hint">{{ t('pss.page.first_items', n=items|length) }}</p>{% endif %}
{% endblock %}""")

COMPARE = ENV.from_string("""{% extends "base.html" %}
{% block content %}
<h1>{{ t('pss.page.sell_vs_serve') }}</h1>
<p class="muted">{{ t('pss.page.sell_vs_serve_intro') }}</p>
<form method="get" action="/pss/sell-vs-serve" class="filters" aria-label="{{ t('pss.page.inputs') }}">
  <div class="field">
    <label for="f-product">{{ t('pss.field.product') }}</label>
    <select id="f-product" name="product_id"><option value="">—</option>
    {% for p in products %}
    <option value="{{ p.id }}"{% if p.id|string == form.product_id %} selected{% endif %}>
      {{ p.code }} {{ p.name }}</option>
    {% endfor %}
    </select>
  </div>
  {% for name in fields %}
  <div class="field">
    <label for="f-{{ name }}">{{ t('pss.field.' + name) }}</label>
    <input id="f-{{ name }}" name="{{ name }}" value="{{ form.get(name, '') }}" inputmode="decimal">
  </div>
  {% endfor %}
  <div class="button-row"><button type="submit">{{ t('pss.action.compare') }}</button></div>
</form>
{% if errors %}
<div class="error-summary" role="alert"><ul>{% for e in errors %}<li>{{ e }}</li>{% endfor %}</ul></div>
{% endif %}
{% if result %}
<div class="table-wrap">
<table class="data" id="comparison">
  <caption>{{ t('pss.page.result') }}</caption>
  <thead><tr><th scope="col"></th><th scope="col">{{ t('pss.field.npv') }}</th>
    <th scope="col">{{ t('pss.field.lcc') }}</th></tr></thead>
  <tbody>
  {% for key, v in views %}
    <tr><th scope="row">{{ t('pss.view.' + key) }}</th><td class="num">{{ v.npv|money }}</td>
      <td class="num">{{ v.lifecycle_cost|money }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
<dl class="facts">
  <dt>{{ t('pss.field.customer_max_fee') }}</dt><dd id="max-fee">{{ result.customer_max_fee|money }}</dd>
  <dt>{{ t('pss.field.manufacturer_min_fee') }}</dt><dd id="min-fee">{{ result.manufacturer_min_fee|money }}</dd>
  <dt>{{ t('pss.field.irr') }}</dt>
  <dd>{{ irr|pct if irr is not none else t('msg.no_data') }}</dd>
  <dt>{{ t('pss.field.verdict') }}</dt>
  <dd id="verdict">{{ t('pss.verdict_' + ('yes' if result.fee_acceptable_to_both else 'no')) }}</dd>
</dl>
<h2>{{ t('pss.page.sources') }}</h2>
<ul>{% for k, s in result.sources.items() %}
  <li>{{ t('pss.field.' + k) }}: {{ result.inputs[k] }} ({{ s }})</li>{% endfor %}</ul>
<div id="chart-flows" class="chart" role="img" aria-label="{{ t('pss.page.chart') }}"></div>
<script type="application/json" id="flows-data">{{ chart|json_script }}</script>
{% endif %}
{% endblock %}
{% block scripts %}
{% if result %}
<script src="/static/plotly/plotly.min.js"></script>
<script src="/static/pss/sell_vs_serve.js"></script>
{% endif %}
{% endblock %}""")

FIELDS = ("service_fee", "life_years", "price", "manufacturing_cost", "failure_rate", "repair_cost", "preventive_cost",
          "operating_cost", "residual_value", "service_efficiency", "customer_rate", "manufacturer_rate")  # fmt: skip
VIEWS = ("sale_customer", "service_customer", "sale_manufacturer", "service_manufacturer")


def runs(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        items, _ = service.list_runs(w.session, limit=PAGE_SIZE, cursor=None, order="desc")
        return render(request, RUNS, w, title_key="pss.page.billing", runs=items)


def run_detail(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        rid = parse_id(request, "run_id")
        try:
            run = service.get_run(w.session, rid)
        except NotFound:
            raise PageNotFound() from None
        items, nxt = service.list_run_items(w.session, rid, limit=500, cursor=None)
        return render(request, RUN, w, title=f"#{run.id} {run.period}", run=run, items=items, more=nxt is not None)


def _cumulative_pv(flows: list[Decimal], rate: Decimal) -> list[float]:
    out, acc = [], Decimal(0)
    for t, f in enumerate(flows):
        acc += Decimal(f) / (1 + rate) ** t
        out.append(float(round(acc, 2)))
    return out


def sell_vs_serve(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        q = request.query_params
        form = {k: (q.get(k) or "").strip() for k in ("product_id", *FIELDS)}
        products = w.session.execute(select(Product.id, Product.code, Product.name).order_by(Product.code)).all()
        result, errors, chart = None, [], None
        tr = t_for(w.lang)
        if form["service_fee"]:
            given: dict[str, Any] = {k: v for k, v in form.items() if v}
            try:
                for v in given.values():
                    Decimal(v)  # a clear message before pydantic's
                data = SellVsServeIn(**given)
                result = service.sell_vs_serve(w.session, data)
            except (InvalidOperation, ValueError) as exc:
                if isinstance(exc, ValidationError):
                    errors = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
                else:
                    errors = [tr("pss.msg.not_a_number")]
            except DomainError as exc:
                errors = [f"{e.field}: {e.message}" for e in exc.errors] or [exc.detail]
        views = []
        if result:
            views = [(k, result[k]) for k in VIEWS]
            rc, rm = result["inputs"]["customer_rate"], result["inputs"]["manufacturer_rate"]
            chart = {
                "years": list(range(len(result["sale_customer"]["flows"]))),
                "series": [
                    {"name": tr(f"pss.view.{k}"),
                     "values": _cumulative_pv(result[k]["flows"], rc if k.endswith("customer") else rm)}
                    for k in VIEWS
                ],
                "titles": {"x": tr("pss.chart.year"), "y": tr("pss.chart.cumulative_pv")},
            }  # fmt: skip
        return render(request, COMPARE, w, title_key="pss.page.sell_vs_serve", form=form, fields=FIELDS,
                      products=products, result=result, errors=errors, views=views, chart=chart,
                      irr=result["manufacturer_irr_service"] if result else None)  # fmt: skip


router.add_api_route("/pss/billing", runs, methods=["GET"], response_class=HTMLResponse, name="web_pss_billing")
router.add_api_route("/pss/billing/{run_id}", run_detail, methods=["GET"], response_class=HTMLResponse,
                     name="web_pss_billing_run")  # fmt: skip
router.add_api_route("/pss/sell-vs-serve", sell_vs_serve, methods=["GET"], response_class=HTMLResponse,
                     name="web_pss_sell_vs_serve")  # fmt: skip


from somp.modules.pss.web_forms import router as _form_pages  # noqa: E402

router.include_router(_form_pages)  # forms: requirements, Kano answers, delivery projects; the portal's deliveries
from somp.modules.pss.web_requirements import router as _requirements_pages  # noqa: E402

router.include_router(_requirements_pages)  # requirements, Kano, house of quality (2.1.1)
from somp.modules.pss import web_design  # noqa: E402  (blueprints, interfaces, delivery: 2.1.2 / 2.1.5)

router.include_router(web_design.router)
# stored SLA attainment per contract and month (issue 5): web_sla.py
from somp.modules.pss.web_sla import router as _sla_pages  # noqa: E402

router.include_router(_sla_pages)
