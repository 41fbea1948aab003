"""``somp customization ...``: configuration models and configuration queries from files
(framework nodes 3.2 customised services / C2M, 2.1.2).

    somp customization check MODEL.yaml                      # validate a model file, no database
    somp customization import MODEL.yaml --tenant 1          # store it (new offering or next version)
    somp customization export CF-C2M --tenant 1 -o out.yaml
    somp customization configure CF-C2M choices.json --tenant 1
    somp customization configure --model MODEL.yaml choices.json     # offline, no database

A choices file is ``{"m37": true, "desiccant": false}`` or ``{"choices": {...}, "requirements":
{"air_flow": {"low": 12}}}``. Results print as JSON; a refusal prints its problems and exits 1.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from somp.cli import DataDir, DbUrl, fail, open_database, settings_for

app = typer.Typer(help="customised services (3.2): configuration models and C2M", no_args_is_help=True)
Tenant = Annotated[str, typer.Option(help="the enterprise: its id or unified social credit code")]


@app.callback()
def _main() -> None:
    """Customised services and C2M (3.2, 2.1.2): configuration models, configuration queries."""


def _print(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _read(path: Path) -> str:
    if not path.is_file():
        raise fail(f"{path}: no such file", 2)
    return path.read_text(encoding="utf-8")


def _tenant_id(db, tenant: str) -> int:  # noqa: ANN001
    from sqlalchemy import or_, select

    from somp.core.identity import Tenant as TenantRow
    from somp.core.tenancy import Scope

    with db.session(Scope.all_tenants()) as s:
        cond = TenantRow.uscc == tenant.upper()
        if tenant.isdigit():
            cond = or_(cond, TenantRow.id == int(tenant))
        tenant_id = s.scalar(select(TenantRow.id).where(cond))
    if tenant_id is None:
        raise fail(f"no enterprise {tenant!r}")
    return tenant_id


def _refusal(exc: Exception) -> typer.Exit:
    from somp.core.errors import DomainError

    if isinstance(exc, DomainError):
        _print({"status": "refused", "detail": exc.detail, "errors": [e.as_dict() for e in exc.errors]})
    else:
        _print({"status": "refused", "detail": str(exc)})
    return typer.Exit(1)


def _request(path: Path, version: int | None):  # noqa: ANN202
    from pydantic import ValidationError

    from somp.modules.customization.schemas import ConfigureRequest

    try:
        data = json.loads(_read(path))
    except json.JSONDecodeError as exc:
        raise fail(f"{path}: not JSON: {exc}", 2) from None
    if not isinstance(data, dict):
        raise fail(f"{path}: expected a JSON object", 2)
    body = data if "choices" in data or "requirements" in data else {"choices": data}
    try:
        return ConfigureRequest.model_validate({**body, "model_version": version})
    except ValidationError as exc:
        raise fail(f"{path}: {exc}", 2) from None


@app.command("check")
def check(path: Annotated[Path, typer.Argument(help="a model file (YAML or JSON, with its header)")]) -> None:
    """Validate a model file without a database: format, codes, and that every option can be chosen."""
    from somp.modules.customization import document as docs

    try:
        doc = docs.from_data(docs.parse_text(_read(path)), docs.FileDoc)
        off = docs.to_offering(doc, doc.code, doc.name_zh, doc.name_en)
        warnings = docs.check(doc, off)
    except docs.DocumentInvalid as exc:
        _print({"status": "invalid", "problems": [p.__dict__ for p in exc.problems]})
        raise typer.Exit(1) from None
    _print(
        {
            "status": "ok",
            "code": doc.code,
            "offering": doc.offering,
            "options": len(off.options),
            "rules": len(off.rules),
            "content_hash": docs.content_hash(docs.canonical(doc)),
            "warnings": [w.__dict__ for w in warnings],
        }
    )


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="a model file (YAML or JSON, with its header)")],
    tenant: Tenant,
    note: Annotated[str | None, typer.Option(help="what changed in this version")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Store a model file: a new configurable offering, or the next version of the one with its code
    (nothing new when the content equals the current version)."""
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.customization import service
    from somp.modules.customization.schemas import ModelImport

    text = _read(path)
    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.tenant(_tenant_id(db, tenant))) as s:
        try:
            conf, row, warnings, added = service.import_model(s, ModelImport(document=text, note=note), None)
        except DomainError as exc:
            raise _refusal(exc) from None
        s.commit()
        _print(
            {
                "status": "stored" if added else "unchanged",
                "configurable_id": conf.id,
                "code": conf.code,
                "model_version": row.number,
                "content_hash": row.content_hash,
                "options": row.option_count,
                "rules": row.rule_count,
                "warnings": [w.__dict__ for w in warnings],
            }
        )


@app.command("export")
def export(
    code: Annotated[str, typer.Argument(help="the configurable offering's code")],
    tenant: Tenant,
    version: Annotated[int | None, typer.Option(help="model version (default: the current one)")] = None,
    fmt: Annotated[str, typer.Option("--format", help="yaml or json")] = "yaml",
    out: Annotated[Path | None, typer.Option("-o", "--out", help="write here instead of stdout")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Write a stored model as a file (ready for ``import``)."""
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.customization import service

    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.tenant(_tenant_id(db, tenant))) as s:
        conf = _by_code(s, code)
        try:
            text = service.export_model(s, conf.id, version, fmt)
        except (DomainError, ValueError) as exc:
            raise _refusal(exc) from None
    if out:
        out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _by_code(s, code: str):  # noqa: ANN001, ANN202
    from sqlalchemy import select

    from somp.modules.customization.models import ConfigurableOffering

    conf = s.scalar(select(ConfigurableOffering).where(ConfigurableOffering.code == code))
    if conf is None:
        raise fail(f"no configurable offering {code!r} in this enterprise")
    return conf


@app.command("configure")
def configure(
    choices: Annotated[Path, typer.Argument(help="JSON: {option: true|false} or {choices, requirements}")],
    code: Annotated[str | None, typer.Option(help="the stored configurable offering's code (with --tenant)")] = None,
    tenant: Annotated[str | None, typer.Option(help="the enterprise: id or USCC (with --code)")] = None,
    model: Annotated[Path | None, typer.Option(help="a model file instead (offline, no database)")] = None,
    version: Annotated[int | None, typer.Option(help="model version (default: the current one)")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Valid choices per option (impossible ones with the rules that rule them out), the cheapest
    completion and its price, or the minimal conflicting set of rules; printed as JSON."""
    from somp.core.errors import DomainError
    from somp.modules.customization import service

    req = _request(choices, version)
    if model is not None:
        from somp.modules.customization import document as docs

        try:
            doc = docs.from_data(docs.parse_text(_read(model)), docs.FileDoc)
            compiled = service.compile_document(doc, doc.code, doc.name_zh, doc.name_en)
            result = service.answer(compiled, req, 0, 0, time.perf_counter())
        except docs.DocumentInvalid as exc:
            _print({"status": "invalid", "problems": [p.__dict__ for p in exc.problems]})
            raise typer.Exit(1) from None
        except DomainError as exc:
            raise _refusal(exc) from None
        _print(result.model_dump(mode="json"))
        return
    if not code or not tenant:
        raise fail("give --code and --tenant (a stored model) or --model FILE", 2)
    from somp.core.tenancy import Scope

    db = open_database(settings_for(data_dir, database_url))
    with db.session(Scope.tenant(_tenant_id(db, tenant))) as s:
        conf = _by_code(s, code)
        try:
            result = service.configure(s, conf.id, req)
        except DomainError as exc:
            raise _refusal(exc) from None
    _print(result.model_dump(mode="json"))
