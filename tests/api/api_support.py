"""Shared values of the API tests (imported by conftest and the test modules)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

PASSWORD = "test-password-1234"
#: A Tuesday morning in Tokyo, when the sample center is open.
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC).timestamp()

SignIn = Callable[[str], Awaitable[httpx.AsyncClient]]
