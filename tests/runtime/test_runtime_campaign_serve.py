"""Campaigns given to the server (``madoguchi serve --campaigns FILE``) dial over the tenant's
trunk from the center file: sipp answers as the callee after early media (183 + audio), the
reserved agent's phone is bridged;
a bad list row refuses the campaign file with its row number."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher
from pydantic import SecretStr
from sqlalchemy import select
from telephony_support import free_port, run_sipp
from voice_support import AgentPhone

from madoguchi.api.seed import seed_sample_users
from madoguchi.core.config import CenterConfig, TrunkConfig
from madoguchi.core.dialer import DialOutcome
from madoguchi.core.dialer.events import DialBlocked, DialPlaced, DialResulted, OutboundConnected
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.demo import open_around_the_clock
from madoguchi.runtime.campaign_file import CampaignFileError, load_campaign_file
from madoguchi.runtime.outbound import Trunk
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer, ServerOptions
from madoguchi.settings import Settings
from madoguchi.store.campaigns import CallbackRow, DialAttemptRow, ListRecordRow

PASSWORD = "phone-secret-3"
SCENARIOS = Path(__file__).parent / "scenarios"
CAMPAIGN = """\
campaigns:
  - id: renewal
    tenant: midori
    name: 更新のご案内
    type: reminder
    mode: progressive
    queue: orders
    agents: [op04]
    list: renewal.csv
    do_not_call: refused.csv
    calling_hours: "00:00-24:00"
    every_day: true
    holidays_closed: false
    ring_timeout: 5
    max_attempts: 1
