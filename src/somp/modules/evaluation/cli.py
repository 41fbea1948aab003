"""``somp evaluate ...``: the statistical evaluation engines on files (framework nodes 1.3.1, 1.3.2).

* ``somp evaluate ahp FILE.csv``: AHP weights of a pairwise comparison matrix (1.3.1); a matrix with
  CR > 0.1 is refused (exit code 2) naming the most inconsistent pair.
* ``somp evaluate io FILE.csv|xlsx [--services CODES --manufacturing CODES]``: balance report of an
  input-output table and the service-input coefficients of the manufacturing sectors (1.3.2).
* ``somp evaluate system validate|show FILE.yaml``: check or display an indicator system (1.3.1).

Output: one JSON line when stdout is not a terminal (the contract scripts and checks rely on) or with
``--json``; Rich tables with Chinese and English labels in a terminal or with ``--table``. No
database is needed. Kept quick to import: numpy, pandas and the engines load inside the commands.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="statistical evaluation (统计评价): AHP weights, input-output tables, indicator systems",
                  no_args_is_help=True)
system_app = typer.Typer(help="indicator systems (指标体系): validate or show a YAML file", no_args_is_help=True)
app.add_typer(system_app, name="system")

AsJson = Annotated[
    bool | None,
    typer.Option("--json/--table", help="one JSON line / Rich tables (default: JSON unless stdout is a terminal)"),
]


@app.callback()
def _main() -> None:
    """Statistical evaluation (1.3.1-1.3.4): AHP weights, input-output coefficients, indicator systems."""


def _want_json(flag: bool | None) -> bool:
    return (not sys.stdout.isatty()) if flag is None else flag


def _console():
    from rich.console import Console

    return Console()


def _emit(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, allow_nan=False, default=_jsonable))


def _jsonable(v: Any) -> Any:
    if hasattr(v, "tolist"):
        return v.tolist()
    raise TypeError(f"not JSON serialisable: {type(v).__name__}")


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as e:
        raise _fail(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise _fail(f"{path} is not UTF-8 text") from None


# ---- AHP ------------------------------------------------------------------------------------------


@app.command("ahp")
def ahp_command(
    file: Annotated[Path, typer.Argument(help="CSV: header row and first column of criterion names; cells 3 or 1/3")],
    max_cr: Annotated[float, typer.Option("--max-cr", help="refuse a matrix whose consistency ratio exceeds it")] = 0.1,
    as_json: AsJson = None,
) -> None:
    """AHP weights (principal eigenvector), lambda_max, CI and CR with Saaty's random index.

    Prints one JSON line with ``weights`` by name, ``lambda_max``, ``CI``, ``CR`` (and ``RI``,
    ``most_inconsistent_pair``). A matrix with CR above ``--max-cr`` is refused: exit code 2, the
    JSON line then has ``"refused": true`` and the pair to revise first.
    """
    from somp.modules.evaluation.mcda import AhpInconsistent, McdaInvalid, ahp, read_pairwise_csv

    text = _read_text(file)
    try:
        matrix, names = read_pairwise_csv(text)
        result = ahp(matrix, names, max_cr=max_cr)
        refused = None
    except AhpInconsistent as e:
        result, refused = e.result, e
    except McdaInvalid as e:
        raise _fail(str(e)) from None
    out = result.to_dict() | {"n": len(result.criteria), "refused": refused is not None, "max_cr": max_cr}
    if _want_json(as_json):
        _emit(out)
    else:
        _ahp_table(result, refused is not None, max_cr)
    if refused is not None:
        typer.echo(f"error: {refused}", err=True)
        raise typer.Exit(2)


def _ahp_table(result, refused: bool, max_cr: float) -> None:  # noqa: ANN001
    from rich.table import Table

    con = _console()
    t = Table(title="AHP 权重 weights")
    t.add_column("准则 criterion")
    t.add_column("权重 weight", justify="right")
    for name, w in result.weights_by_name().items():
        t.add_row(name, f"{w:.4f}")
    con.print(t)
    con.print(f"λmax = {result.lambda_max:.4f}   CI = {result.ci:.4f}   RI = {result.ri:.2f}   CR = {result.cr:.4f}")
    pair = result.most_inconsistent
    if refused and pair is not None:
        con.print(f"[red]拒绝 refused:[/red] 一致性比率 CR {result.cr:.3f} > {max_cr:g} (consistency ratio); "
                  f"最不一致的判断 most inconsistent judgement: {pair.row} vs {pair.column} = {pair.judgement:.4g}, "
                  f"其他判断隐含 the others imply ≈ {pair.implied:.3g}")
    else:
        con.print(f"[green]一致性可接受 consistent[/green] (CR ≤ {max_cr:g})")


# ---- input-output ---------------------------------------------------------------------------------


def _codes(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def _finite(v: float) -> float | None:
    return v if math.isfinite(v) else None


@app.command("io")
def io_command(
    file: Annotated[Path, typer.Argument(help="input-output table (.csv or .xlsx), layout in docs/evaluation.md")],
    services: Annotated[str | None, typer.Option("--services", help="service sector codes, comma-separated")] = None,
    manufacturing: Annotated[
        str | None, typer.Option("--manufacturing", help="manufacturing sector codes, comma-separated")
    ] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from the file name)")] = None,
    multi_region: Annotated[
        bool, typer.Option("--multi-region", help="two label rows/columns: region, sector (MRIO)")
    ] = False,
    sheet: Annotated[str, typer.Option("--sheet", help="Excel sheet name or 0-based index")] = "0",
    rtol: Annotated[float, typer.Option("--rtol", help="balance tolerance, relative to output")] = 1e-3,
    allow_unbalanced: Annotated[
        bool, typer.Option("--allow-unbalanced", help="compute on an unbalanced table anyway (for inspection)")
    ] = False,
    as_json: AsJson = None,
) -> None:
    """Check a table's balances (inputs + value added = output; intermediate + final use = output),
    then compute direct (A) and complete (B = L - I) consumption coefficients of the service sectors
    in each manufacturing sector, split into domestic and imported for multi-region tables.

    Prints one JSON object: table facts, ``imbalances``, and ``service_inputs`` (one entry per
    manufacturing sector and region with ``direct``, ``complete`` and per-service values). An
    unbalanced table is refused with exit code 2 and its unbalanced sectors listed.
    """
    from somp.modules.evaluation.input_output import IOInvalid, analyse, service_inputs
    from somp.modules.evaluation.io_tables import read_io_table

    svc, mfg = _codes(services), _codes(manufacturing)
    if bool(svc) != bool(mfg):
        raise _fail("give both --services and --manufacturing (or neither for the balance report only)")
    if fmt is not None and fmt.lower() not in ("csv", "xlsx"):
        raise _fail(f"--format must be csv or xlsx, got {fmt!r}")
    if not file.is_file():
        raise _fail(f"no such file: {file}")
    try:
        table = read_io_table(file, multi_region=multi_region, sheet=int(sheet) if sheet.isdigit() else sheet,
                              rtol=rtol, fmt=fmt.lower() if fmt else None)
    except IOInvalid as e:
        raise _fail(str(e)) from None
    except (OSError, ValueError) as e:
        raise _fail(f"cannot read {file}: {e}") from None
    out: dict[str, Any] = {
        "file": str(file),
        "regions": [r for r in table.regions if r],
        "sectors": list(table.sectors),
        "balances_checked": list(table.balances_checked),
        "balanced": not table.imbalances,
        "imbalances": [i.to_dict() | {"relative_gap": _finite(i.relative_gap)} for i in table.imbalances],
        "rtol": rtol,
    }
    refused: IOInvalid | None = None
    if svc:
        try:
            analysis = analyse(table, allow_unbalanced=allow_unbalanced)
            out["service_inputs"] = [s.to_dict() for s in service_inputs(analysis, svc, mfg)]
            out["services"], out["manufacturing"] = svc, mfg
        except IOInvalid as e:
            refused = e
            out["error"] = {"code": e.code, "message": str(e)}
    elif table.imbalances and not allow_unbalanced:
        refused = IOInvalid("table is not balanced", "unbalanced")
    if _want_json(as_json):
        _emit(out)
    else:
        _io_tables(out, multi=table.multi_region)
    if refused is not None:
        typer.echo(f"error: {refused}", err=True)
        raise typer.Exit(2)


def _io_tables(out: dict[str, Any], multi: bool) -> None:
    from rich.table import Table

    con = _console()
    regions = f", {len(out['regions'])} 地区 regions" if out["regions"] else ""
    checked = ", ".join(out["balances_checked"]) or "无 none (no value added, no total output)"
    con.print(f"{len(out['sectors'])} 部门 sectors{regions}; 已检查平衡 balances checked: {checked}")
    if out["imbalances"]:
        t = Table(title="不平衡部门 unbalanced sectors")
        for c in ("地区 region", "部门 sector", "平衡 side", "总产出 output", "核算 accounted", "差异 gap"):
            t.add_column(c, justify="right" if c[0] in "总核差" else "left")
        for i in out["imbalances"]:
            gap = i["relative_gap"]
            t.add_row(i["region"], i["sector"], "投入 inputs" if i["side"] == "inputs" else "使用 uses",
                      f"{i['output']:,.2f}", f"{i['accounted']:,.2f}", "∞" if gap is None else f"{gap:+.2%}")
        con.print(t)
    else:
        con.print("[green]平衡 balanced[/green]")
    if "error" in out:
        con.print(f"[red]拒绝 refused:[/red] {out['error']['message']}")
    if "service_inputs" not in out:
        return
    t = Table(title="服务投入系数 service-input coefficients")
    if multi:
        t.add_column("地区 region")
    t.add_column("制造部门 manufacturing sector")
    t.add_column("直接消耗系数 direct", justify="right")
    t.add_column("完全消耗系数 complete", justify="right")
    if multi:
        t.add_column("直接·本地 direct domestic", justify="right")
        t.add_column("直接·调入 direct imported", justify="right")
        t.add_column("完全·本地 complete domestic", justify="right")
        t.add_column("完全·调入 complete imported", justify="right")
    for s in out["service_inputs"]:
        row = ([s["region"]] if multi else []) + [s["sector"], f"{s['direct']:.6f}", f"{s['complete']:.6f}"]
        if multi:
            row += [f"{s[k]:.6f}" for k in ("direct_domestic", "direct_imported", "complete_domestic",
                                             "complete_imported")]
        t.add_row(*row)
    con.print(t)


# ---- indicator systems ----------------------------------------------------------------------------


def _load_system(file: Path | None):  # noqa: ANN202
    from somp.modules.evaluation.indicators import SystemInvalid, default_maturity_system, load_system

    if file is None:
        return default_maturity_system()
    try:
        if file.suffix.lower() in (".xlsx", ".xlsm"):
            from somp.modules.evaluation.system_excel import read_workbook

            if not file.is_file():
                raise _fail(f"cannot read {file}: no such file")
            return read_workbook(file)
        return load_system(_read_text(file))
    except SystemInvalid as e:
        raise _fail(str(e)) from None


def _summary(system) -> dict[str, Any]:  # noqa: ANN001
    inds = system.indicators()
    by_source: dict[str, int] = {}
    for i in inds:
        by_source[i.source.kind.value] = by_source.get(i.source.kind.value, 0) + 1
    return {
        "code": system.code,
        "version": system.version,
        "content_hash": system.content_hash,
        "framework": system.framework,
        "name": system.name.model_dump(),
        "dimensions": len(system.dimensions),
        "subdimensions": sum(len(d.subdimensions) for d in system.dimensions),
        "indicators": len(inds),
        "indicators_by_source": by_source,
        "levels": len(system.levels),
    }


@system_app.command("validate")
def system_validate(
    file: Annotated[Path, typer.Argument(help="indicator system (.yaml, or .xlsx as written by export)")],
    as_json: AsJson = None,
) -> None:
    """Validate an indicator system; print its code, version, content hash and size, or every error
    with its path (exit code 2)."""
    out = {"valid": True} | _summary(_load_system(file))
    if _want_json(as_json):
        _emit(out)
    else:
        _console().print(
            f"[green]有效 valid[/green]: {out['code']} {out['version']} ({out['name']['zh']} {out['name']['en']}), "
            f"内容哈希 content hash {out['content_hash']}; {out['dimensions']} 维度 dimensions, "
            f"{out['subdimensions']} 子维度 sub-dimensions, {out['indicators']} 指标 indicators, "
            f"{out['levels']} 等级 levels"
        )


_SOURCE_LABEL = {"questionnaire": "问卷 questionnaire", "uploaded": "填报 uploaded", "computed": "平台计算 computed"}


@system_app.command("show")
def system_show(
    file: Annotated[Path | None, typer.Argument(help="indicator system YAML (default: the built-in maturity system)")]
    = None,
    as_json: AsJson = None,
) -> None:
    """Show a system's tree (dimension > sub-dimension > indicator) with sources, rules and global
    weights, and its maturity levels."""
    from somp.modules.evaluation.indicators import global_weights

    system = _load_system(file)
    gw = global_weights(system)
    if _want_json(as_json):
        tree = [
            {"code": d.code, "name": d.name.model_dump(), "weight": d.weight, "subdimensions": [
                {"code": s.code, "name": s.name.model_dump(), "weight": s.weight, "indicators": [
                    {"code": i.code, "name": i.name.model_dump(), "unit": i.unit, "direction": i.direction.value,
                     "source": i.source.kind.value, "function": i.source.function, "rule": i.rule.kind,
                     "weight": i.weight, "global_weight": gw[i.code]}
                    for i in s.indicators]}
                for s in d.subdimensions]}
            for d in system.dimensions
        ]
        levels = [{"level": lv.level, "name": lv.name.model_dump(), "min_coverage": lv.min_coverage,
                   "criteria": [c.model_dump(exclude_none=True) for c in lv.criteria]} for lv in system.levels]
        _emit(_summary(system) | {"tree": tree, "maturity_levels": levels})
        return
    from rich.table import Table

    con = _console()
    t = Table(title=f"{system.name.zh} {system.name.en} · {system.code} {system.version} · {system.content_hash}")
    for c in ("维度 dimension", "子维度 sub-dimension", "指标 indicator", "单位 unit", "来源 source",
              "规则 rule", "全局权重 weight"):
        t.add_column(c, justify="right" if c.startswith("全局") else "left")
    for d in system.dimensions:
        for s in d.subdimensions:
            for i in s.indicators:
                src = _SOURCE_LABEL[i.source.kind.value] + (f" ({i.source.function})" if i.source.function else "")
                t.add_row(f"{d.code} {d.name.zh} {d.name.en}", f"{s.code} {s.name.zh} {s.name.en}",
                          f"{i.code} {i.name.zh} {i.name.en}", i.unit, src, i.rule.kind, f"{gw[i.code]:.4f}")
    con.print(t)
    if system.levels:
        lt = Table(title="成熟度等级 maturity levels")
        for c in ("等级 level", "名称 name", "最低覆盖率 min coverage", "条件 criteria"):
            lt.add_column(c)
        for lv in system.levels:
            crit = "; ".join(
                f"{c.target} " + " ".join(f"{k}={v:g}" for k, v in c.model_dump(exclude_none=True).items()
                                          if k in ("min_value", "max_value", "min_score"))
                for c in lv.criteria
            )
            lt.add_row(str(lv.level), f"{lv.name.zh} {lv.name.en}", f"{lv.min_coverage:.0%}", crit)
        con.print(lt)


@system_app.command("export")
def system_export(
    out: Annotated[Path, typer.Argument(help="the file to write: .xlsx (Excel) or .yaml")],
    file: Annotated[Path | None, typer.Option("--from", help="the system to export (default: the built-in one)")]
    = None,
) -> None:
    """Write an indicator system as an Excel workbook (sheets system, indicators, levels; edit and
    read it back with validate/show or the API) or as YAML. Prints one JSON line with its hash."""
    from somp.modules.evaluation.indicators import dump_system
    from somp.modules.evaluation.system_excel import write_workbook

    system = _load_system(file)
    suffix = out.suffix.lower()
    try:
        if suffix == ".xlsx":
            write_workbook(system, out)
        elif suffix in (".yaml", ".yml"):
            out.write_text(dump_system(system), encoding="utf-8")
        else:
            raise _fail(f"write .xlsx or .yaml, not {out.name}")
    except OSError as e:
        raise _fail(f"cannot write {out}: {e.strerror or e}") from None
    _emit({"written": str(out), "code": system.code, "version": system.version, "content_hash": system.content_hash})


# ---- stored regions, programmes, standards (issue 4): commands in cli_programmes.py -----------------
from somp.modules.evaluation.cli_programmes import programme_app, region_app, standards_command  # noqa: E402

app.add_typer(region_app, name="region")
app.add_typer(programme_app, name="programme")
app.command("standards")(standards_command)
# reports and financial statements: cli_reports.py (registers its commands on ``app``)
from somp.modules.evaluation import cli_reports  # noqa: E402, F401
