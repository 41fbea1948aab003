"""Secrets: argon2 password hashes and high-entropy bearer tokens.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
API and device tokens are 256-bit random secrets; they are stored as a SHA-256 digest, which is
the right tool for a high-entropy secret (a slow hash protects guessable passwords, not random
keys) and keeps per-request verification cheap. A token reads ``somp_<kind>_<prefix>_<secret>``;
the prefix is public and indexed, the secret is compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str) -> list[str]:
    """Reasons a new password is refused (empty list when acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    if password.isdigit() or password.isalpha():
        problems.append("mix letters with digits or symbols")
    return problems


@dataclass(frozen=True, slots=True)
class IssuedToken:
    kind: str
    prefix: str
    secret_hash: str
    plaintext: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_token(kind: str) -> IssuedToken:
    """Create a new token of ``kind`` ("api" or "dev"); the plaintext is shown once."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(kind, prefix, digest(secret), f"somp_{kind}_{prefix}_{secret}")


def parse_token(token: str) -> tuple[str, str, str] | None:
    """Split a token into (kind, prefix, secret); None when it is not a somp token."""
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != "somp" or parts[1] not in ("api", "dev"):
        return None
    if len(parts[2]) != 12 or not parts[3]:
        return None
    return parts[1], parts[2], parts[3]


def secret_matches(secret: str, secret_hash: str) -> bool:
    return hmac.compare_digest(digest(secret), secret_hash)
