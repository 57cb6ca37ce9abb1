"""A real browser on the outbound page: a supervisor imports a call list (row errors shown,
then a good file) and starts the campaign; an agent previews the record, dials, records an
appointment, and the CTI panel shows the call; the supervisor's report counts it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from web_support import PASSWORD, LiveCenter, browser, live_center

pytestmark = pytest.mark.peer

__all__ = ["browser", "live_center"]  # fixtures used by the tests below

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
