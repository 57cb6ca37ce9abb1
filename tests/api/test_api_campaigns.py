"""Outbound API: campaigns, CSV lists, do-not-call, preview dialling, dispositions, callbacks,
reports and the CTI panel."""

from __future__ import annotations

from typing import Any

import httpx
from api_support import START, SignIn
from fastapi import FastAPI
from sqlalchemy import select

from madoguchi.store.campaigns import CallbackRow, DialAttemptRow, DncEntryRow, ListRecordRow
from madoguchi.store.crm import aware

CAMPAIGN = {
    "key": "renew-2026",
    "name": "契約更新のご案内",
    "type": "sales",
    "mode": "preview",
    "dispositions": ["sale", "appointment", "refused", "callback"],
}
GOOD_CSV = (
    "phone,name,customer_id,plan\n"
    "090-1234-5678,山田 花子,M0001,premium\n"
    "03-5555-0101,佐藤 次郎,,basic\n"
    "+81 3-5555-0101,佐藤 次郎 (重複),,\n"
)


async def running_campaign(sv: httpx.AsyncClient, csv_text: str = GOOD_CSV) -> dict[str, Any]:
    assert (await sv.post("/api/v1/campaigns", json=CAMPAIGN)).status_code == 201
    imported = await sv.post(
        "/api/v1/campaigns/renew-2026/list",
        files={"file": ("list.csv", csv_text.encode(), "text/csv")},
    )
    assert imported.status_code == 200, imported.text
    started = await sv.post("/api/v1/campaigns/renew-2026/start")
    assert started.status_code == 200
    body: dict[str, Any] = imported.json()
    return body


def rows(app: FastAPI, model: Any) -> list[Any]:
    with app.state.ctx.sessions() as db:
        return list(db.scalars(select(model)))


