"""Fixtures of the demo tests.

Loading the demo hashes nine demo passwords with argon2 (about 0.3 s each on this machine); the
tests swap in a cheaper argon2 parameter set, module by module, so a load costs data, not key
stretching. The hashes stay real argon2 hashes: signing in with the demo passwords still works.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from argon2 import PasswordHasher

from somp.core import security
from somp.core.database import Database

AS_OF = dt.date(2026, 6, 30)  # a quarter's last day: each of the last eight quarters is complete


@pytest.fixture(scope="module", autouse=True)
def _cheap_password_hashing() -> Iterator[None]:
    mp = pytest.MonkeyPatch()
    mp.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    yield
    mp.undo()


@contextmanager
def isolated_db(engine) -> Iterator[Database]:  # noqa: ANN001
    """Like the ``db`` fixture: a Database pinned to one connection whose transaction is rolled back."""
    conn = engine.connect()
    outer = conn.begin()
    try:
        yield Database(engine.url.render_as_string(hide_password=False), engine=engine, bind=conn)
    finally:
        outer.rollback()
        conn.close()
