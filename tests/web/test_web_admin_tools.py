"""A real browser on the supervisor and admin tools: the WFM calculators in English and Japanese,
the recording player, editing the center through the validated loader, webhooks with their
delivery log, and the consult (hold + transfer) controls of the desk."""

from __future__ import annotations

import asyncio
import re
import time
import wave
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from web_support import PASSWORD, LiveCenter, browser, live_center

from madoguchi.api.webhook_delivery import WebhookDispatcher
from madoguchi.core.config_loader import parse_center
from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.store.crm import AuditEntry, Customer

pytestmark = pytest.mark.peer

__all__ = ["browser", "live_center"]  # fixtures used by the tests below


async def sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")


def caller(contact_id: str) -> Contact:
    return Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=time.time(),
        from_address="+819012345678",
    )


def write_two_seconds(path: Path) -> None:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x10\x00\x20\x00" * 16000)


async def player_duration(page: Page, selector: str) -> float:
    """The audio element's duration once its metadata has loaded (NaN before)."""
    duration = float("nan")
    for _ in range(50):
        duration = await page.evaluate(f"() => document.querySelector('{selector}').duration")
        if duration == duration and duration > 0:
            break
        await asyncio.sleep(0.1)
    return duration


async def test_supervisor_sizes_an_interval_and_compares_costs_in_both_languages(
    browser: Browser, live_center: LiveCenter
) -> None:
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "sv01")
    await page.wait_for_url("**/supervisor")
    await page.click('a[href="/wfm"]')
    await page.wait_for_url("**/wfm")
    await expect(page.locator("#st-agents")).to_have_text("14")
    await expect(page.locator("#st-scheduled")).to_have_text("20")
    await expect(page.locator("#st-result-sl")).to_have_text("88.8%")
    await page.fill("#st-calls", "200")
    await page.click("#staffing-form button[type=submit]")
    await expect(page.locator("#st-agents")).to_have_text("24")
    await expect(page.locator("#co-per-contact")).to_contain_text("¥")
    await expect(page.locator("#co-break-even")).to_contain_text("calls/month")
    await page.click("mdg-lang-switch button")
    await expect(page.locator("#staffing-title")).to_have_text("必要人数の計算")
    await expect(page.locator("#co-break-even")).to_contain_text("件")
    await context.close()


async def test_supervisor_plays_a_recording_and_the_play_is_audited(
    browser: Browser, live_center: LiveCenter, tmp_path: Path
) -> None:
    live_center.app.state.ctx.extras["recordings_dir"] = tmp_path
    write_two_seconds(tmp_path / "web-rec-1.wav")
    runtime = live_center.runtime
    await runtime.submit(rc.AgentLogin("op01", available=True))
    await runtime.submit(rc.EnqueueContact(caller("web-rec-1"), "general"))
    await runtime.submit(rc.AcceptOffer("web-rec-1", "op01"))
    await runtime.submit(rc.EndContact("web-rec-1"))
    await runtime.submit(rc.CompleteWrapUp("op01", "web-rec-1", "resolved", ""))

    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "sv01")
    await page.wait_for_url("**/supervisor")
    row = page.locator('tr[data-contact="web-rec-1"]')
    await expect(row).to_be_visible()
    await page.fill("#rec-purpose", "complaint review")
    await row.locator("button[data-play]").click()
    assert await player_duration(page, "#rec-player") == pytest.approx(2.0)
    with live_center.app.state.ctx.sessions() as db:
        plays = db.scalars(select(AuditEntry).where(AuditEntry.action == "recording.listen")).all()
    assert {(a.username, a.target, a.purpose) for a in plays} == {
        ("sv01", "contact:web-rec-1", "complaint review")
    }
    await context.close()


async def test_agent_plays_their_own_call_from_the_screen_pop_history(
    browser: Browser, live_center: LiveCenter, tmp_path: Path
) -> None:
    live_center.app.state.ctx.extras["recordings_dir"] = tmp_path
    write_two_seconds(tmp_path / "web-rec-2.wav")
    with live_center.app.state.ctx.sessions() as db:
        customer = db.scalars(select(Customer).where(Customer.phone == "+819012345678")).one()
    runtime = live_center.runtime
    contact = replace(caller("web-rec-2"), customer_id=str(customer.id))
    await runtime.submit(rc.AgentLogin("op01", available=True))
    await runtime.submit(rc.EnqueueContact(contact, "general"))
    await runtime.submit(rc.AcceptOffer("web-rec-2", "op01"))
    await runtime.submit(rc.EndContact("web-rec-2"))
    await runtime.submit(rc.CompleteWrapUp("op01", "web-rec-2", "resolved", ""))

    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "op01")
    await page.wait_for_url("**/agent")
    await page.fill("#pop-query", "090-1234-5678")
    await page.press("#pop-query", "Enter")
    await page.locator('button.play-recording[data-rec="web-rec-2"]').click()
    assert await player_duration(page, "#pop-player") == pytest.approx(2.0)
    await context.close()


