"""Transactional outbox: an event exists iff its change committed; each handler's effect is
committed exactly once; a failing handler is retried without repeating the others."""

from sqlalchemy import func, select

from somp.core.events import DomainEvent, EventBus, EventDelivery, OutboxEvent, record
from somp.core.identity import Tenant
from somp.core.tenancy import Scope
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
    import pytest

    a, b = make_tenant(db), make_tenant(db)
    with db.session(Scope.tenant(a.id)) as s, pytest.raises(PermissionError):
        record(s, SomethingHappened(tenant_id=b.id, what="forged"))
