"""The live demo: the sample center with simulated callers and agents on real SIP and RTP.

``madoguchi demo`` (and ``make demo``) runs :class:`~madoguchi.server.CenterServer` on the
embedded defaults (SQLite in the data directory, the in-process bus) and adds simulated people:

- **agents**: every voice agent of the sample center but the first ``free_seats`` gets a SIP
  phone of its own (a user agent on a loopback port) that registers its extension with digest
  authentication, signs in, answers offered calls after a ring delay, speaks a greeting and hangs
  up after a lognormal talk time; after-call work then runs on the queue's timer;
- **callers**: a Poisson stream of SIP calls to the main number, each sending RTP, choosing a
  menu option by RFC 4733 keypad tones, and hanging up when its patience (exponential, mean
  three minutes) runs out before an agent answers.

The free seats are for people: sign in to the browser as one of them. Call audio is recorded
under ``DATA_DIR/recordings``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import random
import signal
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from madoguchi.core.config import CenterConfig, HoursCalendar, TimeRange
from madoguchi.core.events import Event
from madoguchi.core.model import Channel
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.server import CenterServer, ServerOptions
from madoguchi.telephony.media import PromptCache
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import answer_offer, build_sdp

log = logging.getLogger("madoguchi.demo")

DEMO_PHONE_PASSWORD = "madoguchi-phone"  # noqa: S105 - the demo's documented phone password
MENU_CHOICES = ("2", "3", "3", "4", "5", "0")
"""Keys simulated callers press at the main menu (orders, inquiries ×2, support, complaints…)."""


@dataclass
class DemoOptions:
    """``madoguchi demo`` options."""

    calls_per_hour: float = 120.0
    data_dir: Path = Path("data/demo")
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    free_seats: int = 3
    seed: int = 1
    duration_s: float | None = None
    talk_mean_s: float = 75.0
    patience_mean_s: float = 180.0
    real_hours: bool = False
    """Keep the sample center's business hours (default: open around the clock for the demo)."""


def open_around_the_clock(config: CenterConfig) -> CenterConfig:
    """The center with every calendar open 24 hours on every day, closures removed."""
    all_day = (TimeRange(0, 1440),)
    calendars = tuple(
        dataclasses.replace(
            c, weekly=(all_day,) * 7, holiday_hours=all_day, closures=(), special_days=()
        )
        for c in config.calendars
    )
    return dataclasses.replace(config, calendars=calendars, _index={})


class SimulatedAgent:
    """An agent's SIP phone and the person answering it."""

    def __init__(
        self, demo: Demo, agent_id: str, name: str, extension: str, rng: random.Random
    ) -> None:
        self.demo = demo
        self.agent_id = agent_id
        self.name = name
        self.extension = extension
        self.rng = rng
        self.phone = SipEndpoint(
            host=demo.options.sip_host, port=0, on_incoming_call=self._ringing, tcp=False
        )
        self.tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.phone.start()
        server = self.demo.server.endpoint
        status = await self.phone.register(
            f"sip:{self.extension}@{server.host}",
            (server.host, server.port),
            (self.extension, DEMO_PHONE_PASSWORD),
            expires=3600,
        )
        if status != 200:
            raise RuntimeError(f"phone {self.extension} could not register: {status}")
        await self.demo.server.runtime.submit(rc.AgentLogin(self.agent_id, available=True))

    def _ringing(self, call: Call) -> None:
        call.ring()
        task = asyncio.get_running_loop().create_task(self._answer(call))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _answer(self, call: Call) -> None:
        await asyncio.sleep(self.rng.uniform(1.0, 4.0))
        if call.state is not CallState.RINGING or call.remote_sdp is None:
            return
        offer = call.remote_sdp
        leg = RtpEndpoint(host=self.demo.options.sip_host, payload_type=offer.codec)
        await leg.start()
        _chosen, body = answer_offer(offer, self.demo.options.sip_host, leg.port)
        leg.set_remote((offer.address, offer.port))
        call.answer(body)
        greeting = f"お電話ありがとうございます。担当の{self.name.split()[0]}でございます。"
        with contextlib.suppress(Exception):
            leg.play(await self.demo.prompts.get_async(greeting, "ja"))
        talk = _lognormal(self.rng, self.demo.options.talk_mean_s, 0.8)
        try:
            await asyncio.wait_for(asyncio.shield(call.ended), talk)
        except TimeoutError:
            call.hangup()
        finally:
            leg.close()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await self.phone.close()


