"""The home dashboard: the three brand KPIs of the 2025-2028 plan from the tenant's own data,
their quarterly series as Plotly charts, and the installed base and work-order counts.

KPIs come from :func:`somp.modules.kpis.service.brand_kpi_series`; a KPI that is ``None`` (empty
denominator) is shown as "no data", never as 0.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from somp.modules.assets.service import count_by_state
from somp.modules.kpis.brand import quarters, years
from somp.modules.kpis.service import brand_kpi_series
from somp.modules.terminology.service import glossary
from somp.modules.workorders.service import count_open
from somp.web.context import page
from somp.web.render import e_for, fmt_pct, render, t_for

# (glossary key, attribute of BrandKpis)
KPIS = (
    ("service_revenue_share", "service_revenue_share"),
    ("customer_repurchase_rate", "repurchase_rate"),
    ("service_profit_margin", "service_profit_margin"),
)


def _pct100(x: float | None) -> float | None:
    return None if x is None else round(x * 100, 2)


def kpi_context(session: Session, today: dt.date, lang: str) -> dict[str, Any]:
    t = t_for(lang)
    year_periods = years(today, 2)  # the latest full year and the current year
    by_year = brand_kpi_series(session, year_periods)
    series = brand_kpi_series(session, quarters(today, 8))
    terms = glossary()
    cards = []
    for key, attr in KPIS:
        term = terms[key]
        cards.append(
            {
                "key": key,
                "name": term.label(lang),  # type: ignore[arg-type]
                "definition": term.definition(lang),  # type: ignore[arg-type]
                "values": [
                    {
                        "period": k.period.label,
                        "label": t("kpi.full_year") if i == 0 else t("kpi.year_to_date"),
                        "value": fmt_pct(getattr(k, attr)),
                    }
                    for i, k in enumerate(by_year)
                ],
            }
        )
    chart = {
        "periods": [k.period.label for k in series],
        "kpis": [
            {"name": terms[key].label(lang), "values": [_pct100(getattr(k, attr)) for k in series]}  # type: ignore[arg-type]
            for key, attr in KPIS
        ],
        "revenue": {
            "service": [float(k.service_revenue) for k in series],
            "product": [float(k.product_revenue) for k in series],
            "service_name": t("kpi.service_revenue"),
            "product_name": t("kpi.product_revenue"),
        },
        "titles": {
            "kpis": t("kpi.chart_kpis"),
            "revenue": t("kpi.chart_revenue"),
            "percent": t("kpi.percent"),
            "amount": t("kpi.amount_cny"),
        },
        "no_data": t("msg.no_data"),
    }
    has_series = any(v is not None for kp in chart["kpis"] for v in kp["values"]) or any(
        chart["revenue"]["service"] + chart["revenue"]["product"]
    )
    return {"cards": cards, "chart": chart, "has_series": has_series, "year_periods": year_periods}


def dashboard(request: Request, today: dt.date | None = None) -> HTMLResponse:
    with page(request, None) as w:
        today = today or dt.date.today()
        data: dict[str, Any] = {"kpis": None, "assets": None, "work_orders": None}
        if w.can("kpis:read"):
            data["kpis"] = kpi_context(w.session, today, w.lang)
        if w.can("assets:read"):
            e = e_for(w.lang)
            data["assets"] = [(s.value, e("asset_state", s), n) for s, n in count_by_state(w.session).items()]
        if w.can("workorders:read"):
            data["work_orders"] = count_open(w.session)
        return render(request, "dashboard.html", w, title_key="page.home.title", **data)
