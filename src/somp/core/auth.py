"""Authentication: who is calling, and in which scope their session runs.

Users sign in with a password (argon2) for the web UI, or present an API token as a bearer
token. Verified tokens are cached in memory for ``token_cache_seconds`` so the API does not hit
the database for every request; revoking a token or deactivating a user clears the cache in this
process, other processes see it within the cache time.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select

from somp.core.database import Database, utcnow
from somp.core.errors import Forbidden, TooManyAttempts, Unauthorized
from somp.core.identity import ApiToken, Role, Tenant, User
from somp.core.permissions import allows
from somp.core.security import digest, hash_password, parse_token, secret_matches, verify_password
from somp.core.tenancy import Scope


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    tenant_id: int | None
    customer_id: int | None
    roles: frozenset[Role]
    language: str = "zh"

    @property
    def scope(self) -> Scope:
        if self.tenant_id is not None:
            customer = self.customer_id if Role.customer_user in self.roles else None
            return Scope.tenant(self.tenant_id, customer)
        if Role.evaluator in self.roles:
            return Scope.evaluation()
        if Role.platform_admin in self.roles:
            return Scope.all_tenants()
        raise Forbidden("this account has no role that gives access")

    def can(self, permission: str) -> bool:
        return allows(self.roles, permission)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"your roles ({', '.join(sorted(self.roles))}) do not allow {permission}")


def principal_of(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        tenant_id=user.tenant_id,
        customer_id=user.customer_id,
        roles=frozenset(Role(r) for r in user.roles),
        language=user.language,
    )


class LoginThrottle:
    """At most ``limit`` failed sign-ins per (user name, client address) in ``window`` seconds;
    past that, sign-in is refused until the window has moved on. Per process (each server worker
    counts its own attempts), in memory: it slows password guessing, it is not an audit log."""

    def __init__(self, limit: int = 10, window: float = 600.0) -> None:
        self.limit, self.window = limit, window
        self._failures: dict[tuple[str, str], list[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: tuple[str, str], now: float) -> list[float]:
        times = [t for t in self._failures.get(key, []) if now - t < self.window]
        if times:
            self._failures[key] = times
        else:
            self._failures.pop(key, None)
        return times

    def check(self, username: str, client: str) -> None:
        key, now = (username.strip().lower(), client), time.monotonic()
        with self._lock:
            times = self._recent(key, now)
        if len(times) >= self.limit:
            wait = int(self.window - (now - times[0])) + 1
            raise TooManyAttempts(
                f"too many failed sign-ins for this user from your address; try again in {wait} s",
                extra={"retry_after": wait},
            )

    def failed(self, username: str, client: str) -> None:
        key = (username.strip().lower(), client)
        with self._lock:
            if len(self._failures) > 100_000:  # bounded memory under a spray of user names
                self._failures.clear()
            self._failures.setdefault(key, []).append(time.monotonic())

    def succeeded(self, username: str, client: str) -> None:
        with self._lock:
            self._failures.pop((username.strip().lower(), client), None)


@cache
def _dummy_hash() -> str:
    return hash_password("somp-dummy-password-0")


class Authenticator:
    def __init__(self, db: Database, cache_seconds: float = 10.0) -> None:
        self.db = db
        self.cache_seconds = cache_seconds
        self._tokens: dict[str, tuple[float, Principal]] = {}
        self._users: dict[int, tuple[float, Principal]] = {}
        self._lock = threading.Lock()
        self.throttle = LoginThrottle()

    def _cached(self, cache: dict, key: object) -> Principal | None:
        hit = cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        return None

    def _remember(self, cache: dict, key: object, p: Principal) -> None:
        with self._lock:
            if len(cache) > 10000:
                cache.clear()
            cache[key] = (time.monotonic() + self.cache_seconds, p)

    def forget(self, user_id: int | None = None) -> None:
        with self._lock:
            if user_id is None:
                self._tokens.clear()
                self._users.clear()
            else:
                self._users.pop(user_id, None)
                for k in [k for k, (_, p) in self._tokens.items() if p.user_id == user_id]:
                    self._tokens.pop(k, None)

    def _load_user(self, s, user_id: int) -> User | None:
        user = s.get(User, user_id)
        if user is None or not user.active:
            return None
        if user.tenant_id is not None:
            tenant = s.get(Tenant, user.tenant_id)
            if tenant is None or not tenant.active:
                return None
        return user

    def from_token(self, token: str) -> Principal:
        key = digest(token)
        hit = self._cached(self._tokens, key)
        if hit:
            return hit
        parsed = parse_token(token)
        if parsed is None or parsed[0] != "api":
            raise Unauthorized("not a somp API token")
        _, prefix, secret = parsed
        with self.db.session(Scope.all_tenants()) as s:
            row = s.scalar(select(ApiToken).where(ApiToken.prefix == prefix))
            if row is None or not secret_matches(secret, row.secret_hash):
                raise Unauthorized("unknown API token")
            if row.revoked_at is not None:
                raise Unauthorized("this API token was revoked")
            if row.expires_at is not None and row.expires_at <= utcnow():
                raise Unauthorized("this API token has expired")
            user = self._load_user(s, row.user_id)
            if user is None:
                raise Unauthorized("the token's user is inactive")
            p = principal_of(user)
        self._remember(self._tokens, key, p)
        return p

    def from_user_id(self, user_id: int) -> Principal | None:
        hit = self._cached(self._users, user_id)
        if hit:
            return hit
        with self.db.session(Scope.all_tenants()) as s:
            user = self._load_user(s, user_id)
            if user is None:
                return None
            p = principal_of(user)
        self._remember(self._users, user_id, p)
        return p

    def login(self, username: str, password: str, client: str = "") -> Principal:
        """Check a password; the same error for an unknown user and a wrong password, and
        :class:`TooManyAttempts` after repeated failures from ``client`` (its address)."""
        self.throttle.check(username, client)
        with self.db.session(Scope.all_tenants()) as s:
            user = s.scalar(select(User).where(User.username == username.strip()))
            # verify against a dummy hash for unknown users, so timing does not reveal user names
            ok = verify_password(user.password_hash if user else _dummy_hash(), password) and user is not None
            if not ok or user is None or self._load_user(s, user.id) is None:
                self.throttle.failed(username, client)
                raise Unauthorized("wrong user name or password")
            self.throttle.succeeded(username, client)
            user.last_login_at = utcnow()
            s.commit()
            return principal_of(user)
