"""Fixtures for telemetry tests that need committed data seen by other threads or processes (the
MQTT subscriber): a fresh, migrated database per test on each backend, and one device."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from somp.core import migrate
from somp.core.database import Database
from somp.core.tenancy import Scope
from tests.conftest import PG_ADMIN_URL, _pg_admin_engine


@dataclass
class Device:
    url: str
    db: Database
    tenant_id: int
    asset_id: int
    token: str


@pytest.fixture
def fresh_url(backend: str, tmp_path, request) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'somp.db'}"
        return
    request.getfixturevalue("_pg_database")  # skips or fails like every PostgreSQL test when it is away
    name = f"somp_mqtt_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def device(fresh_url) -> Iterator[Device]:
    from somp.modules.assets.service import issue_device_token
    from tests.factories import make_asset, make_product, make_tenant

    db = Database(fresh_url)
    migrate.upgrade(db.engine)
    t = make_tenant(db)
    asset = make_asset(db, t, make_product(db, t).id, serial_number="SN-MQTT")
    with db.session(Scope.tenant(t.id)) as s:
        _, token = issue_device_token(s, asset.id, "gateway")
        s.commit()
    try:
        yield Device(fresh_url, db, t.id, asset.id, token)
    finally:
        db.dispose()
