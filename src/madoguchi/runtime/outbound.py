"""The outbound gateway: a campaign's dialer placing calls over a SIP trunk to reserved agents.

For each running campaign it keeps a pool of agents reserved through routing (``ReserveAgent``;
inbound demand may reclaim them, ``AgentReleased(reclaimed=True)``), asks the
:class:`~madoguchi.core.dialer.Dialer` for dials whenever something changes, places each as a SIP
INVITE through the tenant's trunk, classifies the result from the SIP response (busy 486, no
answer on the ringing time-out, rejected 603, invalid number 404/484…), and connects an answered
callee to a free reserved agent (``ConnectContact``: the voice gateway rings the agent's phone,
which answers at once for outbound work, and bridges). A callee answered with no agent free within
the connect rule hears the recorded message — business name, purpose, call-back number, as
特定商取引法 Art. 16 asks of a solicitation — and the call ends (``OutboundAbandoned``).

Ringing is bounded by the campaign's ``ring_timeout_s`` (then CANCEL: no answer). Early media —
RTP from the callee's network before the answer, as a 183 Session Progress with SDP brings — is
received on the call's leg (latched) and noted (``stats["early_media"]``, a log line); it is not
recorded or classified (an announcement such as "this number is not in service" still ends as
the final SIP status says). Invalid numbers never reach the trunk: the dialer refuses them when
the list is imported and checks the do-not-call list at the moment of each dial.

The trunk comes from the tenant's ``trunk`` in the center file (:meth:`Trunk.from_config`);
``madoguchi serve --campaigns FILE`` starts one gateway per tenant with campaigns
(:func:`start_campaigns`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field

from madoguchi.core.config import TenantConfig
from madoguchi.core.dialer import (
    Dialer,
    DialingMode,
    DialOutcome,
    DncEntry,
    DoNotCallRegistry,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
)
from madoguchi.core.dialer.events import DialPlaced
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.core.routing.errors import RoutingError
from madoguchi.runtime.campaign_file import CampaignSpec
from madoguchi.runtime.center import CenterRuntime
from madoguchi.runtime.voice import VoiceGateway
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.sdp import build_sdp

log = logging.getLogger("madoguchi.outbound")


def classify(status: int | None, end_reason: str | None) -> DialOutcome:
    """A dial's outcome from the final SIP status of an unanswered INVITE."""
    if status in (486, 600):
        return DialOutcome.BUSY
    if status in (404, 484, 410, 604):
        return DialOutcome.INVALID_NUMBER
    if status in (603, 403):
        return DialOutcome.REJECTED
    if status in (408, 480, 487) or end_reason in ("timeout", "cancelled"):
        return DialOutcome.NO_ANSWER
    return DialOutcome.FAILED


@dataclass
class Trunk:
    """Where outbound calls go: a SIP URI template and optional digest credentials."""

    uri_template: str
    """``sip:{number}@host:port``; ``{number}`` is the E.164 number without ``+``."""
    credentials: tuple[str, str] | None = None
    caller_id: str = "madoguchi"

    def uri(self, number: str) -> str:
        """The Request-URI for ``number`` (E.164)."""
        return self.uri_template.replace("{number}", number.lstrip("+"))

    @classmethod
    def from_config(cls, tenant: TenantConfig) -> Trunk:
        """The tenant's trunk from the center file; the password from ``password_env`` is read
        from the environment here (KeyError names a variable that is not set)."""
        config = tenant.trunk
        if config is None:
            raise ValueError(f"tenant {tenant.id!r} has no trunk")
        password = config.password
        if config.password_env is not None:
            password = os.environ[config.password_env]
        credentials = (
            (config.username, password)
            if config.username is not None and password is not None
            else None
        )
        caller_id = config.caller_id or (tenant.numbers[0] if tenant.numbers else "madoguchi")
        return cls(config.uri, credentials, caller_id.replace("-", "").replace(" ", ""))


@dataclass
class CampaignRun:
    """One campaign being dialled."""

    dialer: Dialer
    agents: tuple[str, ...]
    """Agents who may work it (reserved while idle)."""
    recorded_message: str
    ringing: dict[str, float] = field(default_factory=dict)
    """dial id → placed at"""
    busy_since: dict[str, float] = field(default_factory=dict)
    """agent → start of the current outbound contact"""
    waiting: list[tuple[str, Call, RtpEndpoint, float]] = field(default_factory=list)
    """answered callees with no agent yet: (dial id, call, leg, answered at)"""
    dial_records: dict[str, str] = field(default_factory=dict)
    """dial id → list record id, while the dial is live"""
    contact_dials: dict[str, tuple[str, str]] = field(default_factory=dict)
    """contact id → (dial id, record id)"""


