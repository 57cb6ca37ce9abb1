"""Consult audio in Chromium: two agents work in two browser pages with the WebRTC softphone.
op01 takes a call (a real RTP leg stands in for the caller, attached as the voice gateway does),
consults op02 from the desk: the two pages hear each other while the caller hears music; then
*Complete transfer*, op02 answers in their page and the caller's audio goes to op02.

Loopback ICE as in test_web_softphone_call.py (``--allow-loopback-in-peer-connection`` and the
gateway's test-only ``loopback_candidates``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from web_support import CHROMIUM, CHROMIUM_FLAGS, PASSWORD, LiveCenter, live_center

from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.webrtc import WebRtcSoftphones

pytestmark = [pytest.mark.peer, pytest.mark.slow]
__all__ = ["live_center"]  # the fixture used below

INBOUND_ENERGY = """async () => {
  const pc = document.querySelector("mdg-softphone").pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let found = null;
  stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") found = s; });
  return found ? { packets: found.packetsReceived, energy: found.totalAudioEnergy || 0 } : null;
}"""


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


@pytest.fixture
async def softphones(live_center: LiveCenter) -> AsyncIterator[WebRtcSoftphones]:
    gateway = WebRtcSoftphones(loopback_candidates=True)
    live_center.app.state.ctx.extras["softphone"] = gateway
    yield gateway
    await gateway.close_all()


async def until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def energy(page: Page) -> float:
    found: dict[str, Any] | None = await page.evaluate(INBOUND_ENERGY)
    return float(found["energy"]) if found else 0.0


async def grows(page: Page, since: float, timeout: float = 20.0) -> float:
    """Wait until the page has received audible audio beyond ``since``; the new total."""
    for _ in range(int(timeout * 10)):
        now = await energy(page)
        if now > since + 1e-4:
            return now
        await asyncio.sleep(0.1)
    raise AssertionError(f"the page heard nothing new (energy {since})")


async def desk(browser: Browser, live_center: LiveCenter, username: str) -> Page:
    page = await (await browser.new_context(locale="en-US")).new_page()
    await page.goto(f"{live_center.base_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url("**/agent")
    await page.click("#phone-connect")
    await expect(page.locator("#phone-state")).to_have_text("Audio connected", timeout=15000)
    await page.click("#start-work")
    await page.click("#go-available")
    await expect(page.locator("#state-badge")).to_have_text("Available")
    return page


async def test_two_agents_in_chromium_talk_during_a_consult_then_transfer(
    loopback_browser: Browser, live_center: LiveCenter, softphones: WebRtcSoftphones
) -> None:
    runtime = live_center.runtime
    first = await desk(loopback_browser, live_center, "op01")
    second = await desk(loopback_browser, live_center, "op02")
    await runtime.submit(rc.SetAgentState("op02", AgentState.NOT_READY, "break"))
    phone = RtpEndpoint(host="127.0.0.1", payload_type=0)
    leg = RtpEndpoint(host="127.0.0.1", payload_type=0)
    await phone.start()
    await leg.start()
    phone.set_remote(("127.0.0.1", leg.port))
    leg.set_remote(("127.0.0.1", phone.port))
    heard_by_caller = [0]

    def caller_hears(pcm: npt.NDArray[np.int16], _packet: object) -> None:
        if np.abs(pcm).max() > 1000:
            heard_by_caller[0] += 1

    phone.on_audio = caller_hears
    contact = Contact(
        id="web-consult-audio",
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=runtime.clock.now(),
        from_address="+819011112222",
    )
    await runtime.submit(rc.EnqueueContact(contact, "general"))
    await first.click("#answer")
    await expect(first.locator("#call-phase")).to_have_text("Connected")
    detach = softphones.attach("op01", leg, None)  # what the voice gateway does on connect
    try:
        stats = softphones.stats
        await until(lambda: stats["frames_from_agent"] > 50)  # op01's microphone → caller

        second_before = await energy(second)
        await first.fill("#consult-agent", "op02")
        await first.click("#consult")
        await expect(first.locator("#call-phase")).to_have_text("On hold")
        await expect(first.locator("#consult-badge")).to_contain_text("talking to op02")
        assert softphones.consulting("op01") == "op02"
        await until(lambda: stats["consult_frames"] > 100)  # both microphones, both ways
        await grows(second, second_before)  # op02's page hears op01
        await grows(first, await energy(first))  # and op01's page hears op02
        before_music = heard_by_caller[0]
        await until(lambda: heard_by_caller[0] > before_music + 25)  # the caller: music

        await runtime.submit(rc.SetAgentState("op02", AgentState.AVAILABLE))
        await first.click("#consult-complete")
        await expect(first.locator("mdg-call-controls")).to_be_hidden()
        await expect(second.locator("#answer")).to_be_visible(timeout=10000)
        await second.click("#answer")
        await expect(second.locator("#call-phase")).to_have_text("Connected")
        assert softphones.consulting("op02") is None
        to_op02 = stats["frames_to_agent"]
        phone.play(
            np.tile(np.array([0, 6000, 0, -6000], dtype=np.int16), 8000)
        )  # the caller speaks (4 s)
        await until(lambda: stats["frames_to_agent"] > to_op02 + 50)
        await grows(second, await energy(second))  # op02 now hears the caller
    finally:
        detach()
        phone.close()
        leg.close()
