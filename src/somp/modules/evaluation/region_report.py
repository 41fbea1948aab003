"""The region report (framework node 1.3.4, 区域服务型制造发展评价报告): the stored regions ranked by the
regional development index of a year, with the three dimensions (产业生态, 发展成效, 融合程度), every
indicator, the year-over-year comparison, and the data behind each figure; as HTML and PDF
(:mod:`.report_render`) and Excel (here, openpyxl with native charts).

:func:`region_report_data` evaluates the stored regions with :func:`.regions_service.evaluate` (the
evaluator's view: every member enterprise) and adds what each figure rests on:

* per indicator and region, its **basis** (the enterprises or statistics counted), a note when
  missing, and the kind of data (``measured`` from invoices, ``declared`` supplier spend,
  ``statistics`` with their stated source, ``approved`` applications, ``reviewed`` evaluations, the
  ``member list``);
* per region, the statistics of the years shown with their source, and every member enterprise with
  the source of each of its figures (measured / declared / missing);
* charts (index by dimension, ranking, year over year), each with a caption naming its data.

Missing values stay missing ("no data"), never 0.
"""

from __future__ import annotations

import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.identity import Tenant
from somp.modules.evaluation import regions_service

# indicator -> kind of data it rests on (the words are in WORDS)
INDICATOR_DATA = {
    "som_density": "members",
    "local_collaboration_rate": "declared",
    "service_platforms_per_1000km2": "statistics",
    "leading_brand_count": "approved",
    "demonstration_count": "approved",
    "average_maturity": "reviewed",
    "som_enterprise_share": "statistics",
    "service_revenue_share": "measured",
}
WORDS = {
    "zh": {"members": "成员企业名单（服务型制造标记）与面积", "declared": "企业申报的供应商采购额",
           "statistics": "区域统计数据", "approved": "已批准的认定申请", "reviewed": "已审核的成熟度评价",
           "measured": "平台开票数据测算", "basis": "依据", "evaluation": "区域评价", "regions": "个区域",
           "records": "条企业年度记录", "weights": "各维度权重 1/3，指数为维度得分的加权平均",
           "yoy": "与上年比较（同一次评价中的两个年度）", "ranking": "按指数排名"},
    "en": {"members": "member list (SOM flag) and area", "declared": "supplier spend declared by the enterprises",
           "statistics": "regional statistics", "approved": "approved recognition applications",
           "reviewed": "reviewed maturity evaluations", "measured": "measured from platform invoices",
           "basis": "basis", "evaluation": "regional evaluation", "regions": "regions",
           "records": "enterprise-year records",
           "weights": "each dimension weighs 1/3; the index is their weighted mean",
           "yoy": "compared with the previous year (both years in one evaluation)", "ranking": "ranked by index"},
}  # fmt: skip


