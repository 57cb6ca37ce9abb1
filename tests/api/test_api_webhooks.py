"""Webhooks: contact events reach an admin's endpoint signed, failures are retried with back-off,
and the delivery log shows every outcome."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from api_support import SignIn
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from madoguchi.api.webhook_delivery import SIGNATURE_HEADER, WebhookDispatcher, sign, verify
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime

SECRET = "webhook-secret-0123456789"


def call(contact_id: str, runtime: CenterRuntime) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=runtime.clock.now(),
        from_address="+819012345678",
    )


async def dispatcher(
    app: FastAPI, transport: httpx.AsyncBaseTransport | None, **settings: float
) -> WebhookDispatcher:
    ctx = app.state.ctx
    ctx.settings = ctx.settings.model_copy(
        update={"webhook_retry_base_s": 0.01, "webhook_max_attempts": 3, **settings}
    )
    found = WebhookDispatcher(ctx, transport)
    app.state.webhooks = found
    await found.start()
    return found


async def test_given_an_endpoint_when_a_call_is_queued_and_answered_then_signed_events_arrive(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime
) -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(204)

    hooks = await dispatcher(app, httpx.MockTransport(receiver))
    admin = await sign_in("admin-midori")
    created = await admin.post(
        "/api/v1/admin/webhooks",
        json={"url": "https://crm.example.jp/hooks", "event_types": ["ContactQueued"]},
    )
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert len(secret) >= 32
    listed = (await admin.get("/api/v1/admin/webhooks")).json()
    assert listed[0]["secret"] is None
    assert listed[0]["secret_hint"] == "…" + secret[-4:]

    await runtime.submit(rc.EnqueueContact(call("wh-1", runtime), "general"))
    await hooks.idle()
    assert len(received) == 1
    request = received[0]
    body = json.loads(request.content)
    assert (body["type"], body["tenant"], body["event"]["contact_id"]) == (
        "ContactQueued",
        "midori",
        "wh-1",
    )
    assert verify(secret, request.headers[SIGNATURE_HEADER], request.content, runtime.clock.now())
    assert not verify("wrong-secret", request.headers[SIGNATURE_HEADER], request.content, 0)

    log = (await admin.get("/api/v1/admin/webhook-deliveries")).json()
    assert [(d["event_type"], d["status"], d["attempts"]) for d in log] == [
        ("ContactQueued", "delivered", 1)
    ]
    await hooks.stop()


async def test_given_a_failing_endpoint_when_events_come_then_retried_with_backoff_then_failed(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime
) -> None:
    answers = {"flaky": [500, 503, 200], "down": [500, 500, 500, 500]}
    seen: dict[str, int] = {"flaky": 0, "down": 0}

    def receiver(request: httpx.Request) -> httpx.Response:
        name = request.url.path.strip("/")
        status = answers[name][seen[name]]
        seen[name] += 1
        return httpx.Response(status)

    hooks = await dispatcher(app, httpx.MockTransport(receiver))
    admin = await sign_in("admin-midori")
    for name in ("flaky", "down"):
        response = await admin.post(
            "/api/v1/admin/webhooks",
            json={"url": f"https://x.example/{name}", "event_types": ["ContactQueued"]},
        )
        assert response.status_code == 201
    await runtime.submit(rc.EnqueueContact(call("wh-2", runtime), "general"))
    await hooks.idle()
    assert seen == {"flaky": 3, "down": 3}
    log = (await admin.get("/api/v1/admin/webhook-deliveries")).json()
    outcome = sorted((d["status"], d["attempts"], d["response_status"]) for d in log)
    assert outcome == [("delivered", 3, 200), ("failed", 3, 500)]
    failed = (await admin.get("/api/v1/admin/webhook-deliveries?status=failed")).json()
    assert [d["error"] for d in failed] == ["HTTP 500"]
    assert hooks.stats["retries"] == 4

    answers["down"].append(200)  # the receiver is back: the admin sends the failure again
    retried = await admin.post(f"/api/v1/admin/webhook-deliveries/{failed[0]['id']}/retry")
    assert retried.status_code == 202, retried.text
    await hooks.idle()
    again = (await admin.get("/api/v1/admin/webhook-deliveries?status=delivered")).json()
    assert len(again) == 2
    await hooks.stop()
    stopped = await admin.post(f"/api/v1/admin/webhook-deliveries/{failed[0]['id']}/retry")
    assert stopped.status_code == 409


async def test_given_another_tenant_when_reading_webhooks_then_nothing_of_ours_shows(
    app: FastAPI, sign_in: SignIn
) -> None:
    admin = await sign_in("admin-midori")
    made = await admin.post("/api/v1/admin/webhooks", json={"url": "https://a.example/h"})
    other = await sign_in("admin-aozora")
    assert (await other.get("/api/v1/admin/webhooks")).json() == []
    hook_id = made.json()["id"]
    assert (await other.delete(f"/api/v1/admin/webhooks/{hook_id}")).status_code == 404
    agent = await sign_in("op01")
    assert (await agent.get("/api/v1/admin/webhooks")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://x.example/h"}, "body.url"),
        ({"url": "https://x.example/h", "event_types": ["NoSuchEvent"]}, "body.event_types"),
        ({"url": "https://x.example/h", "secret": "short"}, "body.secret"),
    ],
)
async def test_given_bad_endpoint_settings_when_adding_then_422_names_the_field(
    sign_in: SignIn, body: dict[str, object], field: str
) -> None:
    admin = await sign_in("admin-midori")
    response = await admin.post("/api/v1/admin/webhooks", json=body)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["details"]] == [field]


@pytest.fixture
async def receiver_url() -> AsyncIterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    got: list[tuple[dict[str, str], bytes]] = []

    async def hook(request: Request) -> Response:
        got.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    receiver = Starlette(routes=[Route("/hook", hook, methods=["POST"])])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(receiver, log_config=None, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    yield f"http://127.0.0.1:{port}/hook", got
    server.should_exit = True
    await task
    sock.close()


async def test_given_a_real_http_receiver_when_a_call_is_answered_then_it_gets_each_event(
    app: FastAPI,
    sign_in: SignIn,
    runtime: CenterRuntime,
    receiver_url: tuple[str, list[tuple[dict[str, str], bytes]]],
) -> None:
    url, got = receiver_url
    hooks = await dispatcher(app, None)
    admin = await sign_in("admin-midori")
    made = await admin.post(
        "/api/v1/admin/webhooks",
        json={"url": url, "secret": SECRET, "event_types": ["ContactConnected", "ContactEnded"]},
    )
    assert made.status_code == 201
    agent = await sign_in("op01")
    await agent.post("/api/v1/agents/me/login", json={"available": True})
    await runtime.submit(rc.EnqueueContact(call("wh-3", runtime), "general"))
    await agent.post("/api/v1/contacts/wh-3/accept")
    await agent.post("/api/v1/contacts/wh-3/end")
    await hooks.idle()
    kinds = sorted(json.loads(body)["type"] for _, body in got)
    assert kinds == ["ContactConnected", "ContactEnded"]
    for headers, body in got:
        stamp = int(headers["x-madoguchi-signature"].split(",")[0].removeprefix("t="))
        assert headers["x-madoguchi-signature"] == sign(SECRET, stamp, body)
    await hooks.stop()
