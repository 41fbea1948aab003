"""Demo data of the configurator (framework node 3.2): the compressor model (data/compressor_c2m.yaml)
for the demo's main enterprise, on its catalog offering OF-SALE-24 with the CF-37A/55V/75A products.
Loaded through the service (so its validation runs) by ``somp demo`` (manifest ``demo``); no order
is placed, the demo user confirms one on the configurator page."""

from __future__ import annotations

import datetime as dt
from importlib.resources import files
from typing import Any

from sqlalchemy import select

from somp.core.database import Database
from somp.core.tenancy import Scope
from somp.modules.catalog.models import Offering

MODEL_FILE = files("somp.modules.customization") / "data" / "compressor_c2m.yaml"


def load(db: Database, loaded: Any) -> None:
    from somp.modules.customization import service
    from somp.modules.customization.schemas import ModelImport

    tenant_id = loaded.tenant_ids.get("main")
    if tenant_id is None:
        return
    with db.session(Scope.tenant(tenant_id)) as s:
        if s.scalar(select(Offering.id).where(Offering.code == "OF-SALE-24")) is None:
            return  # a scenario without the sale offering: nothing to configure
        conf, version, _, _ = service.import_model(
            s, ModelImport(document=MODEL_FILE.read_text(encoding="utf-8"), note="demo"), None
        )
        # deterministic like every demo row: set up when the platform went live, 09:00 Beijing time
        at = dt.datetime.combine(loaded.scenario.go_live, dt.time(1, 0), dt.UTC)
        conf.created_at = conf.updated_at = version.created_at = at
        s.commit()
