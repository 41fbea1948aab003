"""Pages of enterprise maturity evaluation (framework node 1.3.1): the evaluations with score, maturity
level and coverage, and one evaluation with every indicator's value, score and data source.

An enterprise sees its own evaluations; the evaluator sees the submitted ones of every enterprise
(the same rules as ``GET /api/v1/evaluation/evaluations``). The templates are kept here, compiled
against the web layout (they extend ``base.html``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from somp.core.errors import NotFound
from somp.modules.evaluation import service
from somp.modules.evaluation.models import EvaluationStatus
from somp.web.context import PageForbidden, PageNotFound, WebContext, page, parse_id
from somp.web.render import ENV, render

router = APIRouter(include_in_schema=False)
READ_ANY = ("self_assessment:read", "evaluation:read")
PAGE_SIZE = 100

LIST = ENV.from_string("""{% extends "base.html" %}
{% block content %}
<h1>{{ t('evaluation.page.title') }}</h1>
<p class="muted">{{ t('evaluation.page.intro') }}</p>
<form method="get" action="/evaluation/maturity" class="filters" role="search" aria-label="{{ t('action.filter') }}">
  <div class="field">
    <label for="q-status">{{ t('evaluation.field.status') }}</label>
    <select id="q-status" name="status"><option value="">{{ t('evaluation.any') }}</option>
    {% for s in statuses %}
    <option value="{{ s }}"{% if s == selected_status %} selected{% endif %}>{{ e('evaluation.status', s) }}</option>
    {% endfor %}
    </select>
  </div>
  <div class="button-row"><button type="submit">{{ t('action.filter') }}</button></div>
