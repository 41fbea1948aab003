"""Stored regions (framework node 1.3.4, 区域服务型制造综合评价): regions with their GB/T 2260 code
and area, yearly regional statistics, member enterprises (tenants) with their declared supplier
spend, and the regional evaluation of the stored data with :mod:`.regional`.

Regions and statistics are platform rows; members are tenant rows the evaluator reads across
enterprises. Evaluators write regions, statistics and memberships in a platform session (their own
view is read-only); an enterprise reads its memberships and declares its yearly supplier spend.

Each member's yearly record (:func:`enterprise_records`) takes, for the year [Jan 1, Jan 1):
revenue and service revenue **measured** from invoices (brand KPIs of every member read with
one grouped query, :func:`somp.modules.kpis.service.brand_kpis_by_tenant`); maturity level of its latest
reviewed evaluation of the year; leading brand / demonstration from **approved** applications to
``leading_brand`` / ``demonstration_enterprise`` of that year or before; supplier spend as
**declared** (the platform records no purchasing). Nothing missing is filled with zero.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from somp.core.cn_codes import validate_region_code
from somp.core.database import Database, utcnow
from somp.core.errors import Conflict, FieldError, ValidationFailed, not_found
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
from somp.modules.evaluation import regional as rg
from somp.modules.evaluation.models import (
    ApplicationStatus,
    EvaluationRecord,
    EvaluationStatus,
    ProgrammeApplication,
    RegionMember,
    RegionRecord,
    RegionStatistic,
)

STATISTICS = ("manufacturing_enterprises", "service_platforms")


def _code(code: str) -> str:
    try:
        return validate_region_code(code)
    except ValueError as e:
        raise ValidationFailed("invalid region code", [FieldError("code", str(e), "invalid_region_code")]) from None


def list_regions(session: Session) -> list[RegionRecord]:
    return list(session.scalars(select(RegionRecord).order_by(RegionRecord.code)).all())


def get_region(session: Session, region_id: int) -> RegionRecord:
    row = session.get(RegionRecord, region_id)
    if row is None:
        raise not_found("region", region_id)
    return row


def save_region(db: Database, data: dict[str, Any], region_id: int | None = None) -> int:
    """Create or update a region (evaluators; platform session). Area must be positive."""
    code = _code(data["code"])
    if not (isinstance(data.get("area_km2"), int | float) and math.isfinite(data["area_km2"]) and data["area_km2"] > 0):
        raise ValidationFailed("invalid area", [FieldError("area_km2", "a positive area in km²", "bad_area")])
    with db.session(Scope.all_tenants()) as w:
        clash = w.scalar(select(RegionRecord.id).where(RegionRecord.code == code))
        if clash is not None and clash != region_id:
            raise Conflict(f"region {code} exists (id {clash})", [FieldError("code", "exists", "duplicate_region")])
        row = RegionRecord() if region_id is None else w.get(RegionRecord, region_id)
        if row is None:
            raise not_found("region", region_id)
        row.code, row.name_zh, row.name_en, row.area_km2 = code, data["name_zh"], data.get("name_en") or "", \
            float(data["area_km2"])  # fmt: skip
        w.add(row)
        w.flush()
        rid = row.id
        w.commit()
    return rid


def statistics_of(session: Session, region_ids: list[int]) -> list[RegionStatistic]:
    if not region_ids:
        return []
    stmt = select(RegionStatistic).where(RegionStatistic.region_id.in_(region_ids))
    return list(session.scalars(stmt.order_by(RegionStatistic.year, RegionStatistic.name)).all())


def set_statistics(db: Database, region_id: int, rows: list[dict[str, Any]]) -> int:
    """Upsert yearly statistics of a region (a batch: every row valid or none stored)."""
    errors = []
    for k, r in enumerate(rows):
        if r["name"] not in STATISTICS:
            errors.append(FieldError(f"statistics[{k}].name", f"one of {', '.join(STATISTICS)}", "unknown_statistic"))
        v = r["value"]
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            errors.append(FieldError(f"statistics[{k}].value", "a finite number, not negative", "bad_value"))
    if len({(r["year"], r["name"]) for r in rows}) != len(rows):
        errors.append(FieldError("statistics", "a (year, name) appears twice", "duplicate_statistic"))
    if errors:
        raise ValidationFailed("some statistics were refused", errors)
    with db.session(Scope.all_tenants()) as w:
        if w.get(RegionRecord, region_id) is None:
            raise not_found("region", region_id)
        have = {(s.year, s.name): s for s in w.scalars(select(RegionStatistic).where(
            RegionStatistic.region_id == region_id)).all()}  # fmt: skip
        for r in rows:
            row = have.get((r["year"], r["name"]))
            if row is None:
                row = RegionStatistic(region_id=region_id, year=r["year"], name=r["name"])
                w.add(row)
            row.value, row.source = float(r["value"]), r.get("source") or ""
        w.commit()
    return len(rows)


def members_of(session: Session, region_id: int | None = None) -> list[RegionMember]:
    stmt = select(RegionMember).order_by(RegionMember.region_id, RegionMember.id)
    if region_id is not None:
        stmt = stmt.where(RegionMember.region_id == region_id)
    return list(session.scalars(stmt).all())


def add_member(db: Database, region_id: int, tenant_id: int, som: bool = True) -> int:
    """Count an enterprise in a region (evaluators; platform session)."""
    with db.session(Scope.all_tenants()) as w:
        if w.get(RegionRecord, region_id) is None:
            raise not_found("region", region_id)
        if w.get(Tenant, tenant_id) is None:
            raise ValidationFailed("unknown enterprise", [FieldError("tenant_id", f"no enterprise {tenant_id}",
                                                                     "not_found")])  # fmt: skip
        row = w.scalar(select(RegionMember).where(RegionMember.region_id == region_id,
                                                  RegionMember.tenant_id == tenant_id))  # fmt: skip
        if row is None:
            row = RegionMember(region_id=region_id, tenant_id=tenant_id, figures={})
            w.add(row)
        row.som = som
        w.flush()
        mid = row.id
        w.commit()
    return mid


def remove_member(db: Database, region_id: int, member_id: int) -> None:
    with db.session(Scope.all_tenants()) as w:
        row = w.get(RegionMember, member_id)
        if row is None or row.region_id != region_id:
            raise not_found("region member", member_id)
        w.delete(row)
        w.commit()


def declare_figures(session: Session, member_id: int, year: int, supplier_spend: float | None,
                    supplier_spend_local: float | None) -> RegionMember:  # fmt: skip
    """The enterprise declares its supplier spend of a year, total and inside the region (own rows)."""
    row = session.get(RegionMember, member_id)
    if row is None:
        raise not_found("region member", member_id)
    for name, v in (("supplier_spend", supplier_spend), ("supplier_spend_local", supplier_spend_local)):
        if v is not None and not (math.isfinite(v) and v >= 0):
            raise ValidationFailed("invalid figure", [FieldError(name, "a finite amount, not negative", "bad_value")])
    if supplier_spend is not None and supplier_spend_local is not None and supplier_spend_local > supplier_spend:
        raise ValidationFailed("invalid figures", [FieldError("supplier_spend_local", "cannot exceed the total "
                                                              "supplier spend", "local_exceeds_total")])  # fmt: skip
    figures = dict(row.figures or {})
    figures[str(year)] = {"supplier_spend": supplier_spend, "supplier_spend_local": supplier_spend_local,
                          "declared_at": utcnow().isoformat()}  # fmt: skip
    row.figures = figures
    row.updated_at = utcnow()
    session.flush()
    return row


# ---- evaluation of the stored regions ---------------------------------------------------------------


def _recognised(session: Session, programme: str, year: int) -> set[int]:
    rows = session.scalars(
        select(ProgrammeApplication.tenant_id).where(
            ProgrammeApplication.programme == programme,
            ProgrammeApplication.status == ApplicationStatus.approved,
            ProgrammeApplication.year <= year,
            ProgrammeApplication.tenant_id.is_not(None),
        )
    ).all()
    return set(rows)


def _levels(session: Session, year: int) -> dict[int, int]:
    out: dict[int, int] = {}
    for tid, level in session.execute(
        select(EvaluationRecord.tenant_id, EvaluationRecord.level)
        .where(EvaluationRecord.status == EvaluationStatus.reviewed, EvaluationRecord.level.is_not(None),
               EvaluationRecord.period_start >= dt.date(year, 1, 1),
               EvaluationRecord.period_start < dt.date(year + 1, 1, 1))
        .order_by(EvaluationRecord.reviewed_at)
    ).all():  # fmt: skip
        out[tid] = level  # the latest review wins
    return out


def enterprise_records(db: Database, session: Session, regions: list[RegionRecord], years: list[int]
                       ) -> tuple[list[rg.EnterpriseRecord], dict[str, dict[str, str]]]:  # fmt: skip
    """The member enterprises' yearly records, and per record the source of each figure. Read in the
    caller's view: the evaluator's (every member) for a regional ranking."""
    from somp.modules.kpis.brand import Period
    from somp.modules.kpis.service import brand_kpis_by_tenant

    by_id = {r.id: r for r in regions}
    members = [m for m in members_of(session) if m.region_id in by_id]
    tenants = {t.id: t for t in session.scalars(select(Tenant).where(Tenant.id.in_({m.tenant_id for m in members})))}
    out, sources = [], {}
    periods = [Period(dt.date(y, 1, 1), dt.date(y + 1, 1, 1), str(y)) for y in sorted(years)]
    kpis: dict[tuple[int, int], Any] = {}
    by_tenant = brand_kpis_by_tenant(db, [m.tenant_id for m in members], periods)  # grouped, one pass
    for tid, series in by_tenant.items():
        for p, k in zip(periods, series, strict=True):
            kpis[(tid, p.start.year)] = k
    for y in years:
        levels = _levels(session, y)
        brands, demos = _recognised(session, "leading_brand", y), _recognised(session, "demonstration_enterprise", y)
        for m in members:
            k = kpis[(m.tenant_id, y)]
            revenue = k.service_revenue + k.product_revenue
            fig = (m.figures or {}).get(str(y), {})
            name = tenants[m.tenant_id].uscc if m.tenant_id in tenants else str(m.tenant_id)
            out.append(rg.EnterpriseRecord(
                name, by_id[m.region_id].code, y, som=m.som, leading_brand=m.tenant_id in brands,
                demonstration=m.tenant_id in demos, maturity_level=levels.get(m.tenant_id),
                supplier_spend=fig.get("supplier_spend"), supplier_spend_local=fig.get("supplier_spend_local"),
                revenue=float(revenue) if revenue > 0 else None,
                service_revenue=float(k.service_revenue) if revenue > 0 else None,
            ))  # fmt: skip
            sources[f"{name}@{by_id[m.region_id].code}@{y}"] = {
                "revenue": "measured" if revenue > 0 else "missing",
                "maturity_level": "measured" if m.tenant_id in levels else "missing",
                "supplier_spend": "declared" if fig.get("supplier_spend") is not None else "missing",
                "recognition": "approved applications",
            }
    return out, sources


def evaluate(db: Database, session: Session, years: list[int], previous_year: int | None = None,
             region_ids: list[int] | None = None) -> dict[str, Any]:  # fmt: skip
    """Indicators, dimension scores, index and rank of the stored regions in each year (and the
    year-over-year comparison with ``previous_year``), evaluated together so the years compare."""
    years = sorted(set(years) | ({previous_year} if previous_year is not None else set()))
    regions = [r for r in list_regions(session) if region_ids is None or r.id in region_ids]
    if not regions:
        raise ValidationFailed("no regions", [FieldError("regions", "store a region first", "no_regions")])
    stats: dict[int, dict[str, float]] = {r.id: {} for r in regions}
    for s in statistics_of(session, [r.id for r in regions]):
        stats[s.region_id][f"{s.name}@{s.year}"] = s.value
    records, sources = enterprise_records(db, session, regions, years)
    engine_regions = [rg.Region(r.code, r.name_zh, r.area_km2, stats[r.id]) for r in regions]
    ev = rg.evaluate_regions(engine_regions, records, years)
    yoy = None if previous_year is None else rg.year_over_year(ev, max(years), previous_year)
    names = {r.code: {"zh": r.name_zh, "en": r.name_en or r.name_zh, "id": r.id} for r in regions}
    rows = [
        {"region": x.region, "region_id": names[x.region]["id"], "name": {"zh": names[x.region]["zh"],
         "en": names[x.region]["en"]}, "year": x.year, "index": x.index, "rank": x.rank,
         "dimensions": x.dimensions, "coverage": x.coverage,
         "indicators": {k: {"value": v.value, "basis": v.basis, "note": v.note, "normalised": x.normalised[k]}
                        for k, v in x.indicators.items()}}
        for x in ev.rows
    ]  # fmt: skip
    changes = None if yoy is None else {
        code: {"rank": c["rank"], "previous_rank": c["previous_rank"], "rank_change": c["rank_change"],
               "changes": {k: {"previous": ch.previous, "current": ch.current, "delta": ch.delta}
                           for k, ch in c["changes"].items()}}
        for code, c in yoy.items()
    }  # fmt: skip
    return {
        "years": years, "rows": rows, "year_over_year": changes, "records": len(records), "sources": sources,
        "dimensions": rg.DIMENSIONS,
        "indicators": {k: {"dimension": d, "weight": w, "zh": zh, "en": en}
                       for k, (d, w, zh, en) in rg.INDICATORS.items()},
    }  # fmt: skip
