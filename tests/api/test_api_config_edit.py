"""Admin editing of the center: a section in, a new validated version of the center YAML out;
bad input refused with the loader's FILE:LINE problems and nothing written."""

from __future__ import annotations

from pathlib import Path

import yaml
from api_support import SignIn
from fastapi import FastAPI
from sqlalchemy import select

from madoguchi.core.config_loader import parse_center
from madoguchi.store.crm import AuditEntry


def use_file(app: FastAPI, tmp_path: Path) -> Path:
    path = tmp_path / "center.yaml"
    app.state.ctx.extras["center_file"] = path
    return path


async def test_given_new_holidays_and_hours_when_saved_then_a_loadable_version_is_written(
    app: FastAPI, sign_in: SignIn, tmp_path: Path
) -> None:
    path = use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    section = (await admin.get("/api/v1/admin/config/sections/calendars")).json()
    calendars = yaml.safe_load(section["yaml"])
    ids = [c["id"] for c in calendars]
    assert "office" in ids
    assert "aozora-office" not in ids  # only another tenant's queue uses it
    office = next(c for c in calendars if c["id"] == "office")
    office["weekly"]["sat"] = "closed"
    office["closures"].append({"from": "08-13", "to": "08-16", "name": "お盆休み"})
    saved = await admin.put(
        "/api/v1/admin/config/sections/calendars",
        json={"yaml": yaml.safe_dump(calendars, allow_unicode=True)},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["restart_required"] is False  # calendars go into service at once
    assert saved.json()["applied"] == ["calendars"]
    center = parse_center(path.read_text(encoding="utf-8"), str(path))
    office_cal = next(c for c in center.calendars if c.id == "office")
    assert office_cal.weekly[5] == ()
    assert any(c.name == "お盆休み" for c in office_cal.annual_closures)
    assert {c.id for c in center.calendars} >= {"office", "aozora-office"}

    again = (await admin.get("/api/v1/admin/config/sections/calendars")).json()
    assert again["restart_required"] is False
    assert "お盆休み" in again["yaml"]


async def test_given_a_dangling_skill_when_saving_queues_then_422_lists_file_line_problems(
    app: FastAPI, sign_in: SignIn, tmp_path: Path
) -> None:
    path = use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    queues = yaml.safe_load(
        (await admin.get("/api/v1/admin/config/sections/queues")).json()["yaml"]
    )
    queues[0]["skills"] = {"no-such-skill": 1}
    response = await admin.put(
        "/api/v1/admin/config/sections/queues", json={"yaml": yaml.safe_dump(queues)}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error_id"] == "config-rejected"
    assert body["details"]
    assert all(d["field"].startswith("center.yaml:") for d in body["details"])
    assert any("no-such-skill" in d["message"] for d in body["details"])
    assert not path.exists()


async def test_given_broken_yaml_or_a_foreign_tenant_when_saving_then_422_and_nothing_written(
    app: FastAPI, sign_in: SignIn, tmp_path: Path
) -> None:
    path = use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    broken = await admin.put(
        "/api/v1/admin/config/sections/dispositions", json={"yaml": "- code: [unclosed\n"}
    )
    assert broken.status_code == 422
    assert broken.json()["details"][0]["field"].startswith("body.yaml:")
    foreign = await admin.put(
        "/api/v1/admin/config/sections/dispositions",
        json={"yaml": "- {code: x, tenant: aozora, name: {ja: x, en: x}, category: resolved}\n"},
    )
    assert foreign.status_code == 422
    assert foreign.json()["details"][0]["field"] == "body.yaml[1].tenant"
    assert not path.exists()
    agent = await sign_in("op01")
    assert (await agent.get("/api/v1/admin/config/sections/skills")).status_code == 403
    unknown = await admin.get("/api/v1/admin/config/sections/nope")
    assert unknown.status_code == 422


async def test_given_a_new_disposition_when_saved_then_the_file_has_it_and_others_are_kept(
    app: FastAPI, sign_in: SignIn, tmp_path: Path
) -> None:
    path = use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    section = (await admin.get("/api/v1/admin/config/sections/dispositions")).json()
    text = section["yaml"]
    if text.strip() == "[]":
        text = ""
    text += "- {code: order-placed, name: {ja: 注文受付, en: Order placed}, category: sale}\n"
    saved = await admin.put("/api/v1/admin/config/sections/dispositions", json={"yaml": text})
    assert saved.status_code == 200, saved.text
    center = parse_center(path.read_text(encoding="utf-8"), str(path))
    codes = {(c.code, c.tenant) for c in center.dispositions}
    assert ("order-placed", "midori") in codes
    assert ("message-taken", "aozora") in codes  # another tenant's codes are kept
    assert ("resolved", None) in codes  # shared codes are kept

    second = await admin.put("/api/v1/admin/config/sections/dispositions", json={"yaml": text})
    assert second.status_code == 200
    assert second.json()["backup"] is not None
    assert Path(second.json()["backup"]).is_file()
    with app.state.ctx.sessions() as db:
        edits = db.scalars(select(AuditEntry).where(AuditEntry.action == "config.edit")).all()
        assert len(edits) == 2


async def test_given_an_agent_when_the_admin_moves_their_skills_then_the_new_version_has_them(
    app: FastAPI, sign_in: SignIn, tmp_path: Path
) -> None:
    path = use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    moved = await admin.put(
        "/api/v1/admin/agents/op01/skills", json={"skills": {"orders": 8, "complaints": 3}}
    )
    assert moved.status_code == 200, moved.text
    center = parse_center(path.read_text(encoding="utf-8"), str(path))
    assert dict(center.agent("op01").skills) == {"orders": 8, "complaints": 3}
    bad = await admin.put("/api/v1/admin/agents/op01/skills", json={"skills": {"ghost": 3}})
    assert bad.status_code == 422
    other = await admin.put("/api/v1/admin/agents/op25/skills", json={"skills": {"aozora": 3}})
    assert other.status_code == 404
