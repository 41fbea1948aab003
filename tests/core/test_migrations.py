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
