"""Test data of the configurator module: the shipped compressor model (data/compressor_c2m.yaml),
stored through the service, and a C2M order confirmed on it."""

from __future__ import annotations

import re
from importlib.resources import files

from somp.core.database import Database
from somp.core.identity import Tenant
from somp.core.tenancy import Scope

MODEL_FILE = files("somp.modules.customization") / "data" / "compressor_c2m.yaml"


def model_text(code: str = "CF-C2M", offering: str = "OF-SALE-24", products: bool = True) -> str:
    """The compressor model file with another code / catalog offering; without the product links
    when the tenant has no CF-37A/CF-55V/CF-75A products."""
    text = MODEL_FILE.read_text(encoding="utf-8")
    text = text.replace("code: CF-C2M", f"code: {code}").replace("offering: OF-SALE-24", f"offering: {offering}")
    if not products:
        text = re.sub(r", product: [\w-]+", "", text)
    return text


def seed_c2m(db: Database, tenant: Tenant, *, offering_code: str, customer_id: int, code: str) -> dict[str, int]:
    """The model imported for ``tenant`` and one C2M order (m55 + remote) for ``customer_id``."""
    from somp.modules.customization import orders, service
    from somp.modules.customization.schemas import C2MOrderCreate, ModelImport

    with db.session(Scope.tenant(tenant.id)) as s:
        conf, _row, _w, _added = service.import_model(
            s, ModelImport(document=model_text(code, offering_code, products=False)), None
        )
        order = orders.confirm(
            s, C2MOrderCreate(configurable_id=conf.id, customer_id=customer_id, choices={"m55": True, "remote": True})
        )
        s.commit()
        return {"configurable": conf.id, "c2m_order": order.id, "model_version": 1}
