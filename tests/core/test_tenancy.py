"""The session guard: fail closed without a scope, stamp and refuse writes across tenants."""

import pytest
from sqlalchemy import select, update

from somp.core.tenancy import Scope, TenantViolation
from somp.modules.customers.models import Customer
from tests.factories import make_customer, make_tenant


def test_a_session_without_scope_cannot_query(db):
    s = db.new_session(Scope.all_tenants())
    s.info.pop("scope")
    with pytest.raises(TenantViolation):
        s.execute(select(Customer))
    s.close()


def test_scope_is_exactly_one_kind():
    with pytest.raises(ValueError):
        Scope(tenant_id=1, evaluator=True)
    with pytest.raises(ValueError):
        Scope(customer_id=3)


def test_new_rows_are_stamped_and_foreign_rows_refused(db):
    a, b = make_tenant(db), make_tenant(db)
    with db.session(Scope.tenant(a.id)) as s:
        c = Customer(code="X", name="x")
        s.add(c)
        s.flush()
        assert c.tenant_id == a.id
        s.add(Customer(code="Y", name="y", tenant_id=b.id))
        with pytest.raises(TenantViolation):
            s.flush()


def test_bulk_update_is_filtered_to_the_tenant(db):
    a, b = make_tenant(db), make_tenant(db)
    make_customer(db, a, name="A客户")
    cb = make_customer(db, b, name="B客户")
    with db.session(Scope.tenant(a.id)) as s:
        s.execute(update(Customer).values(notes="touched"))
        s.commit()
    with db.session(Scope.tenant(b.id)) as s:
        assert s.get(Customer, cb.id).notes is None


def test_evaluator_scope_is_read_only(db):
    a = make_tenant(db)
    with db.session(Scope.evaluation()) as s:
        s.add(Customer(code="Z", name="z", tenant_id=a.id))
        with pytest.raises(TenantViolation):
            s.flush()


def test_deleting_a_tenant_removes_all_its_rows_and_nothing_else(db):
    import datetime as dt

    from sqlalchemy import delete, func

    from somp.core.database import Base
    from somp.core.identity import Tenant
    from tests.factories import (
        make_asset,
        make_contract,
        make_invoice,
        make_offering,
        make_product,
        make_work_order,
    )

    tenants = [make_tenant(db), make_tenant(db)]
    for t in tenants:
        p = make_product(db, t)
        o = make_offering(db, t, p.id)
        c = make_customer(db, t)
        a = make_asset(db, t, p.id, c.id, state="in_service")
        make_contract(db, t, c.id, o.id, [a.id], start_date=dt.date(2025, 1, 1))
        make_work_order(db, t, a.id)
        make_invoice(db, t, c.id)
    gone, kept = tenants

    def rows(tenant_id):
        with db.session(Scope.all_tenants()) as s:
            return {
                t.name: s.scalar(select(func.count()).select_from(t).where(t.c.tenant_id == tenant_id))
                for t in Base.metadata.sorted_tables
                if "tenant_id" in t.c
            }

    before_kept = rows(kept.id)
    assert sum(rows(gone.id).values()) > 10
    with db.session(Scope.all_tenants()) as s:
        s.execute(delete(Tenant).where(Tenant.id == gone.id))
        s.commit()
    assert sum(rows(gone.id).values()) == 0
    assert rows(kept.id) == before_kept
