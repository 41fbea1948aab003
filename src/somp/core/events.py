"""Domain events with a transactional outbox.

A service records an event in the same transaction as the change it describes
(:func:`record`), so an event exists if and only if the change was committed. The
:class:`EventBus` later delivers each outbox row to every subscribed handler. Each delivery runs
in its own transaction together with a row in ``event_deliveries`` (unique per event and
handler), so a handler's effects are committed exactly once even if dispatch is retried after a
crash; a failing handler is retried on the next dispatch with its error kept on the outbox row.

Business modules talk through these events instead of importing each other.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from somp.core.database import JSON, Base, Database, utcnow
from somp.core.tenancy import Scope, current_scope

log = logging.getLogger(__name__)


class DomainEvent(BaseModel):
    """Base of every event. Subclasses are named in the past tense (``AssetStateChanged``)."""

    model_config = ConfigDict(frozen=True)
    registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    tenant_id: int
    occurred_at: dt.datetime = Field(default_factory=utcnow)

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        DomainEvent.registry[cls.__name__] = cls

    @classmethod
    def event_name(cls) -> str:
        return cls.__name__


class OutboxEvent(Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "dispatched_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(80), index=True)
    tenant_id: Mapped[int | None] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[dt.datetime]
    dispatched_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class EventDelivery(Base):
    __tablename__ = "event_deliveries"
    __table_args__ = (UniqueConstraint("event_id", "handler"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), ForeignKey("outbox_events.event_id", ondelete="CASCADE"))
    handler: Mapped[str] = mapped_column(String(160))
    delivered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


def record(session: Session, event: DomainEvent) -> None:
    """Add ``event`` to the outbox in the session's current transaction."""
    scope = current_scope(session)
    if scope.tenant_id is not None and event.tenant_id != scope.tenant_id:
        raise PermissionError("an event must belong to the session's tenant")
    session.add(
        OutboxEvent(
            event_id=str(uuid.uuid4()),
            name=event.event_name(),
            tenant_id=event.tenant_id,
            payload=event.model_dump(mode="json"),
            occurred_at=event.occurred_at,
        )
    )
    session.info["events_recorded"] = session.info.get("events_recorded", 0) + 1


Handler = Callable[[Session, DomainEvent], None]


class EventBus:
    """In-process delivery of outbox events to subscribed handlers."""

    def __init__(self) -> None:
        self._handlers: dict[str, list[tuple[str, Handler]]] = defaultdict(list)
        self._wakeup = threading.Event()

    def subscribe(self, event_type: type[DomainEvent], handler: Handler, name: str | None = None) -> None:
        hname = name or f"{handler.__module__}.{handler.__qualname__}"
        entries = self._handlers[event_type.event_name()]
        if any(n == hname for n, _ in entries):
            return
        entries.append((hname, handler))

    def handlers_for(self, event_name: str) -> list[tuple[str, Handler]]:
        return list(self._handlers.get(event_name, []))

    def notify(self) -> None:
        self._wakeup.set()

    def wait(self, timeout: float) -> bool:
        woke = self._wakeup.wait(timeout)
        self._wakeup.clear()
        return woke

    def dispatch_pending(self, db: Database, *, limit: int = 200, max_attempts: int = 10) -> int:
        """Deliver up to ``limit`` pending events; returns how many were completed.

        On PostgreSQL the events are claimed first (``FOR NO KEY UPDATE SKIP LOCKED``, held by one
        transaction while they are delivered and then marked): the dispatchers of several
        processes (``somp serve --workers N``) take different events instead of delivering the
        same ones side by side, where every handler ran twice and the later commit was lost to
        ``event_deliveries``' unique key. (``NO KEY``: a delivery row's foreign key takes a key
        share lock on its event, which a plain ``FOR UPDATE`` would block.) A crash releases the
        claim; the deliveries already committed are not repeated. SQLite has one writer at a time
        and no row locks: there the events are read, delivered, then marked in one transaction."""
        pending = (
            select(OutboxEvent)
            .where(OutboxEvent.dispatched_at.is_(None), OutboxEvent.attempts < max_attempts)
            .order_by(OutboxEvent.id)
            .limit(limit)
        )
        with db.session(Scope.all_tenants()) as s:
            if s.get_bind().dialect.name == "postgresql":
                rows = s.scalars(pending.with_for_update(skip_locked=True, key_share=True)).all()
                done = self._settle(self._deliver_all(db, rows))
                s.commit()
                return done
            rows = s.scalars(pending).all()
            s.expunge_all()
        if not rows:
            return 0
        outcomes = self._deliver_all(db, rows)
        with db.session(Scope.all_tenants()) as s:
            ids = [row.id for row, _ in outcomes]
            live = {r.id: r for r in s.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)))}
            done = self._settle([(live[row.id], errors) for row, errors in outcomes if row.id in live])
            s.commit()
        return done

    def _deliver_all(self, db: Database, rows: Sequence[OutboxEvent]) -> list[tuple[OutboxEvent, list[str]]]:
        """Deliver each event; the deliveries already made are read in one query for all."""
        if not rows:
            return []
        delivered: set[tuple[str, str]] = set()
        with db.session(Scope.all_tenants()) as s:
            for chunk in (rows[i : i + 500] for i in range(0, len(rows), 500)):
                query = select(EventDelivery.event_id, EventDelivery.handler).where(
                    EventDelivery.event_id.in_([r.event_id for r in chunk])
                )
                delivered.update((e, h) for e, h in s.execute(query))
        return [(row, self._deliver(db, row, delivered)) for row in rows]

    @staticmethod
    def _settle(outcomes: list[tuple[OutboxEvent, list[str]]]) -> int:
        """Mark delivered events dispatched; count a failed attempt on the others."""
        done, now = 0, utcnow()
        for row, errors in outcomes:
            if errors:
                row.attempts += 1
                row.last_error = "\n".join(errors)[:4000]
            else:
                row.dispatched_at = now
                row.last_error = None
                done += 1
        return done

    def _deliver(self, db: Database, row: OutboxEvent, delivered: set[tuple[str, str]]) -> list[str]:
        cls = DomainEvent.registry.get(row.name)
        handlers = [(n, h) for n, h in self.handlers_for(row.name) if (row.event_id, n) not in delivered]
        if cls is None or not handlers:
            return []
        event = cls.model_validate(row.payload)
        scope = Scope.tenant(row.tenant_id) if row.tenant_id is not None else Scope.all_tenants()
        errors = []
        for hname, handler in handlers:
            with db.session(scope) as s:
                try:
                    handler(s, event)
                    s.add(EventDelivery(event_id=row.event_id, handler=hname))
                    s.commit()
                except IntegrityError as exc:
                    s.rollback()
                    if "event_deliveries" in str(exc):
                        continue  # delivered concurrently by another dispatcher (SQLite, or a crash)
                    log.exception("event handler %s failed on %s", hname, row.event_id)
                    errors.append(f"{hname}: {exc}")
                except Exception as exc:  # a handler's failure must not stop the others
                    s.rollback()
                    log.exception("event handler %s failed on %s", hname, row.event_id)
                    errors.append(f"{hname}: {type(exc).__name__}: {exc}")
        return errors
