"""A development server: the sample center on an in-memory runtime, with demo users.

    python -m madoguchi.api.devserver [--port 8080] [--demo-calls 5] [--always-open]

Sign in at http://127.0.0.1:8080/ as ``op01`` (agent), ``sv01`` (supervisor) or
``admin-midori`` (admin) with the password ``madoguchi-demo``. There is no telephony here:
contacts can be put in queues with ``--demo-calls`` (one simulated caller every few seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
from collections.abc import AsyncIterator, Callable
from typing import cast

import uvicorn
from fastapi import FastAPI

from madoguchi.api.app import create_app
from madoguchi.api.logs import configure_logging
from madoguchi.api.seed import seed_sample_customers, seed_sample_users
from madoguchi.bus import InProcessBus
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime, SystemClock
from madoguchi.samples import load_sample_center
from madoguchi.settings import Settings
from madoguchi.store import InMemoryEventStore
from madoguchi.store.crm import create_crm_engine, create_crm_tables


def build(settings: Settings, demo_calls: float, always_open: bool = False) -> FastAPI:
    """The app over a fresh in-memory runtime of the sample center, seeded with demo users."""
    config = load_sample_center()
    if always_open:
        from madoguchi.demo import open_around_the_clock

        config = open_around_the_clock(config)
    runtime = CenterRuntime(
        config, store=InMemoryEventStore(), bus=InProcessBus(), clock=SystemClock()
    )
    engine = create_crm_engine(settings.database_url)
    create_crm_tables(engine)
    app = create_app(settings, runtime, engine=engine, manage_runtime=True)
    with app.state.ctx.sessions() as db:
        now = runtime.clock.now()
        seed_sample_users(db, config, settings.demo_password.get_secret_value(), now)
        for tenant in config.tenants:
            seed_sample_customers(db, tenant.id, now)
    if demo_calls > 0:
        inner = cast(Lifespan, app.router.lifespan_context)
        app.router.lifespan_context = _with_callers(inner, runtime, demo_calls)
    return app


Lifespan = Callable[[FastAPI], contextlib.AbstractAsyncContextManager[None]]


def _with_callers(inner: Lifespan, runtime: CenterRuntime, every_s: float) -> Lifespan:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with inner(app):
            task = asyncio.create_task(_callers(runtime, every_s))
            try:
                yield
            finally:
                task.cancel()

    return lifespan


async def _callers(runtime: CenterRuntime, every_s: float) -> None:
    numbers = ["+819012345678", "+81312345678", "+819011112222", "+815011119999"]
    chooser = random.Random(5)  # demo traffic, not security
    for n in itertools.count(1):
        await asyncio.sleep(every_s)
        contact = Contact(
            id=f"demo-{n}",
            channel=Channel.VOICE,
            direction=Direction.INBOUND,
            tenant="midori",
            created_at=runtime.clock.now(),
            from_address=chooser.choice(numbers),
        )
        with contextlib.suppress(Exception):
            await runtime.submit(rc.EnqueueContact(contact, "general"))


def main() -> None:
    """Parse the arguments and serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--database",
        default="sqlite+pysqlite:///:memory:",
        help="CRM database URL (default: in memory)",
    )
    parser.add_argument(
        "--demo-calls",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="enqueue a simulated caller in 'general' this often",
    )
    parser.add_argument(
        "--always-open",
        action="store_true",
        help="open every calendar around the clock (try it at night)",
    )
    args = parser.parse_args()
    settings = Settings(environment="development", database_url=args.database, log_json=False)
    configure_logging(settings.log_level, settings.log_json)
    uvicorn.run(
        build(settings, args.demo_calls, args.always_open),
        host=args.host,
        port=args.port,
        log_config=None,
        ws="websockets-sansio",
        ws_per_message_deflate=False,  # see madoguchi.api.stream.DirectWriter
    )


if __name__ == "__main__":
    main()