class SimulatedCallers:
    """A Poisson stream of callers dialling the main number."""

    def __init__(self, demo: Demo, rng: random.Random) -> None:
        self.demo = demo
        self.rng = rng
        self.phone = SipEndpoint(host=demo.options.sip_host, port=0, tcp=False)
        self.connected: set[str] = set()
        self.numbers: dict[str, str] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.placed = 0
        self.abandoned = 0
        self._noise = (np.random.default_rng(rng.getrandbits(32)).normal(0, 60, 8000)).astype(
            np.int16
        )

    async def start(self) -> None:
        await self.phone.start()
        self.demo.server.runtime.listen(self._on_event)

    def _on_event(self, event_id: int, event: Event) -> None:
        del event_id
        if isinstance(event, rev.ContactQueued) and event.from_address:
            self.numbers[event.contact_id] = event.from_address
        elif isinstance(event, rev.ContactConnected):
            number = self.numbers.get(event.contact_id)
            if number is not None:
                self.connected.add(number)

    async def run(self) -> None:
        rate = self.demo.options.calls_per_hour / 3600.0
        if rate <= 0:
            return
        while True:
            await asyncio.sleep(self.rng.expovariate(rate))
            task = asyncio.get_running_loop().create_task(self._call())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def _call(self) -> None:
        server = self.demo.server.endpoint
        number = f"090{self.rng.randrange(10**8):08d}"
        dialled = self.demo.server.config.tenants[0].numbers[0]
        leg = RtpEndpoint(host=self.demo.options.sip_host, payload_type=0)
        await leg.start()
        offer = build_sdp(self.demo.options.sip_host, leg.port, [0, 8])
        self.placed += 1
        try:
            call = await self.phone.invite(
                f"sip:{dialled}@{server.host}:{server.port}", offer, from_user=number
            )
            await asyncio.wait_for(asyncio.shield(call.answered), 30)
        except Exception:
            leg.close()
            return
        remote = call.remote_sdp
        if remote is None:
            call.hangup()
            leg.close()
            return
        leg.set_remote((remote.address, remote.port))
        loop = asyncio.get_running_loop()
        patience = self.rng.expovariate(1.0 / self.demo.options.patience_mean_s)
        started = loop.time()
        pressed = False
        while not call.ended.done():
            if leg.queued_frames < 10:
                leg.play(self._noise)
            elapsed = loop.time() - started
            if not pressed and elapsed > self.rng.uniform(6.0, 9.0):
                leg.send_dtmf(self.rng.choice(MENU_CHOICES))
                pressed = True
            if number not in self.connected and elapsed > patience + 10.0:
                self.abandoned += 1
                call.hangup()
                break
            await asyncio.sleep(0.2)
        self.connected.discard(number)
        leg.close()

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await self.phone.close()


