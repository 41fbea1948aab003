"""Pages of the stored SLA attainment (framework nodes 2.1.6, 2.1.2): ``/pss/sla`` lists every
contract's record of a month (availability, downtime, response and resolution attainment, attained
or not, provisional months marked) and lets staff compute a month (POST);
``/pss/contracts/{id}/sla`` shows one contract's trend over the
stored months, drawn by ``/static/pss/sla_trend.js`` with the Plotly.js of the plotly wheel
(offline), and the months as a table."""

from __future__ import annotations

import re

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from starlette.datastructures import FormData

from somp.core.database import utcnow
from somp.core.errors import DomainError, NotFound
from somp.modules.pss import sla_records
from somp.modules.pss.models import SlaAttainmentRecord
from somp.web.context import PageNotFound, check_csrf, flash, page, parse_id
from somp.web.crud import read_form
from somp.web.render import ENV, render, t_for

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 500
PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

_CELLS = """
<td class="num">{{ r.availability_pct|num if r.availability_pct is not none else '–' }}</td>
<td class="num">{{ r.availability_target_pct|num if r.availability_target_pct is not none else '–' }}</td>
<td class="num">{{ '%.1f' % r.downtime_hours }}</td><td class="num">{{ r.outages }}</td>
<td class="num">{{ r.monitored_outages }}</td>
<td class="num">{{ '%.1f' % r.mtrs_hours if r.mtrs_hours is not none else '–' }}</td>
<td class="num">{{ r.response_attainment_pct|num if r.response_attainment_pct is not none else '–' }}</td>
<td class="num">{{ r.resolution_attainment_pct|num if r.resolution_attainment_pct is not none else '–' }}</td>
<td class="num">{{ r.work_orders }} / {{ r.tickets }}</td>
<td class="attained-{{ 'none' if r.attained is none else ('yes' if r.attained else 'no') }}">
  {{ t('sla.attained_' ~ ('none' if r.attained is none else ('yes' if r.attained else 'no'))) }}</td>
<td>{{ r.note or '' }}</td>"""

_HEAD = """
<th scope="col">{{ t('sla.field.availability') }} %</th><th scope="col">{{ t('sla.field.target') }} %</th>
<th scope="col">{{ t('sla.field.downtime_hours') }}</th><th scope="col">{{ t('sla.field.outages') }}</th>
<th scope="col">{{ t('sla.field.monitored') }}</th><th scope="col">{{ t('sla.field.mtrs') }}</th>
<th scope="col">{{ t('sla.field.response') }} %</th><th scope="col">{{ t('sla.field.resolution') }} %</th>
<th scope="col">{{ t('sla.field.clocks') }}</th><th scope="col">{{ t('sla.field.attained') }}</th>
<th scope="col">{{ t('sla.field.note') }}</th>"""

LIST = ENV.from_string(
    """{% extends "base.html" %}
{% block content %}
<h1>{{ t('sla.page.attainment') }}</h1>
<p class="muted">{{ t('sla.page.attainment_intro') }}</p>
<form method="get" action="/pss/sla" class="filters">
  <div class="field"><label for="f-period">{{ t('sla.field.period') }}</label>
  <input id="f-period" name="period" value="{{ period or '' }}" pattern="\\d{4}-\\d{2}" size="8"></div>
  <div class="button-row"><button type="submit">{{ t('action.filter') }}</button></div>
</form>
{% if rows %}
<div class="table-wrap">
<table class="data" id="sla-records">
  <caption>{{ period }}</caption>
  <thead><tr><th scope="col">{{ t('sla.field.contract') }}</th><th scope="col">{{ t('sla.field.calendar') }}</th>"""
    + _HEAD
    + """</tr></thead>
  <tbody>
  {% for r in rows %}
  <tr><th scope="row"><a href="/pss/contracts/{{ r.contract_id }}/sla">{{ r.contract_number }}</a>
    {% if not r.final %}<span class="muted">({{ t('sla.provisional') }})</span>{% endif %}</th>
    <td>{{ r.calendar }}</td>"""
    + _CELLS
    + """</tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">{{ t('msg.no_items') }}</p>
{% endif %}
{% if can_write %}
<form method="post" action="/pss/sla" class="inline-form" id="sla-compute">
  <input type="hidden" name="{{ CSRF_FIELD }}" value="{{ csrf }}">
  <label for="c-period">{{ t('sla.field.period') }}</label>
  <input id="c-period" name="period" value="{{ period or this_month }}" pattern="\\d{4}-\\d{2}" size="8" required>
  <button type="submit">{{ t('sla.action.compute') }}</button>
</form>
{% endif %}
<p class="hint">{{ t('sla.page.cli') }} <code>somp pss sla --period {{ period or '2026-10' }} --tenant …</code></p>
{% endblock %}"""
)

