"""The ``somp`` command line (Typer): demo, serve, init, users, database, import/export.

Commands only parse arguments, call services and print; long work shows a Rich progress bar.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from somp.core.config import Settings

app = typer.Typer(
    help="somp — Service-Oriented Manufacturing Platform (服务型制造平台)",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="database schema", no_args_is_help=True)
user_app = typer.Typer(help="users", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
console = Console()
err = Console(stderr=True)


def settings_for(data_dir: Path | None = None, database_url: str | None = None) -> Settings:
    kw = {}
    if data_dir is not None:
        kw["data_dir"] = data_dir
    if database_url is not None:
        kw["database_url"] = database_url
    return Settings(**kw)


DataDir = Annotated[Path | None, typer.Option("--data-dir", help="folder of the embedded database (SOMP_DATA_DIR)")]
DbUrl = Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL (SOMP_DATABASE_URL)")]


def open_database(settings: Settings):
    from somp.core.database import Database
    from somp.core.modules import import_all_models

    import_all_models()
    return Database(settings.effective_database_url)


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


@db_app.command("upgrade")
def db_upgrade(data_dir: DataDir = None, database_url: DbUrl = None, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision`` (default: the newest)."""
    from somp.core import migrate

    db = open_database(settings_for(data_dir, database_url))
    migrate.upgrade(db.engine, revision)
    console.print(f"database at revision [bold]{migrate.current_revision(db.engine)}[/bold] ({db.dialect})")


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Option("-m", "--message", help="what the migration does")],
    rev_id: Annotated[str | None, typer.Option(help="e.g. 0002_telemetry")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """(developers) Autogenerate a migration from the models against an up-to-date database."""
    from alembic import command

    from somp.core import migrate

    db = open_database(settings_for(data_dir, database_url))
    if not migrate.is_up_to_date(db.engine):
        raise fail("upgrade the database first, the new migration is generated against the newest schema")
    cfg = migrate.alembic_config(db.engine)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)


@db_app.command("current")
def db_current(data_dir: DataDir = None, database_url: DbUrl = None) -> None:
    """Show the schema revision of the database and whether it is the newest."""
    from somp.core import migrate

    db = open_database(settings_for(data_dir, database_url))
    cur, head = migrate.current_revision(db.engine), migrate.head_revision()
    console.print(
        f"current: {cur or '(empty)'}  newest: {head}  {'up to date' if cur == head else 'run: somp db upgrade'}"
    )


def _create_user(
    settings: Settings, username: str, password: str, roles: list[str], tenant_id: int | None, display_name: str | None
) -> int:
    from somp.core.errors import DomainError
    from somp.core.tenancy import Scope
    from somp.modules.tenants.schemas import UserCreate
    from somp.modules.tenants.service import create_user

    db = open_database(settings)
    try:
        data = UserCreate(
            username=username,
            display_name=display_name or username,
            password=password,
            roles=roles,
            tenant_id=tenant_id,
        )
        with db.session(Scope.all_tenants()) as s:
            user = create_user(s, data)
            s.commit()
            return user.id
    except DomainError as exc:
        raise fail(str(exc)) from None
    except ValueError as exc:  # pydantic validation
        raise fail(str(exc)) from None


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Option(help="sign-in name")],
    role: Annotated[
        list[str],
        typer.Option(help="platform_admin, tenant_admin, service_manager, engineer, customer_user, evaluator"),
    ],
    tenant: Annotated[int | None, typer.Option(help="tenant id (not for platform_admin / evaluator)")] = None,
    display_name: Annotated[str | None, typer.Option()] = None,
    password: Annotated[str | None, typer.Option(help="default: asked interactively, or $SOMP_PASSWORD")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Create a user (the first platform administrator, an evaluator, a tenant's staff)."""
    pw = password or os.environ.get("SOMP_PASSWORD") or getpass.getpass("password: ")
    uid = _create_user(settings_for(data_dir, database_url), username, pw, role, tenant, display_name)
    console.print(f"created user [bold]{username}[/bold] (id {uid})")


@app.command()
def init(
    admin_username: Annotated[str, typer.Option(help="platform administrator to create")] = "admin",
    admin_password: Annotated[str | None, typer.Option(help="default: asked, or $SOMP_PASSWORD")] = None,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Prepare an empty installation: schema at the newest revision and a platform administrator."""
    from sqlalchemy import select

    from somp.core import migrate
    from somp.core.identity import User
    from somp.core.tenancy import Scope

    settings = settings_for(data_dir, database_url)
    db = open_database(settings)
    migrate.upgrade(db.engine)
    with db.session(Scope.all_tenants()) as s:
        exists = s.scalar(select(User.id).where(User.username == admin_username))
    if exists:
        console.print(f"schema up to date; user {admin_username} already exists")
        return
    pw = admin_password or os.environ.get("SOMP_PASSWORD") or getpass.getpass(f"password for {admin_username}: ")
    _create_user(settings, admin_username, pw, ["platform_admin"], None, "Platform administrator")
    console.print(f"initialised {db.dialect} database; platform administrator [bold]{admin_username}[/bold] created")


def serve_app(settings: Settings, host: str, port: int, workers: int, log_level: str = "info") -> None:
    from somp.api.server import serve
    from somp.core import migrate

    db = open_database(settings)
    if not migrate.is_up_to_date(db.engine):
        raise fail("the database schema is not up to date: run `somp db upgrade` first")
    db.dispose()
    os.environ["SOMP_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        os.environ["SOMP_DATABASE_URL"] = settings.database_url
    serve("somp.api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=log_level)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    data_dir: DataDir = None,
    database_url: DbUrl = None,
) -> None:
    """Serve the web UI and the API."""
    serve_app(settings_for(data_dir, database_url), host, port, workers)


def main() -> None:  # pragma: no cover - console entry point
    app()


def _register_commands() -> None:
    """Commands that live with their feature: demo data, import/export, and module CLIs."""
    from somp.core.modules import each
    from somp.dataio.cli import register as register_dataio
    from somp.demo.cli import register as register_demo

    register_demo(app)
    register_dataio(app)
    for m, sub in each("cli"):
        app.add_typer(sub, name=m.cli_name or m.name.replace("_", "-"))


_register_commands()

if __name__ == "__main__":  # python -m somp.cli
    main()