async def test_admin_edits_skills_sees_loader_problems_then_saves_a_new_version(
    browser: Browser, live_center: LiveCenter, tmp_path: Path
) -> None:
    center_file = tmp_path / "center.yaml"
    live_center.app.state.ctx.extras["center_file"] = center_file
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "admin-midori")
    await page.wait_for_url("**/admin")
    await page.click('[data-tab="edit"]')
    await expect(page.locator("#edit-yaml")).to_have_value(re.compile("id: general"))
    original = await page.input_value("#edit-yaml")

    await page.fill("#edit-yaml", "- {id: general, name: {ja: 一般, en: General}}\n")
    await page.click("#edit-save")
    await expect(page.locator("#edit-problem-list")).to_contain_text("center.yaml:")
    await expect(page.locator("#edit-problem-list")).to_contain_text("orders")
    assert not center_file.exists()

    addition = "- id: insurance\n  name: {ja: 保険, en: Insurance}\n"
    await page.fill("#edit-yaml", original + addition)
    await page.click("#edit-save")
    await expect(page.locator("#edit-status")).to_contain_text("Restart")
    await expect(page.locator("#edit-restart")).to_be_visible()
    center = parse_center(center_file.read_text(encoding="utf-8"), str(center_file))
    assert "insurance" in {s.id for s in center.skills}

    await page.fill("#skills-agent", "op01")
    await page.fill("#skills-value", "insurance:7, general:5")
    await page.click("#skills-form button[type=submit]")
    await expect(page.locator("#edit-status")).to_contain_text("Restart")
    center = parse_center(center_file.read_text(encoding="utf-8"), str(center_file))
    assert dict(center.agent("op01").skills) == {"insurance": 7, "general": 5}
    await context.close()


async def test_admin_adds_a_webhook_and_sees_its_deliveries(
    browser: Browser, live_center: LiveCenter
) -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(200)

    app = live_center.app
    hooks = WebhookDispatcher(app.state.ctx, httpx.MockTransport(receiver))
    app.state.webhooks = hooks
    await hooks.start()
    try:
        context = await browser.new_context(locale="en-US")
        page = await context.new_page()
        await sign_in(page, live_center.base_url, "admin-midori")
        await page.wait_for_url("**/admin")
        await page.click('[data-tab="webhooks"]')
        await page.fill("#hook-url", "https://crm.example.jp/madoguchi")
        await page.check('#hook-types input[value="ContactQueued"]')
        await page.click("#hook-form button[type=submit]")
        await expect(page.locator("#hook-secret")).to_contain_text("shown only now")
        await expect(page.locator("#hook-table")).to_contain_text("ContactQueued")

        await live_center.runtime.submit(rc.EnqueueContact(caller("web-hook-1"), "general"))
        await hooks.idle()
        assert len(received) == 1
        await page.click("#hook-log-refresh")
        await expect(page.locator("#hook-log")).to_contain_text("Delivered")
        await expect(page.locator("#hook-log")).to_contain_text("ContactQueued")
        await context.close()
    finally:
        await hooks.stop()


async def test_agent_consults_a_colleague_on_hold_then_completes_the_transfer(
    browser: Browser, live_center: LiveCenter
) -> None:
    runtime = live_center.runtime
    await runtime.submit(rc.AgentLogin("op02", available=False))
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "op01")
    await page.wait_for_url("**/agent")
    await page.click("#start-work")
    await page.click("#go-available")
    await expect(page.locator("#state-badge")).to_have_text("Available")
    await runtime.submit(rc.EnqueueContact(caller("web-consult-1"), "general"))
    await page.click("#answer")
    await expect(page.locator("#call-phase")).to_have_text("Connected")

    await runtime.submit(rc.SetAgentState("op02", AgentState.AVAILABLE))
    await page.fill("#consult-agent", "op02")
    await page.click("#consult")
    await expect(page.locator("#call-phase")).to_have_text("On hold")
    await expect(page.locator("#consult-badge")).to_contain_text("op02")
    await page.click("#consult-complete")
    await expect(page.locator("mdg-call-controls")).to_be_hidden()
    assert runtime.engine.agent_state("op02").value == "reserved"
    await context.close()