class OutboundGateway:
    """Runs campaigns over a trunk; see the module docstring."""

    def __init__(
        self,
        runtime: CenterRuntime,
        endpoint: SipEndpoint,
        voice: VoiceGateway,
        trunk: Trunk,
    ) -> None:
        self.runtime = runtime
        self.endpoint = endpoint
        self.voice = voice
        self.trunk = trunk
        self.campaigns: dict[str, CampaignRun] = {}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = {"dials": 0, "answered": 0, "early_media": 0}
        runtime.listen(self._on_event)

    def add_campaign(self, run: CampaignRun) -> None:
        """Start dialling ``run`` (its dialer must be RUNNING)."""
        self.campaigns[run.dialer.campaign.id] = run
        self._wake.set()

    # ================================================================ the loop
    async def run(self) -> None:
        """Pace every campaign until cancelled: on every change and at least twice a second."""
        while True:
            self._reserve_idle_agents()
            for run in list(self.campaigns.values()):
                self._pace(run)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5)

    def _reserve_idle_agents(self) -> None:
        engine = self.runtime.engine
        for campaign_id, run in self.campaigns.items():
            for agent_id in run.agents:
                agent = engine.agents.get(agent_id)
                if agent is None or agent.state is not AgentState.AVAILABLE:
                    continue
                try:
                    self.runtime.submit_now(rc.ReserveAgent(agent_id, campaign_id))
                except RoutingError:
                    continue  # inbound needs this agent now: the engine refuses

    def _free_agents(self, run: CampaignRun) -> list[str]:
        engine = self.runtime.engine
        campaign_id = run.dialer.campaign.id
        return [
            a
            for a in run.agents
            if (agent := engine.agents.get(a)) is not None
            and agent.state is AgentState.RESERVED
            and agent.campaign == campaign_id
            and agent.offer is None
        ]

    def _pace(self, run: CampaignRun) -> None:
        now = self.runtime.clock.now()
        free = self._free_agents(run)
        while run.waiting and free:
            dial_id, call, leg, answered_at = run.waiting.pop(0)
            self._connect(run, dial_id, call, leg, free.pop(0), answered_at)
        state = PacingState(
            now=now,
            free_agents=len(free),
            busy_elapsed=[now - s for s in run.busy_since.values()],
            ringing_elapsed=[now - s for s in run.ringing.values()],
        )
        events = run.dialer.place_dials(now, state)
        self.runtime.record_events(events)
        for item in events:
            if isinstance(item, DialPlaced):
                run.ringing[item.dial_id] = now
                run.dial_records[item.dial_id] = item.record_id
                self._spawn(self._dial(run, item))

    # ================================================================ one dial
    async def _dial(self, run: CampaignRun, placed: DialPlaced) -> None:
        campaign = run.dialer.campaign
        leg = RtpEndpoint(host=self.voice.media_host, payload_type=0)
        await leg.start()
        offer = build_sdp(self.voice.media_host, leg.port, [0, 8])
        self.stats["dials"] += 1
        leg.on_packet = lambda _packet: self._early_media(placed.dial_id, leg)
        try:
            call = await self.endpoint.invite(
                self.trunk.uri(placed.number),
                offer,
                from_user=self.trunk.caller_id,
                credentials=self.trunk.credentials,
            )
        except Exception:
            log.exception("dial %s could not be placed", placed.dial_id)
            leg.close()
            self._result(run, placed.dial_id, DialOutcome.FAILED)
            return
        try:
            await asyncio.wait_for(asyncio.shield(call.answered), campaign.ring_timeout_s)
        except TimeoutError:
            if call.state is not CallState.ENDED:
                call.cancel()
            leg.close()
            self._result(run, placed.dial_id, DialOutcome.NO_ANSWER)
            return
        except Exception:
            leg.close()
            self._result(run, placed.dial_id, classify(call.final_status, call.end_reason))
            return
        leg.on_packet = None
        self.stats["answered"] += 1
        remote = call.remote_sdp
        if remote is not None:
            leg.payload_type = remote.codec
            leg.set_remote((remote.address, remote.port))
        now = self.runtime.clock.now()
        self._result(run, placed.dial_id, DialOutcome.ANSWERED)
        free = self._free_agents(run)
        if free:
            self._connect(run, placed.dial_id, call, leg, free[0], now)
            return
        run.waiting.append((placed.dial_id, call, leg, now))
        await asyncio.sleep(campaign.connect_rule_s)
        for index, entry in enumerate(run.waiting):
            if entry[0] == placed.dial_id:
                del run.waiting[index]
                await self._abandon(run, placed, call, leg)
                break

    def _early_media(self, dial_id: str, leg: RtpEndpoint) -> None:
        leg.on_packet = None  # noted once per dial
        self.stats["early_media"] += 1
        log.info("dial %s: early media from the callee's network before the answer", dial_id)

    def _result(self, run: CampaignRun, dial_id: str, outcome: DialOutcome) -> None:
        run.ringing.pop(dial_id, None)
        if outcome is not DialOutcome.ANSWERED:
            run.dial_records.pop(dial_id, None)
        events = run.dialer.dial_result(dial_id, outcome, self.runtime.clock.now())
        self.runtime.record_events(events)
        self._wake.set()

    def _connect(
        self,
        run: CampaignRun,
        dial_id: str,
        call: Call,
        leg: RtpEndpoint,
        agent_id: str,
        answered_at: float,
    ) -> None:
        now = self.runtime.clock.now()
        record_id = run.dial_records.pop(dial_id)
        contact = Contact(
            id=f"{dial_id}-c",
            channel=Channel.VOICE,
            direction=Direction.OUTBOUND,
            tenant=run.dialer.campaign.tenant,
            created_at=answered_at,
            to_address=run.dialer.records[record_id].number,
            customer_id=run.dialer.records[record_id].customer_id,
            attributes={"campaign": run.dialer.campaign.id, "record": record_id},
        )
        run.contact_dials[contact.id] = (dial_id, record_id)
        self.voice.adopt(contact, call, leg)
        try:
            self.runtime.submit_now(rc.ConnectContact(contact, agent_id, run.dialer.campaign.queue))
        except RoutingError as err:
            log.warning("could not connect %s to %s: %s", contact.id, agent_id, err)
            return
        event = run.dialer.connected(dial_id, record_id, agent_id, now - answered_at, now)
        self.runtime.record_events([event])
        run.busy_since[agent_id] = now

    async def _abandon(
        self, run: CampaignRun, placed: DialPlaced, call: Call, leg: RtpEndpoint
    ) -> None:
        run.dial_records.pop(placed.dial_id, None)
        events = run.dialer.abandoned(placed.dial_id, placed.record_id, self.runtime.clock.now())
        self.runtime.record_events(events)
        try:
            audio = await self.voice.prompts.get_async(run.recorded_message, "ja")
            leg.play(audio)
            for _ in range(300):
                if leg.queued_frames == 0 or call.state is CallState.ENDED:
                    break
                await asyncio.sleep(0.1)
        finally:
            call.hangup()
            leg.close()

    # ================================================================ events
    def _on_event(self, event_id: int, event: Event) -> None:
        del event_id
        if isinstance(event, rev.ContactWrappedUp | rev.AgentStateChanged | rev.AgentReleased):
            for run in self.campaigns.values():
                if (
                    isinstance(event, rev.ContactWrappedUp)
                    and event.contact_id in run.contact_dials
                ):
                    started = run.busy_since.pop(event.agent_id, None)
                    if started is not None:
                        run.dialer.handled(event.at - started)
            self._wake.set()

    def _spawn(self, coroutine: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop dialling; calls in progress are hung up by the endpoint's close."""
        for task in list(self._tasks):
            task.cancel()


def start_campaigns(
    runtime: CenterRuntime,
    endpoint: SipEndpoint,
    voice: VoiceGateway,
    specs: list[CampaignSpec],
) -> list[tuple[OutboundGateway, asyncio.Task[None]]]:
    """One gateway per tenant with campaigns, over that tenant's trunk, already pacing."""
    gateways: list[tuple[OutboundGateway, asyncio.Task[None]]] = []
    for tenant in runtime.config.tenants:
        mine = [s for s in specs if s.campaign.tenant == tenant.id]
        if not mine:
            continue
        gateway = OutboundGateway(runtime, endpoint, voice, Trunk.from_config(tenant))
        dnc = DoNotCallRegistry()  # tenant-wide: a refusal holds for every campaign (Art. 17)
        for number in {n for spec in mine for n in spec.do_not_call}:
            dnc.add(DncEntry(number, tenant.id, reason="campaign file"))
        for spec in mine:
            campaign = spec.campaign
            pacer = (
                PredictivePacer(campaign.target_abandon, campaign.connect_rule_s)
                if campaign.mode is DialingMode.PREDICTIVE
                else ProgressivePacer()
            )
            dialer = Dialer(campaign, pacer, dnc, records=spec.records)
            gateway.add_campaign(CampaignRun(dialer, spec.agents, spec.recorded_message))
        task = asyncio.get_running_loop().create_task(gateway.run())
        gateways.append((gateway, task))
    return gateways