"""


def center_with_trunk(port: int) -> CenterConfig:
    config = open_around_the_clock(load_sample_center())
    trunk = TrunkConfig(f"sip:{{number}}@127.0.0.1:{port}", caller_id="0120000100")
    tenants = tuple(
        dataclasses.replace(t, trunk=trunk) if t.id == "midori" else t for t in config.tenants
    )
    return dataclasses.replace(config, tenants=tenants, _index={})


def write_campaign(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "renewal.csv").write_text("phone,name\n" + rows, encoding="utf-8")
    (tmp_path / "refused.csv").write_text("phone\n090-1111-2222\n", encoding="utf-8")
    path = tmp_path / "campaigns.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path


def test_trunk_from_center_config_builds_uri_and_caller_id() -> None:
    (midori, *_others) = center_with_trunk(5099).tenants
    trunk = Trunk.from_config(midori)
    assert trunk.uri("+81312345678") == "sip:81312345678@127.0.0.1:5099"
    assert trunk.caller_id == "0120000100"
    assert trunk.credentials is None


def test_campaign_file_with_a_bad_number_is_refused_with_its_row(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, "03-1234-5678,佐藤\n12345,鈴木\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_file(path, center_with_trunk(5099))
    (problem,) = caught.value.problems
    assert problem.startswith(f"{tmp_path / 'renewal.csv'}:3:")


def test_campaign_for_a_tenant_without_trunk_is_refused(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, "03-1234-5678,佐藤\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_file(path, open_around_the_clock(load_sample_center()))
    assert "has no trunk" in caught.value.problems[0]
    assert caught.value.problems[0].startswith(f"{path}:2:")


@pytest.mark.peer
async def test_server_dials_campaign_over_tenant_trunk_notes_early_media_and_bridges_agent(
    tmp_path: Path,
) -> None:
    callee_port = free_port()
    callee = asyncio.create_task(
        run_sipp("-sf", str(SCENARIOS / "callee_early_media.xml"), "-p", str(callee_port),
                 "-mp", str(free_port()), "-m", "1", cwd=tmp_path, timeout=40)
    )  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = CenterServer(
        ServerOptions(
            config=center_with_trunk(callee_port),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            web=False,
            phone_password_default=PASSWORD,
            drain_timeout_s=1.0,
            # the first callee refused before: on the do-not-call list, never dialled
            campaigns_file=write_campaign(tmp_path, "090-1111-2222,鈴木\n03-1234-5678,佐藤\n"),
        )
    )
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    phone = AgentPhone(talk_s=2.0, ring_s=0.1, greeting_s=1.0)
    await server.start()
    try:
        extension = server.config.agent("op04").extension
        assert extension is not None
        await phone.endpoint.start()
        status = await phone.endpoint.register(
            f"sip:{extension}@127.0.0.1",
            ("127.0.0.1", server.endpoint.port),
            (extension, PASSWORD),
            expires=600,
        )
        assert status == 200
        await server.runtime.submit(
            rc.AgentLogin("op04", work_mode=WorkMode.OUTBOUND, available=True)
        )
        result = await asyncio.wait_for(callee, 50)
    finally:
        await phone.close()
        await server.stop()
    assert result.returncode == 0, result.output
    (blocked,) = [e for e in events if isinstance(e, DialBlocked)]
    assert blocked.number == "+819011112222"
    (resulted,) = [e for e in events if isinstance(e, DialResulted)]
    assert resulted.outcome is DialOutcome.ANSWERED
    (connected,) = [e for e in events if isinstance(e, OutboundConnected)]
    assert connected.agent_id == "op04"
    assert connected.wait_s < 2.0
    assert len(phone.answered) == 1
    (gateway, _task) = server.outbound[0]
    assert gateway.stats["dials"] == 1
    assert gateway.stats["early_media"] == 1  # the announcement before the 200 OK


# ---------------------------------------------------------------- the database drives serve

HTTP_PASSWORD = "serve-password-1"
ALWAYS = {"window_start": "00:00", "window_end": "24:00", "window_days": [0, 1, 2, 3, 4, 5, 6],
          "holidays_closed": False, "ring_timeout_s": 5}  # fmt: skip


class RoutedTrunk(Trunk):
    """The tenant's trunk, its far end chosen by the number's last digit (several sipp)."""

    def __init__(self, ports: dict[str, int]) -> None:
        super().__init__("sip:{number}@127.0.0.1", caller_id="0120000100")
        self.ports = ports

    def uri(self, number: str) -> str:
        return f"sip:{number.lstrip('+')}@127.0.0.1:{self.ports[number[-1]]}"


async def web_server(tmp_path: Path, callee_port: int) -> CenterServer:
    settings = Settings(
        environment="test",
        secret_key=SecretStr("s" * 48),
        database_url=f"sqlite+pysqlite:///{tmp_path / 'crm.sqlite3'}",
        log_json=False,
        _env_file=None,
    )  # type: ignore[call-arg]
    server = CenterServer(
        ServerOptions(
            config=center_with_trunk(callee_port),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            http_port=free_port(socket.SOCK_STREAM),
            phone_password_default=PASSWORD,
            drain_timeout_s=1.0,
            settings=settings,
        )
    )
    await server.start()
    with server.app.state.ctx.sessions() as db:
        seed_sample_users(db, server.config, HTTP_PASSWORD, server.runtime.clock.now(),
                          PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))  # fmt: skip
    return server


async def signed_in(server: CenterServer, username: str) -> httpx.AsyncClient:
    client = httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.options.http_port}")
    response = await client.post(
        "/api/v1/auth/sign-in", json={"username": username, "password": HTTP_PASSWORD}
    )
    assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    return client


async def agent_phone_ready(server: CenterServer, agent: str, mode: WorkMode) -> AgentPhone:
    phone = AgentPhone(talk_s=2.0, ring_s=0.1, greeting_s=1.0)
    extension = server.config.agent(agent).extension
    assert extension is not None
    await phone.endpoint.start()
    status = await phone.endpoint.register(
        f"sip:{extension}@127.0.0.1",
        ("127.0.0.1", server.endpoint.port),
        (extension, PASSWORD),
        expires=600,
    )
    assert status == 200
    await server.runtime.submit(rc.AgentLogin(agent, work_mode=mode, available=True))
    return phone


def attempts(server: CenterServer) -> list[DialAttemptRow]:
    with server.app.state.ctx.sessions() as db:
        return list(db.scalars(select(DialAttemptRow).order_by(DialAttemptRow.id)))


@pytest.mark.peer
async def test_campaign_started_through_the_api_is_dialled_by_the_running_server(
    tmp_path: Path,
) -> None:
    callee_port = free_port()
    callee = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(callee_port), "-m", "1", cwd=tmp_path,
                 timeout=50)
    )  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = await web_server(tmp_path, callee_port)
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    phone = await agent_phone_ready(server, "op04", WorkMode.OUTBOUND)
    sv = await signed_in(server, "sv01")
    try:
        body = {"key": "renewal", "name": "更新のご案内", "mode": "progressive",
                "queue": "orders", "rules": {**ALWAYS, "agents": ["op04"]}}  # fmt: skip
        assert (await sv.post("/api/v1/campaigns", json=body)).status_code == 201
        refused = await sv.post("/api/v1/dnc", json={"number": "090-1111-2222"})
        assert refused.status_code == 200
        csv = "phone,name\n090-1111-2222,鈴木\n03-1234-5678,佐藤\n"
        upload = {"file": ("list.csv", csv.encode(), "text/csv")}
        imported = await sv.post("/api/v1/campaigns/renewal/list", files=upload)
        assert imported.json()["on_do_not_call"] == 1
        await asyncio.sleep(2.5)
        assert attempts(server) == []  # a draft is not dialled
        assert (await sv.post("/api/v1/campaigns/renewal/start")).status_code == 200
        result = await asyncio.wait_for(callee, 50)  # dialled within the next second
        assert result.returncode == 0, result.output
        agent = await signed_in(server, "op01")  # the server paces it: no hand dialling
        preview = (await agent.get("/api/v1/campaigns/renewal/preview")).json()
        assert preview == {"record": None, "callback_id": None, "reason": "paced_by_server"}
        by_hand = await agent.post("/api/v1/campaigns/renewal/records/r2/dial")
        assert by_hand.json()["error_id"] == "campaign-paced"
        await agent.aclose()
        paused = await sv.post("/api/v1/campaigns/renewal/pause")
        assert paused.status_code == 200
        (gateway, _task) = server.outbound[0]
        for _ in range(40):
            await asyncio.sleep(0.1)
            if gateway.campaigns["renewal"].dialer.status.value == "paused":
                break
        assert gateway.campaigns["renewal"].dialer.status.value == "paused"
        report = (await sv.get("/api/v1/campaigns/renewal/report")).json()
    finally:
        await sv.aclose()
        await phone.close()
        await server.stop()
    blocked, answered = attempts(server)
    assert (blocked.number, blocked.blocked_reason) == ("+819011112222", "do_not_call")
    assert (answered.number, answered.outcome) == ("+81312345678", "answered")
    assert (answered.connected, answered.agent_id) == (True, "op04")
    assert any(isinstance(e, OutboundConnected) and e.agent_id == "op04" for e in events)
    assert len(phone.answered) == 1
    assert (report["total"]["attempts"], report["total"]["connects"]) == (1, 1)
    assert report["total"]["blocked"] == 1
    assert report["agents"]["op04"]["connects"] == 1


@pytest.mark.peer
async def test_preview_dial_from_the_api_goes_over_the_trunk_and_its_result_comes_back(
    tmp_path: Path,
) -> None:
    ports = {"1": free_port(), "2": free_port(), "3": free_port(), "4": free_port()}
    invalid = tmp_path / "callee_invalid.xml"
    invalid.write_text(
        (SCENARIOS / "callee_busy.xml").read_text().replace("486 Busy Here", "404 Not Found"),
        encoding="utf-8",
    )  # the number does not exist
    callees = [
        asyncio.create_task(
            run_sipp("-sf", str(SCENARIOS / "callee_never_answers.xml"), "-p", str(ports["4"]),
                     "-m", "1", cwd=tmp_path, timeout=60)
        ),
        asyncio.create_task(
            run_sipp("-sf", str(invalid), "-p", str(ports["3"]), "-m", "1", cwd=tmp_path,
                     timeout=60)
        ),
        asyncio.create_task(
            run_sipp("-sf", str(SCENARIOS / "callee_busy.xml"), "-p", str(ports["2"]), "-m", "1",
                     cwd=tmp_path, timeout=50)
        ),
        asyncio.create_task(
            run_sipp("-sn", "uas", "-rtp_echo", "-p", str(ports["1"]), "-m", "1", cwd=tmp_path,
                     timeout=50)
        ),
    ]  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = await web_server(tmp_path, ports["1"])
    (gateway, _task) = server.outbound[0]
    gateway.trunk = RoutedTrunk(ports)
    phone = await agent_phone_ready(server, "op01", WorkMode.BLENDED)
    sv = await signed_in(server, "sv01")
    agent = await signed_in(server, "op01")
    try:
        body = {"key": "renew", "name": "更新のご案内", "mode": "preview", "rules": ALWAYS}
        assert (await sv.post("/api/v1/campaigns", json=body)).status_code == 201
        csv = (
            "phone,name\n03-1234-5674,不在\n03-1234-5673,欠番\n03-1234-5672,話し中\n"
            "03-1234-5671,応答\n"
        )
        upload = {"file": ("list.csv", csv.encode(), "text/csv")}
        imported = await sv.post("/api/v1/campaigns/renew/list", files=upload)
        assert imported.status_code == 200
        assert (await sv.post("/api/v1/campaigns/renew/start")).status_code == 200

        async def dial_and_wait() -> dict[str, Any]:
            record = (await agent.get("/api/v1/campaigns/renew/preview")).json()["record"]
            dial = await agent.post(f"/api/v1/campaigns/renew/records/{record['key']}/dial")
            assert dial.json()["over_trunk"] is True, dial.text
            for _ in range(150):
                await asyncio.sleep(0.1)
                attempt: dict[str, Any] = (
                    await agent.get(f"/api/v1/attempts/{dial.json()['attempt_id']}")
                ).json()
                if attempt["outcome"] is not None and (
                    attempt["outcome"] != "answered" or attempt["connected"]
                ):
                    return attempt
            raise AssertionError("no result came back")

        nobody = await dial_and_wait()  # rings past the campaign's 5 s: cancelled
        assert (nobody["number"], nobody["outcome"]) == ("+81312345674", "no_answer")
        assert nobody["ring_s"] >= 5.0
        for _ in range(20):  # the seat is given back
            await asyncio.sleep(0.05)
            if server.runtime.engine.agents["op01"].state is AgentState.AVAILABLE:
                break
        gone = await dial_and_wait()
        assert (gone["number"], gone["outcome"]) == ("+81312345673", "invalid_number")
        for _ in range(20):  # the seat is given back
            await asyncio.sleep(0.05)
            if server.runtime.engine.agents["op01"].state is AgentState.AVAILABLE:
                break
        busy = await dial_and_wait()
        assert (busy["number"], busy["outcome"]) == ("+81312345672", "busy")
        for _ in range(20):  # the seat is given back
            await asyncio.sleep(0.05)
            if server.runtime.engine.agents["op01"].state is AgentState.AVAILABLE:
                break
        assert server.runtime.engine.agents["op01"].state is AgentState.AVAILABLE
        answered = await dial_and_wait()
        assert (answered["number"], answered["outcome"]) == ("+81312345671", "answered")
        assert answered["connected"] is True
        again = await agent.post("/api/v1/campaigns/renew/records/r1/dial")
        assert again.status_code == 409  # on the call now: not ready for another dial
        assert again.json()["error_id"] == "agent-not-ready"
        results = await asyncio.wait_for(asyncio.gather(*callees), 60)
    finally:
        await agent.aclose()
        await sv.aclose()
        await phone.close()
        await server.stop()
    for result in results:
        assert result.returncode == 0, result.output
    assert len(phone.answered) == 1  # the answered callee was bridged to op01's phone
    assert phone.heard_frames > 20
    stored = {r.number: r for r in attempts(server)}
    assert stored["+81312345672"].outcome == "busy"
    assert stored["+81312345671"].connected is True
    with server.app.state.ctx.sessions() as db:
        records = {r.number: r for r in db.scalars(select(ListRecordRow))}
    assert records["+81312345673"].closed == "invalid_number"  # never dialled again
    assert records["+81312345672"].next_attempt_at is not None  # busy: retried later


# ---------------------------------------------------------------- agentless over the trunk

REMINDER = {
    **ALWAYS,
    "lines": 2,
    "message": "みどり歯科です。ご予約の確認です。",
    "question": "確認は1を、変更は2を押してください。",
    "max_tries": 1,
    "gather_timeout_s": 2.0,
    "detect_machine": True,
}


@pytest.mark.peer
async def test_agentless_reminder_is_dialled_by_serve_and_the_keypad_answer_is_stored(
    tmp_path: Path,
) -> None:
    ports = {"1": free_port(), "2": free_port(), "3": free_port(), "5": free_port(),
             "6": free_port()}  # fmt: skip
    callees = [
        asyncio.create_task(  # an answering machine's long greeting
            run_sipp("-sf", str(SCENARIOS / "callee_machine.xml"), "-p", str(ports["6"]),
                     "-mp", str(free_port()), "-m", "1", cwd=tmp_path, timeout=50)
        ),
        asyncio.create_task(  # answers, listens, asks for a change: 2 as SIP INFO
            run_sipp("-sf", str(SCENARIOS / "callee_info_2.xml"), "-p", str(ports["5"]),
                     "-m", "1", cwd=tmp_path, timeout=50)
        ),
        asyncio.create_task(  # answers, listens, presses 1 (RFC 4733)
            run_sipp("-sf", str(SCENARIOS / "callee_presses_1.xml"), "-p", str(ports["1"]),
                     "-mp", str(free_port()), "-m", "1", cwd=tmp_path, timeout=50)
        ),
        asyncio.create_task(  # answers and says nothing
            run_sipp("-sn", "uas", "-rtp_echo", "-p", str(ports["2"]), "-m", "1", cwd=tmp_path,
                     timeout=50)
        ),
        asyncio.create_task(  # busy
            run_sipp("-sf", str(SCENARIOS / "callee_busy.xml"), "-p", str(ports["3"]), "-m", "1",
                     cwd=tmp_path, timeout=50)
        ),
    ]  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = await web_server(tmp_path, ports["1"])
    (gateway, _task) = server.outbound[0]
    gateway.trunk = RoutedTrunk(ports)
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    sv = await signed_in(server, "sv01")
    try:
        body = {"key": "remind", "name": "予約リマインド", "type": "reminder",
                "mode": "agentless", "rules": REMINDER}  # fmt: skip
        created = await sv.post("/api/v1/campaigns", json=body)
        assert created.status_code == 201, created.text
        assert (await sv.post("/api/v1/dnc", json={"number": "03-1234-5674"})).status_code == 200
        csv = "phone,name\n03-1234-5671,確認\n03-1234-5672,無言\n03-1234-5673,話し中\n"
        csv += "03-1234-5674,拒否\n03-1234-5675,変更\n03-1234-5676,留守電\n"
        upload = {"file": ("list.csv", csv.encode(), "text/csv")}
        assert (await sv.post("/api/v1/campaigns/remind/list", files=upload)).status_code == 200
        assert (await sv.post("/api/v1/campaigns/remind/start")).status_code == 200
        results = await asyncio.wait_for(asyncio.gather(*callees), 70)
        for _ in range(50):  # the last result is stored after the BYE
            await asyncio.sleep(0.1)
            if not gateway.campaigns["remind"].talking:
                break
        agent = await signed_in(server, "op01")  # the server dials it: no hand dialling
        preview = (await agent.get("/api/v1/campaigns/remind/preview")).json()
        await agent.aclose()
        report = (await sv.get("/api/v1/campaigns/remind/report")).json()
    finally:
        await sv.aclose()
        await server.stop()
    for result in results:
        assert result.returncode == 0, result.output
    assert preview["reason"] == "paced_by_server"
    stored = {r.number: r for r in attempts(server)}
    confirmed, silent = stored["+81312345671"], stored["+81312345672"]
    assert (confirmed.outcome, confirmed.disposition, confirmed.agent_id) == (
        "answered", "confirmed", None,
    )  # fmt: skip
    assert "keys 1" in confirmed.notes
    assert (silent.outcome, silent.disposition) == ("answered", "no_input")
    assert stored["+81312345673"].outcome == "busy"
    change = stored["+81312345675"]
    assert (change.outcome, change.disposition) == ("answered", "change_requested")
    assert "keys 2" in change.notes
    left = stored["+81312345676"]  # the machine got the message, no question
    assert (left.outcome, left.disposition) == ("answered", "message_left")
    assert stored["+81312345674"].blocked_reason == "do_not_call"
    with server.app.state.ctx.sessions() as db:
        records = {r.number: r for r in db.scalars(select(ListRecordRow))}
    assert records["+81312345671"].closed == "completed"  # confirmed: done
    assert records["+81312345672"].closed is None  # nobody answered the question: retried
    assert records["+81312345672"].next_attempt_at is not None
    assert records["+81312345673"].closed is None  # busy: retried
    assert records["+81312345675"].closed == "change_requested"  # for staff to call back
    assert records["+81312345676"].closed is None  # message left: tried again later
    assert not any(isinstance(e, OutboundConnected) for e in events)  # no agent took part
    outcomes = report["total"]["outcomes"]
    assert outcomes["agentless:confirmed"] == 1
    assert outcomes["agentless:no_input"] == 1
    assert outcomes["agentless:change_requested"] == 1
    assert outcomes["agentless:message_left"] == 1
    assert report["total"]["attempts"] == 5
    assert report["total"]["blocked"] == 1


# ---------------------------------------------------------------- callbacks at their time


@pytest.mark.peer
async def test_callback_set_through_the_api_while_serve_dials_is_dialled_at_its_time_for_its_agent(
    tmp_path: Path,
) -> None:
    ports = {"1": free_port(), "2": free_port()}
    callees = [
        asyncio.create_task(
            run_sipp("-sn", "uas", "-rtp_echo", "-p", str(port), "-m", "1", cwd=tmp_path,
                     timeout=50)
        )
        for port in ports.values()
    ]  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = await web_server(tmp_path, ports["1"])
    (gateway, _task) = server.outbound[0]
    gateway.trunk = RoutedTrunk(ports)
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    sv = await signed_in(server, "sv01")
    phones: list[AgentPhone] = []
    try:
        body = {"key": "renewal", "name": "更新のご案内", "mode": "progressive",
                "queue": "orders", "rules": {**ALWAYS, "agents": ["op04", "op06"]}}  # fmt: skip
        assert (await sv.post("/api/v1/campaigns", json=body)).status_code == 201
        csv = "phone,name\n03-1234-5672,佐藤\n03-1234-5671,鈴木\n"
        upload = {"file": ("list.csv", csv.encode(), "text/csv")}
        assert (await sv.post("/api/v1/campaigns/renewal/list", files=upload)).status_code == 200
        assert (await sv.post("/api/v1/campaigns/renewal/start")).status_code == 200
        await asyncio.sleep(1.5)  # loaded by the running gateway; nobody to dial for yet
        assert "renewal" in gateway.campaigns
        due = server.runtime.clock.now() + 5.0
        # r1 is first on the list; its callback is promised to op06 in five seconds
        callback = await sv.post(
            "/api/v1/campaigns/renewal/records/r1/callbacks",
            json={"at": datetime.fromtimestamp(due, UTC).isoformat(), "agent_id": "op06"},
        )
        assert callback.status_code == 201, callback.text
        phones.append(await agent_phone_ready(server, "op04", WorkMode.OUTBOUND))
        await asyncio.sleep(1.5)  # op04 takes r2 (list order); r1 is not op04's
        phones.append(await agent_phone_ready(server, "op06", WorkMode.OUTBOUND))
        results = await asyncio.wait_for(asyncio.gather(*callees), 60)
    finally:
        await sv.aclose()
        for phone in phones:
            await phone.close()
        await server.stop()
    for result in results:
        assert result.returncode == 0, result.output
    placed = [e for e in events if isinstance(e, DialPlaced)]
    # r1 (first on the list) waited for its time; r2 went first, to whoever was free
    assert [(e.record_id, e.agent_id) for e in placed] == [("r2", None), ("r1", "op06")]
    assert placed[1].at >= due - 0.05  # at its time, not before
    connected = {e.record_id: e.agent_id for e in events if isinstance(e, OutboundConnected)}
    assert connected == {"r1": "op06", "r2": "op04"}
    with server.app.state.ctx.sessions() as db:
        (row,) = db.scalars(select(CallbackRow))
        assert row.done is True


@pytest.mark.peer
async def test_callback_for_an_agent_who_does_not_come_goes_to_anyone_after_the_grace(
    tmp_path: Path,
) -> None:
    callee_port = free_port()
    callee = asyncio.create_task(
        run_sipp("-sn", "uas", "-rtp_echo", "-p", str(callee_port), "-m", "1", cwd=tmp_path,
                 timeout=50)
    )  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = await web_server(tmp_path, callee_port)
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    sv = await signed_in(server, "sv01")
    phone: AgentPhone | None = None
    try:
        rules = {**ALWAYS, "agents": ["op04", "op06"], "callback_grace_s": 3.0}
        body = {"key": "renewal", "name": "更新のご案内", "mode": "progressive",
                "queue": "orders", "rules": rules}  # fmt: skip
        assert (await sv.post("/api/v1/campaigns", json=body)).status_code == 201
        upload = {"file": ("list.csv", "phone,name\n03-1234-5678,佐藤\n".encode())}
        assert (await sv.post("/api/v1/campaigns/renewal/list", files=upload)).status_code == 200
        assert (await sv.post("/api/v1/campaigns/renewal/start")).status_code == 200
        due = server.runtime.clock.now()
        callback = await sv.post(  # due now, promised to op06, who never logs in
            "/api/v1/campaigns/renewal/records/r1/callbacks",
            json={"at": datetime.fromtimestamp(due, UTC).isoformat(), "agent_id": "op06"},
        )
        assert callback.status_code == 201, callback.text
        phone = await agent_phone_ready(server, "op04", WorkMode.OUTBOUND)
        result = await asyncio.wait_for(callee, 50)
    finally:
        await sv.aclose()
        if phone is not None:
            await phone.close()
        await server.stop()
    assert result.returncode == 0, result.output
    (placed,) = [e for e in events if isinstance(e, DialPlaced)]
    assert placed.agent_id is None  # given up on op06
    assert placed.at >= due + 3.0 - 0.05  # not before the grace ran out
    (connected,) = [e for e in events if isinstance(e, OutboundConnected)]
    assert connected.agent_id == "op04"
