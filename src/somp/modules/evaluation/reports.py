"""Enterprise evaluation reports (framework nodes 1.3.1-1.3.3): the report's data, every figure
traceable to its source, the maturity badge (SVG) and the Excel export (openpyxl, with native
radar and bar charts). The HTML and PDF renderings are in :mod:`.report_render`.

:func:`report_data` gathers, for one evaluation the caller may read, the enterprise, the system
version (code, version, content hash), score, level and coverage, the dimension and sub-dimension
scores, every indicator with its value, score, weight and **source**: ``computed`` (with the
platform function, numerator and denominator), ``questionnaire`` (with evidence files and digests),
``uploaded`` or ``missing`` (with why), the gaps to the next level, and, when the enterprise has
them for the period's year, its financial statement measures (1.3.2) and its sustainability record
(1.3.3). Each chart spec carries a ``source`` line saying which of those it is drawn from.
"""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy.orm import Session

from somp.core.database import Database, utcnow
from somp.core.identity import Tenant
from somp.modules.evaluation import enterprise_io as eio
from somp.modules.evaluation import evidence, service, yearly
from somp.modules.evaluation import indicators as ind
from somp.modules.evaluation import sustainability as su

LEVEL_COLOURS = {0: "#9e9e9e", 1: "#c0392b", 2: "#e67e22", 3: "#f1c40f", 4: "#27ae60", 5: "#1e6fd9"}
SOURCES = ("computed", "questionnaire", "uploaded", "missing")
# the words of the charts' data-source lines (the rest are codes, ids and hashes)
WORDS = {
    "zh": {"evaluation": "评价", "system": "指标体系", "by_source": "各来源指标数", "record": "可持续发展记录",
           "activities": "项活动数据 × 企业提供的排放因子", "computed": "平台数据测算", "questionnaire": "问卷",
           "uploaded": "企业填报", "missing": "缺失", "coloured": "指标得分按数据来源着色",
           "statement": "企业上传的财务报表"},
    "en": {"evaluation": "evaluation", "system": "system", "by_source": "indicators by source",
           "record": "sustainability record", "activities": "activities x the enterprise's emission factors",
           "computed": "computed", "questionnaire": "questionnaire", "uploaded": "uploaded", "missing": "missing",
           "coloured": "indicator scores coloured by data source", "statement": "uploaded financial statement"},
}  # fmt: skip


def _name(t: Any, lang: str) -> str:
    return t.zh if lang == "zh" else t.en


