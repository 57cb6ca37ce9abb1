"""Fixtures for the API tests: the sample center on a real in-memory runtime, the web app, and
HTTP clients signed in as the sample center's users."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from api_support import PASSWORD, START, SignIn
from argon2 import PasswordHasher
from fastapi import FastAPI
from pydantic import SecretStr

from madoguchi.api.app import create_app
from madoguchi.api.seed import seed_sample_customers, seed_sample_users
from madoguchi.bus import InProcessBus
from madoguchi.core.config import CenterConfig
from madoguchi.runtime import CenterRuntime, ManualClock
from madoguchi.samples import load_sample_center
from madoguchi.settings import Settings
from madoguchi.store import InMemoryEventStore

#: Cheap argon2 parameters for test users (verification reads them from the hash).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(scope="session")
def center() -> CenterConfig:
    return load_sample_center()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        secret_key=SecretStr("t" * 48),
        database_url="sqlite+pysqlite:///:memory:",
        data_dir=tmp_path / "data",  # recordings and admin-written center versions
        log_json=False,
        _env_file=None,  # type: ignore[call-arg]
    )


@pytest.fixture
async def runtime(center: CenterConfig) -> AsyncIterator[CenterRuntime]:
    runtime = CenterRuntime(
        center, store=InMemoryEventStore(), bus=InProcessBus(), clock=ManualClock(START)
    )
    await runtime.start()
    yield runtime
    await runtime.stop(drain_timeout=0.0)


@pytest.fixture
def app(settings: Settings, runtime: CenterRuntime, center: CenterConfig) -> FastAPI:
    app = create_app(settings, runtime, create_tables=True)
    with app.state.ctx.sessions() as db:
        seed_sample_users(db, center, PASSWORD, START, FAST_HASHER)
        seed_sample_customers(db, "midori", START)
    return app


@pytest.fixture
async def clients(app: FastAPI) -> AsyncIterator[list[httpx.AsyncClient]]:
    opened: list[httpx.AsyncClient] = []
    yield opened
    for client in opened:
        await client.aclose()


def anonymous(app: FastAPI, opened: list[httpx.AsyncClient]) -> httpx.AsyncClient:
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("10.0.0.1", 5000)),
        base_url="http://testserver",
    )
    opened.append(client)
    return client


@pytest.fixture
def anon(app: FastAPI, clients: list[httpx.AsyncClient]) -> httpx.AsyncClient:
    return anonymous(app, clients)


@pytest.fixture
def sign_in(app: FastAPI, clients: list[httpx.AsyncClient]) -> SignIn:
    """Sign in as a user; the client sends the session cookie and the CSRF token."""

    async def signed(username: str) -> httpx.AsyncClient:
        client = anonymous(app, clients)
        response = await client.post(
            "/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        return client

    return signed