</form>
{% if rows %}
<div class="table-wrap">
<table class="data">
  <caption>{{ t('evaluation.page.caption') }}</caption>
  <thead><tr>
    {% if show_enterprise %}<th scope="col">{{ t('evaluation.field.enterprise') }}</th>{% endif %}
    <th scope="col">{{ t('evaluation.field.title') }}</th><th scope="col">{{ t('evaluation.field.system') }}</th>
    <th scope="col">{{ t('evaluation.field.period') }}</th><th scope="col">{{ t('evaluation.field.status') }}</th>
    <th scope="col">{{ t('evaluation.field.score') }}</th><th scope="col">{{ t('evaluation.field.level') }}</th>
    <th scope="col">{{ t('evaluation.field.coverage') }}</th>
  </tr></thead>
  <tbody>
  {% for r in rows %}
    <tr>
      {% if show_enterprise %}<td>{{ r.enterprise }}</td>{% endif %}
      <th scope="row"><a href="/evaluation/maturity/{{ r.id }}">{{ r.title }}</a></th>
      <td>{{ r.system }}</td><td>{{ r.period }}</td><td>{{ e('evaluation.status', r.status) }}</td>
      <td class="num">{{ '%.1f'|format(r.score) if r.score is not none else t('msg.no_data') }}</td>
      <td>{{ r.level_text }}</td>
      <td class="num">{{ r.coverage|pct if r.coverage is not none else t('msg.no_data') }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
<p class="hint">{{ t('evaluation.page.coverage_hint') }}</p>
{% else %}
<p class="empty">{{ t('msg.no_items') }}</p>
{% endif %}
{% endblock %}""")

DETAIL = ENV.from_string("""{% extends "base.html" %}
{% block content %}
<h1>{{ ev.title }}</h1>
<dl class="facts">
  {% if enterprise %}<dt>{{ t('evaluation.field.enterprise') }}</dt><dd>{{ enterprise }}</dd>{% endif %}
  <dt>{{ t('evaluation.field.system') }}</dt>
  <dd>{{ ev.system_code }} {{ ev.system_version }} ({{ ev.content_hash }})</dd>
  <dt>{{ t('evaluation.field.period') }}</dt><dd>{{ period }}</dd>
  <dt>{{ t('evaluation.field.status') }}</dt><dd>{{ e('evaluation.status', ev.status) }}</dd>
  <dt>{{ t('evaluation.field.score') }}</dt>
  <dd>{{ '%.1f'|format(ev.score) if ev.score is not none else t('msg.no_data') }}</dd>
  <dt>{{ t('evaluation.field.level') }}</dt><dd>{{ level_text }}</dd>
  <dt>{{ t('evaluation.field.coverage') }}</dt>
  <dd>{{ ev.coverage|pct if ev.coverage is not none else t('msg.no_data') }}</dd>
  {% if ev.review_note %}<dt>{{ t('evaluation.field.review_note') }}</dt><dd>{{ ev.review_note }}</dd>{% endif %}
</dl>
<p class="report-links">
  <img src="/evaluation/maturity/{{ ev.id }}/badge.svg" alt="{{ t('evaluation.report.badge') }}" height="24">
  {{ t('evaluation.report.links') }}:
  <a href="/evaluation/maturity/{{ ev.id }}/report" id="report-link">{{ t('evaluation.report.html') }}</a>
  · <a href="/evaluation/maturity/{{ ev.id }}/report.pdf">{{ t('evaluation.report.pdf') }}</a>
  · <a href="/evaluation/maturity/{{ ev.id }}/evidence">{{ t('evaluation.evidence.title') }}</a>
  · <a href="/evaluation/maturity/{{ ev.id }}/report.xlsx">{{ t('evaluation.report.xlsx') }}</a></p>
{% if indicators %}
<div class="table-wrap">
<table class="data">
  <caption>{{ t('evaluation.page.indicators') }}</caption>
  <thead><tr>
    <th scope="col">{{ t('evaluation.field.indicator') }}</th><th scope="col">{{ t('evaluation.field.value') }}</th>
    <th scope="col">{{ t('evaluation.field.unit') }}</th><th scope="col">{{ t('evaluation.field.score') }}</th>
    <th scope="col">{{ t('evaluation.field.source') }}</th><th scope="col">{{ t('evaluation.field.note') }}</th>
  </tr></thead>
  <tbody>
  {% for i in indicators %}
    <tr>
      <th scope="row">{{ i.code }} {{ i.name }}</th>
      <td class="num">{{ i.value|num if i.value is not none else t('msg.no_data') }}</td><td>{{ i.unit }}</td>
      <td class="num">{{ '%.1f'|format(i.score) if i.score is not none else '' }}</td>
      <td>{{ e('evaluation.source', i.source) }}</td><td>{{ i.note }}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% endif %}
{% if gaps %}
<h2>{{ t('evaluation.page.next_level') }}</h2>
<ul>{% for g in gaps %}
  <li>{{ g.target }}: {{ e('evaluation.criterion', g.status) }} {{ g.required }}</li>
{% endfor %}</ul>
{% endif %}
{% endblock %}""")


def _context(request: Request):  # noqa: ANN202
    return page(request, None)


def _allowed(w: WebContext) -> None:
    if not any(w.principal.can(p) for p in READ_ANY):
        raise PageForbidden(READ_ANY[0])


def _level_text(level: int | None, name: dict[str, str] | None, lang: str, none: str) -> str:
    if level is None:
        return none
    return f"{level} {name.get(lang, '')}".strip() if name else str(level)


def evaluations(request: Request) -> HTMLResponse:
    with _context(request) as w:
        _allowed(w)
        raw = (request.query_params.get("status") or "").strip()
        status = raw if raw in EvaluationStatus.__members__ else None
        items, _ = service.list_evaluations(w.session, status=status, limit=PAGE_SIZE, cursor=None, order="desc")
        names = service.enterprise_names(w.session, {e.tenant_id for e in items})
        t_none = "—"
        rows: list[dict[str, Any]] = [
            {"id": e.id, "enterprise": names.get(e.tenant_id, ""), "title": e.title,
             "system": f"{e.system_code} {e.system_version}", "period": service.period_label(e),
             "status": e.status, "score": e.score, "coverage": e.coverage,
             "level_text": _level_text(e.level, (e.result or {}).get("level_name"), w.lang, t_none)}
            for e in items
        ]  # fmt: skip
        statuses = [s.value for s in EvaluationStatus]
        return render(request, LIST, w, title_key="evaluation.page.title", rows=rows, selected_status=status or "",
                      statuses=statuses, show_enterprise=w.principal.tenant_id is None)  # fmt: skip


def evaluation(request: Request) -> HTMLResponse:
    with _context(request) as w:
        _allowed(w)
        eid = parse_id(request, "evaluation_id")
        try:
            ev = service.get_evaluation(w.session, eid)
        except NotFound:
            raise PageNotFound() from None
        answers = {a.indicator_code: a for a in service.answers_of(w.session, ev.id)}
        system = service.system_for_evaluation(w.request.app.state.db, w.session, ev)
        result = ev.result or {}
        scored = result.get("indicators", {})
        indicators = []
        for i in system.indicators():
            a, r = answers.get(i.code), scored.get(i.code, {})
            indicators.append({
                "code": i.code, "name": i.name.zh if w.lang == "zh" else i.name.en, "unit": i.unit,
                "value": a.value if a else None, "score": r.get("score"),
                "source": r.get("source") or (a.source.value if a and a.value is not None else "missing"),
                "note": (a.note or "") if a else "",
            })  # fmt: skip
        enterprise = None
        if w.principal.tenant_id is None:
            enterprise = service.enterprise_names(w.session, {ev.tenant_id}).get(ev.tenant_id)
        return render(
            request, DETAIL, w, title=ev.title, ev=ev, enterprise=enterprise, period=service.period_label(ev),
            level_text=_level_text(ev.level, result.get("level_name"), w.lang, "—"), indicators=indicators,
            gaps=result.get("next_level_gaps", []),
        )  # fmt: skip


router.add_api_route("/evaluation/maturity", evaluations, methods=["GET"], response_class=HTMLResponse,
                     name="web_evaluation_maturity")  # fmt: skip
router.add_api_route("/evaluation/maturity/{evaluation_id}", evaluation, methods=["GET"], response_class=HTMLResponse,
                     name="web_evaluation_maturity_detail")  # fmt: skip


from somp.modules.evaluation.web_programmes import router as _programmes_pages  # noqa: E402

router.include_router(_programmes_pages)  # programmes dashboard, regional ranking (issue 4)
# report pages and yearly data (input-output, sustainability): web_reports.py
from somp.modules.evaluation.web_reports import router as _reports_router  # noqa: E402

router.include_router(_reports_router)
# enterprise forms: conformance self-checks, programme applications, sustainability figures (issue 4)
from somp.modules.evaluation.web_forms import router as _forms_router  # noqa: E402

router.include_router(_forms_router)
