"""The web application: REST API, live stream, pages and static files in one ASGI app.

``create_app(settings, runtime)`` builds it around a :class:`madoguchi.runtime.CenterRuntime`
that the caller owns (``madoguchi serve`` starts the runtime and telephony in the same process;
``manage_runtime=True`` lets the app start and stop it instead). The CRM tables live in the
database named by ``settings.database_url`` (migrated by Alembic, or created directly when
``create_tables=True``, for tests and the in-memory development server).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.api import (
    admin,
    agents,
    auth,
    config_admin,
    consult,
    contacts,
    customers,
    health,
    pages,
    queues,
    recordings,
    softphone,
    stream,
    webhooks,
    wfm,
)
from madoguchi.api.context import ApiContext
from madoguchi.api.errors import install_error_handlers
from madoguchi.api.limits import BodySizeLimit, SecurityHeaders
from madoguchi.api.webhook_delivery import WebhookDispatcher
from madoguchi.settings import Settings
from madoguchi.store.crm import create_crm_engine, create_crm_tables

_log = logging.getLogger("madoguchi.api")

API_VERSION = "1"


def create_app(
    settings: Settings,
    runtime: Any,
    *,
    engine: Engine | None = None,
    create_tables: bool = False,
    manage_runtime: bool = False,
    extras: dict[str, Any] | None = None,
) -> FastAPI:
    """The ASGI app serving ``runtime``'s center.

    ``engine`` defaults to one opened on ``settings.database_url``; ``extras`` carries hooks
    from other adapters (``status_checks``: name → check, ``softphone``: signalling handler,
    ``recordings_dir``: where call recordings are, ``center_file``: the center YAML the admin
    pages write, ``webhook_transport``: an ``httpx`` transport for webhook deliveries, tests).
    """
    if engine is None:
        engine = create_crm_engine(settings.database_url)
    if create_tables:
        create_crm_tables(engine)
    ctx = ApiContext(
        settings=settings,
        runtime=runtime,
        sessions=sessionmaker(engine, class_=Session, expire_on_commit=False),
        started_at=runtime.clock.now(),
        extras=dict(extras or {}),
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if manage_runtime:
            await runtime.start()
        await app.state.webhooks.start()
        _log.info("web server ready", extra={"environment": settings.environment})
        try:
            yield
        finally:
            await stream.close_all(app)
            await app.state.webhooks.stop()
            if manage_runtime:
                await runtime.stop(drain_timeout=5.0)

    app = FastAPI(
        title="madoguchi",
        version=API_VERSION,
        description="REST and live API of the madoguchi contact center.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.metrics = health.ApiMetrics(ctx)
    app.state.webhooks = WebhookDispatcher(ctx, ctx.extras.get("webhook_transport"))
    install_error_handlers(app)
    health.install_request_metrics(app, app.state.metrics)
    for module in (
        health,
        auth,
        agents,
        contacts,
        consult,
        customers,
        queues,
        admin,
        config_admin,
        softphone,
        recordings,
        webhooks,
        wfm,
        stream,
        pages,
    ):
        app.include_router(module.router)
    __import__("madoguchi.api.campaigns", fromlist=["install"]).install(app, engine, create_tables)
    pages.mount_static(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(stream.RawSendCapture)  # outermost: sees the server's own send
    return app