TREND = ENV.from_string(
    """{% extends "base.html" %}
{% block content %}
<h1>{{ t('sla.page.contract', number=contract.number) }}</h1>
<p class="muted">{{ t('sla.page.attainment_intro') }}</p>
{% if rows %}
<div id="chart-sla" class="chart" role="img" aria-label="{{ t('sla.page.chart') }}"></div>
<script type="application/json" id="sla-data">{{ chart|json_script }}</script>
<div class="table-wrap">
<table class="data" id="sla-months">
  <caption>{{ t('sla.section.months') }}</caption>
  <thead><tr><th scope="col">{{ t('sla.field.period') }}</th>"""
    + _HEAD
    + """<th scope="col">{{ t('sla.field.computed_at') }}</th></tr></thead>
  <tbody>
  {% for r in rows %}
  <tr><th scope="row">{{ r.period }}
    {% if not r.final %}<span class="muted">({{ t('sla.provisional') }})</span>{% endif %}</th>"""
    + _CELLS
    + """<td>{{ r.computed_at|dt }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">{{ t('msg.no_items') }}</p>
{% endif %}
<p><a href="/contracts/{{ contract.id }}">{{ contract.number }}</a> ·
  <a href="/pss/sla">{{ t('sla.nav.attainment') }}</a></p>
{% endblock %}
{% block scripts %}
{% if rows %}
<script src="/static/plotly/plotly.min.js"></script>
<script src="/static/pss/sla_trend.js"></script>
{% endif %}
{% endblock %}"""
)


def _f(x) -> float | None:  # noqa: ANN001
    return None if x is None else float(x)


def attainment_list(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        period = (request.query_params.get("period") or "").strip()
        if not PERIOD.match(period):
            period = w.session.scalar(select(func.max(SlaAttainmentRecord.period))) or ""
        rows = []
        if period:
            rows, _ = sla_records.list_records(w.session, period=period, limit=PAGE_SIZE, cursor=None)
        return render(request, LIST, w, title_key="sla.page.attainment", period=period, rows=rows,
                      can_write=w.can("pss:write"), this_month=utcnow().strftime("%Y-%m"))  # fmt: skip


def compute_month(request: Request, form: FormData = Depends(read_form)) -> RedirectResponse:
    """Measure and store a month from the page (staff with ``pss:write``), then show it."""
    with page(request, "pss:write") as w:
        check_csrf(request, form)
        period = str(form.get("period") or "").strip()
        try:
            res = sla_records.compute(w.session, period)
            w.commit()
            flash(request, "sla.msg.computed", n=len(res.records), period=period)
        except DomainError:
            w.rollback()
            flash(request, "sla.msg.refused", period=period[:10])
            return RedirectResponse("/pss/sla", status_code=303)
        return RedirectResponse(f"/pss/sla?period={period}", status_code=303)


def contract_trend(request: Request) -> HTMLResponse:
    with page(request, "pss:read") as w:
        cid = parse_id(request, "contract_id")
        try:
            contract, rows = sla_records.trend(w.session, cid, 36)
        except NotFound:
            raise PageNotFound() from None
        tr = t_for(w.lang)
        chart = {
            "months": [r.period for r in rows],
            "series": [
                {"name": tr("sla.field.availability"), "values": [_f(r.availability_pct) for r in rows]},
                {"name": tr("sla.field.resolution"), "values": [_f(r.resolution_attainment_pct) for r in rows]},
                {"name": tr("sla.field.response"), "values": [_f(r.response_attainment_pct) for r in rows]},
            ],
            "target": {"name": tr("sla.chart.target"), "values": [_f(r.availability_target_pct) for r in rows]},
            "titles": {"x": tr("sla.chart.month"), "y": tr("sla.chart.pct")},
        }
        return render(request, TREND, w, title=tr("sla.page.contract", number=contract.number), contract=contract,
                      rows=rows, chart=chart)  # fmt: skip


router.add_api_route("/pss/sla", attainment_list, methods=["GET"], response_class=HTMLResponse, name="web_pss_sla")
router.add_api_route("/pss/sla", compute_month, methods=["POST"], name="web_pss_sla_compute")
router.add_api_route("/pss/contracts/{contract_id}/sla", contract_trend, methods=["GET"], response_class=HTMLResponse,
                     name="web_pss_contract_sla")  # fmt: skip