def report_data(db: Database, session: Session, evaluation_id: int, lang: str = "zh") -> dict[str, Any]:
    """Everything a report shows (see the module docstring), in ``lang`` (zh or en) for names."""
    ev = service.get_evaluation(session, evaluation_id)
    system = service.system_for_evaluation(db, session, ev)
    tenant = session.get(Tenant, ev.tenant_id)
    result = ev.result or {}
    scored = result.get("indicators", {})
    answers = {a.indicator_code: a for a in service.answers_of(session, ev.id)}
    files: dict[str, list[dict[str, Any]]] = {}
    for f in evidence.list_for(session, ev.id):
        files.setdefault(f.indicator_code, []).append(
            {"id": f.id, "name": f.filename, "sha256": f.sha256, "size": f.size, "stored": True}
        )
    weights = ind.global_weights(system)
    dim_of: dict[str, tuple[str, str]] = {}
    dims, subs = [], []
    for d in system.dimensions:
        node = result.get("dimensions", {}).get(d.code, {})
        dims.append({"code": d.code, "name": _name(d.name, lang), "score": node.get("score"),
                     "coverage": node.get("coverage")})  # fmt: skip
        for sd in d.subdimensions:
            sn = result.get("subdimensions", {}).get(sd.code, {})
            subs.append({"code": sd.code, "dimension": d.code, "name": _name(sd.name, lang),
                         "score": sn.get("score"), "coverage": sn.get("coverage")})  # fmt: skip
            for i in sd.indicators:
                dim_of[i.code] = (d.code, sd.code)
    rows = []
    counts = dict.fromkeys(SOURCES, 0)
    for i in system.indicators():
        a, r = answers.get(i.code), scored.get(i.code, {})
        value = a.value if a is not None else None
        source = r.get("source") or (a.source.value if a is not None and a.value is not None else "missing")
        if value is None:
            source = "missing"
        counts[source] += 1
        detail = dict(a.detail) if a is not None and a.detail else {}
        fed = detail.get("statement") if isinstance(detail.get("statement"), dict) else None
        if fed and value is not None and "numerator" not in detail:  # filled from the financial statement
            detail |= {"numerator": fed.get("numerator"), "denominator": fed.get("denominator")}
        digests = [dict(e, stored=False) for e in (a.evidence if a is not None else [])]
        rows.append({
            "code": i.code, "name": _name(i.name, lang), "definition": _name(i.definition, lang),
            "dimension": dim_of[i.code][0], "subdimension": dim_of[i.code][1], "unit": i.unit,
            "direction": i.direction.value, "declared_source": i.source.kind.value, "function": i.source.function,
            "value": value, "score": r.get("score"), "weight": weights[i.code], "source": source,
            "note": (a.note or "") if a is not None else "", "detail": detail,
            "evidence": files.get(i.code, []) + digests,
        })  # fmt: skip
    year = ev.period_start.year
    st = yearly.statement_of(session, ev.tenant_id, year)
    sus = yearly.sustainability_of(session, ev.tenant_id, year)
    level_name = result.get("level_name") or {}
    data: dict[str, Any] = {
        "lang": lang,
        "generated_at": utcnow().replace(microsecond=0),
        "enterprise": {"id": ev.tenant_id, "name": tenant.name if tenant else str(ev.tenant_id),
                       "name_en": tenant.name_en if tenant else None, "uscc": tenant.uscc if tenant else "",
                       "region_code": tenant.region_code if tenant else ""},
        "evaluation": {"id": ev.id, "title": ev.title, "status": ev.status.value, "period": service.period_label(ev),
                       "year": year, "score": ev.score, "level": ev.level,
                       "level_name": level_name.get(lang) if level_name else None, "coverage": ev.coverage,
                       "computed_at": ev.computed_at, "review_note": ev.review_note, "reviewed_at": ev.reviewed_at},
        "system": {"code": system.code, "version": system.version, "content_hash": system.content_hash,
                   "name": _name(system.name, lang), "levels": len(system.levels)},
        "dimensions": dims,
        "subdimensions": subs,
        "indicators": rows,
        "source_counts": counts,
        "gaps": result.get("next_level_gaps", []),
        "statement": None if st is None else {
            "id": st.id, "year": st.year, "unit": st.unit, "filename": st.filename, "sha256": st.sha256,
            "measures": st.result},
        "sustainability": None if sus is None else {
            "id": sus.id, "year": sus.year, "result": sus.result, "names": _esg_names(lang)},
    }  # fmt: skip
    data["charts"] = charts(data)
    return data


def _esg_names(lang: str) -> dict[str, dict[str, str]]:
    return {d.code: {"name": d.zh if lang == "zh" else d.en, "unit": d.unit, "reference": d.reference,
                     "formula": d.formula, "dimension": d.dimension} for d in su.INDICATORS}  # fmt: skip


