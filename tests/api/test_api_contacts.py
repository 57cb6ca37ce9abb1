"""An agent's contact from offer to wrap-up through the API; the customer's timeline after."""

from __future__ import annotations

from api_support import START, SignIn

from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime


def caller(contact_id: str, number: str = "+819012345678", **attributes: str) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=START,
        from_address=number,
        attributes=dict(attributes),
    )


async def test_given_an_available_agent_when_a_call_comes_then_answer_hang_up_and_wrap_up(
    sign_in: SignIn, runtime: CenterRuntime
) -> None:
    agent = await sign_in("op01")
    assert (
        await agent.post("/api/v1/agents/me/login", json={"available": True})
    ).status_code == 200
    await runtime.submit(rc.EnqueueContact(caller("c-1", customer_number="M0001"), "general"))
    assert runtime.engine.agent_state("op01").value == "reserved"

    detail = (await agent.get("/api/v1/contacts/c-1")).json()
    assert detail["channel"] == "voice"
    assert detail["queues"] == ["general"]

    assert (await agent.post("/api/v1/contacts/c-1/accept")).status_code == 200
    assert (await agent.post("/api/v1/contacts/c-1/hold")).status_code == 200
    assert (await agent.post("/api/v1/contacts/c-1/resume")).status_code == 200
    assert (await agent.post("/api/v1/contacts/c-1/end")).status_code == 200
    assert runtime.engine.agent_state("op01").value == "after_contact_work"

    pop = (await agent.get("/api/v1/screen-pop", params={"phone": "+819012345678"})).json()
    customer_id = pop["customer"]["id"]
    done = await agent.post(
        "/api/v1/contacts/c-1/wrap-up",
        json={
            "disposition": "resolved",
            "notes": "配送日を案内",
            "customer_id": customer_id,
            "follow_up": {"due": "2026-11-30", "text": "到着確認の電話"},
        },
    )
    assert done.status_code == 200, done.text
    assert runtime.engine.agent_state("op01").value == "available"

    timeline = (await agent.get(f"/api/v1/customers/{customer_id}/timeline")).json()
    kinds = {item["kind"] for item in timeline}
    assert kinds == {"contact", "note", "follow_up"}
    note = next(i for i in timeline if i["kind"] == "note")
    assert (note["disposition"], note["text"], note["author"]) == (
        "resolved",
        "配送日を案内",
        "op01",
    )
    pop = (await agent.get("/api/v1/screen-pop", params={"phone": "090-1234-5678"})).json()
    assert [f["text"] for f in pop["follow_ups"]] == ["到着確認の電話"]


async def test_given_an_unknown_disposition_when_wrapping_up_then_422_names_it(
    sign_in: SignIn, runtime: CenterRuntime
) -> None:
    agent = await sign_in("op01")
    await agent.post("/api/v1/agents/me/login", json={"available": True})
    await runtime.submit(rc.EnqueueContact(caller("c-2"), "general"))
    await agent.post("/api/v1/contacts/c-2/accept")
    await agent.post("/api/v1/contacts/c-2/end")
    response = await agent.post("/api/v1/contacts/c-2/wrap-up", json={"disposition": "nope"})
    assert response.status_code == 422
    assert response.json()["details"] == [
        {"field": "body.disposition", "message": "unknown disposition code"}
    ]
    missing = await agent.post("/api/v1/contacts/c-2/wrap-up", json={"notes": "x"})
    assert missing.status_code == 422
    assert missing.json()["details"][0]["field"] == "body.disposition"


async def test_given_a_routing_refusal_when_commanding_then_409_with_the_engine_slug(
    sign_in: SignIn, runtime: CenterRuntime
) -> None:
    agent = await sign_in("op01")
    response = await agent.post("/api/v1/agents/me/state", json={"state": "available"})
    assert response.status_code == 409
    assert response.json()["error_id"] == "invalid-agent-transition"
    unknown = await agent.post("/api/v1/contacts/nothing/accept")
    assert unknown.status_code == 404


async def test_given_a_transfer_body_with_two_targets_then_422(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    response = await agent.post(
        "/api/v1/contacts/x/transfer", json={"to_queue": "general", "to_supervisor": True}
    )
    assert response.status_code == 422


async def test_agents_list_only_their_own_contacts_supervisors_all_of_the_tenant(
    sign_in: SignIn, runtime: CenterRuntime
) -> None:
    op01 = await sign_in("op01")
    op02 = await sign_in("op02")
    supervisor = await sign_in("sv01")
    await op01.post("/api/v1/agents/me/login", json={"available": True})
    await runtime.submit(rc.EnqueueContact(caller("c-3"), "general"))
    await op01.post("/api/v1/contacts/c-3/accept")
    assert (await op02.get("/api/v1/contacts/c-3")).status_code == 404
    assert (await op01.get("/api/v1/contacts/c-3")).json()["journey"]["live"] is True
    await op01.post("/api/v1/contacts/c-3/end")
    await op01.post("/api/v1/contacts/c-3/wrap-up", json={"disposition": "resolved"})
    assert [c["contact_id"] for c in (await op01.get("/api/v1/contacts")).json()] == ["c-3"]
    assert (await op02.get("/api/v1/contacts")).json() == []
    assert (await op02.get("/api/v1/contacts/c-3")).status_code == 404
    assert [c["contact_id"] for c in (await supervisor.get("/api/v1/contacts")).json()] == ["c-3"]
