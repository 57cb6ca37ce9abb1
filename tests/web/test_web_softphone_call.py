"""End to end through a real browser: a sipp caller walks the IVR into a queue and reaches an agent
who works in Chromium with the WebRTC softphone. The agent answers in the page, audio flows both
ways (caller → page, page → caller, both recorded), the screen pop shows the caller, the agent
hangs up (the caller gets BYE) and wraps up; the supervisor's wallboard follows within a second.

Loopback ICE: Chromium runs with ``--allow-loopback-in-peer-connection`` and the server's softphone
gateway with its test-only ``loopback_candidates`` setting (aioice leaves 127.0.0.1 out)."""

from __future__ import annotations

import asyncio
import socket
import time
import wave
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.async_api import Page, async_playwright, expect
from pydantic import SecretStr
from telephony_support import free_port, run_sipp
from web_support import CHROMIUM, CHROMIUM_FLAGS, FAST_HASHER, PASSWORD

from madoguchi.api.seed import seed_sample_customers, seed_sample_users
from madoguchi.demo import open_around_the_clock
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer, ServerOptions
from madoguchi.settings import Settings

pytestmark = [pytest.mark.peer, pytest.mark.slow]

SCENARIO = Path(__file__).parent / "scenarios" / "caller_talks_to_browser_agent.xml"
MAIN_NUMBER = "+81120000100"
INBOUND_AUDIO = """async () => {
  const pc = document.querySelector("mdg-softphone").pc;
  if (!pc) return null;
  const stats = await pc.getStats();
  let found = null;
  stats.forEach((s) => { if (s.type === "inbound-rtp" && s.kind === "audio") found = s; });
  if (!found) return null;
  const codec = found.codecId ? stats.get(found.codecId) : null;
  return {
    packets: found.packetsReceived,
    energy: found.totalAudioEnergy || 0,
    codec: codec ? codec.mimeType : null,
  };
}"""


@pytest.fixture
async def center(tmp_path: Path) -> AsyncIterator[CenterServer]:
    settings = Settings(
        environment="test",
        secret_key=SecretStr("s" * 48),
        database_url=f"sqlite+pysqlite:///{tmp_path / 'crm.sqlite3'}",
        log_json=False,
        _env_file=None,
    )  # type: ignore[call-arg]
    server = CenterServer(
        ServerOptions(
            config=open_around_the_clock(load_sample_center()),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            http_port=free_port(socket.SOCK_STREAM),
            settings=settings,
            drain_timeout_s=1.0,
        )
    )
    server.softphones.loopback_candidates = True  # test-only: see the module docstring
    await server.start()
    now = datetime.now(UTC).timestamp()
    with server.app.state.ctx.sessions() as db:
        seed_sample_users(db, server.config, PASSWORD, now, FAST_HASHER)
        seed_sample_customers(db, "midori", now)  # M0003 佐藤 一郎 is +81 90-1111-2222
    try:
        yield server
    finally:
        await server.stop()


