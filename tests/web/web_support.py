"""Fixtures of the browser tests: the app on a real server, Debian's Chromium via Playwright."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from playwright.async_api import Browser, async_playwright
from pydantic import SecretStr

from madoguchi.api.app import create_app
from madoguchi.api.seed import seed_sample_customers, seed_sample_users
from madoguchi.bus import InProcessBus
from madoguchi.core.config import CenterConfig
from madoguchi.runtime import CenterRuntime, SystemClock
from madoguchi.samples import load_sample_center
from madoguchi.settings import Settings
from madoguchi.store import InMemoryEventStore

PASSWORD = "browser-password-1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


class LiveCenter:
    """The sample center's runtime and the URL its web server answers on."""

    def __init__(self, runtime: CenterRuntime, base_url: str, app: FastAPI) -> None:
        self.runtime = runtime
        self.base_url = base_url
        self.app = app
        """The ASGI app (tests plug hooks into ``app.state.ctx.extras``)."""


#: Cheap argon2 parameters for test users (verification reads them from the hash).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def always_open(config: CenterConfig) -> CenterConfig:
    """The sample center with every queue open around the clock (the browser tests run on the
    real clock, at any hour)."""
    queues = tuple(replace(q, hours=None) for q in config.queues)
    return replace(config, queues=queues, _index={})


@pytest.fixture
async def live_center() -> AsyncIterator[LiveCenter]:
    config = always_open(load_sample_center())
    runtime = CenterRuntime(
        config, store=InMemoryEventStore(), bus=InProcessBus(), clock=SystemClock()
    )
    settings = Settings(
        environment="test",
        secret_key=SecretStr("w" * 48),
        database_url="sqlite+pysqlite:///:memory:",
        log_json=False,
        _env_file=None,
    )  # type: ignore[call-arg]
    app = create_app(settings, runtime, create_tables=True)
    now = datetime.now(UTC).timestamp()
    with app.state.ctx.sessions() as db:
        seed_sample_users(db, config, PASSWORD, now, FAST_HASHER)
        seed_sample_customers(db, "midori", now)
    await runtime.start()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=0, lifespan="off", log_config=None, ws="websockets-sansio"
        )
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield LiveCenter(runtime, f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    await task
    await runtime.stop(drain_timeout=0.0)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()
