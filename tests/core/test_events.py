"""Transactional outbox: an event exists iff its change committed; each handler's effect is
committed exactly once; a failing handler is retried without repeating the others."""

import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from somp.core import migrate
from somp.core.database import Database
from somp.core.events import DomainEvent, EventBus, EventDelivery, OutboxEvent, record
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
from tests.conftest import PG_ADMIN_URL, _pg_admin_engine
from tests.factories import make_tenant


class SomethingHappened(DomainEvent):
    what: str


def test_event_is_recorded_only_if_the_transaction_commits(db):
    t = make_tenant(db)
    with db.session(Scope.tenant(t.id)) as s:
        record(s, SomethingHappened(tenant_id=t.id, what="kept"))
        s.commit()
    with db.session(Scope.tenant(t.id)) as s:
        record(s, SomethingHappened(tenant_id=t.id, what="lost"))
        s.rollback()
    with db.session(Scope.all_tenants()) as s:
        payloads = [
            p["what"] for p in s.scalars(select(OutboxEvent.payload).where(OutboxEvent.name == "SomethingHappened"))
        ]
    assert payloads == ["kept"]


def test_handlers_run_once_in_the_events_tenant_and_failures_are_retried(db):
    t = make_tenant(db, name="原名")
    bus = EventBus()
    calls = {"rename": 0, "flaky": 0}

    def rename(session, event):
        calls["rename"] += 1
        session.get(Tenant, event.tenant_id).name = f"改名-{event.what}"

    def flaky(session, event):
        calls["flaky"] += 1
        if calls["flaky"] == 1:
            raise RuntimeError("downstream unavailable")

    bus.subscribe(SomethingHappened, rename)
    bus.subscribe(SomethingHappened, flaky)
    bus.subscribe(SomethingHappened, rename)  # idempotent subscription
    with db.session(Scope.tenant(t.id)) as s:
        record(s, SomethingHappened(tenant_id=t.id, what="x"))
        s.commit()
    assert bus.dispatch_pending(db) == 0  # flaky failed: the event stays pending
    with db.session(Scope.all_tenants()) as s:
        row = s.scalar(select(OutboxEvent).where(OutboxEvent.name == "SomethingHappened"))
        assert row.dispatched_at is None and row.attempts == 1 and "downstream unavailable" in row.last_error
    assert bus.dispatch_pending(db) == 1
    assert calls == {"rename": 1, "flaky": 2}
    assert bus.dispatch_pending(db) == 0
    with db.session(Scope.all_tenants()) as s:
        assert s.get(Tenant, t.id).name == "改名-x"
        assert s.scalar(select(func.count()).select_from(EventDelivery)) == 2


def test_an_event_of_another_tenant_cannot_be_recorded(db):
    a, b = make_tenant(db), make_tenant(db)
    with db.session(Scope.tenant(a.id)) as s, pytest.raises(PermissionError):
        record(s, SomethingHappened(tenant_id=b.id, what="forged"))


@pytest.fixture
def committed_pg(request):
    """A fresh migrated PostgreSQL database whose sessions really commit (separate connections:
    row locks of one dispatcher are seen by another)."""
    request.getfixturevalue("_pg_database")  # skips or fails like every PostgreSQL test when it is away
    name = f"somp_events_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    db = Database(make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False))
    try:
        migrate.upgrade(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_a_dispatcher_skips_the_events_another_one_is_delivering(committed_pg):
    """While one dispatcher delivers an event, a second one (another worker process) does not
    deliver it too: each handler runs once (it ran twice, the second commit lost to the unique
    delivery key)."""
    db = committed_pg
    t = make_tenant(db)
    first, second = EventBus(), EventBus()
    calls = {"first": 0, "second": 0, "second_done": None}

    def counted_by_second(session, event):
        calls["second"] += 1

    def delivering(session, event):
        calls["first"] += 1
        calls["second_done"] = second.dispatch_pending(db)  # runs while this delivery is under way

    first.subscribe(SomethingHappened, delivering, "handler")
    second.subscribe(SomethingHappened, counted_by_second, "handler")
    with db.session(Scope.tenant(t.id)) as s:
        record(s, SomethingHappened(tenant_id=t.id, what="once"))
        s.commit()
    assert first.dispatch_pending(db) == 1
    assert calls == {"first": 1, "second": 0, "second_done": 0}
    assert second.dispatch_pending(db) == 0  # dispatched: nothing left for anyone
    with db.session(Scope.all_tenants()) as s:
        assert s.scalar(select(func.count()).select_from(EventDelivery)) == 1
        assert s.scalar(select(OutboxEvent.dispatched_at)) is not None


def test_many_events_are_marked_in_one_pass_and_a_failed_one_stays_pending(db):
    t = make_tenant(db)
    bus = EventBus()
    seen = []

    def handler(session, event):
        if event.what == "bad":
            raise ValueError("refused")
        seen.append(event.what)

    bus.subscribe(SomethingHappened, handler)
    with db.session(Scope.tenant(t.id)) as s:
        for what in ["a", "b", "bad", "c"]:
            record(s, SomethingHappened(tenant_id=t.id, what=what))
        s.commit()
    assert bus.dispatch_pending(db, limit=2) == 2
    assert bus.dispatch_pending(db) == 1
    assert seen == ["a", "b", "c"]
    with db.session(Scope.all_tenants()) as s:
        rows = s.scalars(select(OutboxEvent).where(OutboxEvent.name == "SomethingHappened").order_by(OutboxEvent.id))
        state = [(r.payload["what"], r.dispatched_at is not None, r.attempts) for r in rows]
    assert state == [("a", True, 0), ("b", True, 0), ("bad", False, 1), ("c", True, 0)]
