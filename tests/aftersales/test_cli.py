"""``somp aftersales escalate`` and ``somp aftersales report`` on a migrated SQLite file."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from somp.cli import app


def test_escalate_and_report_commands(tmp_path, monkeypatch):
    from argon2 import PasswordHasher

    from somp.core import migrate, security
    from somp.core.database import Database, utcnow
    from somp.core.tenancy import Scope
    from somp.modules.aftersales import service
    from somp.modules.aftersales.models import Escalation
    from somp.modules.aftersales.schemas import TicketCreate
    from tests.aftersales.factories import make_shop

    monkeypatch.setattr(security, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    db = Database(url)
    migrate.upgrade(db.engine)
    shop = make_shop(db, "CLI")
    opened = utcnow() - dt.timedelta(hours=3)
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        service.raise_ticket(
            s,
            TicketCreate(asset_id=shop.asset.id, title="停机", category="breakdown", priority="critical"),
            user_id=None,
            now=opened,
        )
        s.commit()
    run = CliRunner()
    r = run.invoke(app, ["aftersales", "escalate", "--database-url", url], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "open tickets" in r.output
    with db.session(Scope.tenant(shop.tenant.id)) as s:
        from sqlalchemy import select

        # 3 h of a 2 h response (levels 1-3) and of an 8 h resolution (37.5 %: none yet)
        assert sorted((e.clock.value, e.level) for e in s.scalars(select(Escalation))) == [
            ("response", 1),
            ("response", 2),
            ("response", 3),
        ]
    period = opened.strftime("%Y-%m")
    r = run.invoke(
        app,
        ["aftersales", "report", "--tenant", str(shop.tenant.id), "--period", period, "--json", "--database-url", url],
    )
    assert r.exit_code == 0, r.output
    rep = json.loads(r.output)
    assert rep["total"]["opened"] == 1 and rep["total"]["response"]["breached"] == 1
    assert rep["escalations_by_level"] == {"1": 1, "2": 1, "3": 1}
    r = run.invoke(
        app,
        ["aftersales", "report", "--tenant", str(shop.tenant.id), "--period", period, "--database-url", url],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0 and "breakdown" in r.output
    r = run.invoke(app, ["aftersales", "report", "--tenant", "99999", "--period", period, "--database-url", url])
    assert r.exit_code == 1
    r = run.invoke(
        app, ["aftersales", "report", "--tenant", str(shop.tenant.id), "--period", "2026-13", "--database-url", url]
    )
    assert r.exit_code == 2
    db.dispose()
