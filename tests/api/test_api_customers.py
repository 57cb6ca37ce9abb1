"""Customers: validation, search by phone/name/number, update, timeline, screen pop, audit."""

from __future__ import annotations

import httpx
from api_support import SignIn
from fastapi import FastAPI
from sqlalchemy import select

from madoguchi.store.crm import AuditEntry

NEW = {
    "customer_number": "C-100",
    "name": "鈴木 一郎",
    "name_kana": "スズキ イチロウ",
    "phone": "03-5555-0100",
    "email": "ichiro@example.jp",
    "fields": {"plan": "premium", "orders": 3},
}


def audited(app: FastAPI, action: str) -> list[AuditEntry]:
    with app.state.ctx.sessions() as db:
        return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_given_a_valid_body_when_creating_then_the_phone_is_stored_in_e164(
    sign_in: SignIn,
) -> None:
    agent = await sign_in("op01")
    response = await agent.post("/api/v1/customers", json=NEW)
    assert response.status_code == 201
    body = response.json()
    assert body["phone"] == "+81355550100"
    assert body["fields"] == {"plan": "premium", "orders": 3}


async def test_given_bad_fields_when_creating_then_422_names_each_field(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    response = await agent.post(
        "/api/v1/customers",
        json={"customer_number": "bad number!", "name": " ", "phone": "12", "email": "x@"},
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error_id"] == "invalid-request"
    fields = {d["field"] for d in body["details"]}
    assert {"body.customer_number", "body.name", "body.phone", "body.email"} <= fields


async def test_given_an_unknown_field_when_creating_then_422(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    response = await agent.post("/api/v1/customers", json={**NEW, "password": "x"})
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "body.password"


async def test_given_a_taken_number_when_creating_then_409(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    assert (await agent.post("/api/v1/customers", json=NEW)).status_code == 201
    again = await agent.post("/api/v1/customers", json=NEW)
    assert again.status_code == 409
    assert again.json()["error_id"] == "duplicate-customer-number"


async def test_search_finds_by_phone_in_any_format_by_name_part_and_by_number(
    sign_in: SignIn, app: FastAPI
) -> None:
    agent = await sign_in("op01")
    await agent.post("/api/v1/customers", json=NEW)
    for phone in ("0355550100", "+81 3-5555-0100", "03-5555-0100"):
        found = (await agent.get("/api/v1/customers", params={"phone": phone})).json()
        assert [c["customer_number"] for c in found] == ["C-100"]
    by_kana = (await agent.get("/api/v1/customers", params={"name": "イチロウ"})).json()
    assert sorted(c["customer_number"] for c in by_kana) == ["C-100", "M0003"]
    by_number = (await agent.get("/api/v1/customers", params={"number": "M0001"})).json()
    assert by_number[0]["name"] == "山田 花子"
    assert (await agent.get("/api/v1/customers", params={"name": "%"})).json() == []
    assert len(audited(app, "customer.search")) == 6


async def test_update_changes_only_the_given_fields(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    created = (await agent.post("/api/v1/customers", json=NEW)).json()
    changed = await agent.patch(
        f"/api/v1/customers/{created['id']}", json={"phone": "090-0000-1111"}
    )
    assert changed.status_code == 200
    assert changed.json()["phone"] == "+819000001111"
    assert changed.json()["email"] == NEW["email"]
    bad = await agent.patch(f"/api/v1/customers/{created['id']}", json={"phone": "abc"})
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "body.phone"


async def test_every_read_of_a_customer_is_audited_with_who_what_and_why(
    sign_in: SignIn, app: FastAPI
) -> None:
    agent = await sign_in("op01")
    created = (await agent.post("/api/v1/customers", json=NEW)).json()
    await agent.get(f"/api/v1/customers/{created['id']}", params={"purpose": "本人確認"})
    await agent.get(f"/api/v1/customers/{created['id']}/timeline")
    await agent.get("/api/v1/screen-pop", params={"phone": "0355550100"})
    view = audited(app, "customer.view")
    assert [(e.username, e.target, e.purpose) for e in view] == [
        ("op01", f"customer:{created['id']}", "本人確認")
    ]
    assert audited(app, "customer.timeline")[0].purpose == "customer_service"
    pop = audited(app, "customer.screen_pop")[0]
    assert pop.target == f"customer:{created['id']}"
    assert pop.purpose == "screen_pop"


async def test_screen_pop_prefers_the_collected_customer_number_over_the_phone(
    sign_in: SignIn,
) -> None:
    agent = await sign_in("op01")
    pop = (
        await agent.get("/api/v1/screen-pop", params={"phone": "090-1234-5678", "number": "M0003"})
    ).json()
    assert pop["matched_by"] == "customer_number"
    assert pop["customer"]["customer_number"] == "M0003"
    by_phone = (await agent.get("/api/v1/screen-pop", params={"phone": "09012345678"})).json()
    assert by_phone["matched_by"] == "phone"
    assert by_phone["customer"]["name"] == "山田 花子"
    nobody = (await agent.get("/api/v1/screen-pop", params={"phone": "0120-000-999"})).json()
    assert nobody["customer"] is None


async def test_customers_of_another_tenant_are_invisible(sign_in: SignIn) -> None:
    midori = await sign_in("op01")
    aozora = await sign_in("op25")
    created = (await midori.post("/api/v1/customers", json=NEW)).json()
    assert (await aozora.get(f"/api/v1/customers/{created['id']}")).status_code == 404
    assert (await aozora.get("/api/v1/customers", params={"number": "C-100"})).json() == []
    pop = (await aozora.get("/api/v1/screen-pop", params={"phone": "0355550100"})).json()
    assert pop["customer"] is None
    patch = await aozora.patch(f"/api/v1/customers/{created['id']}", json={"name": "x"})
    assert patch.status_code == 404


async def test_unauthenticated_clients_get_no_customer_data(anon: httpx.AsyncClient) -> None:
    assert (
        await anon.get("/api/v1/screen-pop", params={"phone": "09012345678"})
    ).status_code == 401
