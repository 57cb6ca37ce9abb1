"""Typed server settings, read from the environment (``MADOGUCHI_*``) and an env file.

Values come, highest priority first, from keyword arguments, ``MADOGUCHI_*`` environment
variables, the file named by ``MADOGUCHI_ENV_FILE`` (default ``.env``) and the defaults below.
Outside ``environment="development"`` a placeholder or short secret key is refused at start-up:
a server that signs session cookies with a known key would let anyone forge a sign-in.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Secret values that ship in examples and must never protect a real center.
PLACEHOLDER_SECRETS: frozenset[str] = frozenset(
    {"", "changethis", "change-me", "changeme", "secret", "development-secret-key"}
)

#: The development default; refused in every other environment.
DEVELOPMENT_SECRET = "development-secret-key"  # noqa: S105 - refused outside development

MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Everything the web server needs to know that is not the center's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="MADOGUCHI_",
        env_file=os.environ.get("MADOGUCHI_ENV_FILE", ".env"),
        env_file_encoding="utf-8",
        extra="ignore",
    )

    environment: Literal["development", "test", "production"] = "development"
    secret_key: SecretStr = SecretStr(DEVELOPMENT_SECRET)
    """Signs session cookies and CSRF tokens."""
    database_url: str = "sqlite+pysqlite:///madoguchi.db"
    """SQLAlchemy URL of the CRM tables (customers, users, audit, notes)."""
    center_file: Path | None = None
    """The center's YAML; None means the sample center (``madoguchi serve`` passes its own
    ``--config`` through ``create_app(extras={"center_file": ...})``, which takes precedence)."""
    data_dir: Path = Path("data")
    """Where the server keeps its data; recordings are ``DATA_DIR/recordings/{contact}.wav``
    (``create_app(extras={"recordings_dir": ...})`` takes precedence)."""
    webhook_timeout_s: float = Field(default=10.0, gt=0, le=120)
    """How long a webhook receiver may take to answer one delivery."""
    webhook_max_attempts: int = Field(default=6, ge=1, le=20)
    """Attempts per delivery before it is marked failed."""
    webhook_retry_base_s: float = Field(default=5.0, gt=0)
    """First retry delay; each further retry waits twice as long (5 s, 10 s, 20 s…)."""
    session_cookie: str = "madoguchi_session"
    session_max_age_s: int = Field(default=10 * 3600, ge=60)
    """A sign-in lasts one working day plus overtime."""
    cookie_secure: bool = False
    """Mark cookies Secure (true behind HTTPS; must be true in production)."""
    sign_in_max_failures: int = Field(default=5, ge=1)
    """Failed sign-ins allowed per user name (and per client address) within the window."""
    sign_in_failure_window_s: float = Field(default=300.0, gt=0)
    max_upload_bytes: int = Field(default=5 * 1024 * 1024, ge=1024)
    """Largest accepted upload (CSV import); larger bodies get 413."""
    stream_backlog: int = Field(default=1000, ge=10)
    """Events buffered per WebSocket client before it is dropped and must re-snapshot."""
    stream_resume_limit: int = Field(default=5000, ge=0)
    """A client resuming further behind than this gets a fresh snapshot instead of a replay."""
    long_wait_alert_s: float = Field(default=360.0, gt=0)
    """Alert supervisors when a caller waits longer (6 minutes: what Japanese callers tolerate)."""
    log_json: bool = True
    """Structured (one JSON object a line) logs; false for plain text while developing."""
    log_level: str = "INFO"
    demo_password: SecretStr = SecretStr("madoguchi-demo")
    """Password of the sample center's seeded users (development and demo only)."""

    @model_validator(mode="after")
    def _refuse_placeholder_secrets(self) -> Settings:
        if self.environment == "development":
            return self
        secret = self.secret_key.get_secret_value()
        if secret.strip().lower() in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"secret_key: set MADOGUCHI_SECRET_KEY to a random value of at least "
                f"{MIN_SECRET_LENGTH} characters outside development (environment="
                f"{self.environment})"
            )
        if self.environment == "production" and not self.cookie_secure:
            raise ValueError("cookie_secure: must be true in production (serve over HTTPS)")
        return self

    @property
    def is_development(self) -> bool:
        """Whether development conveniences (demo users, plain logs) are allowed."""
        return self.environment == "development"