async def sign_in(page: Page, base_url: str, username: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")


async def page_heard(page: Page, packets: int) -> dict[str, Any]:
    """The page's inbound audio statistics once it has received more than ``packets``."""
    heard: dict[str, Any] | None = None
    for _ in range(100):
        heard = await page.evaluate(INBOUND_AUDIO)
        if heard is not None and heard["packets"] > packets:
            return heard
        await asyncio.sleep(0.1)
    raise AssertionError(f"the page received too little audio: {heard}")


async def test_sipp_caller_reaches_the_browser_softphone_and_talks_with_the_agent(
    center: CenterServer, tmp_path: Path
) -> None:
    base_url = f"http://127.0.0.1:{center.options.http_port}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_FLAGS, "--allow-loopback-in-peer-connection"],
        )
        agent = await (await browser.new_context(locale="en-US")).new_page()
        await sign_in(agent, base_url, "op01")  # op01 has the skill the お問い合わせ queue needs
        await agent.wait_for_url("**/agent")
        supervisor = await (await browser.new_context(locale="en-US")).new_page()
        await sign_in(supervisor, base_url, "sv01")
        await supervisor.wait_for_url("**/supervisor")
        await expect(supervisor.locator("#total-answered")).to_have_text("0")

        await agent.click("#phone-connect")
        await expect(agent.locator("#phone-state")).to_have_text("Audio connected", timeout=10000)
        assert center.softphones.has_session("op01")
        await agent.click("#start-work")
        await expect(agent.locator("#state-badge")).to_contain_text("Not ready")
        await agent.click("#go-available")
        await expect(agent.locator("#state-badge")).to_have_text("Available")
        quiet = await page_heard(agent, packets=25)  # between calls: our silence only

        caller = asyncio.get_running_loop().create_task(
            run_sipp(
                f"127.0.0.1:{center.endpoint.port}",
                "-sf",
                str(SCENARIO),
                "-s",
                MAIN_NUMBER,
                "-m",
                "1",
                "-mp",
                str(free_port()),
                cwd=tmp_path,
                timeout=90,
            )
        )
        await expect(agent.locator("#answer")).to_be_visible(timeout=30000)
        await expect(agent.locator("#pop-name")).to_contain_text("佐藤 一郎")

        await agent.click("#answer")
        await expect(agent.locator("#call-phase")).to_have_text("Connected")
        started = time.monotonic()
        await expect(supervisor.locator("#total-answered")).to_have_text("1", timeout=1500)
        assert time.monotonic() - started < 1.0

        stats = center.softphones.stats
        for _ in range(100):  # caller → page and page → caller (Chromium's fake microphone)
            if stats["frames_to_agent"] > 100 and stats["frames_from_agent"] > 100:
                break
            await asyncio.sleep(0.1)
        assert stats["frames_to_agent"] > 100, stats
        assert stats["frames_from_agent"] > 100, stats
        heard = await page_heard(agent, packets=quiet["packets"] + 100)
        assert heard["codec"] == "audio/PCMU"  # the page put PCMU first: no resampling
        assert quiet["energy"] < 1e-6 < heard["energy"]  # the caller's voice reached the page

        await agent.locator("#keypad button", has_text="5").click()  # to the caller: RFC 4733
        for _ in range(50):
            if center.softphones.sessions["op01"].digits == ["5"]:
                break
            await asyncio.sleep(0.1)
        assert center.softphones.sessions["op01"].digits == ["5"]

        await agent.click("#hang-up")
        result = await caller
        assert result.returncode == 0, result.output  # the caller got BYE and answered it

        await expect(agent.locator("#acw-countdown")).not_to_have_text("—")
        await agent.select_option("#disposition", "resolved")
        await agent.fill("#notes", "Softphone call")
        await agent.click("#finish-wrap-up")
        await expect(agent.locator("mdg-wrap-up")).to_be_hidden()
        await expect(agent.locator("#state-badge")).to_have_text("Available")
        assert center.softphones.has_session("op01")  # the audio session lasts the shift
        await agent.click("#phone-disconnect")
        await expect(agent.locator("#phone-state")).to_have_text("Not connected")
        for _ in range(50):
            if not center.softphones.has_session("op01"):
                break
            await asyncio.sleep(0.1)
        assert not center.softphones.has_session("op01")
        await browser.close()

    (recording,) = [
        p for p in (tmp_path / "data" / "recordings").glob("*.wav") if "-message" not in p.name
    ]
    with wave.open(str(recording)) as stored:
        assert stored.getnchannels() == 2
        frames = np.frombuffer(stored.readframes(stored.getnframes()), "<i2").reshape(-1, 2)
    assert np.abs(frames[:, 0]).max() > 1000  # the caller's pcap (left)
    assert np.abs(frames[:, 1]).max() > 1000  # the page's microphone (right)
    assert center.gateway.calls == {}
