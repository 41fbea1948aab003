"""Database access: the declarative base, the engine factory and the unit of work.

One SQLAlchemy 2.0 metadata holds every module's tables. The embedded default is a SQLite
file in WAL mode; production is PostgreSQL (psycopg 3). Nothing here connects at import time:
:class:`Database` is built by the composition root (``somp.api.app.create_app`` or the CLI).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker

from somp.core.tenancy import Scope, install_tenant_guard

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Integer primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on both databases.

    SQLite has no time zone type; values are stored naive in UTC and returned aware, so code
    never compares naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; somp stores aware UTC timestamps only")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        # Hot path (every timestamp of every row read): one C call per value instead of the
        # generic decorator chain. SQLite keeps naive UTC text; PostgreSQL returns aware values.
        if dialect.name == "sqlite":
            fromiso = dt.datetime.fromisoformat

            def from_sqlite(value: str | None) -> dt.datetime | None:
                return None if value is None else fromiso(value + "+00:00")

            return from_sqlite
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


Money = Numeric(18, 2, asdecimal=True)
Quantity = Numeric(18, 4, asdecimal=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        int: IdType,
        dt.datetime: UTCDateTime(),
        Decimal: Money,
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
    }


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TenantOwned:
    """Mixin for every row that belongs to one tenant (an enterprise).

    The tenant filter is applied centrally to every ORM statement (see :mod:`somp.core.tenancy`);
    code never adds ``where tenant_id = ...`` by hand. Tables that reference another tenant-owned
    table do so through a composite foreign key ``(tenant_id, x_id)`` so the database itself
    refuses a cross-tenant reference.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True, nullable=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for ``postgresql://`` URLs and create the SQLite file's folder."""
    u = make_url(url)
    if u.get_backend_name() == "postgresql" and u.drivername == "postgresql":
        u = u.set(drivername="postgresql+psycopg")
    if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
        Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return u.render_as_string(hide_password=False)


# Connections kept open per process. It matches the request thread pool (see somp.api.app), so a
# burst of requests never opens and closes "overflow" connections: on PostgreSQL every new
# connection is a new server process, on SQLite it repeats the PRAGMA set-up.
POOL_SIZE = 24


def build_engine(url: str, *, echo: bool = False, pool_size: int = POOL_SIZE) -> Engine:
    """Create an engine with the settings somp relies on for ``url``."""
    url = normalise_url(url)
    if is_sqlite(url):
        engine = create_engine(
            url,
            echo=echo,
            pool_size=pool_size,
            max_overflow=8,
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is disabled so SQLAlchemy emits BEGIN itself;
            # this makes SAVEPOINTs and the WAL journal behave (SQLAlchemy docs, "Serializable
            # isolation / Savepoints / Transactional DDL" for pysqlite).
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    # Sessions read and write timestamps in UTC. No pre-ping: it would cost a round trip per request;
    # a connection broken by a server restart is detected on use and the pool is invalidated.
    return create_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=8,
        pool_recycle=3600,
        connect_args={"options": "-c timezone=UTC"},
    )


class Database:
    """The engine plus a session factory whose sessions always carry an access :class:`Scope`."""

    def __init__(
        self, url: str, *, echo: bool = False, engine: Engine | None = None, bind: Connection | None = None
    ) -> None:
        """``bind`` pins every session to one connection whose outer transaction the caller owns
        (sessions then commit to SAVEPOINTs): the test suite rolls each test back this way."""
        self.url = normalise_url(url)
        self.engine = engine or build_engine(self.url, echo=echo)
        if bind is not None:
            self._factory = sessionmaker(bind=bind, expire_on_commit=False, join_transaction_mode="create_savepoint")
        else:
            self._factory = sessionmaker(self.engine, expire_on_commit=False, autoflush=True)
        install_tenant_guard()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def new_session(self, scope: Scope, **kw: Any) -> Session:
        s = self._factory(**kw)
        s.info["scope"] = scope
        return s

    @contextmanager
    def session(self, scope: Scope) -> Iterator[Session]:
        """A session in ``scope``; the caller commits, anything uncommitted is rolled back."""
        s = self.new_session(scope)
        try:
            yield s
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


__all__ = [
    "Base",
    "Timestamped",
    "tenant_fk",
    "tenant_key",
    "Database",
    "ForeignKey",
    "IdType",
    "JSON",
    "Mapped",
    "Money",
    "Quantity",
    "String",
    "TenantOwned",
    "UTCDateTime",
    "build_engine",
    "mapped_column",
    "utcnow",
]


def tenant_key(table: str) -> Any:
    """``UNIQUE (tenant_id, id)``: the target of composite tenant foreign keys."""
    from sqlalchemy import UniqueConstraint

    return UniqueConstraint("tenant_id", "id", name=f"uq_{table}_tenant_id_id")


def tenant_fk(column: str, target: str, *, ondelete: str | None = None) -> Any:
    """``FOREIGN KEY (tenant_id, column) REFERENCES target (tenant_id, id)``.

    The database refuses a reference to another tenant's row, whatever the code does. The default
    action is NO ACTION (checked at the end of the statement), so deleting a tenant cascades
    through all its rows while deleting a still-referenced row alone is refused.
    """
    from sqlalchemy import ForeignKeyConstraint

    return ForeignKeyConstraint(["tenant_id", column], [f"{target}.tenant_id", f"{target}.id"], ondelete=ondelete)


class Timestamped:
    """``created_at`` / ``updated_at`` and an optimistic-lock ``version`` counter."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}
