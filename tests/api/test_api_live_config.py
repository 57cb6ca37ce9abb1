"""Admin and supervisor edits take effect in the running center without a restart: an agent's
skills through routing's SetAgentSkills, calendars and codes by swapping the configuration;
what routing builds at start (queues) is saved and reported as waiting for a restart."""

from __future__ import annotations

from pathlib import Path

import yaml
from api_support import START, SignIn
from fastapi import FastAPI

from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev
from madoguchi.runtime import CenterRuntime


def use_file(app: FastAPI, tmp_path: Path) -> Path:
    path = tmp_path / "center.yaml"
    app.state.ctx.extras["center_file"] = path
    return path


def caller(contact_id: str) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=START,
        from_address="+819012345678",
    )


async def ready(runtime: CenterRuntime, agent_id: str) -> None:
    await runtime.submit(rc.AgentLogin(agent_id))
    await runtime.submit(rc.SetAgentState(agent_id, AgentState.AVAILABLE))


def offered_to(published: list[tuple[int, Event]], contact_id: str) -> list[str]:
    return [
        e.agent_id
        for _, e in published
        if isinstance(e, ev.ContactOffered) and e.contact_id == contact_id
    ]


async def test_an_admin_skills_edit_routes_the_next_contact_with_no_restart(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    path = use_file(app, tmp_path)
    await ready(runtime, "op01")  # general 8, orders 7: no tech skill
    first = await runtime.submit(rc.EnqueueContact(caller("t-1"), "tech"))
    assert offered_to(first, "t-1") == []
    await runtime.submit(rc.AbandonContact("t-1"))

    admin = await sign_in("admin-midori")
    saved = await admin.put("/api/v1/admin/agents/op01/skills", json={"skills": {"tech": 6}})
    assert saved.status_code == 200, saved.text
    assert saved.json()["applied"] == ["skills of op01"]
    assert saved.json()["restart_required"] is False
    assert "tech: 6" in path.read_text(encoding="utf-8")

    nxt = await runtime.submit(rc.EnqueueContact(caller("t-2"), "tech"))
    assert offered_to(nxt, "t-2") == ["op01"]
    logged = [e.event for e in runtime.store.read() if isinstance(e.event, ev.AgentSkillsChanged)]
    assert [(e.agent_id, e.skills) for e in logged] == [("op01", (("tech", 6),))]


async def test_an_agents_section_edit_sends_set_agent_skills_for_each_changed_agent(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    agents = yaml.safe_load(
        (await admin.get("/api/v1/admin/config/sections/agents")).json()["yaml"]
    )
    for agent in agents:
        if agent["id"] in ("op02", "op03"):
            agent["skills"] = {**agent["skills"], "complaints": 6}
    saved = await admin.put(
        "/api/v1/admin/config/sections/agents",
        json={"yaml": yaml.safe_dump(agents, allow_unicode=True)},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["applied"] == ["skills of op02", "skills of op03"]
    await ready(runtime, "op03")
    published = await runtime.submit(rc.EnqueueContact(caller("c-1"), "complaints"))
    assert offered_to(published, "c-1") == ["op03"]


async def test_a_closure_saved_by_the_admin_closes_the_queue_for_the_next_caller(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    use_file(app, tmp_path)
    await ready(runtime, "op01")
    admin = await sign_in("admin-midori")
    calendars = yaml.safe_load(
        (await admin.get("/api/v1/admin/config/sections/calendars")).json()["yaml"]
    )
    office = next(c for c in calendars if c["id"] == "office")
    office["weekly"]["tue"] = "closed"  # START is a Tuesday morning, when the office is open
    saved = await admin.put(
        "/api/v1/admin/config/sections/calendars",
        json={"yaml": yaml.safe_dump(calendars, allow_unicode=True)},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["applied"] == ["calendars"]
    assert runtime.engine.config is runtime.config
    published = await runtime.submit(rc.EnqueueContact(caller("c-closed"), "general"))
    assert offered_to(published, "c-closed") == []
    assert any(isinstance(e, ev.ContactOverflowed) for _, e in published) or any(
        isinstance(e, ev.ContactEnded) for _, e in published
    )


async def test_a_new_disposition_is_accepted_at_wrap_up_without_a_restart(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    use_file(app, tmp_path)
    admin = await sign_in("admin-midori")
    section = (await admin.get("/api/v1/admin/config/sections/dispositions")).json()
    codes = yaml.safe_load(section["yaml"])
    codes.append({"code": "gift-wrapped", "name": {"ja": "ギフト包装", "en": "Gift wrapped"}})
    saved = await admin.put(
        "/api/v1/admin/config/sections/dispositions",
        json={"yaml": yaml.safe_dump(codes, allow_unicode=True)},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["applied"] == ["dispositions"]
    agent = await sign_in("op01")
    codes_now = (await agent.get("/api/v1/codes")).json()["dispositions"]
    assert "gift-wrapped" in [c["code"] for c in codes_now]


async def test_a_queue_edit_is_saved_and_waits_for_the_restart(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    use_file(app, tmp_path)
    before = runtime.config
    admin = await sign_in("admin-midori")
    queues = yaml.safe_load(
        (await admin.get("/api/v1/admin/config/sections/queues")).json()["yaml"]
    )
    queues[0]["priority"] = int(queues[0].get("priority", 0)) + 1
    saved = await admin.put(
        "/api/v1/admin/config/sections/queues",
        json={"yaml": yaml.safe_dump(queues, allow_unicode=True)},
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["restart_required"] is True
    assert body["applied"] == []
    assert body["waiting"] == ["queues (changed)"]
    assert runtime.config is before  # nothing half-swapped


async def test_a_supervisor_moves_an_agent_between_skills_live(
    sign_in: SignIn, runtime: CenterRuntime
) -> None:
    await ready(runtime, "op02")
    supervisor = await sign_in("sv01")
    moved = await supervisor.put("/api/v1/agents/op02/skills", json={"skills": {"vip": 7}})
    assert moved.status_code == 200, moved.text
    published = await runtime.submit(rc.EnqueueContact(caller("v-1"), "vip"))
    assert offered_to(published, "v-1") == ["op02"]
    unknown = await supervisor.put("/api/v1/agents/op02/skills", json={"skills": {"nope": 3}})
    assert unknown.status_code == 422
    assert unknown.json()["details"][0]["field"] == "body.skills.nope"
    too_high = await supervisor.put("/api/v1/agents/op02/skills", json={"skills": {"vip": 11}})
    assert too_high.status_code == 422
    foreign = await supervisor.put("/api/v1/agents/op25/skills", json={"skills": {"vip": 7}})
    assert foreign.status_code == 404
    agent = await sign_in("op01")
    refused = await agent.put("/api/v1/agents/op02/skills", json={"skills": {"vip": 7}})
    assert refused.status_code == 403
