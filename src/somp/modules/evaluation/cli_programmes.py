"""``somp evaluate region ...``, ``somp evaluate programme ...``, ``somp evaluate standards``: stored
regions (1.3.4), recognition programmes and the standards catalogue (issue 4) from the command line.

Commands on the database (``--data-dir`` / ``--database-url``, or SOMP_DATABASE_URL) run as the
platform operator through the same services as the API: regions are stored in a platform session,
the ranking and the dashboard are read in the evaluator's view (every enterprise). ``programme
list`` and ``programme check`` without ``--uscc`` need no database. Output: one JSON object when
stdout is not a terminal or with ``--json``; Rich tables (Chinese and English) otherwise.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from somp.cli import DataDir, DbUrl, open_database, settings_for
from somp.modules.evaluation.cli import AsJson, _console, _emit, _fail, _want_json

region_app = typer.Typer(
    help="stored regions (区域评价, 1.3.4): add, statistics, members, ranking", no_args_is_help=True
)
programme_app = typer.Typer(help="recognition programmes (示范培育): criteria, checks, dashboard", no_args_is_help=True)


def _db(data_dir: Path | None, database_url: str | None):  # noqa: ANN202
    return open_database(settings_for(data_dir, database_url))


def _domain(fn, *a: Any, **kw: Any) -> Any:  # noqa: ANN001
    from somp.core.errors import DomainError

    try:
        return fn(*a, **kw)
    except DomainError as e:
        raise _fail(str(e)) from None


def _region_id(db, code: str) -> int:  # noqa: ANN001
    from sqlalchemy import select

    from somp.core.tenancy import Scope
    from somp.modules.evaluation.models import RegionRecord

    with db.session(Scope.evaluation()) as s:
        rid = s.scalar(select(RegionRecord.id).where(RegionRecord.code == code))
    if rid is None:
        raise _fail(f"no stored region {code} (add it with `somp evaluate region add`)")
    return rid


# ---- regions ------------------------------------------------------------------------------------------


@region_app.command("add")
def region_add(
    code: Annotated[str, typer.Argument(help="GB/T 2260 code, e.g. 320500")],
    name: Annotated[str, typer.Argument(help="Chinese name, e.g. 苏州市")],
    area_km2: Annotated[float, typer.Option("--area", help="area in km²")],
    name_en: Annotated[str, typer.Option("--name-en")] = "",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Store a region (or update the one with this code)."""
    from somp.modules.evaluation import regions_service

    db = _db(data_dir, database_url)
    from sqlalchemy import select

    from somp.core.tenancy import Scope
    from somp.modules.evaluation.models import RegionRecord

    with db.session(Scope.evaluation()) as s:
        existing = s.scalar(select(RegionRecord.id).where(RegionRecord.code == code.strip()))
    data = {"code": code, "name_zh": name, "name_en": name_en, "area_km2": area_km2}
    rid = _domain(regions_service.save_region, db, data, existing)
    _emit({"region_id": rid, "code": code.strip(), "updated": existing is not None})


