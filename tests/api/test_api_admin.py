"""Admin: CSV import (all or nothing, per-row errors), scripts, export, size limits."""

from __future__ import annotations

from typing import Any

import httpx
from api_support import SignIn
from fastapi import FastAPI
from sqlalchemy import func, select

from madoguchi.store.crm import Customer

GOOD = (
    "customer_number,name,name_kana,phone,email,plan\n"
    "K-1,青木 一,アオキ ハジメ,03-1111-2222,aoki@example.jp,gold\n"
    "K-2,石田 二葉,イシダ フタバ,090-3333-4444,,silver\n"
)


def customers(app: FastAPI) -> int:
    with app.state.ctx.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(Customer)) or 0)


async def upload(client: httpx.AsyncClient, data: bytes, dry_run: bool = False) -> httpx.Response:
    return await client.post(
        "/api/v1/admin/customers/import",
        params={"dry_run": str(dry_run).lower()},
        files={"file": ("customers.csv", data, "text/csv")},
    )


async def test_given_a_good_file_when_imported_then_every_row_is_stored(
    sign_in: SignIn, app: FastAPI
) -> None:
    admin = await sign_in("admin-midori")
    before = customers(app)
    checked = await upload(admin, GOOD.encode(), dry_run=True)
    assert checked.json() == {"imported": 2, "dry_run": True}
    assert customers(app) == before
    response = await upload(admin, GOOD.encode())
    assert response.json() == {"imported": 2, "dry_run": False}
    assert customers(app) == before + 2
    found = (await admin.get("/api/v1/customers", params={"phone": "0311112222"})).json()
    assert found[0]["fields"] == {"plan": "gold"}


async def test_given_bad_rows_when_imported_then_rejected_with_line_numbers_and_nothing_stored(
    sign_in: SignIn, app: FastAPI
) -> None:
    admin = await sign_in("admin-midori")
    before = customers(app)
    bad = GOOD + "K-3,,,03-1,,\nK-1,重複,,,,\nM0001,既存,,,,\nK-5,行,,,,,extra\n"
    response = await upload(admin, bad.encode())
    assert response.status_code == 422
    body = response.json()
    assert body["error_id"] == "csv-rejected"
    fields = [d["field"] for d in body["details"]]
    assert "line 4: name" in fields
    assert "line 4: phone" in fields
    assert "line 5: customer_number" in fields
    assert "line 6: customer_number" in fields
    assert "line 7" in fields
    assert customers(app) == before


async def test_given_shift_jis_with_a_bom_less_header_when_imported_then_read_correctly(
    sign_in: SignIn,
) -> None:
    admin = await sign_in("admin-midori")
    response = await upload(admin, "customer_number,name\nS-1,渡辺 三郎\n".encode("cp932"))
    assert response.json()["imported"] == 1
    found = (await admin.get("/api/v1/customers", params={"number": "S-1"})).json()
    assert found[0]["name"] == "渡辺 三郎"
    bom = await upload(admin, "\ufeffcustomer_number,name\nS-2,BOM 付き\n".encode())
    assert bom.json()["imported"] == 1


async def test_given_a_header_without_required_columns_then_rejected(sign_in: SignIn) -> None:
    admin = await sign_in("admin-midori")
    response = await upload(admin, b"name,phone\nx,0311112222\n")
    assert response.status_code == 422
    assert response.json()["details"][0] == {
        "field": "line 1: customer_number",
        "message": "required column missing",
    }
    empty = await upload(admin, b"")
    assert empty.status_code == 422


async def test_given_an_oversized_upload_then_413_and_nothing_stored(
    sign_in: SignIn, app: FastAPI
) -> None:
    admin = await sign_in("admin-midori")
    before = customers(app)
    limit = app.state.ctx.settings.max_upload_bytes
    big = GOOD.encode() + b"x" * limit
    response = await upload(admin, big)
    assert response.status_code == 413
    assert response.json()["error_id"] == "upload-too-large"
    assert customers(app) == before


async def test_talk_scripts_round_trip_and_reject_dangling_branches(sign_in: SignIn) -> None:
    admin = await sign_in("admin-midori")
    agent = await sign_in("op01")
    branch: dict[str, str] = {"when_ja": "注文", "next": "b"}
    steps: list[dict[str, Any]] = [
        {"id": "a", "say_ja": "こんにちは", "branches": [branch]},
        {"id": "b", "say_ja": "ご注文ですね", "branches": []},
    ]
    saved = await admin.put(
        "/api/v1/admin/scripts/orders", json={"queue_id": "orders", "steps": steps}
    )
    assert saved.status_code == 200
    script = (await agent.get("/api/v1/scripts/orders")).json()
    assert [s["id"] for s in script["steps"]] == ["a", "b"]
    branch["next"] = "zzz"
    bad = await admin.put(
        "/api/v1/admin/scripts/orders", json={"queue_id": "orders", "steps": steps}
    )
    assert bad.status_code == 422
    assert bad.json()["details"][0]["field"] == "body.steps.0.branches.0.next"
    other_tenant = await agent.get("/api/v1/scripts/aozora-reception")
    assert other_tenant.status_code == 404


async def test_export_is_csv_with_every_customer(sign_in: SignIn) -> None:
    supervisor = await sign_in("sv01")
    response = await supervisor.get(
        "/api/v1/admin/customers/export", params={"purpose": "顧客データ点検"}
    )
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.text.lstrip("\ufeff").splitlines()
    assert lines[0].startswith("customer_number,name")
    assert len(lines) == 1 + 3


async def test_config_view_lists_queues_hours_holidays_and_codes(sign_in: SignIn) -> None:
    supervisor = await sign_in("sv01")
    config = (await supervisor.get("/api/v1/admin/config")).json()
    assert "general" in {q["id"] for q in config["queues"]}
    assert "aozora-reception" not in {q["id"] for q in config["queues"]}
    office = next(c for c in config["calendars"] if c["id"] == "office")
    assert office["weekly"]["mon"] == "09:00-18:00"
    assert any(d["code"] == "resolved" for d in config["dispositions"])
    assert all(d["code"] != "message-taken" for d in config["dispositions"])
