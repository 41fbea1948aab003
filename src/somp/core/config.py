"""Settings from the environment (``SOMP_*``) with embedded defaults.

With nothing set, somp runs on a SQLite file under ``./somp-data/``; set ``SOMP_DATABASE_URL``
to a ``postgresql://`` URL for production.
"""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOMP_", env_file=None, extra="ignore")

    data_dir: Path = Path("somp-data")
    database_url: str | None = None
    secret_key: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    default_language: str = "zh"
    token_cache_seconds: float = 10.0
    session_max_age_seconds: int = 12 * 3600
    dispatch_interval_seconds: float = 1.0
    periodic_interval_seconds: float = 60.0  # module jobs such as alarm-rule ticks (no data for N minutes)
    request_threads: int = 8

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'somp.db'}"

    @cached_property
    def effective_secret_key(self) -> str:
        """The cookie-signing key: ``SOMP_SECRET_KEY`` or a random key kept in the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key