@region_app.command("stats")
def region_stats(
    code: Annotated[str, typer.Argument(help="GB/T 2260 code of a stored region")],
    year: Annotated[int, typer.Option("--year")],
    manufacturing_enterprises: Annotated[float | None, typer.Option("--manufacturing-enterprises")] = None,
    service_platforms: Annotated[float | None, typer.Option("--service-platforms")] = None,
    source: Annotated[str, typer.Option("--source", help="e.g. the statistical yearbook")] = "",
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Record yearly regional statistics (stored whole or refused)."""
    from somp.modules.evaluation import regions_service

    db = _db(data_dir, database_url)
    rows = [{"year": year, "name": n, "value": v, "source": source}
            for n, v in (("manufacturing_enterprises", manufacturing_enterprises),
                         ("service_platforms", service_platforms)) if v is not None]  # fmt: skip
    if not rows:
        raise _fail("give --manufacturing-enterprises and/or --service-platforms")
    n = _domain(regions_service.set_statistics, db, _region_id(db, code), rows)
    _emit({"region": code, "year": year, "stored": n})


@region_app.command("member")
def region_member(
    code: Annotated[str, typer.Argument(help="GB/T 2260 code of a stored region")],
    uscc: Annotated[str, typer.Option("--uscc", help="the enterprise's unified social credit code")],
    som: Annotated[bool, typer.Option("--som/--not-som", help="counted as a SOM enterprise")] = True,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Count an enterprise (a tenant, by USCC) in a stored region."""
    from sqlalchemy import select

    from somp.core.identity import Tenant
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import regions_service

    db = _db(data_dir, database_url)
    with db.session(Scope.evaluation()) as s:
        tid = s.scalar(select(Tenant.id).where(Tenant.uscc == uscc.strip()))
    if tid is None:
        raise _fail(f"no enterprise with USCC {uscc}")
    mid = _domain(regions_service.add_member, db, _region_id(db, code), tid, som)
    _emit({"region": code, "tenant_id": tid, "member_id": mid, "som": som})


@region_app.command("rank")
def region_rank(
    year: Annotated[int, typer.Option("--year")],
    previous: Annotated[int | None, typer.Option("--previous", help="compare with this year")] = None,
    as_json: AsJson = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Rank the stored regions by the regional development index of a year (three dimensions:
    产业生态, 发展成效, 融合程度), with the year-over-year change against ``--previous``."""
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import regions_service

    db = _db(data_dir, database_url)
    with db.session(Scope.evaluation()) as s:
        out = _domain(regions_service.evaluate, db, s, [year], previous)
    if _want_json(as_json):
        _emit(out)
        return
    from rich.table import Table

    rows = sorted((r for r in out["rows"] if r["year"] == year), key=lambda r: (r["rank"] is None, r["rank"] or 0))
    yoy = out["year_over_year"] or {}
    t = Table(title=f"{year} 区域服务型制造发展指数 regional SOM index")
    for c in ("排名 rank", "区域 region", "指数 index", *(f"{d['zh']} {d['en']}" for d in out["dimensions"].values()),
              "覆盖率 coverage", "名次变化 rank change"):  # fmt: skip
        t.add_column(c)
    for r in rows:
        dims = [("—" if r["dimensions"][d] is None else f"{r['dimensions'][d]:.1f}") for d in out["dimensions"]]
        change = (yoy.get(r["region"]) or {}).get("rank_change")
        t.add_row(str(r["rank"] or "—"), f"{r['name']['zh']} {r['region']}",
                  "—" if r["index"] is None else f"{r['index']:.1f}", *dims, f"{r['coverage']['index']:.0%}",
                  "—" if change is None else f"{change:+d}")  # fmt: skip
    _console().print(t)


# ---- programmes and standards -------------------------------------------------------------------------


@programme_app.command("list")
def programme_list(as_json: AsJson = None) -> None:
    """The recognition programmes and their eligibility criteria (data/programmes.yaml)."""
    from somp.modules.evaluation.programmes import programme_list as plist

    progs = plist()
    if _want_json(as_json):
        _emit({"programmes": progs})
        return
    from rich.table import Table

    t = Table(title="示范培育项目 recognition programmes")
    for c in ("项目 programme", "目标 target", "条件 criteria"):
        t.add_column(c)
    for p in progs:
        crit = "\n".join(
            f"{c['code']} {c['label']['zh']} {c['op']} {c['value']:g} ({c['basis']})" for c in p["criteria"]
        )
        t.add_row(f"{p['name']['zh']} {p['name']['en']}", str(p["target"] or "—"), crit)
    _console().print(t)


def _declared(pairs: list[str]) -> dict[str, float]:
    out = {}
    for p in pairs:
        key, sep, value = p.partition("=")
        try:
            out[key.strip()] = float(value)
        except ValueError:
            raise _fail(f"--declared {p!r}: write metric=number, e.g. service_revenue_share=0.35") from None
        if not sep:
            raise _fail(f"--declared {p!r}: write metric=number")
    return out


@programme_app.command("check")
def programme_check(
    programme: Annotated[str, typer.Argument(help="programme code, e.g. demonstration_enterprise")],
    declared: Annotated[list[str] | None, typer.Option("--declared", help="metric=value, repeatable")] = None,
    uscc: Annotated[str | None, typer.Option("--uscc", help="measure the enterprise's platform data")] = None,
    year: Annotated[int | None, typer.Option("--year", help="the year measured (with --uscc)")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Check a programme's criteria: against the enterprise's measured platform data for ``--year``
    (with ``--uscc``) where it has them, else the declared figures. One JSON object with every check
    (value, source measured/declared/missing, met) and ``eligible``; exit 1 when not eligible."""
    from somp.modules.evaluation import recognition as rc

    try:
        prog = rc.default_programmes().get(programme)
    except KeyError:
        raise _fail(f"unknown programme {programme!r}") from None
    figures = _declared(declared or [])
    errors = rc.validate_declared(prog, figures)
    if errors:
        raise _fail("; ".join(errors))
    measured: dict[str, float | None] = {}
    notes: dict[str, str] = {}
    if uscc:
        if prog.applicant != "enterprise" or year is None:
            raise _fail("--uscc measures an enterprise programme for a --year")
        from sqlalchemy import select

        from somp.core.identity import Tenant
        from somp.core.tenancy import Scope
        from somp.modules.evaluation.programmes import enterprise_measured

        db = _db(data_dir, database_url)
        with db.session(Scope.all_tenants()) as s:
            tid = s.scalar(select(Tenant.id).where(Tenant.uscc == uscc.strip()))
        if tid is None:
            raise _fail(f"no enterprise with USCC {uscc}")
        with db.session(Scope.tenant(tid)) as s:
            measured, notes = enterprise_measured(s, year)
    checks = rc.check_criteria(prog, measured, figures, notes)
    ok = rc.eligible(checks)
    _emit({"programme": prog.code, "criteria_hash": prog.content_hash, "eligible": ok,
           "checks": [c.to_dict() for c in checks]})  # fmt: skip
    if ok is not True:
        raise typer.Exit(1)


@programme_app.command("dashboard")
def programme_dashboard(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Progress toward the plan's 2028 targets (20 standards, 50 leading brands, 100 innovation
    highlands) over every applicant, and each programme's applications by status (JSON)."""
    from somp.core.tenancy import Scope
    from somp.modules.evaluation import programmes

    db = _db(data_dir, database_url)
    with db.session(Scope.evaluation()) as s:
        _emit(programmes.dashboard(db, s))


def standards_command(
    status: Annotated[str | None, typer.Option("--status", help="planned, drafting or published")] = None,
    as_json: AsJson = None,
) -> None:
    """The standards catalogue shipped with somp (data/standards.yaml) and its progress toward the
    plan's target of 20 published standards (no database: the built-in catalogue)."""
    from somp.modules.evaluation import recognition as rc

    cat = rc.default_catalogue()
    items = [s for s in cat.standards if status is None or s.status == status]
    p = rc.standards_progress([s.model_dump() for s in cat.standards], cat.target)
    if _want_json(as_json):
        _emit({"progress": p.__dict__, "standards": [s.model_dump() for s in items]})
        return
    from rich.table import Table

    t = Table(title=f"标准目录 standards catalogue · {p.published}/{p.target} published")
    for c in ("标准号 code", "名称 title", "状态 status", "节点 nodes", "核实 verification"):
        t.add_column(c)
    for s in items:
        t.add_row(s.code or "—", f"{s.title.zh}\n{s.title.en}", s.status, ", ".join(s.framework), s.verification)
    _console().print(t)