def region_report_data(db: Database, session: Session, year: int, previous_year: int | None = None,
                       region_ids: list[int] | None = None, lang: str = "zh") -> dict[str, Any]:  # fmt: skip
    """Everything the region report shows (module docstring), names in ``lang`` (zh or en).
    ``previous_year`` defaults to ``year - 1``; ``session`` is the evaluator's view."""
    previous_year = year - 1 if previous_year is None else previous_year
    ev = regions_service.evaluate(db, session, [year], previous_year, region_ids)
    w = WORDS.get(lang, WORDS["en"])
    regions = {r.id: r for r in regions_service.list_regions(session)}
    stats: dict[int, list[dict[str, Any]]] = {}
    for s in regions_service.statistics_of(session, list(regions)):
        if s.year in (year, previous_year):
            stats.setdefault(s.region_id, []).append({"year": s.year, "name": s.name, "value": s.value,
                                                      "source": s.source})  # fmt: skip
    members = regions_service.members_of(session)
    tenants = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.id.in_({m.tenant_id for m in members})))}
    yoy = ev.get("year_over_year") or {}
    prev_rows = {r["region"]: r for r in ev["rows"] if r["year"] == previous_year}
    rows = []
    for r in sorted((r for r in ev["rows"] if r["year"] == year), key=lambda r: (r["rank"] is None, r["rank"] or 0)):
        region = regions[r["region_id"]]
        change = yoy.get(r["region"]) or {}
        prev = prev_rows.get(r["region"])
        inds = {}
        for k, v in r["indicators"].items():
            delta = (change.get("changes") or {}).get(k) or {}
            inds[k] = v | {"data": INDICATOR_DATA[k], "data_label": w[INDICATOR_DATA[k]],
                           "previous": delta.get("previous"), "delta": delta.get("delta")}  # fmt: skip
        mem = []
        for m in (m for m in members if m.region_id == region.id):
            t = tenants.get(m.tenant_id)
            key = f"{t.uscc if t else m.tenant_id}@{region.code}@{year}"
            mem.append({"name": t.name if t else str(m.tenant_id), "uscc": t.uscc if t else "", "som": m.som,
                        "sources": ev["sources"].get(key, {})})  # fmt: skip
        rows.append({
            "code": r["region"], "id": region.id, "name": r["name"][lang if lang in ("zh", "en") else "en"],
            "area_km2": region.area_km2, "index": r["index"], "rank": r["rank"], "dimensions": r["dimensions"],
            "coverage": r["coverage"], "indicators": inds, "rank_change": change.get("rank_change"),
            "previous_rank": change.get("previous_rank"), "previous_index": prev["index"] if prev else None,
            "previous_dimensions": prev["dimensions"] if prev else None,
            "statistics": stats.get(region.id, []), "members": mem,
        })  # fmt: skip
    data: dict[str, Any] = {
        "lang": lang, "generated_at": utcnow().replace(microsecond=0), "year": year, "previous_year": previous_year,
        "regions": rows, "records": ev["records"],
        "dimensions": {k: v[lang if lang in ("zh", "en") else "en"] for k, v in ev["dimensions"].items()},
        "indicators": {k: v | {"name": v[lang if lang in ("zh", "en") else "en"], "data": INDICATOR_DATA[k],
                               "data_label": w[INDICATOR_DATA[k]]} for k, v in ev["indicators"].items()},
    }  # fmt: skip
    data["charts"] = charts(data)
    return data


def charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Chart specs: the index by dimension (stacked, each dimension at its weight 1/3, with the index as
    markers), the ranking, and the index of both years; a chart with no data is left out."""
    w = WORDS.get(data["lang"], WORDS["en"])
    rows = [r for r in data["regions"] if r["index"] is not None]
    if not rows:
        return []
    basis = (f"{w['evaluation']} {data['previous_year']}-{data['year']}: {len(data['regions'])} {w['regions']}, "
             f"{data['records']} {w['records']}")  # fmt: skip
    labels = [r["name"] for r in rows]
    n = len(data["dimensions"])
    out = [
        {"id": "dimensions", "kind": "stacked", "title": "evaluation.region_report.chart_dimensions",
         "labels": labels,
         "series": [{"name": name, "values": [None if r["dimensions"][d] is None else r["dimensions"][d] / n
                                              for r in rows], "scores": [r["dimensions"][d] for r in rows]}
                    for d, name in data["dimensions"].items()],
         "markers": {"name": "index" if data["lang"] != "zh" else "指数", "values": [r["index"] for r in rows]},
         "source": f"{basis}; {w['weights']}"},
        {"id": "ranking", "kind": "bar", "title": "evaluation.region_report.chart_ranking",
         "labels": [f"{r['rank']}. {r['name']}" for r in rows], "values": [r["index"] for r in rows],
         "source": f"{basis}; {w['ranking']}"},
    ]  # fmt: skip
    if any(r["previous_index"] is not None for r in rows):
        out.append({"id": "yoy", "kind": "grouped", "title": "evaluation.region_report.chart_yoy", "labels": labels,
                    "series": [{"name": str(data["previous_year"]), "values": [r["previous_index"] for r in rows]},
                               {"name": str(data["year"]), "values": [r["index"] for r in rows]}],
                    "source": f"{basis}; {w['yoy']}"})  # fmt: skip
    return out


def excel(data: dict[str, Any], t: Any) -> bytes:
    """The report as a workbook: ``ranking`` (index, dimensions, rank change; bar chart), ``indicators``
    (one row per region and indicator with value, previous value, basis, data and note),
    ``statistics`` (with their sources), ``members`` (each enterprise's figure sources) and ``yoy``
    (index of both years; bar chart). ``t`` is the label function of the report's language."""
    import openpyxl
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "ranking"
    dims = list(data["dimensions"])
    ws.append(["rank", "code", "region", "index", *[data["dimensions"][d] for d in dims], "coverage",
               "previous_rank", "rank_change"])  # fmt: skip
    for r in data["regions"]:
        ws.append([r["rank"], r["code"], r["name"], r["index"], *[r["dimensions"][d] for d in dims],
                   r["coverage"].get("index"), r["previous_rank"], r["rank_change"]])  # fmt: skip
    for c in ws[1]:
        c.font = bold
    if data["regions"]:
        bar = BarChart()
        bar.type, bar.grouping, bar.overlap = "col", "stacked", 100
        bar.title = t("evaluation.region_report.chart_dimensions")
        end = len(data["regions"]) + 1
        bar.add_data(Reference(ws, min_col=5, max_col=4 + len(dims), min_row=1, max_row=end), titles_from_data=True)
        bar.set_categories(Reference(ws, min_col=3, min_row=2, max_row=end))
        ws.add_chart(bar, f"{chr(ord('A') + 8 + len(dims))}2")
    iw = wb.create_sheet("indicators")
    iw.append(["region", "indicator", "name", "dimension", "value", "previous", "delta", "normalised", "basis",
               "data", "note"])  # fmt: skip
    for r in data["regions"]:
        for k, v in r["indicators"].items():
            meta = data["indicators"][k]
            iw.append([r["code"], k, meta["name"], meta["dimension"], v["value"], v["previous"], v["delta"],
                       v["normalised"], v["basis"], v["data_label"], v["note"]])  # fmt: skip
    sw = wb.create_sheet("statistics")
    sw.append(["region", "year", "name", "value", "source"])
    for r in data["regions"]:
        for s in r["statistics"]:
            sw.append([r["code"], s["year"], s["name"], s["value"], s["source"]])
    mw = wb.create_sheet("members")
    mw.append(["region", "enterprise", "uscc", "som", "revenue", "maturity_level", "supplier_spend", "recognition"])
    for r in data["regions"]:
        for m in r["members"]:
            s = m["sources"]
            mw.append([r["code"], m["name"], m["uscc"], m["som"], s.get("revenue"), s.get("maturity_level"),
                       s.get("supplier_spend"), s.get("recognition")])  # fmt: skip
    yw = wb.create_sheet("yoy")
    yw.append(["region", str(data["previous_year"]), str(data["year"]), "rank_change"])
    for r in data["regions"]:
        yw.append([r["name"], r["previous_index"], r["index"], r["rank_change"]])
    if data["regions"]:
        bar = BarChart()
        bar.title = t("evaluation.region_report.chart_yoy")
        end = len(data["regions"]) + 1
        bar.add_data(Reference(yw, min_col=2, max_col=3, min_row=1, max_row=end), titles_from_data=True)
        bar.set_categories(Reference(yw, min_col=1, min_row=2, max_row=end))
        yw.add_chart(bar, "F2")
    for sheet in (iw, sw, mw, yw):
        for c in sheet[1]:
            c.font = bold
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def filename(data: dict[str, Any], ext: str) -> str:
    return f"region-report-{data['year']}.{ext}"
