"""A real browser on the outbound page: a supervisor imports a call list (row errors shown,
then a good file) and starts the campaign; an agent previews the record, dials, records an
appointment, and the CTI panel shows the call; the supervisor's report counts it."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from pydantic import SecretStr
from telephony_support import free_port, run_sipp
from web_support import FAST_HASHER, PASSWORD, LiveCenter, browser, live_center

from madoguchi.api.seed import seed_sample_users
from madoguchi.core.config import TrunkConfig
from madoguchi.core.routing import commands as rc
from madoguchi.demo import open_around_the_clock
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer, ServerOptions
from madoguchi.settings import Settings

pytestmark = pytest.mark.peer

__all__ = ["browser", "live_center"]  # fixtures used by the tests below

SCENARIOS = Path(__file__).parents[1] / "runtime" / "scenarios"
#: Calls allowed at any hour on any day: the browser tests run on the real clock.
ALWAYS = {"window_start": "00:00", "window_end": "24:00", "window_days": [0, 1, 2, 3, 4, 5, 6],
          "holidays_closed": False}  # fmt: skip


async def sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")


async def test_supervisor_imports_and_starts_then_agent_sets_an_appointment_from_preview(
    browser: Browser, live_center: LiveCenter, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("phone,name\n03-5555-0101,佐藤\n12,短すぎ\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text("phone,name,plan\n03-5555-0101,佐藤 次郎,gold\n", encoding="utf-8")

    sv_context = await browser.new_context(locale="en-US")
    sv = await sv_context.new_page()
    await sign_in(sv, live_center.base_url, "sv01")
    await sv.wait_for_url("**/supervisor")
    await sv.goto(f"{live_center.base_url}/outbound")
    await expect(sv.locator("#campaigns")).to_be_visible()
    csrf = (await (await sv.request.get(f"{live_center.base_url}/api/v1/auth/me")).json())[
        "csrf_token"
    ]
    created = await sv.request.post(
        f"{live_center.base_url}/api/v1/campaigns",
        data={"key": "renew", "name": "更新のご案内", "mode": "preview", "rules": ALWAYS},
        headers={"X-CSRF-Token": csrf},
    )
    assert created.status == 201, await created.text()
    await sv.reload()
    await expect(sv.locator("#campaign-rows")).to_contain_text("renew")
    await sv.set_input_files("#list-file", str(bad))
    await sv.click("#list-form button[type=submit]")
    await expect(sv.locator("#campaign-problems")).to_contain_text("line 3")
    await sv.set_input_files("#list-file", str(good))
    await sv.click("#list-form button[type=submit]")
    await expect(sv.locator("#campaign-message")).to_contain_text("1 added")
    await sv.click('button[data-move="start"][data-key="renew"]')
    await expect(sv.locator("#campaign-rows")).to_contain_text("Running")

    agent_context = await browser.new_context(locale="en-US")
    agent = await agent_context.new_page()
    await sign_in(agent, live_center.base_url, "op01")
    await agent.wait_for_url("**/agent")
    await agent.goto(f"{live_center.base_url}/outbound")
    await expect(agent.locator("#campaigns")).to_be_hidden()
    await expect(agent.locator("#cti-campaign")).to_contain_text("更新のご案内")
    await agent.click("#cti-next")
    await expect(agent.locator("#cti-fields")).to_contain_text("+81355550101")
    await expect(agent.locator("#cti-fields")).to_contain_text("gold")
    await agent.click("#cti-dial")
    await agent.click('button[data-result="answered"]')
    await agent.select_option("#cti-code", "appointment")
    await agent.fill("#cti-app-date", "2026-12-01")
    await agent.fill("#cti-app-time", "14:00")
    await agent.fill("#cti-app-rep", "営業 田中")
    await agent.fill("#cti-notes", "12/1 14時に訪問")
    await agent.click("#cti-disposition button[type=submit]")
    await expect(agent.locator("#cti-status")).to_have_text("Result saved")
    await expect(agent.locator("#cti-calls")).to_contain_text("12/1 14時に訪問")
    await expect(agent.locator("#cti-summary")).to_contain_text("op01")

    await sv.click('button[data-report="renew"]')
    await expect(sv.locator("#report")).to_contain_text("op01")
    await expect(sv.locator("#report tbody").last).to_contain_text("1")
    await agent_context.close()
    await sv_context.close()


async def test_agent_dials_from_the_page_over_the_trunk_and_sees_the_callee_busy(
    browser: Browser, tmp_path: Path
) -> None:
    callee_port = free_port()
    callee = asyncio.create_task(
        run_sipp("-sf", str(SCENARIOS / "callee_busy.xml"), "-p", str(callee_port), "-m", "1",
                 cwd=tmp_path, timeout=60)
    )  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    config = open_around_the_clock(load_sample_center())
    trunk = TrunkConfig(f"sip:{{number}}@127.0.0.1:{callee_port}", caller_id="0120000100")
    tenants = tuple(replace(t, trunk=trunk) if t.id == "midori" else t for t in config.tenants)
    settings = Settings(
        environment="test",
        secret_key=SecretStr("b" * 48),
        database_url=f"sqlite+pysqlite:///{tmp_path / 'crm.sqlite3'}",
        log_json=False,
        _env_file=None,
    )  # type: ignore[call-arg]
    server = CenterServer(
        ServerOptions(
            config=replace(config, tenants=tenants, _index={}),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            http_port=free_port(socket.SOCK_STREAM),
            drain_timeout_s=1.0,
            settings=settings,
        )
    )
    await server.start()
    base_url = f"http://127.0.0.1:{server.options.http_port}"
    try:
        with server.app.state.ctx.sessions() as db:
            seed_sample_users(db, server.config, PASSWORD, server.runtime.clock.now(), FAST_HASHER)
        await server.runtime.submit(rc.AgentLogin("op01", available=True))
        async with httpx.AsyncClient(base_url=base_url) as sv:
            signed = await sv.post("/api/v1/auth/sign-in",
                                   json={"username": "sv01", "password": PASSWORD})  # fmt: skip
            sv.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
            body = {"key": "renew", "name": "更新のご案内", "mode": "preview",
                    "rules": {**ALWAYS, "ring_timeout_s": 5}}  # fmt: skip
            assert (await sv.post("/api/v1/campaigns", json=body)).status_code == 201
            upload = {"file": ("list.csv", "phone,name\n03-5555-0101,佐藤\n".encode(), "text/csv")}
            assert (await sv.post("/api/v1/campaigns/renew/list", files=upload)).status_code == 200
            assert (await sv.post("/api/v1/campaigns/renew/start")).status_code == 200

        context = await browser.new_context(locale="en-US")
        agent = await context.new_page()
        await sign_in(agent, base_url, "op01")
        await agent.wait_for_url("**/agent")
        await agent.goto(f"{base_url}/outbound")
        await expect(agent.locator("#cti-campaign")).to_contain_text("更新のご案内")
        await agent.click("#cti-next")
        await expect(agent.locator("#cti-fields")).to_contain_text("+81355550101")
        await agent.click("#cti-dial")
        status = agent.locator("#cti-status")
        await expect(status).to_have_text("+81355550101: Busy", timeout=20_000)
        await expect(agent.locator("#cti-results")).to_be_hidden()  # nothing to report by hand
        await expect(agent.locator("#cti-calls")).to_contain_text("Busy")
        await context.close()
        result = await asyncio.wait_for(callee, 30)
    finally:
        await server.stop()
    assert result.returncode == 0, result.output


async def test_supervisor_creates_an_agentless_reminder_and_reads_its_keypad_results(
    browser: Browser, live_center: LiveCenter
) -> None:
    from datetime import UTC, datetime

    from madoguchi.store.campaigns import DialAttemptRow, find_campaign

    context = await browser.new_context(locale="en-US")
    sv = await context.new_page()
    await sign_in(sv, live_center.base_url, "sv01")
    await sv.wait_for_url("**/supervisor")
    await sv.goto(f"{live_center.base_url}/outbound")
    await expect(sv.locator("#agentless-fields")).to_be_hidden()
    await sv.fill("#new-key", "remind")
    await sv.fill("#new-name", "予約リマインド")
    await sv.select_option("#new-type", "reminder")
    await sv.select_option("#new-mode", "agentless")
    await expect(sv.locator("#agentless-fields")).to_be_visible()
    await sv.fill("#new-message", "みどり歯科です。ご予約の確認です。")
    await sv.fill("#new-lines", "3")
    await sv.click("#create-form button[type=submit]")
    await expect(sv.locator("#campaign-message")).to_contain_text("remind")
    await expect(sv.locator("#campaign-rows")).to_contain_text("Agentless")
    stored = await (await sv.request.get(f"{live_center.base_url}/api/v1/campaigns/remind")).json()
    assert stored["rules"]["message"] == "みどり歯科です。ご予約の確認です。"
    assert stored["rules"]["lines"] == 3
    # two calls the server made: one confirmed with 1, one where nobody pressed a key
    with live_center.app.state.ctx.sessions() as db:
        campaign = find_campaign(db, "midori", "remind")
        assert campaign is not None
        for number, result in (("+81312345671", "confirmed"), ("+81312345672", "no_input")):
            db.add(
                DialAttemptRow(
                    tenant="midori", campaign_id=campaign.id, number=number, attempt=1,
                    placed_at=datetime.now(UTC), outcome="answered", ring_s=3.0,
                    connected=False, disposition=result, talk_s=12.0, notes="",
                )
            )  # fmt: skip
        db.commit()
    await sv.click('button[data-report="remind"]')
    results = sv.locator("#agentless-results")
    await expect(results).to_contain_text("Confirmed (1)")
    await expect(results).to_contain_text("No key pressed")
    await context.close()