async def test_given_a_supervisor_when_creating_and_starting_then_the_status_moves(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    created = await sv.post("/api/v1/campaigns", json=CAMPAIGN)
    assert created.status_code == 201
    assert created.json()["status"] == "draft"
    assert (await sv.post("/api/v1/campaigns/renew-2026/start")).json()["status"] == "running"
    assert (await sv.post("/api/v1/campaigns/renew-2026/pause")).json()["status"] == "paused"
    assert (await sv.post("/api/v1/campaigns/renew-2026/stop")).json()["status"] == "stopped"
    again = await sv.post("/api/v1/campaigns/renew-2026/start")
    assert again.status_code == 409
    assert again.json()["error_id"] == "campaign-state"
    assert (await sv.post("/api/v1/campaigns", json=CAMPAIGN)).status_code == 409


async def test_given_an_agent_when_creating_a_campaign_then_403(sign_in: SignIn) -> None:
    agent = await sign_in("op01")
    assert (await agent.post("/api/v1/campaigns", json=CAMPAIGN)).status_code == 403


async def test_given_a_campaign_of_another_tenant_when_reading_then_404(sign_in: SignIn) -> None:
    sv = await sign_in("sv01")
    assert (await sv.post("/api/v1/campaigns", json=CAMPAIGN)).status_code == 201
    other = await sign_in("sv05")
    assert (await other.get("/api/v1/campaigns/renew-2026")).status_code == 404
    assert (await other.get("/api/v1/campaigns")).json() == []


async def test_given_a_csv_with_bad_rows_when_importing_then_422_names_them_and_stores_nothing(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    assert (await sv.post("/api/v1/campaigns", json=CAMPAIGN)).status_code == 201
    bad = "phone,name\n090-1234-5678,ok\n12,short\n,empty\n03-5555-0101,ok\n"
    response = await sv.post(
        "/api/v1/campaigns/renew-2026/list", files={"file": ("l.csv", bad.encode(), "text/csv")}
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error_id"] == "csv-rejected"
    assert [d["field"] for d in body["details"]] == ["line 3", "line 4"]
    assert rows(app, ListRecordRow) == []


async def test_given_a_good_csv_when_importing_then_numbers_are_e164_merged_and_linked(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    report = await running_campaign(sv)
    assert report == {"added": 2, "already_listed": 0, "on_do_not_call": 0}
    stored = {r.number: r for r in rows(app, ListRecordRow)}
    assert set(stored) == {"+819012345678", "+81355550101"}
    assert stored["+819012345678"].customer_id is not None  # the sample customer M0001
    assert stored["+81355550101"].attributes == {"plan": "basic"}
    again = await sv.post(
        "/api/v1/campaigns/renew-2026/list",
        files={"file": ("list.csv", GOOD_CSV.encode(), "text/csv")},
    )
    assert again.json()["already_listed"] == 2


async def test_given_an_agent_when_adding_a_number_to_dnc_then_check_forbids_it(
    sign_in: SignIn, app: FastAPI
) -> None:
    agent = await sign_in("op01")
    added = await agent.post("/api/v1/dnc", json={"number": "090-9999-0000", "reason": "本人希望"})
    assert added.status_code == 200
    assert added.json()["added_by"] == "op01"
    check = await agent.get("/api/v1/dnc/check", params={"number": "+819099990000"})
    assert check.json()["allowed"] is False
    assert check.json()["entry"]["reason"] == "本人希望"
    free = await agent.get("/api/v1/dnc/check", params={"number": "09011112222"})
    assert free.json()["allowed"] is True
    bad = await agent.get("/api/v1/dnc/check", params={"number": "12"})
    assert bad.status_code == 422
    assert len(rows(app, DncEntryRow)) == 1


async def test_given_a_dnc_csv_with_a_bad_row_when_importing_then_nothing_is_added(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    response = await sv.post(
        "/api/v1/dnc/import",
        files={"file": ("dnc.csv", b"phone\n090-1111-0000\nabc\n", "text/csv")},
    )
    assert response.status_code == 422
    assert response.json()["details"][0]["field"] == "line 3"
    assert rows(app, DncEntryRow) == []
    ok = await sv.post(
        "/api/v1/dnc/import", files={"file": ("dnc.csv", b"phone\n090-1111-0000\n", "text/csv")}
    )
    assert ok.json() == {"added": 1, "already_listed": 0}


async def test_given_a_number_on_dnc_when_previewing_then_it_is_never_shown_and_the_block_logged(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await sv.post("/api/v1/dnc", json={"number": "090-1234-5678", "campaign": None})
    await running_campaign(sv)
    agent = await sign_in("op01")
    preview = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()
    assert preview["record"]["number"] == "+81355550101"
    blocks = [a for a in rows(app, DialAttemptRow) if a.outcome == "blocked"]
    assert [(b.number, b.blocked_reason) for b in blocks] == [("+819012345678", "do_not_call")]
    # the previewed record is held for this agent: nothing else is due
    second = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()
    assert second == {"record": None, "callback_id": None, "reason": "nothing_due"}


async def test_given_a_dnc_entry_added_after_preview_when_dialling_then_the_dial_is_blocked(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    await agent.post("/api/v1/dnc", json={"number": record["number"], "campaign": "renew-2026"})
    dial = await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")
    assert dial.json()["placed"] is False
    assert dial.json()["blocked_reason"] == "do_not_call"
    closed = {r.key: r.closed for r in rows(app, ListRecordRow)}
    assert closed[record["key"]] == "do_not_call"


async def test_given_a_preview_when_dialled_answered_and_refused_then_the_number_goes_on_dnc(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    dial = (await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")).json()
    assert dial["placed"] is True
    attempt = dial["attempt_id"]
    result = await agent.post(
        f"/api/v1/attempts/{attempt}/result", json={"outcome": "answered", "ring_s": 6.0}
    )
    assert result.status_code == 200
    done = await agent.post(
        f"/api/v1/attempts/{attempt}/disposition",
        json={"code": "refused", "notes": "今後の電話は不要とのこと", "talk_s": 40.0},
    )
    assert done.json()["do_not_call_added"] is True
    assert done.json()["record_closed"] == "refused"
    check = await agent.get("/api/v1/dnc/check", params={"number": record["number"]})
    assert check.json()["entry"]["reason"] == "refused"
    again = await agent.post(f"/api/v1/attempts/{attempt}/disposition", json={"code": "sale"})
    assert again.status_code == 409


async def test_given_an_appointment_without_its_rep_when_dispositioning_then_422(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    dial = (await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")).json()
    missing = await agent.post(
        f"/api/v1/attempts/{dial['attempt_id']}/disposition", json={"code": "appointment"}
    )
    assert missing.status_code == 422
    unknown = await agent.post(
        f"/api/v1/attempts/{dial['attempt_id']}/disposition", json={"code": "lottery"}
    )
    assert unknown.status_code == 422


async def test_given_no_answer_when_reported_then_the_record_is_retried_after_the_rule_delay(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    dial = (await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")).json()
    await agent.post(f"/api/v1/attempts/{dial['attempt_id']}/result", json={"outcome": "no_answer"})
    stored = {r.key: r for r in rows(app, ListRecordRow)}[record["key"]]
    assert stored.next_attempt_at is not None
    assert aware(stored.next_attempt_at).timestamp() - START == 2 * 3600
    assert stored.attempts == 1
    assert stored.closed is None


async def test_given_a_callback_to_a_named_agent_when_due_then_only_that_agent_previews_it(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    dial = (await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")).json()
    due = "2026-11-24T10:00:00+09:00"  # START in Tokyo: due at once
    done = await agent.post(
        f"/api/v1/attempts/{dial['attempt_id']}/disposition",
        json={
            "code": "callback",
            "notes": "夕方に折り返し希望",
            "callback": {"at": due, "agent_id": "op01"},
        },
    )
    assert done.json()["callback_id"] is not None
    other = await sign_in("op02")
    theirs = (await other.get("/api/v1/campaigns/renew-2026/preview")).json()
    assert theirs["callback_id"] is None
    assert theirs["record"]["key"] != record["key"]
    mine = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()
    assert mine["callback_id"] == done.json()["callback_id"]
    assert mine["record"]["key"] == record["key"]
    assert len(rows(app, CallbackRow)) == 1


async def test_given_dispositions_when_reporting_then_hours_and_incentives_are_counted(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    for code in ("sale", "appointment"):
        record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
        url = f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial"
        attempt = (await agent.post(url)).json()["attempt_id"]
        await agent.post(f"/api/v1/attempts/{attempt}/result", json={"outcome": "answered"})
        body: dict[str, Any] = {"code": code, "talk_s": 120.0}
        if code == "appointment":
            body["appointment"] = {"date": "2026-11-30", "time": "14:00", "rep": "営業 田中"}
        assert (await agent.post(f"/api/v1/attempts/{attempt}/disposition", json=body)).is_success
    report = (await sv.get("/api/v1/campaigns/renew-2026/report")).json()
    assert report["total"]["attempts"] == 2
    assert report["total"]["connects"] == 2
    assert report["total"]["right_party_contacts"] == 2
    assert report["penetration"] == 1.0
    assert list(report["hours"]) == ["2026-11-24 10:00"]
    op01 = report["agents"]["op01"]
    assert (op01["appointments"], op01["contracts"], op01["talk_s"]) == (1, 1, 240.0)
    assert (await agent.get("/api/v1/campaigns/renew-2026/report")).status_code == 403


async def test_given_earlier_calls_when_opening_the_cti_panel_then_it_shows_history_and_next(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    attempt = (
        await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")
    ).json()["attempt_id"]
    await agent.post(f"/api/v1/attempts/{attempt}/result", json={"outcome": "answered"})
    await agent.post(
        f"/api/v1/attempts/{attempt}/disposition",
        json={
            "code": "callback",
            "notes": "家族と相談する",
            "callback": {"at": "2026-11-25T18:00:00+09:00"},
        },
    )
    panel = (await agent.get("/api/v1/outbound/cti", params={"number": record["number"]})).json()
    assert panel["last_call"]["agent_id"] == "op01"
    assert panel["last_call"]["notes"] == "家族と相談する"
    assert panel["next_call"]["kind"] == "callback"
    assert panel["next_call"]["at"].startswith("2026-11-25T09:00:00")
    assert panel["customer_name"] is not None or record["number"] != "+819012345678"


async def test_given_nulls_when_patching_then_required_fields_keep_their_values(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    assert (await sv.post("/api/v1/campaigns", json=CAMPAIGN)).status_code == 201
    patched = await sv.patch(
        "/api/v1/campaigns/renew-2026",
        json={"name": None, "dispositions": None, "queue": "sales", "rules": {"max_attempts": 2}},
    )
    assert patched.status_code == 200
    body = patched.json()
    assert body["name"] == CAMPAIGN["name"]
    assert body["dispositions"] == CAMPAIGN["dispositions"]
    assert (body["queue"], body["rules"]["max_attempts"]) == ("sales", 2)


async def capped_campaign(sv: httpx.AsyncClient, **rules: Any) -> None:
    body = {**CAMPAIGN, "rules": rules}
    assert (await sv.post("/api/v1/campaigns", json=body)).status_code == 201
    imported = await sv.post(
        "/api/v1/campaigns/renew-2026/list",
        files={"file": ("list.csv", GOOD_CSV.encode(), "text/csv")},
    )
    assert imported.status_code == 200, imported.text
    assert (await sv.post("/api/v1/campaigns/renew-2026/start")).status_code == 200


async def dial_next(agent: httpx.AsyncClient) -> httpx.Response:
    record = (await agent.get("/api/v1/campaigns/renew-2026/preview")).json()["record"]
    return await agent.post(f"/api/v1/campaigns/renew-2026/records/{record['key']}/dial")


async def test_given_a_daily_cap_of_dials_when_reached_then_409_and_the_refusal_is_logged(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await capped_campaign(sv, daily_cap=1)
    agent = await sign_in("op01")
    first = await dial_next(agent)
    assert first.json()["placed"] is True
    await agent.post(f"/api/v1/attempts/{first.json()['attempt_id']}/result",
                     json={"outcome": "no_answer"})  # fmt: skip
    second = await dial_next(agent)
    assert second.status_code == 409
    assert second.json()["error_id"] == "daily-cap-reached"
    assert "daily cap of 1 dials" in second.json()["message"]
    blocked = [r for r in rows(app, DialAttemptRow) if r.outcome == "blocked"]
    assert [r.blocked_reason for r in blocked] == ["daily_cap"]
    open_records = [r for r in rows(app, ListRecordRow) if r.closed is None]
    assert len(open_records) == 2  # the capped record is not closed: it waits for tomorrow


async def test_given_a_daily_cap_of_connects_when_reached_then_409(
    sign_in: SignIn, app: FastAPI
) -> None:
    sv = await sign_in("sv01")
    await capped_campaign(sv, daily_connect_cap=1)
    agent = await sign_in("op01")
    first = (await dial_next(agent)).json()
    await agent.post(f"/api/v1/attempts/{first['attempt_id']}/result",
                     json={"outcome": "answered", "ring_s": 5.0})  # fmt: skip
    second = await dial_next(agent)
    assert second.status_code == 409
    assert "daily cap of 1 connects" in second.json()["message"]
    assert [r.blocked_reason for r in rows(app, DialAttemptRow) if r.outcome == "blocked"] == [
        "daily_connect_cap"
    ]


async def test_given_an_unknown_agent_in_the_rules_when_creating_then_422_names_the_field(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    body = {**CAMPAIGN, "mode": "progressive", "rules": {"agents": ["op04", "op25"]}}
    created = await sv.post("/api/v1/campaigns", json=body)  # op25 works for another tenant
    assert created.status_code == 422
    assert created.json()["details"][0]["field"] == "body.rules.agents"
    assert "op25" in created.json()["details"][0]["message"]


async def test_given_a_dial_without_a_trunk_when_read_then_the_attempt_waits_for_its_result(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    await running_campaign(sv)
    agent = await sign_in("op01")
    dial = (await dial_next(agent)).json()
    assert dial["over_trunk"] is False  # no trunk in the sample center: the agent reports
    attempt = (await agent.get(f"/api/v1/attempts/{dial['attempt_id']}")).json()
    assert (attempt["outcome"], attempt["connected"], attempt["agent_id"]) == (None, False, "op01")
    await agent.post(f"/api/v1/attempts/{dial['attempt_id']}/result", json={"outcome": "busy"})
    assert (await agent.get(f"/api/v1/attempts/{dial['attempt_id']}")).json()["outcome"] == "busy"
    other = await sign_in("sv05")
    assert (await other.get(f"/api/v1/attempts/{dial['attempt_id']}")).status_code == 404


async def test_given_an_agentless_campaign_without_a_message_then_422_names_the_field(
    sign_in: SignIn,
) -> None:
    sv = await sign_in("sv01")
    body = {**CAMPAIGN, "key": "remind", "type": "reminder", "mode": "agentless"}
    body.pop("script", None)
    silent = await sv.post("/api/v1/campaigns", json=body)
    assert silent.status_code == 422
    assert silent.json()["details"][0]["field"] == "body.rules.message"
    lines = await sv.post(
        "/api/v1/campaigns", json={**body, "rules": {"message": "ご予約の確認です。", "lines": 0}}
    )
    assert lines.status_code == 422
    assert "lines" in str(lines.json()["details"][0]["field"])
    rules = {"message": "みどり歯科です。ご予約の確認です。", "lines": 4, "max_tries": 2}
    created = await sv.post("/api/v1/campaigns", json={**body, "rules": rules})
    assert created.status_code == 201, created.text
    stored = created.json()["rules"]
    assert (stored["lines"], stored["max_tries"], stored["callback_grace_s"]) == (4, 2, 600.0)
    emptied = await sv.patch("/api/v1/campaigns/remind", json={"rules": {"lines": 2}})
    assert emptied.status_code == 422  # the new rules carry no message and there is no script
    assert emptied.json()["details"][0]["field"] == "body.rules.message"
    kept = (await sv.get("/api/v1/campaigns/remind")).json()["rules"]
    assert kept["message"] == rules["message"]
