"""A supervisor moves an agent to another skill from the wallboard; the next contact of that
queue is routed to them at once (no restart)."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect
from web_support import PASSWORD, LiveCenter, browser, live_center

from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as ev

pytestmark = [pytest.mark.peer]
__all__ = ["browser", "live_center"]  # fixtures used below


def offered(published: list[tuple[int, Event]]) -> list[str]:
    return [e.agent_id for _, e in published if isinstance(e, ev.ContactOffered)]


async def test_supervisor_moves_an_agent_to_vip_and_the_next_vip_call_goes_to_them(
    browser: Browser, live_center: LiveCenter
) -> None:
    runtime = live_center.runtime
    await runtime.submit(rc.AgentLogin("op02"))
    await runtime.submit(rc.SetAgentState("op02", AgentState.AVAILABLE))
    page = await (await browser.new_context(locale="en-US")).new_page()
    await page.goto(f"{live_center.base_url}/login")
    await page.fill("#username", "sv01")
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/supervisor")

    await page.fill("#move-agent", "op02")
    await page.fill("#move-skills", "nope:3")
    await page.click("#move-form button[type=submit]")
    await expect(page.locator("#move-error")).to_contain_text("body.skills.nope")

    await page.fill("#move-skills", "vip:7, general:5")
    await page.click("#move-form button[type=submit]")
    await expect(page.locator("#move-status")).to_contain_text("op02")
    contact = Contact(
        id="web-vip-1",
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=runtime.clock.now(),
        from_address="+819011112222",
    )
    published = await runtime.submit(rc.EnqueueContact(contact, "vip"))
    assert offered(published) == ["op02"]
