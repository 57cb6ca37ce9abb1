"""Health, status, metrics, security headers, and no stack traces for users."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from madoguchi.api.logs import JsonFormatter


async def test_healthz_answers_without_sign_in(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/healthz")
    assert response.json() == {"ok": True}
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


async def test_status_reports_each_dependency(anon: httpx.AsyncClient) -> None:
    body = (await anon.get("/status")).json()
    assert body["ok"] is True
    names = {d["name"] for d in body["dependencies"]}
    assert {"database", "event_store", "bus", "runtime"} <= names


async def test_status_is_503_when_a_registered_dependency_is_down(
    anon: httpx.AsyncClient, app: FastAPI
) -> None:
    app.state.ctx.extras["status_checks"] = {"sip_trunk": lambda: (False, "no REGISTER reply")}
    response = await anon.get("/status")
    assert response.status_code == 503
    trunk = next(d for d in response.json()["dependencies"] if d["name"] == "sip_trunk")
    assert trunk == {"name": "sip_trunk", "ok": False, "detail": "no REGISTER reply"}


async def test_metrics_are_prometheus_text_with_center_gauges(anon: httpx.AsyncClient) -> None:
    await anon.get("/healthz")
    text = (await anon.get("/metrics")).text
    assert "madoguchi_http_requests_total" in text
    assert 'route="/healthz"' in text
    assert "madoguchi_agents" in text
    assert "madoguchi_last_event_id" in text


async def test_an_unexpected_error_is_a_500_without_a_stack_trace(app: FastAPI) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/boom", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {
        "error_id": "internal-error",
        "message": "internal error",
        "details": [],
    }
    assert "secret internals" not in response.text


async def test_unknown_paths_are_404_json(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error_id"] == "not-found"


async def test_pages_and_static_modules_are_served(anon: httpx.AsyncClient) -> None:
    for page in ("/login", "/agent", "/supervisor", "/admin", "/wfm"):
        response = await anon.get(page)
        assert response.status_code == 200
        assert 'type="module"' in response.text
        assert "http://" not in response.text
        assert "https://" not in response.text
    module = await anon.get("/static/js/agent.js")
    assert module.status_code == 200
    assert "javascript" in module.headers["content-type"]
    catalog = (await anon.get("/static/i18n/ja.json")).json()
    assert catalog["offer.answer"] == "応答"


def test_logs_are_one_json_object_a_line() -> None:
    import json
    import logging

    record = logging.makeLogRecord(
        {
            "name": "madoguchi.api",
            "levelname": "INFO",
            "msg": "signed in %s",
            "args": ("op01",),
            "user": "op01",
        }
    )
    line = JsonFormatter().format(record)
    document = json.loads(line)
    assert document["message"] == "signed in op01"
    assert document["user"] == "op01"
    assert document["level"] == "info"
