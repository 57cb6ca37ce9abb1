"""The voice gateway: SIP calls become contacts; flow commands and routing decisions become media.

It holds no business rules. A call that arrives is given to the tenant's contact flow
(:class:`~madoguchi.core.flows.session.FlowSession`); what the flow asks — say, gather, enqueue,
hang up — is carried out with prompts, RTP and SIP; what the caller does — keypad digits (RFC 4733
or SIP INFO), hanging up — goes back to the flow or to routing as commands. When routing offers
the contact to an agent (``ContactOffered``), the agent's registered phone is rung; when the agent
answers, ``AcceptOffer`` is submitted and the caller and agent legs are bridged and recorded
(caller left, agent right). Hang-ups become ``EndContact`` / ``AbandonContact``.

A transfer (``ContactTransferred``: from the desk through the API, or the phone's REFER)
releases the agent who handed the caller on — their phone's leg is hung up, or their browser
session detached — and the caller hears music on hold until routing connects the next agent,
who is rung and bridged exactly like the first (:meth:`VoiceGateway._connect`, browser session
or desk phone, in any mix). The call is one recording, ``<contact>.wav``, from the first
answer to the hang-up; the wait between agents is silence in it.

A flow whose first step only speaks and hangs up (a closure or "number changed" message) is
played as early media: 183 Session Progress with our SDP, the prompt, then 480 Temporarily
Unavailable — the call is never answered, so the caller is not charged for it. Agents' phones
can move their side of a call to another device with an INVITE carrying Replaces, and complete
attended transfers with REFER ``?Replaces=`` (see ``voice_transfer``).

::

    gateway = VoiceGateway(runtime, endpoint, flows, prompts, recordings_dir)
    gateway.attach()        # endpoint.on_incoming_call and the runtime's event listener
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np

from madoguchi.core.config import LocalizedText, QueueConfig
from madoguchi.core.events import Event
from madoguchi.core.flows import commands as fc
from madoguchi.core.flows import inputs as fi
from madoguchi.core.flows.environment import RoutingFlowEnvironment
from madoguchi.core.flows.model import InputMode, TransferKind
from madoguchi.core.flows.registry import FlowRegistry
from madoguchi.core.flows.session import FlowSession
from madoguchi.core.model import Channel, Contact, Direction, EndReason, SkillRequirement
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.core.routing.errors import RoutingError
from madoguchi.runtime.center import CenterRuntime
from madoguchi.runtime.voice_callback import CallbackDialer
from madoguchi.runtime.voice_external import transfer_to_number
from madoguchi.runtime.voice_transfer import AgentCallControl, ConsultCall
from madoguchi.telephony.errors import SdpError
from madoguchi.telephony.media import PromptCache, SynthesisError, music_on_hold
from madoguchi.telephony.rtp.bridge import RtpBridge
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.recorder import StereoRecorder
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.fields import parse_name_addr, parse_uri
from madoguchi.telephony.sip.sdp import answer_offer, build_sdp

log = logging.getLogger("madoguchi.voice")

INTER_DIGIT_S = 3.0
"""A gather of several digits ends this long after the last one (or at ``#``)."""
AGENT_RING_TIMEOUT_S = 60.0


class AgentMedia(Protocol):
    """Audio sessions of agents who work in the browser (the WebRTC softphone).

    An agent with a session is not rung by SIP: the page shows the offer, the agent answers
    through the API (``AcceptOffer``), and on ``ContactConnected`` the gateway attaches the
    caller's RTP leg to the agent's session.
    """

    def has_session(self, agent_id: str) -> bool:
        """Whether ``agent_id`` has a live browser audio session."""
        ...

    def attach(
        self,
        agent_id: str,
        caller: RtpEndpoint,
        recorder: StereoRecorder | None,
        *,
        owns_recording: bool = True,
    ) -> Callable[[], None]:
        """Bridge the caller's leg and the agent's session both ways (recording caller on the
        left, agent on the right); return the function that detaches them. With
        ``owns_recording=False`` detaching leaves the recorder open (the caller's recording
        goes on with the next agent after a transfer)."""
        ...


CustomerLookup = Callable[[str, str, str], tuple[str | None, dict[str, str]]]
"""(tenant, by, value) → (customer id or None, fields); by is ``caller`` or ``customer_number``."""


@dataclass(eq=False)
class VoiceContact:
    """One caller's call and everything attached to it."""

    contact: Contact
    call: Call
    leg: RtpEndpoint
    session: FlowSession | None
    timer: asyncio.TimerHandle | None = None
    digits: str = ""
    gather: fc.Gather | None = None
    digit_timer: asyncio.TimerHandle | None = None
    barge_in: bool = False
    queued: bool = False
    connected: bool = False
    ended: bool = False
    hanging_up: bool = False
    agent_id: str | None = None
    agent_call: Call | None = None
    agent_leg: RtpEndpoint | None = None
    bridge: RtpBridge | None = None
    recording: Path | None = None
    recorder: StereoRecorder | None = None
    """The call's one recording, open from the first agent's answer to the caller's hang-up
    (transfers included: the wait in between is silence in it)."""
    detach_media: Callable[[], None] | None = None
    """Set while bridged to a browser agent's session."""
    music: asyncio.Task[None] | None = None
    held: bool = False
    """The agent's phone put the caller on hold (music plays, the bridge pauses)."""
    consult: ConsultCall | None = None
    """An attended transfer in progress: the answered consult call to the target agent."""
    speaking: int = 0
    """Prompts being prepared; music waits while > 0."""
    prompts_epoch: int = 0
    """Bumped when an agent answers: prompts still being synthesized then are dropped (they
    would play over the agent, or hold back the music after a transfer)."""
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class VoiceGateway:
    """Connects a :class:`SipEndpoint` to a :class:`CenterRuntime`; see the module docstring."""

    def __init__(
        self,
        runtime: CenterRuntime,
        endpoint: SipEndpoint,
        flows: FlowRegistry,
        prompts: PromptCache,
        recordings_dir: Path,
        *,
        media_host: str | None = None,
        sip_domain: str | None = None,
        lookup_customer: CustomerLookup | None = None,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.runtime = runtime
        self.endpoint = endpoint
        self.flows = flows
        self.prompts = prompts
        self.recordings_dir = recordings_dir
        self.recordings_dir.mkdir(parents=True, exist_ok=True)
        self.media_host = media_host or endpoint.host
        self.sip_domain = sip_domain or endpoint.host
        """The domain agents' phones register in (``extension@domain``)."""
        self.lookup_customer = lookup_customer
        self.http = http
        self.agent_media: AgentMedia | None = None
        """Browser agents' audio (the WebRTC softphone), when wired in."""
        self.environment = RoutingFlowEnvironment(runtime.engine, runtime.config)
        self.calls: dict[str, VoiceContact] = {}
        """contact id → live call"""
        self._ids = itertools.count(1)
        self._prefix = f"v{int(time.time()):x}"
        self._music = music_on_hold()
        self._numbers = {
            number: tenant for tenant in runtime.config.tenants for number in tenant.numbers
        }
        self.stats = {"calls": 0, "rejected": 0, "bridged": 0, "early_media": 0}
        self.control = AgentCallControl(self)
        """Hold and transfers from agents' phones (``voice_transfer``)."""
        self.callbacks = CallbackDialer(self)
        """Callback contacts (no caller on the line): ring the agent, dial the customer."""

    # ================================================================ wiring
    def attach(self) -> None:
        """Take incoming calls and follow routing's events."""
        self.endpoint.on_incoming_call = self.on_incoming_call
        self.runtime.listen(self.on_event)

    async def close(self) -> None:
        """Hang up every call (shutdown after the drain time-out)."""
        self.callbacks.close()
        for voice in list(self.calls.values()):
            self._hangup(voice, "shutdown")
        if self.http is not None:
            await self.http.aclose()

    # ================================================================ calls in
    def on_incoming_call(self, call: Call) -> None:
        """A new INVITE: pick tenant and flow, answer, start the flow."""
        if not self.runtime.accepting:
            call.reject(503)
            return
        consult = self.control.consult_target(call)
        if consult is not None:
            task = asyncio.get_running_loop().create_task(
                self.control.start_consult(call, *consult)
            )
            task.add_done_callback(_log_failure)
            return
        dialled = self._dialled_number(call)
        tenant = self._numbers.get(dialled)
        if tenant is None and self.runtime.config.unmapped_numbers_to_main_flow:
            tenant = self.runtime.config.tenants[0] if self.runtime.config.tenants else None
        if tenant is None or tenant.main_flow is None:
            self.stats["rejected"] += 1
            call.reject(404)
            return
        try:
            flow = self.flows.get(tenant.main_flow)
        except KeyError:
            log.error("tenant %s names flow %s, which is not loaded", tenant.id, tenant.main_flow)
            call.reject(500)
            return
        if call.remote_sdp is None:
            call.reject(488)
            return
        task = asyncio.get_running_loop().create_task(self._answer(call, tenant.id, dialled, flow))
        task.add_done_callback(_log_failure)

    async def _answer(self, call: Call, tenant: str, dialled: str, flow: object) -> None:
        assert call.remote_sdp is not None
        offer = call.remote_sdp
        try:
            codec = offer.codec
        except SdpError:
            call.reject(488)
            return
        leg = RtpEndpoint(
            host=self.media_host, payload_type=codec, telephone_event_pt=offer.telephone_event_pt
        )
        await leg.start()
        try:
            _chosen, body = answer_offer(offer, self.media_host, leg.port)
        except SdpError as err:
            leg.close()
            call.reject(err.status_hint)
            return
        leg.set_remote((offer.address, offer.port))
        if call.state is not CallState.RINGING:  # cancelled meanwhile
            leg.close()
            return
        now = self.runtime.clock.now()
        contact = Contact(
            id=f"{self._prefix}-{next(self._ids)}",
            channel=Channel.VOICE,
            direction=Direction.INBOUND,
            tenant=tenant,
            created_at=now,
            from_address=self._caller_number(call),
            to_address=dialled,
        )
        from madoguchi.core.flows.model import Flow

        assert isinstance(flow, Flow)
        voice = VoiceContact(contact, call, leg, FlowSession(flow, self.environment))
        self.calls[contact.id] = voice
        self.stats["calls"] += 1
        leg.on_dtmf = lambda digit: self._on_digit(voice, digit)
        leg.on_timeout = lambda: self._on_media_timeout(voice)
        call.on_dtmf = lambda digit: self._on_digit(voice, digit)
        call.on_ended = lambda reason: self._on_caller_gone(voice, reason)
        call.on_replaced = lambda new: self._spawn(
            voice, self.control.take_over_caller_leg(voice, call, new)
        )
        assert voice.session is not None
        commands = voice.session.start(contact, now)
        if announcement_only(commands):
            # early media: 183 with our SDP, the prompt, then 480 — never answered, not billed
            call.progress(body)
            self.stats["early_media"] += 1
        else:
            call.answer(body)
        self._perform(voice, commands)

    def adopt(self, contact: Contact, call: Call, leg: RtpEndpoint) -> None:
        """Carry an answered outbound call (the callee's leg) like an inbound one: routing's
        offer rings the agent, and hang-ups on either side end the contact."""
        voice = VoiceContact(contact, call, leg, None, queued=True)
        self.calls[contact.id] = voice
        leg.on_timeout = lambda: self._on_media_timeout(voice)
        call.on_ended = lambda reason: self._on_caller_gone(voice, reason)

    @staticmethod
    def _dialled_number(call: Call) -> str:
        user = parse_uri(call.invite.uri).user or ""
        return user

    @staticmethod
    def _caller_number(call: Call) -> str | None:
        try:
            uri = parse_name_addr(call.invite.headers.first("from")).uri
            return parse_uri(uri).user or None
        except Exception:  # a From we cannot read leaves the caller unknown
            return None

    # ================================================================ flow commands
    def _perform(self, voice: VoiceContact, commands: list[fc.FlowCommand]) -> None:
        session = voice.session
        if session is not None:
            events = session.take_events()
            if events:
                self.runtime.record_events(events)
        for command in commands:
            if voice.ended:
                return
            self._perform_one(voice, command)
        self._arm_flow_timer(voice)

    def _perform_one(self, voice: VoiceContact, command: fc.FlowCommand) -> None:
        if isinstance(command, fc.Say | fc.Play):
            self._speak(voice, command.text, command.language, command.barge_in)
        elif isinstance(command, fc.Gather):
            voice.gather = command
            voice.digits = ""
        elif isinstance(command, fc.Enqueue):
            self._enqueue(voice, command)
        elif isinstance(command, fc.Transfer):
            self._transfer(voice, command)
        elif isinstance(command, fc.HttpRequest):
            self._spawn(voice, self._http(voice, command))
        elif isinstance(command, fc.LookupCustomer):
            self._lookup(voice, command)
        elif isinstance(command, fc.RequestCallback):
            self._request_callback(voice, command)
        elif isinstance(command, fc.RecordMessage):
            self._spawn(voice, self._record_message(voice, command.max_seconds))
        elif isinstance(command, fc.Hangup):
            self._hangup_after_prompts(voice, command.reason)

    def _speak(self, voice: VoiceContact, text: str, language: str, barge_in: bool) -> None:
        voice.barge_in = barge_in
        voice.speaking += 1
        self._stop_music(voice)
        self._spawn(voice, self._play_prompt(voice, text, language, voice.prompts_epoch))

    async def _play_prompt(self, voice: VoiceContact, text: str, language: str, epoch: int) -> None:
        try:
            audio = await self.prompts.get_async(text, language)
        except SynthesisError as err:
            log.warning("prompt not synthesized (%s): %s", err, text)
            audio = np.zeros(8000, dtype=np.int16)
        finally:
            if epoch == voice.prompts_epoch:
                voice.speaking -= 1
        if epoch != voice.prompts_epoch:
            return  # an agent answered meanwhile: the flow's prompt is no longer wanted
        if not voice.ended:
            voice.leg.play(audio)
            if voice.queued and not voice.connected:
                self._start_music(voice)

    def _enqueue(self, voice: VoiceContact, command: fc.Enqueue) -> None:
        contact = voice.contact
        contact.attributes.update(dict(command.attributes))
        contact.language = command.language
        skills = tuple(SkillRequirement(s, level) for s, level in command.skills) or None
        published = self._submit(
            rc.EnqueueContact(contact, command.queue, priority=command.priority, skills=skills)
        )
        if published is not None:
            voice.queued = True
            self._start_music(voice)

    def _transfer(self, voice: VoiceContact, command: fc.Transfer) -> None:
        if command.kind is TransferKind.QUEUE:
            published = self._submit(rc.EnqueueContact(voice.contact, command.target))
            if published is not None:
                voice.queued = True
                self._start_music(voice)
        elif command.kind is TransferKind.AGENT:
            self._submit(rc.ConnectContact(voice.contact, command.target))
            voice.queued = True
            self._start_music(voice)
        else:  # an external number: dialled over the tenant's trunk (voice_external)
            transfer_to_number(self, voice, command.target)

    async def _http(self, voice: VoiceContact, command: fc.HttpRequest) -> None:
        client = self.http or httpx.AsyncClient()
        self.http = client
        result: fi.FlowInput
        try:
            response = await client.request(
                command.method, command.url, content=command.body, timeout=command.timeout_s
            )
            result = fi.HttpResponse(command.request_id, response.status_code, response.text)
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as err:
            # InvalidURL and StreamError are not HTTPErrors: without them a URL the template
            # made unparseable would fail the task and leave the caller waiting for the time-out.
            result = fi.HttpFailed(command.request_id, type(err).__name__)
        self._feed(voice, result)

    def _lookup(self, voice: VoiceContact, command: fc.LookupCustomer) -> None:
        customer_id: str | None = None
        fields: dict[str, str] = {}
        if self.lookup_customer is not None:
            try:
                customer_id, fields = self.lookup_customer(
                    voice.contact.tenant, command.by, command.value
                )
            except Exception:  # a broken CRM must not leave the caller stuck
                log.exception("customer lookup failed")
        if customer_id is not None:
            voice.contact.customer_id = customer_id
        asyncio.get_running_loop().call_soon(
            self._feed, voice, fi.CustomerLookupResult(command.request_id, customer_id, fields)
        )

    async def _record_message(self, voice: VoiceContact, max_seconds: float) -> None:
        path = self.recordings_dir / f"{voice.contact.id}-message.wav"
        loop = asyncio.get_running_loop()
        recorder = StereoRecorder(path, loop.time(), max_seconds=max_seconds)  # loop clock
        voice.leg.on_audio = lambda pcm, _packet: recorder.add(0, pcm, loop.time())
        started = loop.time()
        try:
            while not voice.ended and loop.time() - started < max_seconds and voice.digits == "":
                await asyncio.sleep(0.1)
        finally:
            voice.leg.on_audio = None
            recorder.close()
        self._feed(voice, fi.MessageLeft(loop.time() - started, str(path)))

    # ================================================================ caller input
    def _on_digit(self, voice: VoiceContact, digit: str) -> None:
        if voice.ended:
            return
        if voice.barge_in:
            _clear_playback(voice.leg)
            voice.barge_in = False
        gather = voice.gather
        if gather is None or gather.mode is not InputMode.DIGITS:
            if voice.session is not None and voice.queued:
                self._feed(voice, fi.Digits(digit))
            return
        if voice.digit_timer is not None:
            voice.digit_timer.cancel()
            voice.digit_timer = None
        if digit == "#":
            self._finish_gather(voice)
            return
        voice.digits += digit
        if len(voice.digits) >= gather.max_length:
            self._finish_gather(voice)
        else:
            loop = asyncio.get_running_loop()
            voice.digit_timer = loop.call_later(INTER_DIGIT_S, self._finish_gather, voice)

    def _finish_gather(self, voice: VoiceContact) -> None:
        if voice.digit_timer is not None:
            voice.digit_timer.cancel()
            voice.digit_timer = None
        digits, voice.digits, voice.gather = voice.digits, "", None
        self._feed(voice, fi.Digits(digits))

    def _feed(self, voice: VoiceContact, item: fi.FlowInput) -> None:
        if voice.session is None or voice.ended:
            return
        self._perform(voice, voice.session.receive(item, self.runtime.clock.now()))

    def _arm_flow_timer(self, voice: VoiceContact) -> None:
        if voice.timer is not None:
            voice.timer.cancel()
            voice.timer = None
        session = voice.session
        if session is None or voice.ended:
            return
        due = session.next_timer()
        if due is not None:
            delay = max(0.0, due - self.runtime.clock.now())
            voice.timer = asyncio.get_running_loop().call_later(delay, self._flow_timer, voice)

    def _flow_timer(self, voice: VoiceContact) -> None:
        voice.timer = None
        if voice.session is not None and not voice.ended:
            if voice.gather is not None and voice.digits:
                self._finish_gather(voice)
                return
            self._perform(voice, voice.session.handle_timer(self.runtime.clock.now()))

    def _on_caller_gone(self, voice: VoiceContact, reason: str) -> None:
        if voice.ended:
            return
        voice.ended = True
        contact_id = voice.contact.id
        if voice.connected:
            self._submit(rc.EndContact(contact_id, EndReason.COMPLETED))
        elif voice.queued:
            self._submit(rc.AbandonContact(contact_id))
        if voice.session is not None and not voice.hanging_up:
            commands = voice.session.receive(fi.CustomerLeft(), self.runtime.clock.now())
            del commands
            events = voice.session.take_events()
            if events:
                self.runtime.record_events(events)
        self._release(voice)

    def _on_media_timeout(self, voice: VoiceContact) -> None:
        log.info("no RTP from the caller of %s: ending the call", voice.contact.id)
        if voice.connected:
            self._submit(rc.EndContact(voice.contact.id, EndReason.PEER_LOST))
        elif voice.queued:
            self._submit(rc.AbandonContact(voice.contact.id))
        voice.ended = True
        voice.call.hangup("media_timeout")
        self._release(voice)

    # ================================================================ routing events
    def on_event(self, event_id: int, event: Event) -> None:
        """Follow routing's decisions about contacts this gateway carries."""
        del event_id
        contact_id = getattr(event, "contact_id", None)
        if contact_id is None:
            return
        voice = self.calls.get(contact_id)
        if voice is None:
            self.callbacks.on_event(event)  # a callback contact: nobody on the line yet
            return
        if voice.ended:
            return
        if isinstance(event, rev.ContactEnded) and event.reason is EndReason.TRANSFERRED_EXTERNAL:
            return  # an agent's transfer out: voice_external carries the call on
        media = self.agent_media
        if isinstance(event, rev.ContactOffered):
            if media is not None and media.has_session(event.agent_id):
                return  # the browser shows the offer; the agent answers through the API
            consult = self.control.take_consult(voice, event.agent_id)
            if consult is not None:  # attended transfer: the target already talks to us
                asyncio.get_running_loop().call_soon(
                    self._accept_consult, voice, event.agent_id, consult
                )
                return
            self._spawn(voice, self._ring_agent(voice, event.agent_id))
        elif isinstance(event, rev.ContactConnected) and voice.agent_call is None:
            if voice.connected:
                return
            if media is not None and media.has_session(event.agent_id):
                self._connect(voice, event.agent_id)
            else:  # connected straight to an agent (the dialer's ConnectContact): ring the phone
                self._spawn(voice, self._ring_agent(voice, event.agent_id, offered=False))
        elif isinstance(event, rev.ContactTransferred):
            if voice.connected and event.from_agent == voice.agent_id:
                self._release_agent(voice)  # from the desk (API); a phone's REFER did already
        elif isinstance(event, rev.ContactEnded) and voice.connected:
            voice.ended = True  # the agent ended it from the desktop
            voice.call.hangup()
            self._release(voice)
        elif isinstance(event, rev.ContactOfferTimedOut | rev.ContactOfferRejected):
            self._cancel_agent_leg(voice)
        elif isinstance(event, rev.ContactEnded) and not voice.connected:
            queue = self.runtime.config.queue(event.queue_id) if event.queue_id else None
            message = _closing_message(queue, event.reason)
            if message is not None:
                self._speak(
                    voice, message.get(voice.contact.language), voice.contact.language, False
                )
            voice.queued = False
            self._hangup_after_prompts(voice, str(event.reason))
        elif isinstance(event, rev.CallbackRequested):
            voice.queued = False

    async def _ring_agent(self, voice: VoiceContact, agent_id: str, offered: bool = True) -> None:
        """Ring the agent's registered phone; on answer, accept the offer (unless routing
        connected the contact already) and bridge. A phone that cannot be reached declines the
        offer, or ends a contact that was connected straight to the agent."""
        target = self._agent_contact_uri(agent_id)
        if target is None:
            log.info("agent %s has no registered phone", agent_id)
            self._agent_unreachable(voice, agent_id, offered)
            return
        leg = RtpEndpoint(host=self.media_host, payload_type=voice.leg.payload_type)
        await leg.start()
        offer = build_sdp(self.media_host, leg.port, [voice.leg.payload_type])
        caller = voice.contact.from_address or "anonymous"
        try:
            call = await self.endpoint.invite(target, offer, from_user=caller)
        except Exception:
            log.exception("could not ring agent %s", agent_id)
            leg.close()
            self._agent_unreachable(voice, agent_id, offered)
            return
        voice.agent_id, voice.agent_call, voice.agent_leg = agent_id, call, leg
        call.on_ended = lambda reason: self._on_agent_gone(voice, call, reason)
        try:
            await asyncio.wait_for(asyncio.shield(call.answered), AGENT_RING_TIMEOUT_S)
        except (TimeoutError, asyncio.CancelledError, Exception):
            if voice.agent_call is call:
                self._cancel_agent_leg(voice)
                if not offered:
                    self._agent_unreachable(voice, agent_id, offered)
            return
        if voice.ended or voice.agent_call is not call:
            call.hangup()
            return
        remote = call.remote_sdp
        if remote is not None:
            leg.set_remote((remote.address, remote.port))
        if offered and self._submit(rc.AcceptOffer(voice.contact.id, agent_id)) is None:
            call.hangup()
            return
        self._connect(voice, agent_id, leg)

    def _accept_consult(self, voice: VoiceContact, agent_id: str, consult: ConsultCall) -> None:
        call, leg = consult.target_call, consult.target_leg
        assert call is not None
        assert leg is not None
        if voice.ended or self._submit(rc.AcceptOffer(voice.contact.id, agent_id)) is None:
            call.hangup()
            leg.close()
            return
        voice.agent_id, voice.agent_call, voice.agent_leg = agent_id, call, leg
        call.on_ended = lambda reason: self._on_agent_gone(voice, call, reason)
        self._connect(voice, agent_id, leg)

    def _agent_unreachable(self, voice: VoiceContact, agent_id: str, offered: bool) -> None:
        if offered:
            self._submit(rc.RejectOffer(voice.contact.id, agent_id))
        else:
            self._submit(rc.EndContact(voice.contact.id, EndReason.ERROR))
            self._hangup(voice, "agent_unreachable")

    def _connect(
        self, voice: VoiceContact, agent_id: str, agent_leg: RtpEndpoint | None = None
    ) -> None:
        """Bridge the caller to the agent who answered — their phone's RTP leg, or without one
        their browser session. The first agent and every agent after a transfer (to a queue,
        to an agent, attended) are connected here; the recording goes on in the same file."""
        media = self.agent_media
        if agent_leg is None and media is None:
            log.error("no media for agent %s of %s", agent_id, voice.contact.id)
            return
        voice.connected = True
        voice.queued = False
        voice.agent_id = agent_id
        voice.prompts_epoch += 1
        voice.speaking = 0
        self._stop_music(voice)
        _clear_playback(voice.leg)
        if voice.session is not None:
            self._feed(voice, fi.AgentConnected(agent_id))
        recorder = self._recorder(voice)
        if agent_leg is not None:
            if voice.agent_call is not None:
                self.control.watch(voice, voice.agent_call)
            clock = asyncio.get_running_loop().time
            voice.bridge = RtpBridge(voice.leg, agent_leg, recorder, clock=clock)
        elif media is not None:
            voice.detach_media = media.attach(agent_id, voice.leg, recorder, owns_recording=False)
        self.stats["bridged"] += 1

    def _release_agent(self, voice: VoiceContact) -> None:
        """The connected agent handed the caller on (a transfer): their side leaves — the
        phone's leg hung up, or the browser session detached — and the caller waits with
        music until routing connects the next agent (:meth:`_connect`). The recording stays
        open for that agent."""
        call, leg, bridge = voice.agent_call, voice.agent_leg, voice.bridge
        detach, voice.detach_media = voice.detach_media, None
        voice.agent_call = voice.agent_leg = None
        voice.bridge = None
        voice.agent_id = None
        voice.connected = False
        voice.held = False
        voice.queued = True
        if bridge is not None:
            bridge.detach()
        if detach is not None:
            detach()
        if call is not None and call.state is not CallState.ENDED:
            call.hangup()
        if leg is not None:
            leg.close()
        _clear_playback(voice.leg)
        self._start_music(voice)

    def _recorder(self, voice: VoiceContact) -> StereoRecorder:
        """The call's recording, ``<contact>.wav``, opened when the first agent answers."""
        if voice.recorder is None:
            path = self.recordings_dir / f"{voice.contact.id}.wav"
            voice.recording = path
            voice.recorder = StereoRecorder(path, asyncio.get_running_loop().time())
        return voice.recorder

    def _on_agent_gone(self, voice: VoiceContact, call: Call, reason: str) -> None:
        if voice.agent_call is not call:
            return
        if voice.connected and not voice.ended:
            self._submit(rc.EndContact(voice.contact.id, EndReason.COMPLETED))
            voice.ended = True
            voice.call.hangup()
            self._release(voice)
        elif not voice.connected and not voice.ended and reason != "cancelled":
            agent = voice.agent_id
            self._cancel_agent_leg(voice)
            if agent is not None:
                self._submit(rc.RejectOffer(voice.contact.id, agent))

    def _cancel_agent_leg(self, voice: VoiceContact) -> None:
        call, leg = voice.agent_call, voice.agent_leg
        voice.agent_call = voice.agent_leg = None
        voice.agent_id = None
        if call is not None and call.state is not CallState.ENDED:
            if call.state is CallState.ANSWERED:
                call.hangup()
            else:
                call.cancel()
        if leg is not None:
            leg.close()

    def _agent_contact_uri(self, agent_id: str) -> str | None:
        try:
            extension = self.runtime.config.agent(agent_id).extension
        except KeyError:
            return None
        registrar = self.endpoint.registrar
        if extension is None or registrar is None:
            return None
        now = self.runtime.clock.now()
        bindings = registrar.lookup(f"{extension}@{self.sip_domain}", now)
        return bindings[0].contact if bindings else None

    # ================================================================ media helpers
    def _start_music(self, voice: VoiceContact) -> None:
        if voice.music is None and not voice.ended:
            voice.music = asyncio.get_running_loop().create_task(self._music_loop(voice))

    def _stop_music(self, voice: VoiceContact) -> None:
        if voice.music is not None:
            voice.music.cancel()
            voice.music = None

    async def _music_loop(self, voice: VoiceContact) -> None:
        while not voice.ended and (not voice.connected or voice.held):
            if voice.speaking == 0 and voice.leg.queued_frames < 25:
                voice.leg.play(self._music)
            await asyncio.sleep(0.25)

    def _hangup_after_prompts(self, voice: VoiceContact, reason: str) -> None:
        voice.hanging_up = True
        self._stop_music(voice)
        self._spawn(voice, self._hangup_when_quiet(voice, reason))

    async def _hangup_when_quiet(self, voice: VoiceContact, reason: str) -> None:
        for _ in range(600):  # at most a minute of prompts
            if voice.speaking == 0 and voice.leg.queued_frames == 0:
                break
            await asyncio.sleep(0.1)
        self._hangup(voice, reason)

    def _hangup(self, voice: VoiceContact, reason: str) -> None:
        if voice.call.state is not CallState.ENDED:
            voice.call.hangup()
        if not voice.ended:
            voice.ended = True
            if voice.connected:
                self._submit(rc.EndContact(voice.contact.id, EndReason.COMPLETED))
            elif voice.queued:
                self._submit(rc.AbandonContact(voice.contact.id))
        if voice.agent_call is not None and voice.agent_call.state is not CallState.ENDED:
            voice.agent_call.hangup()
        log.debug("call %s ended: %s", voice.contact.id, reason)
        self._release(voice)

    def _release(self, voice: VoiceContact) -> None:
        for handle in (voice.timer, voice.digit_timer):
            if handle is not None:
                handle.cancel()
        agent_call = voice.agent_call
        if agent_call is not None and agent_call.state is not CallState.ENDED:
            agent_call.hangup()  # the caller went: the agent's phone gets BYE (or CANCEL)
        self._stop_music(voice)
        if voice.bridge is not None:
            voice.bridge.close()
            voice.bridge = None
        if voice.detach_media is not None:
            voice.detach_media()
            voice.detach_media = None
        if voice.recorder is not None:
            voice.recorder.close()
        voice.leg.close()
        if voice.agent_leg is not None:
            voice.agent_leg.close()
        self.calls.pop(voice.contact.id, None)

    def _spawn(self, voice: VoiceContact, coroutine: object) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)  # type: ignore[arg-type]
        voice.tasks.add(task)
        task.add_done_callback(voice.tasks.discard)
        task.add_done_callback(_log_failure)

    def _request_callback(self, voice: VoiceContact, command: fc.RequestCallback) -> None:
        """Queued: the call keeps its place as a callback request; after hours (not queued):
        a callback held until the queue opens (:meth:`CenterRuntime.request_callback`)."""
        try:
            self.runtime.request_callback(voice.contact, command.queue, command.number)
        except RoutingError as err:
            log.warning("routing refused the callback request of %s: %s", voice.contact.id, err)

    def _submit(self, command: rc.RoutingCommand) -> object | None:
        try:
            return self.runtime.submit_now(command)
        except RoutingError as err:
            log.warning("routing refused %s: %s", type(command).__name__, err)
            return None


def announcement_only(commands: list[fc.FlowCommand]) -> bool:
    """The flow's first step only speaks and hangs up (a closure or a number-changed message):
    played as early media, the call is never answered."""
    if len(commands) < 2 or not isinstance(commands[-1], fc.Hangup):
        return False
    return all(isinstance(c, fc.Say | fc.Play) for c in commands[:-1])


def _clear_playback(leg: RtpEndpoint) -> None:
    leg.stop_playback()


def _closing_message(queue: QueueConfig | None, reason: EndReason) -> LocalizedText | None:
    """The message a queue's treatment plays to a caller it turns away."""
    if queue is None:
        return None
    treatment = queue.when_closed if reason is EndReason.CLOSED else queue.when_full
    if reason is EndReason.OVERFLOW and queue.overflow is not None:
        treatment = queue.overflow
    return treatment.message


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("voice task failed", exc_info=task.exception())
