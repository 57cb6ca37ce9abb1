"""A page reload does not hang up the agent's headset: ``<mdg-softphone>`` remembers in the tab
(sessionStorage) that it was connected and sends a fresh offer, which the gateway takes in place
of the old session. Disconnecting on purpose is remembered too.

Loopback ICE as in test_web_softphone_call: Chromium's ``--allow-loopback-in-peer-connection``
and the gateway's test-only ``loopback_candidates``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, async_playwright, expect
from web_support import CHROMIUM, CHROMIUM_FLAGS, PASSWORD, LiveCenter, live_center

from madoguchi.telephony.webrtc import WebRtcSoftphones

pytestmark = pytest.mark.peer

__all__ = ["live_center"]


@pytest.fixture
async def loopback_browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_FLAGS, "--allow-loopback-in-peer-connection"],
        )
        yield launched
        await launched.close()


async def test_a_connected_softphone_reconnects_after_a_reload_and_stays_off_when_disconnected(
    loopback_browser: Browser, live_center: LiveCenter
) -> None:
    gateway = WebRtcSoftphones(loopback_candidates=True)
    live_center.app.state.ctx.extras["softphone"] = gateway
    try:
        context = await loopback_browser.new_context(locale="en-US")
        page = await context.new_page()
        await page.goto(f"{live_center.base_url}/login")
        await page.fill("#username", "op01")
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_url("**/agent")
        await page.click("#phone-connect")
        await expect(page.locator("#phone-state")).to_have_text("Audio connected", timeout=10_000)
        first = gateway.sessions["op01"]

        await page.reload()
        await expect(page.locator("#phone-state")).to_have_text("Audio connected", timeout=10_000)
        assert gateway.sessions["op01"] is not first  # a new offer replaced the old session
        assert gateway.stats["sessions"] == 2

        await page.click("#phone-disconnect")
        await expect(page.locator("#phone-state")).to_have_text("Not connected")
        await page.reload()
        await expect(page.locator("#phone-connect")).to_be_enabled()
        await expect(page.locator("#phone-state")).to_have_text("Not connected")
        assert "op01" not in gateway.sessions
        await context.close()
    finally:
        await gateway.close_all()
