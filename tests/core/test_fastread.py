"""The raw read path selects exactly the rows the ORM path selects, in every scope, and
serialises them exactly as the read schema does."""

import json

import pytest

from somp.core.pagination import Page
from somp.core.tenancy import Scope, row_filter
from somp.modules.assets.models import Asset
from somp.modules.assets.schemas import AssetRead
from somp.modules.assets.service import list_assets, list_assets_json
from somp.modules.catalog.models import ProductBomItem
from tests.factories import make_asset, make_customer, make_product, make_tenant

FILTERS = [
    {},
    {"state": "in_service"},
    {"q": "50%_x"},
    {"q": "sn-"},
    {"region_code": "3205"},
    {"region_code": "32_5"},
]


@pytest.fixture
def fleet(db):
    a, b = make_tenant(db), make_tenant(db)
    out = {}
    for t in (a, b):
        p = make_product(db, t)
        c1, c2 = make_customer(db, t), make_customer(db, t)
        for i in range(7):
            make_asset(
                db,
                t,
                p.id,
                (c1 if i % 2 else c2).id,
                state="in_service" if i % 3 else "delivered",
                site_name=f"站点 50%_x {i}" if i == 4 else f"站点{i}",
                site_region_code="320505" if i < 5 else "440300",
            )
        out[t.id] = (t, c1)
    return out


def scopes(fleet):
    (ta, ca), (tb, _cb) = fleet.values()
    return [
        Scope.tenant(ta.id),
        Scope.tenant(tb.id),
        Scope.tenant(ta.id, ca.id),
        Scope.evaluation(),
        Scope.all_tenants(),
    ]


def test_raw_and_orm_paths_agree_in_every_scope_and_filter(db, fleet):
    for scope in scopes(fleet):
        for f in FILTERS:
            for order in ("asc", "desc"):
                with db.session(scope) as s:
                    cursor, fast_all, orm_all = None, [], []
                    while True:  # walk all pages of 3
                        fast = json.loads(list_assets_json(s, limit=3, cursor=cursor, order=order, **f))
                        items, nxt = list_assets(s, limit=3, cursor=cursor, order=order, **f)
                        orm = json.loads(Page[AssetRead](items=items, next_cursor=nxt, limit=3).model_dump_json())
                        assert fast == orm, (scope, f, order)
                        fast_all += fast["items"]
                        orm_all += orm["items"]
                        cursor = fast["next_cursor"]
                        if not cursor:
                            break
                assert fast_all == orm_all


def test_special_characters_in_searches_are_literal(db, fleet):
    (ta, _), _ = fleet.values()
    with db.session(Scope.tenant(ta.id)) as s:
        got = json.loads(list_assets_json(s, limit=50, cursor=None, order="asc", q="50%_x"))["items"]
        assert [a["site_name"] for a in got] == ["站点 50%_x 4"]
        assert json.loads(list_assets_json(s, limit=50, cursor=None, order="asc", region_code="32_5"))["items"] == []


def test_row_filter_rules():
    assert row_filter(Scope.tenant(3), Asset) == {"tenant_id": 3}
    assert row_filter(Scope.tenant(3, 9), Asset) == {"tenant_id": 3, "customer_id": 9}
    assert row_filter(Scope.tenant(3, 9), ProductBomItem) == {"tenant_id": 3}
    assert row_filter(Scope.evaluation(), Asset) is None
    assert row_filter(Scope.all_tenants(), Asset) == {}


def test_autocommit_read_on_an_engine_bound_session(engine):
    """Outside the test transaction: the PostgreSQL read path switches the connection to
    autocommit (one round trip); the page must still be the same."""
    from sqlalchemy import delete

    from somp.core.database import Database
    from somp.core.identity import Tenant

    db = Database(engine.url.render_as_string(hide_password=False), engine=engine)
    t = make_tenant(db)
    try:
        p = make_product(db, t)
        for _ in range(3):
            make_asset(db, t, p.id)
        with db.session(Scope.tenant(t.id)) as s:
            fast = json.loads(list_assets_json(s, limit=2, cursor=None, order="desc"))
        with db.session(Scope.tenant(t.id)) as s:
            items, nxt = list_assets(s, limit=2, cursor=None, order="desc")
            orm = json.loads(Page[AssetRead](items=items, next_cursor=nxt, limit=2).model_dump_json())
        assert fast == orm and len(fast["items"]) == 2
    finally:
        with db.session(Scope.all_tenants()) as s:
            s.execute(delete(Tenant).where(Tenant.id == t.id))
            s.commit()
