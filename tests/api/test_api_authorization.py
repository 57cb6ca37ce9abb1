"""The authorization matrix: which role may call what, tenants apart, and every read of personal
data in the audit log."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import SignIn
from fastapi import FastAPI
from sqlalchemy import func, select

from madoguchi.store.crm import AuditEntry

ROLES = {"agent": "op01", "supervisor": "sv01", "admin": "admin-midori"}
RANK = {"agent": 0, "supervisor": 1, "admin": 2}

#: (method, path, json body, least role allowed)
MATRIX: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("GET", "/api/v1/customers", None, "agent"),
    ("GET", "/api/v1/queues", None, "agent"),
    ("GET", "/api/v1/codes", None, "agent"),
    ("GET", "/api/v1/contacts", None, "agent"),
    ("GET", "/api/v1/scripts/general", None, "agent"),
    ("GET", "/api/v1/wallboard", None, "supervisor"),
    ("GET", "/api/v1/admin/config", None, "supervisor"),
    ("GET", "/api/v1/admin/audit", None, "supervisor"),
    ("GET", "/api/v1/admin/customers/export?purpose=test", None, "supervisor"),
    ("POST", "/api/v1/agents/op02/state", {"state": "not_ready", "reason": "break"}, "supervisor"),
    ("POST", "/api/v1/agents/op02/work-mode", {"work_mode": "blended"}, "supervisor"),
    ("POST", "/api/v1/agents/op02/sign-out", None, "supervisor"),
    ("GET", "/api/v1/admin/users", None, "admin"),
    (
        "POST",
        "/api/v1/admin/users",
        {
            "username": "new-user",
            "display_name": "新人",
            "role": "agent",
            "password": "long-enough-pw",
        },
        "admin",
    ),
    ("PUT", "/api/v1/admin/scripts/general", {"queue_id": "general", "steps": []}, "admin"),
    ("GET", "/api/v1/wfm/staffing?calls=50&aht_s=180", None, "supervisor"),
    (
        "GET",
        "/api/v1/wfm/cost?monthly_calls=5000&outsourcing_price_per_call=800",
        None,
        "supervisor",
    ),
    ("GET", "/api/v1/admin/config/sections/skills", None, "admin"),
    ("GET", "/api/v1/admin/webhooks", None, "admin"),
    ("GET", "/api/v1/admin/webhook-deliveries", None, "admin"),
    ("POST", "/api/v1/admin/webhooks", {"url": "https://hooks.example/x"}, "admin"),
]


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize(
    ("method", "path", "body", "least"), MATRIX, ids=[f"{m} {p}" for m, p, _, _ in MATRIX]
)
async def test_role_matrix(
    sign_in: SignIn, role: str, method: str, path: str, body: dict[str, Any] | None, least: str
) -> None:
    client = await sign_in(ROLES[role])
    if path.startswith("/api/v1/agents/op02"):
        # the target agent must be signed in to routing for state changes to be accepted
        op02 = await sign_in("op02")
        await op02.post("/api/v1/agents/me/login", json={"available": True})
    response = await client.request(method, path, json=body)
    if RANK[role] >= RANK[least]:
        assert response.status_code < 400, (role, path, response.text)
    else:
        assert response.status_code == 403, (role, path, response.text)
        assert response.json()["error_id"] == "forbidden"


async def test_supervisors_cannot_act_on_another_tenants_agents(sign_in: SignIn) -> None:
    aozora_sv = await sign_in("sv05")
    response = await aozora_sv.post("/api/v1/agents/op01/state", json={"state": "available"})
    assert response.status_code == 404
    assert response.json()["error_id"] == "no-such-agent"
    sign_out = await aozora_sv.post("/api/v1/agents/op01/sign-out")
    assert sign_out.status_code == 404


async def test_wallboard_and_agents_show_only_the_own_tenant(sign_in: SignIn) -> None:
    aozora_sv = await sign_in("sv05")
    agents = (await aozora_sv.get("/api/v1/agents")).json()
    assert agents
    assert all(a.get("agent_id", a.get("id")).startswith(("op2", "op30", "sv05")) for a in agents)
    board = (await aozora_sv.get("/api/v1/wallboard")).json()
    assert [q["id"] for q in board["queues"]] == ["aozora-reception"]
    assert {a["agent_id"] for a in board["agents"]} == {
        "sv05",
        "op25",
        "op26",
        "op27",
        "op28",
        "op29",
        "op30",
    }


async def test_an_admin_cannot_manage_users_of_another_tenant(sign_in: SignIn) -> None:
    midori_admin = await sign_in("admin-midori")
    aozora_admin = await sign_in("admin-aozora")
    midori_users = (await midori_admin.get("/api/v1/admin/users")).json()
    assert {u["username"] for u in (await aozora_admin.get("/api/v1/admin/users")).json()} == {
        "admin-aozora",
        "sv05",
        "op25",
        "op26",
        "op27",
        "op28",
        "op29",
        "op30",
    }
    target = midori_users[0]["id"]
    response = await aozora_admin.patch(f"/api/v1/admin/users/{target}", json={"active": False})
    assert response.status_code == 404
    bad_agent = await aozora_admin.post(
        "/api/v1/admin/users",
        json={
            "username": "x1",
            "display_name": "x",
            "role": "agent",
            "agent_id": "op01",
            "password": "long-enough-pw",
        },
    )
    assert bad_agent.status_code == 422
    assert bad_agent.json()["details"][0]["field"] == "body.agent_id"


PERSONAL_READS = [
    ("/api/v1/customers/{id}", "customer.view"),
    ("/api/v1/customers/{id}/timeline", "customer.timeline"),
    ("/api/v1/customers?number=M0001", "customer.search"),
    ("/api/v1/screen-pop?number=M0001", "customer.screen_pop"),
    ("/api/v1/admin/customers/export?purpose=DM発送", "customer.export"),
]


@pytest.mark.parametrize(("path", "action"), PERSONAL_READS, ids=[a for _, a in PERSONAL_READS])
async def test_every_personal_data_read_lands_in_the_audit_log(
    sign_in: SignIn, app: FastAPI, path: str, action: str
) -> None:
    supervisor = await sign_in("sv01")
    customer = (await supervisor.get("/api/v1/customers?number=M0001")).json()[0]

    def count() -> int:
        with app.state.ctx.sessions() as db:
            return int(
                db.scalar(
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == action, AuditEntry.username == "sv01")
                )
                or 0
            )

    before = count()
    response = await supervisor.get(path.format(id=customer["id"]))
    assert response.status_code == 200
    assert count() == before + 1


async def test_export_without_a_purpose_is_refused(sign_in: SignIn) -> None:
    supervisor = await sign_in("sv01")
    response = await supervisor.get("/api/v1/admin/customers/export")
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "query.purpose"
