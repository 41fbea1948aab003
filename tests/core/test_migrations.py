"""Alembic migrations: the schema they build equals the models, on SQLite and PostgreSQL, and
they downgrade cleanly."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from somp.core import migrate
from somp.core.database import Base, build_engine


def test_migrated_schema_matches_the_models(engine):
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []
    assert migrate.is_up_to_date(engine)


def test_upgrade_and_downgrade_on_a_fresh_sqlite(tmp_path):
    eng = build_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate.upgrade(eng)
    assert "assets" in inspect(eng).get_table_names()
    migrate.downgrade(eng, "base")
    assert [t for t in inspect(eng).get_table_names() if t != "alembic_version"] == []
    migrate.upgrade(eng)
    assert migrate.current_revision(eng) == migrate.head_revision()
    eng.dispose()


def _fresh_engine(backend, tmp_path):
    if backend == "sqlite":
        return build_engine(f"sqlite:///{tmp_path / 'r.db'}"), None
    import uuid

    from sqlalchemy import create_engine, make_url, text

    from tests.conftest import PG_ADMIN_URL

    name = f"somp_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop():
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return build_engine(url), drop


def test_narrow_readings_are_regrouped_into_chunks_and_back(backend, tmp_path):
    """0004 turns the narrow readings of an existing installation into hourly chunks (nothing lost,
    time order kept) and its downgrade turns them back."""
    import datetime as dt

    from sqlalchemy import text

    from somp.core.database import Database
    from somp.core.tenancy import Scope
    from somp.modules.telemetry.service import stored_readings

    eng, drop = _fresh_engine(backend, tmp_path)
    try:
        migrate.upgrade(eng, "0003_lifecycle")
        t0 = dt.datetime(2026, 3, 1, 22, 59, 58, 500_000, tzinfo=dt.UTC)
        rows = [(1, a, m, t0 + dt.timedelta(seconds=k), float(10 * a + m + k)) for a in (7, 8) for m in (1, 2)
                for k in (3, 0, 2, 1)]  # fmt: skip
        with eng.begin() as c:
            for r in rows:
                ts = r[3].replace(tzinfo=None) if backend == "sqlite" else r[3]
                c.execute(text("INSERT INTO readings (tenant_id, asset_id, metric_id, ts, value) VALUES "
                               "(:t, :a, :m, :ts, :v)"), dict(t=r[0], a=r[1], m=r[2], ts=ts, v=r[4]))  # fmt: skip
        migrate.upgrade(eng)
        with eng.connect() as c:
            chunks = c.execute(text("SELECT asset_id, metric_id, count FROM reading_chunks ORDER BY 1, 2, hour")).all()
        # 22:59:58.5 and :59.5 fall in the 22:00 hour, the other two in 23:00
        assert chunks == [(a, m, 2) for a in (7, 8) for m in (1, 2) for _ in range(2)]
        db = Database(eng.url.render_as_string(hide_password=False), engine=eng)
        with db.session(Scope.all_tenants()) as s:
            r = stored_readings(s, asset_ids=[8], metric_ids=[2])
        assert r.value.tolist() == [82.0, 83.0, 84.0, 85.0]
        assert r.times() == [t0 + dt.timedelta(seconds=k) for k in range(4)]
        if backend == "postgresql":
            with eng.connect() as c:
                view = c.execute(text("SELECT count(*), sum(value) FROM readings")).one()
            assert view == (16, sum(x[4] for x in rows))
        migrate.downgrade(eng, "0003_lifecycle")
        with eng.connect() as c:
            back = c.execute(text("SELECT asset_id, metric_id, value FROM readings ORDER BY 1, 2, 3")).all()
        assert back == sorted((a, m, v) for _, a, m, _, v in rows)
    finally:
        eng.dispose()
        if drop:
            drop()