class Demo:
    """The server plus its simulated people."""

    def __init__(self, options: DemoOptions) -> None:
        from madoguchi.settings import Settings

        self.options = options
        crm = (options.data_dir / "crm.sqlite3").resolve()
        options.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = Settings(
            environment="development", database_url=f"sqlite+pysqlite:///{crm}"
        )
        from madoguchi.samples import load_sample_center

        center = load_sample_center()
        self.server = CenterServer(
            ServerOptions(
                config=center if options.real_hours else open_around_the_clock(center),
                data_dir=options.data_dir,
                sip_host=options.sip_host,
                sip_port=options.sip_port,
                http_host=options.http_host,
                http_port=options.http_port,
                phone_password_default=DEMO_PHONE_PASSWORD,
                settings=self.settings,
                drain_timeout_s=5.0,
            )
        )
        self.prompts = PromptCache(options.data_dir / "prompts")
        rng = random.Random(options.seed)
        supervisors = {t.supervisor for t in self.server.config.teams if t.supervisor}
        voice_agents = [
            a
            for a in self.server.config.agents
            if a.extension
            and a.id not in supervisors
            and any(ch is Channel.VOICE for ch, n in a.capacity if n)
        ]
        self.free_seats = [a.id for a in voice_agents[: options.free_seats]]
        self.agents = [
            SimulatedAgent(self, a.id, a.name, a.extension or "", random.Random(rng.random()))
            for a in voice_agents[options.free_seats :]
        ]
        self.callers = SimulatedCallers(self, random.Random(rng.random()))

    async def start(self) -> None:
        await self.server.start()
        self._seed_people()
        for agent in self.agents:
            await agent.start()
        await self.callers.start()

    def _seed_people(self) -> None:
        from madoguchi.api.seed import seed_sample_customers, seed_sample_users

        app = self.server.app
        if app is None:
            return
        now = self.server.runtime.clock.now()
        with app.state.ctx.sessions() as db:
            seed_sample_users(
                db, self.server.config, self.settings.demo_password.get_secret_value(), now
            )
            for tenant in self.server.config.tenants:
                seed_sample_customers(db, tenant.id, now)

    def banner(self) -> str:
        o = self.options
        lines = [
            "madoguchi demo — 株式会社みどり通販 (sample center)",
            f"  web:       http://{o.http_host}:{o.http_port}/",
            f"  sign in:   {', '.join(self.free_seats)} (free seats, agents) · sv01 (supervisor)"
            f" · admin-midori (admin) — password {self.settings.demo_password.get_secret_value()}",
            f"  telephony: real SIP/RTP on {o.sip_host}:{self.server.endpoint.port} (UDP/TCP);"
            f" {len(self.agents)} simulated agents' phones registered,"
            f" {o.calls_per_hour:g} simulated calls per hour to"
            f" {self.server.config.tenants[0].numbers[0]}",
            f"  your phone: register extension of a free seat with password {DEMO_PHONE_PASSWORD}",
            f"  data:      {o.data_dir} (events, recordings, prompts)",
            "  hours:     " + ("as configured" if o.real_hours else "open around the clock (demo)"),
            "  Ctrl-C stops (live calls get a few seconds to finish).",
        ]
        return "\n".join(lines)

    async def stop(self) -> None:
        await self.callers.close()
        for agent in self.agents:
            await agent.close()
        await self.server.stop()


async def run_demo(options: DemoOptions) -> None:
    """Run the demo until Ctrl-C (or ``duration_s``)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    demo = Demo(options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await demo.start()
    print(demo.banner(), flush=True)
    traffic = loop.create_task(demo.callers.run())
    if options.duration_s is not None:
        loop.call_later(options.duration_s, stop.set)
    await stop.wait()
    traffic.cancel()
    await demo.stop()
    metrics = demo.server.runtime
    print(
        f"demo stopped: {demo.callers.placed} calls placed, {demo.callers.abandoned} hung up "
        f"waiting, {demo.server.gateway.stats['bridged']} bridged to agents; "
        f"{metrics.last_event_id} events logged",
        flush=True,
    )


def _lognormal(rng: random.Random, mean: float, cv: float) -> float:
    sigma2 = math.log(1.0 + cv * cv)
    return rng.lognormvariate(math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2))


__all__ = ["DEMO_PHONE_PASSWORD", "Demo", "DemoOptions", "HoursCalendar", "run_demo"]
