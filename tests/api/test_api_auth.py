"""Sign-in, sessions, CSRF, API tokens, failed-sign-in limiting and the sign-in audit."""

from __future__ import annotations

import httpx
from api_support import PASSWORD, SignIn
from fastapi import FastAPI
from sqlalchemy import select

from madoguchi.runtime import CenterRuntime, ManualClock
from madoguchi.store.crm import AuditEntry


def audit_actions(app: FastAPI) -> list[tuple[str, str]]:
    with app.state.ctx.sessions() as db:
        return [
            (e.action, e.username) for e in db.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]


async def test_given_right_password_when_signing_in_then_a_session_and_csrf_token_are_given(
    anon: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await anon.post(
        "/api/v1/auth/sign-in", json={"username": "op01", "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["role"] == "agent"
    assert body["agent_id"] == "op01"
    assert body["tenant"] == "midori"
    assert body["csrf_token"]
    cookie = response.headers["set-cookie"]
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert (await anon.get("/api/v1/auth/me")).json()["username"] == "op01"
    assert ("sign_in", "op01") in audit_actions(app)


async def test_given_wrong_password_when_signing_in_then_401_and_the_failure_is_audited(
    anon: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await anon.post(
        "/api/v1/auth/sign-in", json={"username": "op01", "password": "nope"}
    )
    assert response.status_code == 401
    assert response.json()["error_id"] == "sign-in-failed"
    assert ("sign_in_failed", "op01") in audit_actions(app)


async def test_given_five_failures_when_trying_again_then_429_until_the_window_passes(
    anon: httpx.AsyncClient, runtime: CenterRuntime
) -> None:
    for _ in range(5):
        failed = await anon.post(
            "/api/v1/auth/sign-in", json={"username": "op02", "password": "wrong"}
        )
        assert failed.status_code == 401
    refused = await anon.post(
        "/api/v1/auth/sign-in", json={"username": "op02", "password": PASSWORD}
    )
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    clock = runtime.clock
    assert isinstance(clock, ManualClock)
    clock.advance(301)
    accepted = await anon.post(
        "/api/v1/auth/sign-in", json={"username": "op02", "password": PASSWORD}
    )
    assert accepted.status_code == 200


async def test_given_a_session_when_writing_without_the_csrf_token_then_403(
    sign_in: SignIn,
) -> None:
    agent = await sign_in("op01")
    token = agent.headers.pop("X-CSRF-Token")
    refused = await agent.post("/api/v1/agents/me/login", json={})
    assert refused.status_code == 403
    assert refused.json()["error_id"] == "csrf-failed"
    agent.headers["X-CSRF-Token"] = token
    assert (await agent.post("/api/v1/agents/me/login", json={})).status_code == 200


async def test_given_no_credentials_when_calling_the_api_then_401(anon: httpx.AsyncClient) -> None:
    response = await anon.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.json()["error_id"] == "not-authenticated"


async def test_given_a_forged_cookie_when_calling_the_api_then_401(
    anon: httpx.AsyncClient, app: FastAPI
) -> None:
    anon.cookies.set(app.state.ctx.settings.session_cookie, "forged.value")
    assert (await anon.get("/api/v1/auth/me")).status_code == 401


async def test_given_sign_out_when_the_old_cookie_is_reused_then_401(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    cookie = dict(agent.cookies)
    assert (await agent.post("/api/v1/auth/sign-out")).status_code == 204
    for name, value in cookie.items():
        agent.cookies.set(name, value)
    assert (await agent.get("/api/v1/auth/me")).status_code == 401


async def test_given_an_api_token_when_used_as_bearer_then_it_acts_without_csrf(
    sign_in: SignIn, anon: httpx.AsyncClient
) -> None:
    supervisor = await sign_in("sv01")
    created = await supervisor.post("/api/v1/auth/tokens", json={"name": "crm-sync"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("mdg_")
    headers = {"Authorization": f"Bearer {token}"}
    me = await anon.get("/api/v1/auth/me", headers=headers)
    assert me.json()["username"] == "sv01"
    assert me.json()["csrf_token"] is None
    write = await anon.post(
        "/api/v1/customers",
        headers=headers,
        json={"customer_number": "T-1", "name": "トークン 太郎"},
    )
    assert write.status_code == 201
    bad = await anon.get("/api/v1/auth/me", headers={"Authorization": "Bearer mdg_nope"})
    assert bad.status_code == 401


async def test_given_a_deactivated_user_when_signing_in_then_refused(
    sign_in: SignIn, anon: httpx.AsyncClient
) -> None:
    admin = await sign_in("admin-midori")
    users = (await admin.get("/api/v1/admin/users")).json()
    op03 = next(u for u in users if u["username"] == "op03")
    changed = await admin.patch(f"/api/v1/admin/users/{op03['id']}", json={"active": False})
    assert changed.json()["active"] is False
    response = await anon.post(
        "/api/v1/auth/sign-in", json={"username": "op03", "password": PASSWORD}
    )
    assert response.status_code == 401
