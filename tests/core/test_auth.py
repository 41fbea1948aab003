"""Authentication: argon2 passwords, API tokens (hashed, revocable, expiring), problem responses."""

import datetime as dt

from sqlalchemy import select

from somp.core.identity import ApiToken, Role, User
from somp.core.security import hash_password, verify_password
from somp.core.tenancy import Scope
from tests.factories import PASSWORD, make_tenant, make_user

API = "/api/v1"


def test_passwords_are_argon2id_hashes():
    from argon2 import PasswordHasher

    h = PasswordHasher().hash("s3cret-password")  # production parameters (RFC 9106 low-memory)
    assert h.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert verify_password(h, "s3cret-password") and not verify_password(h, "wrong")
    h = hash_password("s3cret-password")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "s3cret-password") and not verify_password(h, "wrong")
    assert not verify_password("not-a-hash", "x")


def test_login_issues_a_token_stored_only_as_a_digest(db, client):
    t = make_tenant(db)
    u = make_user(db, t, Role.engineer)
    r = client.post(f"{API}/auth/token", json={"username": u.username, "password": PASSWORD, "name": "cli"})
    assert r.status_code == 201
    token = r.json()["token"]
    with db.session(Scope.all_tenants()) as s:
        row = s.scalar(select(ApiToken).where(ApiToken.user_id == u.id))
        assert token not in row.secret_hash and len(row.secret_hash) == 64
        assert s.get(User, u.id).last_login_at is not None
    me = client.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["roles"] == ["engineer"] and me.json()["tenant_id"] == t.id


def test_wrong_password_and_unknown_user_get_the_same_answer(db, client):
    t = make_tenant(db)
    u = make_user(db, t)
    r1 = client.post(f"{API}/auth/token", json={"username": u.username, "password": "wrong-password-1"})
    r2 = client.post(f"{API}/auth/token", json={"username": "nobody", "password": "wrong-password-1"})
    assert r1.status_code == r2.status_code == 401
    assert r1.json()["detail"] == r2.json()["detail"]
    assert r1.headers["www-authenticate"] == "Bearer"


def test_missing_bad_revoked_and_expired_tokens_are_refused(db, client, client_as):
    t = make_tenant(db)
    u = make_user(db, t)
    assert client.get(f"{API}/assets").status_code == 401
    assert client.get(f"{API}/assets", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    api = client_as(u)
    issued = api.post(f"{API}/tokens", json={"name": "short", "expires_in_days": 1}).json()
    hdr = {"Authorization": f"Bearer {issued['token']}"}
    assert client.get(f"{API}/assets", headers=hdr).status_code == 200
    with db.session(Scope.all_tenants()) as s:
        s.get(ApiToken, issued["id"]).expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        s.commit()
    r = client.get(f"{API}/assets", headers=hdr)
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    other = api.post(f"{API}/tokens", json={"name": "other"}).json()
    assert api.delete(f"{API}/tokens/{other['id']}").json()["revoked_at"]
    r = client.get(f"{API}/assets", headers={"Authorization": f"Bearer {other['token']}"})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_deactivated_user_loses_access(db, client_as):
    t = make_tenant(db)
    admin = make_user(db, t, Role.tenant_admin)
    u = make_user(db, t, Role.engineer)
    api_u = client_as(u)
    assert api_u.get(f"{API}/assets").status_code == 200
    assert client_as(admin).patch(f"{API}/users/{u.id}", json={"active": False}).status_code == 200
    assert api_u.get(f"{API}/assets").status_code == 401


def test_user_rules(db, client_as):
    t = make_tenant(db)
    api = client_as(make_user(db, t, Role.tenant_admin))
    r = api.post(
        f"{API}/users", json={"username": "weak", "display_name": "w", "password": "short", "roles": ["engineer"]}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "password"
    r = api.post(
        f"{API}/users",
        json={"username": "cust1", "display_name": "c", "password": PASSWORD, "roles": ["customer_user"]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "customer_id"
    r = api.post(
        f"{API}/users", json={"username": "eval1", "display_name": "e", "password": PASSWORD, "roles": ["evaluator"]}
    )
    assert r.status_code == 422
    r = api.post(
        f"{API}/users",
        json={"username": "eng2", "display_name": "e", "password": PASSWORD, "roles": ["engineer", "service_manager"]},
    )
    assert r.status_code == 201 and r.json()["tenant_id"] == t.id
    assert [x["username"] for x in api.get(f"{API}/users", params={"role": "engineer"}).json()["items"]] == ["eng2"]


def test_repeated_failed_sign_ins_are_throttled(db, client, app):
    t = make_tenant(db)
    u = make_user(db, t)
    app.state.auth.throttle.limit = 3
    bad = {"username": u.username, "password": "wrong-password-1"}
    for _ in range(3):
        assert client.post(f"{API}/auth/token", json=bad).status_code == 401
    r = client.post(f"{API}/auth/token", json={"username": u.username, "password": PASSWORD})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert r.json()["code"] == "too_many_attempts"
    # another user name is not affected
    other = make_user(db, t)
    assert client.post(f"{API}/auth/token", json={"username": other.username, "password": PASSWORD}).status_code == 201
