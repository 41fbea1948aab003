"""Shared fixtures: every database test runs on SQLite and on PostgreSQL.

* ``engine`` (per backend, once per run): a fresh database built by the Alembic migrations, so
  the migrations themselves are exercised on both databases.
* ``db`` (per test): a :class:`Database` whose sessions are pinned to one connection inside a
  transaction that is rolled back after the test; tests never see each other's rows.
* ``app`` / ``client_as``: the FastAPI app wired to that ``db`` and an HTTP client that
  authenticates as a given user with a real API token.

PostgreSQL is the one this machine runs on 127.0.0.1:5432 (override with
``SOMP_TEST_POSTGRES_URL``). Without it the PostgreSQL half is skipped with the reason, unless
``SOMP_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), which turns that into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from somp.core.database import Database, build_engine
from somp.core.modules import import_all_models

PG_ADMIN_URL = os.environ.get("SOMP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")

import_all_models()


def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})


@pytest.fixture(scope="session")
def _pg_database() -> Iterator[str]:
    name = f"somp_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    try:
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection problem means "no PostgreSQL here"
        admin.dispose()
        msg = f"PostgreSQL not reachable at {make_url(PG_ADMIN_URL).render_as_string()}: {exc.__class__.__name__}"
        if os.environ.get("SOMP_REQUIRE_POSTGRES") == "1":
            pytest.fail(msg)
        pytest.skip(msg + " (set SOMP_TEST_POSTGRES_URL)")
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def database_url(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'somp.db'}"
    return request.getfixturevalue("_pg_database")


_engines: dict[str, object] = {}


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def engine(request: pytest.FixtureRequest, backend: str, tmp_path_factory: pytest.TempPathFactory):
    from somp.core import migrate

    url = database_url(request, backend, tmp_path_factory)
    eng = build_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def db(engine) -> Iterator[Database]:
    conn = engine.connect()
    outer = conn.begin()
    database = Database(engine.url.render_as_string(hide_password=False), engine=engine, bind=conn)
    try:
        yield database
    finally:
        outer.rollback()
        conn.close()


_apps: dict[str, object] = {}


@pytest.fixture
def app(db: Database, backend: str, tmp_path_factory: pytest.TempPathFactory):
    """The app for this backend (built once), wired to this test's rolled-back ``db``."""
    from somp.api.app import create_app
    from somp.core.auth import Authenticator
    from somp.core.config import Settings

    if backend not in _apps:
        data_dir = Path(tmp_path_factory.mktemp("appdata"))
        _apps[backend] = create_app(
            Settings(data_dir=data_dir, secret_key="test-secret-key"), db=db, dispatch_events=False
        )
    application = _apps[backend]
    application.state.db = db
    application.state.auth = Authenticator(db, cache_seconds=0)
    return application


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    return TestClient(app, raise_server_exceptions=True)


@pytest.fixture
def client_as(app, db):
    """``client_as(user)`` -> a TestClient that sends a fresh API token of ``user``."""
    from fastapi.testclient import TestClient

    from tests.factories import token_for

    def make(user):
        c = TestClient(app, raise_server_exceptions=True)
        c.headers["Authorization"] = f"Bearer {token_for(db, user)}"
        return c

    return make


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch):
    """Tests create and sign in users constantly; argon2 at its production cost (64 MiB per hash)
    would dominate the run time. Hashes here use the cheapest argon2id parameters; verification
    reads the parameters from each hash, so nothing else changes (test_auth checks the real ones)."""
    from argon2 import PasswordHasher

    from somp.core import security

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
