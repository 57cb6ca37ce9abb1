"""A real browser: an agent signs in, goes available, gets a call with a screen pop, answers,
hangs up and wraps up; the supervisor's wallboard follows within a second."""

from __future__ import annotations

import time

import pytest
from playwright.async_api import Browser, Page, expect
from web_support import PASSWORD, LiveCenter, browser, live_center

from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc

pytestmark = pytest.mark.peer

__all__ = ["browser", "live_center"]  # fixtures used by the tests below


async def sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")


async def test_agent_handles_a_call_and_the_supervisor_sees_it(
    browser: Browser, live_center: LiveCenter
) -> None:
    agent_context = await browser.new_context(locale="en-US")
    agent = await agent_context.new_page()
    await sign_in(agent, live_center.base_url, "op01")
    await agent.wait_for_url("**/agent")
    await expect(agent.locator("#state-badge")).to_have_text("Signed out")

    supervisor_context = await browser.new_context(locale="ja-JP")
    supervisor = await supervisor_context.new_page()
    await sign_in(supervisor, live_center.base_url, "sv01")
    await supervisor.wait_for_url("**/supervisor")
    await expect(supervisor.locator("#total-answered")).to_have_text("0")

    await agent.click("#start-work")
    await expect(agent.locator("#state-badge")).to_contain_text("Not ready")
    await agent.click("#go-available")
    await expect(agent.locator("#state-badge")).to_have_text("Available")

    caller = Contact(
        id="call-1",
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=time.time(),
        from_address="+819012345678",
        attributes={"menu": "1"},
    )
    await live_center.runtime.submit(rc.EnqueueContact(caller, "general"))
    await expect(agent.locator("#offer-caller")).to_have_text("+819012345678")
    await expect(agent.locator("#offer-queue")).to_have_text("General inquiries")
    await expect(agent.locator("#pop-name")).to_contain_text("山田 花子")
    await expect(agent.locator("#script-step")).to_be_visible()

    await agent.click("#answer")
    await expect(agent.locator("#call-phase")).to_have_text("Connected")
    started = time.monotonic()
    await expect(supervisor.locator("#total-answered")).to_have_text("1", timeout=1500)
    assert time.monotonic() - started < 1.0

    await agent.reload()
    await expect(agent.locator("#call-phase")).to_have_text("Connected")

    await agent.click("#hang-up")
    await expect(agent.locator("#acw-countdown")).not_to_have_text("—")
    await agent.select_option("#disposition", "resolved")
    await agent.fill("#notes", "Told the delivery date")
    await agent.click("#finish-wrap-up")
    await expect(agent.locator("mdg-wrap-up")).to_be_hidden()
    await expect(agent.locator("#state-badge")).to_have_text("Available")

    await agent.fill("#pop-query", "090-1234-5678")
    await agent.press("#pop-query", "Enter")
    await expect(agent.locator("#pop-timeline")).to_contain_text("resolved")
    await expect(agent.locator("#pop-timeline")).to_contain_text("Told the delivery date")

    await agent_context.close()
    await supervisor_context.close()


async def test_the_language_follows_the_browser_and_the_switch_overrides_it(
    browser: Browser, live_center: LiveCenter
) -> None:
    context = await browser.new_context(locale="ja-JP")
    page = await context.new_page()
    await page.goto(f"{live_center.base_url}/login")
    await expect(page.locator("button[type=submit]")).to_have_text("サインイン")
    await page.click("mdg-lang-switch button")
    await expect(page.locator("button[type=submit]")).to_have_text("Sign in")
    await page.reload()
    await expect(page.locator("button[type=submit]")).to_have_text("Sign in")
    await context.close()


async def test_supervisor_forces_an_agent_not_ready(
    browser: Browser, live_center: LiveCenter
) -> None:
    from madoguchi.core.model import AgentState

    await live_center.runtime.submit(rc.AgentLogin("op02", available=True))
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "sv01")
    row = page.locator('tr[data-agent="op02"]')
    await expect(row.locator('[data-col="state"]')).to_have_text("Available")
    await row.locator('[data-act="not_ready"]').click()
    await expect(row.locator('[data-col="state"]')).to_have_text("Not ready")
    assert live_center.runtime.engine.agent_state("op02") is AgentState.NOT_READY
    await context.close()


async def test_admin_imports_customers_and_sees_row_errors(
    browser: Browser, live_center: LiveCenter, tmp_path: object
) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "bad.csv"
    bad.write_text(
        "customer_number,name,phone\nA-1,有効 太郎,03-1111-2222\nA-2,,12\n", encoding="utf-8"
    )
    context = await browser.new_context(locale="en-US")
    page = await context.new_page()
    await sign_in(page, live_center.base_url, "admin-midori")
    await page.wait_for_url("**/admin")
    await page.click('[data-tab="import"]')
    await page.set_input_files("#import-file", str(bad))
    await page.click('[data-action="import"]')
    await expect(page.locator("#import-errors")).to_contain_text("line 3: name")
    await expect(page.locator("#import-errors")).to_contain_text("line 3: phone")
    await context.close()