def charts(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Chart specs (kind, title key, labels, values, source line); a chart with no data is left out."""
    e, s = data["evaluation"], data["system"]
    w = WORDS.get(data.get("lang", "zh"), WORDS["en"])
    basis = f"{w['evaluation']} {e['id']}, {w['system']} {s['code']} {s['version']} ({s['content_hash']})"
    counts = data["source_counts"]
    mix = ", ".join(f"{w[k]} {v}" for k, v in counts.items())
    out: list[dict[str, Any]] = []
    dims = [d for d in data["dimensions"] if d["score"] is not None]
    if dims:
        out.append({"id": "radar", "kind": "radar", "title": "evaluation.report.chart_dimensions",
                    "labels": [d["name"] for d in data["dimensions"]],
                    "values": [d["score"] for d in data["dimensions"]],
                    "source": f"{basis}; {w['by_source']}: {mix}"})  # fmt: skip
    subs = [x for x in data["subdimensions"] if x["score"] is not None]
    if subs:
        out.append({"id": "subdimensions", "kind": "bar", "title": "evaluation.report.chart_subdimensions",
                    "labels": [x["name"] for x in subs], "values": [x["score"] for x in subs],
                    "source": basis})  # fmt: skip
    inds = [i for i in data["indicators"] if i["score"] is not None]
    if inds:
        out.append({"id": "indicators", "kind": "bar", "title": "evaluation.report.chart_indicators",
                    "labels": [i["code"] for i in inds], "values": [i["score"] for i in inds],
                    "groups": [i["source"] for i in inds],
                    "source": f"{basis}; {w['coloured']}: {mix}"})  # fmt: skip
    st = data.get("statement")
    if st and st["measures"].get("service_inputs"):
        cats = {k: v for k, v in st["measures"]["service_inputs_by_category"].items() if v}
        names = eio.labels(cats)
        out.append({"id": "service_inputs", "kind": "bar", "title": "evaluation.report.chart_service_inputs",
                    "labels": [names[k]["zh" if data.get("lang") == "zh" else "en"] for k in cats],
                    "values": list(cats.values()),
                    "source": f"{w['statement']} {st['year']}: {st['filename']} sha256 {st['sha256'][:12]} "
                              f"({st['unit']})"})  # fmt: skip
    sus = data.get("sustainability")
    if sus:
        fp = sus["result"].get("footprint")
        if fp:
            out.append({"id": "carbon", "kind": "bar", "title": "evaluation.report.chart_carbon",
                        "labels": ["scope 1", "scope 2", "scope 3"],
                        "values": [fp["by_scope"].get(k, 0.0) for k in ("1", "2", "3")],
                        "source": f"{w['record']} {sus['id']} ({sus['year']}): {len(fp['lines'])} "
                                  f"{w['activities']}"})  # fmt: skip
        esg = sus["result"].get("dimensions", {})
        if any(v.get("score") is not None for v in esg.values()):
            out.append(
                {
                    "id": "esg",
                    "kind": "bar",
                    "title": "evaluation.report.chart_esg",
                    "labels": list(esg),
                    "values": [v.get("score") for v in esg.values()],
                    "source": f"{w['record']} {sus['id']} ({sus['year']}), {w['system']} "
                    f"{sus['result']['system']['code']} ({sus['result']['system']['content_hash']})",
                }
            )
    return out


# ---- maturity badge ---------------------------------------------------------------------------------


def badge_svg(level: int | None, level_name: str | None, score: float | None, lang: str = "zh") -> str:
    """A shields-style SVG badge: "服务型制造成熟度 | 3级 集成级 · 62.5" (or the English form);
    colour by level, grey when not evaluated. Text is escaped; no script, no external reference."""
    left = "服务型制造成熟度" if lang == "zh" else "SOM maturity"
    if level is None:
        right = "未评价" if lang == "zh" else "not evaluated"
    else:
        lv = f"{level}级" if lang == "zh" else f"level {level}"
        right = " ".join(x for x in (lv, level_name or "") if x)
        if score is not None:
            right += f" · {score:.1f}"
    colour = LEVEL_COLOURS.get(level or 0, "#9e9e9e")

    def width(text: str) -> int:
        return int(sum(13 if ord(c) > 0x2E7F else 7 for c in text) + 20)

    lw, rw = width(left), width(right)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{lw + rw}" height="24" role="img" '
        f'aria-label="{escape(left)}: {escape(right)}">'
        f"<title>{escape(left)}: {escape(right)}</title>"
        f'<rect width="{lw}" height="24" rx="3" fill="#444"/>'
        f'<rect x="{lw}" width="{rw}" height="24" rx="3" fill="{colour}"/>'
        f'<rect x="{lw - 3}" width="6" height="24" fill="{colour}"/>'
        f'<g fill="#fff" font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif" font-size="12">'
        f'<text x="10" y="16">{escape(left)}</text><text x="{lw + 10}" y="16">{escape(right)}</text></g></svg>'
    )


# ---- Excel ------------------------------------------------------------------------------------------


def excel(data: dict[str, Any], t: Any) -> bytes:
    """The report as a workbook: summary, dimensions (radar chart), indicators with sources and
    evidence digests, gaps, and the financial and sustainability sheets when present. ``t`` is the
    label function of the report's language."""
    import openpyxl
    from openpyxl.chart import BarChart, RadarChart, Reference
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "summary"
    e, s, ent = data["evaluation"], data["system"], data["enterprise"]
    for k, v in [
        (t("evaluation.field.enterprise"), ent["name"]), ("USCC", ent["uscc"]),
        (t("evaluation.field.title"), e["title"]), (t("evaluation.field.period"), e["period"]),
        (t("evaluation.field.system"), f"{s['code']} {s['version']}"), ("content_hash", s["content_hash"]),
        (t("evaluation.field.status"), e["status"]), (t("evaluation.field.score"), e["score"]),
        (t("evaluation.field.level"), e["level"]), ("level_name", e["level_name"]),
        (t("evaluation.field.coverage"), e["coverage"]), ("generated_at", data["generated_at"].isoformat()),
    ]:  # fmt: skip
        ws.append([k, v])
    for c in ws["A"]:
        c.font = bold

    dw = wb.create_sheet("dimensions")
    dw.append(["code", "name", "score", "coverage"])
    for d in data["dimensions"]:
        dw.append([d["code"], d["name"], d["score"], d["coverage"]])
    if data["dimensions"]:
        radar = RadarChart()
        radar.type = "marker"
        radar.title = t("evaluation.report.chart_dimensions")
        radar.add_data(Reference(dw, min_col=3, min_row=1, max_row=len(data["dimensions"]) + 1), titles_from_data=True)
        radar.set_categories(Reference(dw, min_col=2, min_row=2, max_row=len(data["dimensions"]) + 1))
        radar.y_axis.scaling.min, radar.y_axis.scaling.max = 0, 100
        dw.add_chart(radar, "F2")
    dw.append([])
    dw.append(["subdimension", "dimension", "name", "score", "coverage"])
    for x in data["subdimensions"]:
        dw.append([x["code"], x["dimension"], x["name"], x["score"], x["coverage"]])

    iw = wb.create_sheet("indicators")
    iw.append(["code", "name", "dimension", "unit", "value", "score", "global_weight", "source", "declared_source",
               "function", "numerator", "denominator", "note", "evidence (name sha256)"])  # fmt: skip
    for i in data["indicators"]:
        iw.append([i["code"], i["name"], i["dimension"], i["unit"], i["value"], i["score"], i["weight"], i["source"],
                   i["declared_source"], i["function"], i["detail"].get("numerator"), i["detail"].get("denominator"),
                   i["note"], "; ".join(f"{x['name']} {x['sha256']}" for x in i["evidence"])])  # fmt: skip
    scored = [k for k, i in enumerate(data["indicators"], start=2) if i["score"] is not None]
    if scored:
        bar = BarChart()
        bar.title = t("evaluation.report.chart_indicators")
        bar.add_data(Reference(iw, min_col=6, min_row=1, max_row=len(data["indicators"]) + 1), titles_from_data=True)
        bar.set_categories(Reference(iw, min_col=1, min_row=2, max_row=len(data["indicators"]) + 1))
        iw.add_chart(bar, "P2")
    for c in iw[1]:
        c.font = bold

    gw = wb.create_sheet("gaps")
    gw.append(["level", "target", "status", "observed", "required"])
    for g in data["gaps"]:
        gw.append([g.get("level"), g.get("target"), g.get("status"), _cell(g.get("observed")),
                   _cell(g.get("required"))])  # fmt: skip

    st = data.get("statement")
    if st:
        fw = wb.create_sheet("input_output")
        fw.append(["measure", "value", "unit / source"])
        m = st["measures"]
        for k in ("operating_revenue", "gross_output", "intermediate_inputs", "service_inputs", "service_input_ratio",
                  "value_added", "value_added_income", "service_value_added", "service_value_added_share_of_revenue",
                  "service_value_added_share_of_value_added", "service_revenue_share"):  # fmt: skip
            fw.append([k, m.get(k), st["unit"]])
        fw.append(["source", f"{st['filename']} sha256 {st['sha256']}", "uploaded financial statement"])
    sus = data.get("sustainability")
    if sus:
        sw = wb.create_sheet("sustainability")
        sw.append(["code", "name", "value", "unit", "score", "note", "reference"])
        names = sus["names"]
        for code, v in sus["result"]["indicators"].items():
            n = names.get(code, {})
            sw.append([code, n.get("name"), v["value"], n.get("unit"), v["score"], v["note"], n.get("reference")])
        fp = sus["result"].get("footprint")
        if fp:
            sw.append([])
            start = sw.max_row + 1
            sw.append(["scope", "t CO2e"])
            for k in ("1", "2", "3"):
                sw.append([f"scope {k}", fp["by_scope"].get(k, 0.0)])
            bar = BarChart()
            bar.title = t("evaluation.report.chart_carbon")
            bar.add_data(Reference(sw, min_col=2, min_row=start, max_row=start + 3), titles_from_data=True)
            bar.set_categories(Reference(sw, min_col=1, min_row=start + 1, max_row=start + 3))
            sw.add_chart(bar, "I2")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cell(v: Any) -> Any:
    if isinstance(v, dict | list):
        import json

        return json.dumps(v, ensure_ascii=False)
    return v


def filename(data: dict[str, Any], ext: str) -> str:
    e = data["evaluation"]
    return f"evaluation-{e['id']}-{data['enterprise']['uscc'] or data['enterprise']['id']}-{e['year']}.{ext}"
