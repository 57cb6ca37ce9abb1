"""Settings refuse placeholder secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from madoguchi.settings import Settings

STRONG = "x" * 40


def test_given_development_when_no_secret_set_then_the_default_is_accepted() -> None:
    settings = Settings(environment="development", _env_file=None)  # type: ignore[call-arg]
    assert settings.is_development


@pytest.mark.parametrize("secret", ["changethis", "development-secret-key", "short", ""])
def test_given_production_when_secret_is_a_placeholder_then_start_up_is_refused(
    secret: str,
) -> None:
    with pytest.raises(ValidationError, match="secret_key"):
        Settings(
            environment="production",
            secret_key=SecretStr(secret),
            cookie_secure=True,
            _env_file=None,
        )  # type: ignore[call-arg]


def test_given_production_when_cookies_are_not_secure_then_start_up_is_refused() -> None:
    with pytest.raises(ValidationError, match="cookie_secure"):
        Settings(environment="production", secret_key=SecretStr(STRONG), _env_file=None)  # type: ignore[call-arg]


def test_given_environment_variables_when_settings_load_then_they_are_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MADOGUCHI_ENVIRONMENT", "test")
    monkeypatch.setenv("MADOGUCHI_SECRET_KEY", STRONG)
    monkeypatch.setenv("MADOGUCHI_LONG_WAIT_ALERT_S", "120")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "test"
    assert settings.long_wait_alert_s == 120.0


def test_given_an_env_file_when_settings_load_then_its_values_are_used(tmp_path: object) -> None:
    from pathlib import Path

    env = Path(str(tmp_path)) / "madoguchi.env"
    env.write_text(f"MADOGUCHI_ENVIRONMENT=test\nMADOGUCHI_SECRET_KEY={STRONG}\n")
    settings = Settings(_env_file=env)  # type: ignore[call-arg]
    assert settings.environment == "test"
