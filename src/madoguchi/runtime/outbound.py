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
received on the call's leg (latched), noted (``stats["early_media"]``, a log line) and recorded
until the answer or the final failure, at most ``EARLY_MEDIA_MAX_S`` (30 s), in
``<recordings dir>/<dial id>-early.wav`` (the callee's audio on the left channel; the first packet,
which starts the recording, is not in it). The path is logged with the dial's result and added to
the stored attempt's notes (``early media: PATH``), so an operator can hear what the network said
when a dial failed. It is not classified: an announcement such as "this number is not in
service" still ends as the final SIP status says. A preview dial's agent does not hear it while
the dial rings: the agent's leg is only set up (``ConnectContact``) once the callee answers.
Invalid numbers never reach the trunk: the dialer refuses them when the list is imported and
checks the do-not-call list at the moment of each dial.

The trunk comes from the tenant's ``trunk`` in the center file (:meth:`Trunk.from_config`).

**The database is the source of truth** (:func:`start_gateways`, used by ``madoguchi serve``):
one gateway per tenant with a trunk reads the tenant's progressive and predictive campaigns
from the outbound tables (:mod:`madoguchi.store.campaigns`) every second — a campaign started
through the API or the browser begins dialling, a paused one stops placing dials, a stopped
one ends, new list records, do-not-call entries and dispositions are picked up, all without a
restart — and writes every dial, block, result, connect and retry back to them. The do-not-call
entries are re-read right before each round of dials, and the core checks every dial at that
moment (do-not-call, calling window, attempts, daily caps); each refused dial is logged here
and stored in the block log. A campaign file (``serve --campaigns FILE``) is imported into the
tables first (:func:`import_campaign_specs`).

**Blending decides how many agents the dialer may hold**: the gateway folds routing events into
a :class:`~madoguchi.core.dialer.floor.BlendingFloor` and asks
:class:`~madoguchi.core.dialer.blending.BlendingPolicy` (inbound first per team, reclaim
thresholds) for the reservations to make or give back; agents of an inbound-only team are never
held, and nothing new is reserved while an inbound caller of the team's queues waits.

**Preview dials from the browser** (:meth:`OutboundGateway.place_preview`): the API records the
attempt; the gateway reserves the agent's seat for the campaign, places the call over the trunk,
bridges an answered callee to that agent (or gives the seat back), and stores the result on the
attempt, where the page reads it.

**Daily caps**: a campaign's ``daily_cap`` (dials) and ``daily_connect_cap`` (connected callees)
per local day, counted from the stored attempts when a campaign is loaded; when one is reached
the gateway stops dialling it (logged once) and gives its idle agents back until the next day.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialingMode,
    DialOutcome,
    DncEntry,
    DoNotCallRegistry,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
)
from madoguchi.core.dialer import events as dev
from madoguchi.core.dialer.agentless import (
    AgentlessAction,
    AgentlessCall,
    AgentlessScript,
    AgentlessState,
    GatherDigits,
    HangUp,
    PlayPrompt,
)
from madoguchi.core.dialer.amd import AnsweringMachineDetector, AnswerKind
from madoguchi.core.dialer.blending import (
    BlendingPolicy,
    BlendingRules,
    TeamBlending,
    TeamDecision,
)
from madoguchi.core.dialer.events import DialPlaced
from madoguchi.core.dialer.floor import BlendingFloor
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction, WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.core.routing.errors import RoutingError
from madoguchi.runtime.campaign_file import CampaignSpec
from madoguchi.runtime.center import CenterRuntime
from madoguchi.runtime.sip_trunk import Trunk as Trunk  # re-exported: tests and callers
from madoguchi.runtime.sip_trunk import await_answer, place_call
from madoguchi.runtime.sip_trunk import classify as classify
from madoguchi.runtime.voice import VoiceGateway
from madoguchi.store.campaigns import (
    CallbackRow,
    CampaignRow,
    DialAttemptRow,
    ListRecordRow,
    apply_dial_result,
    campaign_agents,
    core_campaign,
    core_record,
    epoch,
    new_dnc_entries,
    open_records,
    pending_callbacks,
    store_dialer_events,
    today_counts,
)
from madoguchi.telephony.rtp.endpoint import RtpEndpoint
from madoguchi.telephony.rtp.packet import RtpPacket
from madoguchi.telephony.rtp.recorder import CALLER, StereoRecorder
from madoguchi.telephony.sip.call import Call, CallState
from madoguchi.telephony.sip.endpoint import SipEndpoint

log = logging.getLogger("madoguchi.outbound")

EARLY_MEDIA_MAX_S = 30.0
"""The longest early media recording of a dial (the rest of a long ring is not kept)."""
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


#: Campaign modes the gateway paces by itself (preview dials are asked for by an agent).
PACED_MODES = frozenset(
    {DialingMode.PROGRESSIVE.value, DialingMode.PREDICTIVE.value, DialingMode.AGENTLESS.value}
)
#: Seconds between two reads of the outbound tables.
SYNC_INTERVAL_S = 1.0
DEFAULT_MESSAGE = "ただいま担当者がお話しできません。改めてお電話いたします。失礼いたします。"
DEFAULT_QUESTION = (
    "確認される方は1を、変更をご希望の方は2を、もう一度お聞きになる方は9を押してください。"
)
#: Agentless campaigns: simultaneous lines when the campaign's rules do not say.
DEFAULT_LINES = 2
#: The longest an agentless call may last (then it is hung up: a stuck callee).
AGENTLESS_MAX_S = 300.0
#: A 20 ms frame of the callee's audio louder than this (RMS of 16-bit samples, about -40 dBFS)
#: counts as speech for answering-machine detection.
SPEECH_RMS = 300.0
#: The agent id recorded for what an agentless call did (no agent took part).
AGENTLESS = "agentless"


def agentless_script(row: CampaignRow) -> AgentlessScript:
    """The script an agentless campaign plays: ``rules.message`` (else the campaign's
    ``script``) and ``rules.question``; ValueError when there is nothing to say."""
    rules = row.rules or {}
    message = str(rules.get("message") or row.script or "").strip()
    if not message:
        raise ValueError(f"agentless campaign {row.key} has no message (rules.message or script)")
    question = str(rules.get("question") or DEFAULT_QUESTION).strip()
    return AgentlessScript(
        message=message,
        question=question,
        max_tries=int(rules.get("max_tries") or 3),
        gather_timeout_s=float(rules.get("gather_timeout_s") or 8.0),
    )


@dataclass
class CampaignRun:
    """One campaign being dialled."""

    dialer: Dialer
    agents: tuple[str, ...]
    """Agents who may work it (reserved while idle, as blending allows)."""
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
    row_id: int | None = None
    """The stored campaign (``ob_campaign.id``) read and written; None: in memory only."""
    attempts: dict[str, int] = field(default_factory=dict)
    """dial id → stored attempt row id"""
    loaded_upto: int = 0
    """Highest list record row id loaded into the dialer."""
    updated_at: datetime | None = None
    awaiting: dict[str, int] = field(default_factory=dict)
    """record id → attempt row id: connected calls whose disposition (API) is still to come"""
    capped: str | None = None
    """The daily cap reached (``daily_cap``/``daily_connect_cap``), None while dialling."""
    window_closed: bool = False
    """Outside the calling window (campaign's zone): nothing is dialled, nobody is held."""
    callbacks_upto: int = 0
    """Highest callback row id given to the dialer."""
    promised: dict[str, str] = field(default_factory=dict)
    """dial id → the named agent of a callback being dialled (kept for that call)"""
    script: AgentlessScript | None = None
    """Agentless campaigns: what the calls say (None: agents take the calls)."""
    lines: int = 0
    """Agentless campaigns: simultaneous lines."""
    detect_machine: bool = False
    """Agentless campaigns: listen for an answering machine before speaking."""
    talking: set[str] = field(default_factory=set)
    """Agentless campaigns: dial ids answered and still playing or gathering."""


@dataclass(frozen=True, slots=True)
class PreviewDial:
    """A preview dial the API recorded and asks the gateway to place."""

    attempt_id: int
    campaign: str
    record: str
    number: str
    agent_id: str
    queue: str | None
    ring_timeout_s: float = 30.0
    attempt: int = 1
    """Which attempt at the record this is."""


class OutboundGateway:
    """Runs campaigns over a trunk; see the module docstring."""

    def __init__(
        self,
        runtime: CenterRuntime,
        endpoint: SipEndpoint,
        voice: VoiceGateway,
        trunk: Trunk,
        *,
        tenant: str | None = None,
        sessions: sessionmaker[Session] | None = None,
        blending: BlendingRules | None = None,
    ) -> None:
        self.runtime = runtime
        self.endpoint = endpoint
        self.voice = voice
        self.trunk = trunk
        self.tenant = tenant
        """The tenant whose stored campaigns this gateway runs (with ``sessions``)."""
        self.sessions = sessions
        """The outbound tables; None: only campaigns given with :meth:`add_campaign`."""
        self.campaigns: dict[str, CampaignRun] = {}
        self.dnc = DoNotCallRegistry()
        """The tenant's do-not-call entries (stored campaigns share it)."""
        self._dnc_upto = 0
        self._synced_at = -math.inf
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self.stats = {"dials": 0, "answered": 0, "early_media": 0, "previews": 0}
        self._early: dict[str, StereoRecorder] = {}
        """dial id → the recorder of its early media, while it rings"""
        config = runtime.config
        agents = [a for a in config.agents if tenant is None or a.tenant == tenant]
        self.floor = BlendingFloor(agents)
        """What blending needs to know, folded from the runtime's routing events."""
        for agent in runtime.engine.agents.values():
            self.floor.seed_agent(
                agent.id, agent.state, agent.state_since, agent.work_mode, agent.campaign
            )
        self.blending_rules = blending or BlendingRules()
        self.decisions: dict[str, TeamDecision] = {}
        """The policy's last decision per team (its allowance and why)."""
        self._preview_agents: set[str] = set()
        self._callback_waits: set[tuple[str, str, float]] = set()
        """(campaign, record, due) of callbacks already logged as waiting for their agent"""
        self._bad_rows: set[tuple[int, object]] = set()
        """(campaign row id, updated at) already reported as unusable"""
        self._queues_of: tuple[object, dict[str, tuple[str, ...]]] = (None, {})
        """(the configuration, team → its inbound queues)"""
        self._loop: asyncio.AbstractEventLoop | None = None
        with contextlib.suppress(RuntimeError):
            self._loop = asyncio.get_running_loop()
        runtime.listen(self._on_event)

    def add_campaign(self, run: CampaignRun) -> None:
        """Start dialling ``run`` (its dialer must be RUNNING)."""
        self.campaigns[run.dialer.campaign.id] = run
        self._wake.set()

    # ================================================================ the loop
    async def run(self) -> None:
        """Pace every campaign until cancelled: on every change and at least twice a second;
        the stored campaigns are read again every second."""
        self._loop = asyncio.get_running_loop()
        while True:
            now = self.runtime.clock.now()
            if self.sessions is not None and now - self._synced_at >= SYNC_INTERVAL_S:
                self._synced_at = now
                self._guarded(self.sync)
            self._wake.clear()  # what happens from here on wakes the next round
            self._guarded(self._blend)
            for run in list(self.campaigns.values()):
                self._guarded(lambda run=run: self._pace(run))  # type: ignore[misc]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5)

    @staticmethod
    def _guarded(step: Callable[[], None]) -> None:
        try:
            step()
        except Exception:  # a bad row or a database hiccup must not stop the dialling loop
            log.exception("outbound gateway step failed; retrying on the next round")

    # ================================================================ the database
    def sync(self) -> None:
        """Read the stored campaigns of the tenant: load the ones started, follow status and
        rule changes, add new list records, do-not-call entries and dispositions."""
        if self.sessions is None:
            return
        now = self.runtime.clock.now()
        with self.sessions() as db:
            self._refresh_dnc(db)
            rows = db.scalars(select(CampaignRow).where(CampaignRow.tenant == self.tenant))
            for row in rows:
                try:
                    self._sync_row(db, row, now)
                except Exception:  # one unusable row must not stop the tenant's others
                    if (row.id, row.updated_at) not in self._bad_rows:
                        self._bad_rows.add((row.id, row.updated_at))
                        log.exception("campaign %s cannot be run as stored", row.key)
            db.commit()

    def _sync_row(self, db: Session, row: CampaignRow, now: float) -> None:
        run = self.campaigns.get(row.key)
        if row.mode not in PACED_MODES:
            if (
                run is not None
                and run.row_id == row.id
                and run.dialer.status is (CampaignStatus.RUNNING)
            ):
                log.info("campaign %s is now %s: no longer paced", row.key, row.mode)
                run.dialer.pause()
                run.updated_at = None  # re-read when it is paced again
            return
        if run is None or run.row_id != row.id:
            if row.status == CampaignStatus.RUNNING.value:
                self._load(db, row, now)
            return
        self._follow(db, row, run)

    def _refresh_dnc(self, db: Session) -> None:
        for entry in new_dnc_entries(db, self.tenant or "", self._dnc_upto):
            self._dnc_upto = entry.id
            self.dnc.add(
                DncEntry(
                    entry.number,
                    entry.tenant,
                    entry.campaign_key,
                    entry.reason,
                    epoch(entry.added_at),
                    entry.added_by,
                )
            )

    def _load(self, db: Session, row: CampaignRow, now: float) -> None:
        campaign = core_campaign(row)
        records = open_records(db, row)
        core = {r.key: core_record(r) for r in records}
        by_row = {r.id: r.key for r in records}
        callbacks = db.scalars(
            select(CallbackRow).where(
                CallbackRow.campaign_id == row.id, CallbackRow.done.is_(False)
            )
        )
        callbacks_upto = 0
        for callback in callbacks:
            callbacks_upto = max(callbacks_upto, callback.id)
            key = by_row.get(callback.record_id)
            if key is not None:
                core[key].callback_at = epoch(callback.due)
                core[key].callback_agent = callback.agent_id
        agentless = campaign.mode is DialingMode.AGENTLESS
        script = agentless_script(row) if agentless else None
        pacer = (
            PredictivePacer(campaign.target_abandon, campaign.connect_rule_s)
            if campaign.mode is DialingMode.PREDICTIVE
            else ProgressivePacer()
        )
        dialer = Dialer(campaign, pacer, self.dnc, records=core.values())
        dials, connects = today_counts(db, row, now)
        dialer.set_today(now, dials, connects)
        rules = row.rules or {}
        run = CampaignRun(
            dialer,
            () if agentless else campaign_agents(row) or self._default_agents(campaign),
            str(rules.get("recorded_message") or DEFAULT_MESSAGE),
            row_id=row.id,
            loaded_upto=max(by_row, default=0),
            updated_at=row.updated_at,
            callbacks_upto=callbacks_upto,
            script=script,
            lines=_lines(rules) if agentless else 0,
            detect_machine=agentless and bool(rules.get("detect_machine")),
        )
        log.info(
            "campaign %s (%s): dialling %d open records with %s; %d dials and %d connects today",
            campaign.id,
            campaign.mode.value,
            len(core),
            f"{run.lines} lines, no agents" if agentless else ", ".join(run.agents) or "no agents",
            dials,
            connects,
        )
        self.add_campaign(run)

    def _default_agents(self, campaign: Campaign) -> tuple[str, ...]:
        """The tenant's agents who may dial (work mode not inbound-only) and hold the skills
        of the campaign's queue."""
        config = self.runtime.config
        needs: tuple[str, ...] = ()
        if campaign.queue is not None:
            with contextlib.suppress(KeyError):
                needs = tuple(r.skill for r in config.queue(campaign.queue).skills)
        return tuple(
            a.id
            for a in config.agents
            if a.tenant == campaign.tenant
            and a.work_mode is not WorkMode.INBOUND
            and all(a.proficiency(skill) > 0 for skill in needs)
        )

    def _follow(self, db: Session, row: CampaignRow, run: CampaignRun) -> None:
        dialer = run.dialer
        if row.updated_at != run.updated_at:
            run.updated_at = row.updated_at
            campaign = core_campaign(row)
            if campaign.mode is not dialer.campaign.mode:
                dialer.pacer = (
                    PredictivePacer(campaign.target_abandon, campaign.connect_rule_s)
                    if campaign.mode is DialingMode.PREDICTIVE
                    else ProgressivePacer()
                )
            if (campaign.mode is DialingMode.AGENTLESS) != (run.script is not None):
                # agents ↔ agentless: load it again as what it is now
                del self.campaigns[row.key]
                self._load(db, row, self.runtime.clock.now())
                return
            dialer.campaign = campaign
            rules = row.rules or {}
            if run.script is not None:
                run.script = agentless_script(row)
                run.lines = _lines(rules)
                run.detect_machine = bool(rules.get("detect_machine"))
            else:
                run.agents = campaign_agents(row) or self._default_agents(campaign)
            run.recorded_message = str(rules.get("recorded_message") or DEFAULT_MESSAGE)
        status = CampaignStatus(row.status)
        if status is not dialer.status:
            log.info("campaign %s is now %s", row.key, status.value)
            {
                CampaignStatus.RUNNING: dialer.start,
                CampaignStatus.PAUSED: dialer.pause,
                CampaignStatus.STOPPED: dialer.stop,
                CampaignStatus.DRAFT: dialer.pause,
            }[status]()
            self._wake.set()
        fresh = open_records(db, row, run.loaded_upto)
        if fresh:
            dialer.add_records(core_record(r) for r in fresh)
            run.loaded_upto = fresh[-1].id
            self._wake.set()
        self._new_callbacks(db, row, run)
        for record_id, attempt_id in list(run.awaiting.items()):
            attempt = db.get(DialAttemptRow, attempt_id)
            if attempt is None or attempt.disposition is None:
                continue
            del run.awaiting[record_id]
            self._after_disposition(db, run, record_id, attempt)

    def _new_callbacks(self, db: Session, row: CampaignRow, run: CampaignRun) -> None:
        """Callbacks stored since the last read (the API's callback route, a disposition):
        the dialer dials each at its time, for its named agent or anyone."""
        for callback in pending_callbacks(db, row, run.callbacks_upto):
            run.callbacks_upto = callback.id
            record = db.get(ListRecordRow, callback.record_id)
            if record is None or record.key not in run.dialer.records:
                continue  # closed before the campaign was loaded
            run.dialer.schedule_callback(record.key, epoch(callback.due), callback.agent_id)
            who = callback.agent_id or "anyone"
            log.info("campaign %s: callback to %s (record %s) due %s for %s", row.key,
                     record.number, record.key, callback.due, who)  # fmt: skip
            self._wake.set()

    def _after_disposition(
        self, db: Session, run: CampaignRun, record_id: str, attempt: DialAttemptRow
    ) -> None:
        """A connected call got its disposition through the API: close the record, or call it
        again at the callback or retry time the API stored."""
        record = db.get(ListRecordRow, attempt.record_id) if attempt.record_id else None
        if record is None:
            return
        if record.closed is not None:
            run.dialer.close_record(record_id, record.closed)
            return
        callback = db.scalar(
            select(CallbackRow)
            .where(CallbackRow.record_id == record.id, CallbackRow.done.is_(False))
            .order_by(CallbackRow.due)
            .limit(1)
        )
        if callback is not None:
            run.dialer.schedule_callback(record_id, epoch(callback.due), callback.agent_id)
        elif record.next_attempt_at is not None:
            run.dialer.requeue(record_id, epoch(record.next_attempt_at))

    def _commit(self, run: CampaignRun, events: list[Event]) -> None:
        """Log and publish the dialer's events; store what they say (stored campaigns)."""
        self.runtime.record_events(events)
        for item in events:
            if isinstance(item, dev.DialBlocked):
                log.info(
                    "campaign %s: dial to %s (record %s) refused: %s",
                    item.campaign,
                    item.number,
                    item.record_id,
                    item.reason,
                )
        if run.row_id is None or self.sessions is None or not events:
            return
        try:
            with self.sessions() as db:
                row = db.get(CampaignRow, run.row_id)
                if row is not None:
                    store_dialer_events(db, row, events, run.attempts)
                    db.commit()
        except Exception:  # the call goes on; the next sync re-reads the tables
            log.exception("campaign %s: could not store %d events", run.dialer.campaign.id,
                          len(events))  # fmt: skip

    # ================================================================ blending
    def _blend(self) -> None:
        """Ask blending which agents the campaigns may hold now, and reserve or give back."""
        now = self.runtime.clock.now()
        config = self.runtime.config
        engine = self.runtime.engine
        dialling = sorted(
            (r for r in self.campaigns.values() if self._may_hold(r)),
            key=lambda r: -r.dialer.campaign.priority,
        )
        teams: dict[str, TeamBlending] = {}
        loose: dict[str, str] = {}
        """agent with no team → campaign"""
        for run in dialling:
            members: dict[str, set[str]] = {}
            for agent_id in run.agents:
                try:
                    agent = config.agent(agent_id)
                except KeyError:
                    continue
                if agent.team is None:
                    loose.setdefault(agent_id, run.dialer.campaign.id)
                else:
                    members.setdefault(agent.team, set()).add(agent_id)
            for team_id, ids in members.items():
                if team_id not in teams:  # a campaign of higher priority has the team
                    teams[team_id] = TeamBlending(
                        team_id,
                        config.team(team_id).work_mode,
                        run.dialer.campaign.id,
                        self._team_queues(team_id),
                        frozenset(ids),
                    )
        decision = BlendingPolicy(list(teams.values()), self.blending_rules).decide(self.floor, now)
        self.decisions = {d.team: d for d in decision.teams}
        commands: list[rc.ReserveAgent | rc.ReleaseAgent] = [
            c for c in decision.commands if c.agent_id not in self._preview_agents
        ]
        for agent_id, campaign_id in loose.items():
            live = engine.agents.get(agent_id)
            if (
                live is not None
                and live.state is AgentState.AVAILABLE
                and live.work_mode is WorkMode.OUTBOUND
            ):
                commands.append(rc.ReserveAgent(agent_id, campaign_id))
        held = {r.dialer.campaign.id for r in dialling}
        mine = {r.dialer.campaign.id for r in self.campaigns.values()}
        for live in engine.agents.values():
            if (
                live.state is AgentState.RESERVED
                and live.campaign in mine - held
                and live.offer is None
                and live.id not in self._preview_agents
            ):
                commands.append(rc.ReleaseAgent(live.id))  # paused, stopped or capped
        for command in commands:
            try:
                self.runtime.submit_now(command)
            except RoutingError:
                continue  # the agent moved on meanwhile (inbound took them, logged out)

    def _may_hold(self, run: CampaignRun) -> bool:
        """Whether the campaign may hold agents now: it is dialling, or calls of it are still
        ringing or waiting for an agent."""
        if run.ringing or run.waiting:
            return True
        return (
            run.dialer.status is CampaignStatus.RUNNING
            and run.capped is None
            and not run.window_closed
            and run.dialer.has_due(self.runtime.clock.now())
        )

    def _team_queues(self, team_id: str) -> tuple[str, ...]:
        """The inbound queues whose skills some agent of the team holds (per configuration)."""
        config = self.runtime.config
        if self._queues_of[0] is not config:
            self._queues_of = (config, {})
        known = self._queues_of[1].get(team_id)
        if known is None:
            members = [a for a in config.agents if a.team == team_id]
            known = self._queues_of[1][team_id] = tuple(
                q.id
                for q in config.queues
                if any(all(a.proficiency(r.skill) > 0 for r in q.skills) for a in members)
            )
        return known

    def _free_agents(self, run: CampaignRun, dial_id: str | None = None) -> list[str]:
        """The campaign's reserved agents free for a call; an agent promised to a callback
        being dialled is free only for that dial (``dial_id``), and comes first for it."""
        engine = self.runtime.engine
        campaign_id = run.dialer.campaign.id
        mine = run.promised.get(dial_id) if dial_id is not None else None
        promised = set(run.promised.values())
        free = [
            a
            for a in run.agents
            if (agent := engine.agents.get(a)) is not None
            and agent.state is AgentState.RESERVED
            and agent.campaign == campaign_id
            and agent.offer is None
            and a not in self._preview_agents
            and (a not in promised or a == mine)
        ]
        if mine in free:
            free.remove(mine)
            free.insert(0, mine)
        return free

    def _pace(self, run: CampaignRun) -> None:
        now = self.runtime.clock.now()
        free = [] if run.script is not None else self._free_agents(run)
        while run.waiting and free:
            dial_id, call, leg, answered_at = run.waiting.pop(0)
            mine = run.promised.get(dial_id)
            agent = mine if mine in free else free[0]
            free.remove(agent)
            self._connect(run, dial_id, call, leg, agent, answered_at)
        capped = run.dialer.cap_reached(now)
        if capped != run.capped:
            campaign = run.dialer.campaign
            if capped is not None:
                dials, connects = run.dialer.today(now)
                log.warning(
                    "campaign %s reached its %s (%d dials, %d connects today): no more dials "
                    "until the next day (%s)",
                    campaign.id,
                    capped,
                    dials,
                    connects,
                    campaign.timezone,
                )
            else:
                log.info("campaign %s: a new day, dialling again", campaign.id)
            run.capped = capped
            self._wake.set()
        closed = not run.dialer.window_open(now)
        if closed != run.window_closed:
            log.info("campaign %s: calling window %s (%s)", run.dialer.campaign.id,
                     "closed: no dials, agents given back" if closed else "open",
                     run.dialer.campaign.timezone)  # fmt: skip
            run.window_closed = closed
            self._wake.set()
        if run.dialer.status is not CampaignStatus.RUNNING or capped is not None or closed:
            return
        # agentless: a line is free when no call of the campaign rings or plays on it
        seats = max(0, run.lines - len(run.talking)) if run.script is not None else len(free)
        if run.row_id is not None and self.sessions is not None and seats:
            with self.sessions() as db:  # do-not-call and callbacks as of this moment
                self._refresh_dnc(db)
                row = db.get(CampaignRow, run.row_id)
                if row is not None:
                    self._new_callbacks(db, row, run)
        state = PacingState(
            now=now,
            free_agents=seats,
            busy_elapsed=[now - s for s in run.busy_since.values()],
            ringing_elapsed=[now - s for s in run.ringing.values()],
        )
        events = run.dialer.place_dials(now, state, None if run.script is not None else free)
        self._commit(run, events)
        for item in events:
            if isinstance(item, DialPlaced):
                run.ringing[item.dial_id] = now
                run.dial_records[item.dial_id] = item.record_id
                if item.agent_id is not None:
                    run.promised[item.dial_id] = item.agent_id
                    log.info("campaign %s: callback dial %s kept for %s", item.campaign,
                             item.dial_id, item.agent_id)  # fmt: skip
                self._spawn(self._dial(run, item))
        if run.script is None and not events:
            for record_id, agent, due in run.dialer.waiting_callbacks(now):
                key = (run.dialer.campaign.id, record_id, due)
                if key not in self._callback_waits:
                    self._callback_waits.add(key)
                    log.info("campaign %s: callback for record %s waits for %s (up to %.0f s "
                             "past its time)", run.dialer.campaign.id, record_id, agent,
                             run.dialer.campaign.callback_grace_s)  # fmt: skip

    # ================================================================ one dial
    async def _invite(self, dial_id: str, number: str) -> tuple[Call | None, RtpEndpoint]:
        self.stats["dials"] += 1
        return await place_call(
            self.endpoint,
            self.trunk,
            self.voice.media_host,
            number,
            on_packet=lambda leg: self._early_media(dial_id, leg),
        )

    async def _ring(
        self, dial_id: str, call: Call, leg: RtpEndpoint, ring_timeout_s: float
    ) -> tuple[DialOutcome, Path | None]:
        """Wait for the answer; the outcome (the leg is closed unless answered) and the early
        media recording if the callee's network sent audio before the answer or the failure."""
        try:
            outcome = await await_answer(call, leg, ring_timeout_s)
        finally:
            early = self._early_done(dial_id)
        if outcome is DialOutcome.ANSWERED:
            self.stats["answered"] += 1
        if early is not None:
            log.info("dial %s: %s; early media recorded in %s", dial_id, outcome.value, early)
        return outcome, early

    async def _dial(self, run: CampaignRun, placed: DialPlaced) -> None:
        try:
            await self._dial_and_connect(run, placed)
        finally:
            run.promised.pop(placed.dial_id, None)
            self._wake.set()

    async def _dial_and_connect(self, run: CampaignRun, placed: DialPlaced) -> None:
        campaign = run.dialer.campaign
        script = run.script
        if script is not None:
            run.talking.add(placed.dial_id)  # the line is taken from the dial on
        try:
            call, leg = await self._invite(placed.dial_id, placed.number)
            if call is None:
                self._result(run, placed.dial_id, DialOutcome.FAILED)
                return
            outcome, early = await self._ring(placed.dial_id, call, leg, campaign.ring_timeout_s)
            self._result(run, placed.dial_id, outcome)
            self._note_early(run.attempts.get(placed.dial_id), early)
            if outcome is not DialOutcome.ANSWERED:
                return
            if script is not None:
                run.dial_records.pop(placed.dial_id, None)
                await self._agentless(run, script, placed, call, leg)
                return
        finally:
            run.talking.discard(placed.dial_id)
        now = self.runtime.clock.now()
        free = self._free_agents(run, placed.dial_id)
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
        """The first early media packet of a dial: record the rest until the answer or the
        final failure (:meth:`_early_done`), at most ``EARLY_MEDIA_MAX_S`` seconds."""
        leg.on_packet = None
        self.stats["early_media"] += 1
        log.info("dial %s: early media from the callee's network before the answer", dial_id)
        if self.voice is None or dial_id in self._early:
            return
        loop = asyncio.get_running_loop()
        name = _UNSAFE_NAME.sub("_", dial_id)
        path = self.voice.recordings_dir / f"{name}-early.wav"
        recorder = StereoRecorder(path, loop.time(), max_seconds=EARLY_MEDIA_MAX_S)
        self._early[dial_id] = recorder

        def record(packet: RtpPacket) -> None:
            recorder.add_g711(CALLER, packet.payload, packet.payload_type, loop.time())

        leg.on_packet = record

    def _early_done(self, dial_id: str) -> Path | None:
        """Finish the dial's early media recording; its path (None: no early media, or the
        file could not be written, which is logged)."""
        recorder = self._early.pop(dial_id, None)
        if recorder is None:
            return None
        try:
            return recorder.close()
        except OSError:
            log.exception("dial %s: could not write the early media recording", dial_id)
            return None

    def _note_early(self, attempt_id: int | None, path: Path | None) -> None:
        """Put the early media recording's path in the attempt's notes (stored dials)."""
        if attempt_id is None or path is None:
            return
        text = f"early media: {path}"

        def change(attempt: DialAttemptRow) -> None:
            attempt.notes = f"{attempt.notes}; {text}" if attempt.notes else text

        self._store_preview(attempt_id, change)

    def _result(self, run: CampaignRun, dial_id: str, outcome: DialOutcome) -> None:
        run.ringing.pop(dial_id, None)
        if outcome is not DialOutcome.ANSWERED:
            run.dial_records.pop(dial_id, None)
        events = run.dialer.dial_result(dial_id, outcome, self.runtime.clock.now())
        self._commit(run, events)
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
        self._commit(run, [event])
        run.busy_since[agent_id] = now
        if dial_id in run.attempts:
            run.awaiting[record_id] = run.attempts[dial_id]

    async def _abandon(
        self, run: CampaignRun, placed: DialPlaced, call: Call, leg: RtpEndpoint
    ) -> None:
        run.dial_records.pop(placed.dial_id, None)
        events = run.dialer.abandoned(placed.dial_id, placed.record_id, self.runtime.clock.now())
        self._commit(run, events)
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

    # ================================================================ agentless calls
    async def _agentless(
        self,
        run: CampaignRun,
        script: AgentlessScript,
        placed: DialPlaced,
        call: Call,
        leg: RtpEndpoint,
    ) -> None:
        """Play an answered agentless call: the message, the keypad question (keys by RFC
        4733 or SIP INFO), the thanks, then hang up; store the result."""
        clock = self.runtime.clock
        started = clock.now()
        machine = AgentlessCall(script, placed.campaign, placed.record_id, placed.dial_id)
        keys: collections.deque[str] = collections.deque()
        leg.on_dtmf = keys.append
        call.on_dtmf = keys.append
        try:
            person: bool | None = True
            if run.detect_machine:
                person = await self._detect_machine(placed.dial_id, call, leg, keys)
                if person is None:  # hung up while we listened
                    machine.answered(started)
                    machine.hung_up(clock.now())
                    return
            pending: list[AgentlessAction] = machine.answered(clock.now(), machine=not person)
            while machine.state is not AgentlessState.ENDED:
                if not pending or clock.now() - started > AGENTLESS_MAX_S:
                    log.warning("agentless dial %s: stuck while %s; hanging up",
                                placed.dial_id, machine.state.value)  # fmt: skip
                    machine.hung_up(clock.now())
                    break
                action = pending.pop(0)
                if isinstance(action, HangUp):
                    break
                answer: list[AgentlessAction] = []
                if isinstance(action, PlayPrompt):
                    audio = await self.voice.prompts.get_async(action.text, action.language)
                    if not action.barge_in:
                        keys.clear()
                    leg.play(audio)
                    while True:
                        what, key = await self._await_input(
                            call, leg, keys, None, playing=True, listen=action.barge_in
                        )
                        if what != "key":
                            break
                        answer = machine.digits(key, clock.now())
                        if answer:
                            break  # a choice or another try: the prompt stops
                        # a stray key during the message: the message goes on
                else:
                    assert isinstance(action, GatherDigits)
                    deadline = clock.now() + action.timeout_s
                    what, key = await self._await_input(
                        call, leg, keys, deadline, playing=False, listen=True
                    )
                    if what == "key":
                        answer = machine.digits(key, clock.now())
                now = clock.now()
                if what == "hangup":
                    machine.hung_up(now)
                elif what == "done":
                    pending = machine.prompt_done(now) + pending
                elif what == "timeout":
                    pending = machine.gather_timed_out(now)
                else:
                    leg.stop_playback()
                    pending = answer
        except Exception:  # a prompt that cannot be synthesized, a media failure
            log.exception("agentless dial %s failed while %s; hanging up", placed.dial_id,
                          machine.state.value)  # fmt: skip
            if machine.state is not AgentlessState.ENDED:
                machine.hung_up(clock.now())
        finally:
            if call.state is not CallState.ENDED:
                call.hangup()
            leg.close()
            self._agentless_result(run, machine, clock.now())

    async def _detect_machine(
        self, dial_id: str, call: Call, leg: RtpEndpoint, keys: collections.deque[str]
    ) -> bool | None:
        """Listen to the callee's first words: True for a person, False for an answering
        machine, None when they hung up (:mod:`madoguchi.core.dialer.amd`)."""
        clock = self.runtime.clock
        detector = AnsweringMachineDetector(clock.now())

        def heard(pcm: np.ndarray, _packet: object) -> None:
            level = float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64)))) if len(pcm) else 0.0
            detector.frame(clock.now(), level >= SPEECH_RMS)

        leg.on_audio = heard
        try:
            while detector.decision is None:
                if call.state is CallState.ENDED:
                    return None
                if keys:
                    detector.key()
                    break
                detector.tick(clock.now())
                await asyncio.sleep(0.02)
        finally:
            leg.on_audio = None
        log.info("agentless dial %s: answered by a %s (%s)", dial_id, detector.decision,
                 detector.reason)  # fmt: skip
        return detector.decision is AnswerKind.PERSON

    async def _await_input(
        self,
        call: Call,
        leg: RtpEndpoint,
        keys: collections.deque[str],
        deadline: float | None,
        *,
        playing: bool,
        listen: bool,
    ) -> tuple[str, str]:
        """Wait for a key (when listening), the callee's hang-up, the end of the prompt
        being played, or the deadline: (``key``/``hangup``/``done``/``timeout``, key)."""
        clock = self.runtime.clock
        while True:
            if call.state is CallState.ENDED:
                return "hangup", ""
            if keys:
                key = keys.popleft()
                if listen:
                    return "key", key
                continue
            if playing and leg.queued_frames == 0:
                return "done", ""
            if deadline is not None and clock.now() >= deadline:
                return "timeout", ""
            await asyncio.sleep(0.05)

    def _agentless_result(self, run: CampaignRun, machine: AgentlessCall, now: float) -> None:
        """Store an agentless call's result and what it means for the record: confirmed
        closes it (``completed``), a change request closes it as ``change_requested`` for
        staff to call back, anything else is retried as after a no-answer."""
        result = machine.result or "hung_up"
        if not machine.events:  # ended without the machine's own result (a stuck call)
            machine.hung_up(now)
        events: list[Event] = list(machine.events)
        record_id = machine.record_id
        dialer = run.dialer
        if result == "confirmed":
            events.extend(dialer.disposition(record_id, AGENTLESS, "completed", now))
            events = [e for e in events if not isinstance(e, dev.OutboundDispositioned)]
        elif result == "change_requested":
            dialer.close_record(record_id, "change_requested")
            events.append(
                dev.RecordClosed(at=now, campaign=dialer.campaign.id, record_id=record_id,
                                 reason="change_requested")
            )  # fmt: skip
        else:
            events.extend(dialer.retry_later(record_id, now))
        log.info("agentless dial %s (record %s): %s, keys %r, asked %d time(s)",
                 machine.dial_id, record_id, result, machine.keys, machine.tries)  # fmt: skip
        self._commit(run, events)
        self._wake.set()

    # ================================================================ preview dials
    def agent_not_ready(self, agent_id: str, campaign: str) -> str | None:
        """Why ``agent_id`` cannot take a preview dial for ``campaign`` now (None: ready)."""
        agent = self.runtime.engine.agents.get(agent_id)
        if agent is None:
            return f"agent {agent_id} is not in the center"
        if agent_id in self._preview_agents:
            return f"agent {agent_id} is already dialling"
        if agent.state is AgentState.AVAILABLE:
            return None
        if agent.state is AgentState.RESERVED and agent.offer is None:
            return None
        return f"agent {agent_id} is {agent.state.value.lower()}, not available"

    def place_preview(
        self,
        *,
        attempt_id: int,
        campaign: str,
        record: str,
        number: str,
        agent_id: str,
        queue: str | None,
        ring_timeout_s: float = 30.0,
        attempt: int = 1,
    ) -> None:
        """Place a recorded preview dial from the agent's seat (callable from any thread: the
        API's request handlers)."""
        dial = PreviewDial(
            attempt_id, campaign, record, number, agent_id, queue, ring_timeout_s, attempt
        )
        loop = self._loop
        if loop is None:
            raise RuntimeError("the outbound gateway is not running")
        self._preview_agents.add(dial.agent_id)  # held from now: blending leaves the seat
        loop.call_soon_threadsafe(lambda: self._spawn(self._preview(dial)))

    async def _preview(self, dial: PreviewDial) -> None:
        self.stats["previews"] += 1
        dial_id = f"{dial.campaign}-a{dial.attempt_id}"
        tenant = self.tenant or ""
        now = self.runtime.clock.now()
        self.runtime.record_events(
            [
                DialPlaced(
                    at=now, dial_id=dial_id, campaign=dial.campaign, tenant=tenant,
                    record_id=dial.record, number=dial.number, attempt=dial.attempt,
                    agent_id=dial.agent_id,
                )
            ]
        )  # fmt: skip
        try:
            if not self._seat(dial):
                self._preview_result(dial, dial_id, DialOutcome.FAILED, now, "agent not available")
                return
            call, leg = await self._invite(dial_id, dial.number)
            if call is None:
                self._preview_result(dial, dial_id, DialOutcome.FAILED, now, "trunk failure")
                self._give_back(dial.agent_id)
                return
            outcome, early = await self._ring(dial_id, call, leg, dial.ring_timeout_s)
            self._preview_result(dial, dial_id, outcome, now)
            self._note_early(dial.attempt_id, early)
            if outcome is not DialOutcome.ANSWERED:
                self._give_back(dial.agent_id)
                return
            self._bridge_preview(dial, dial_id, call, leg)
        finally:
            self._preview_agents.discard(dial.agent_id)
            self._wake.set()

    def _seat(self, dial: PreviewDial) -> bool:
        """Reserve the agent's seat for the campaign (moved from another campaign's hold)."""
        agent = self.runtime.engine.agents.get(dial.agent_id)
        if agent is None:
            return False
        try:
            if agent.state is AgentState.RESERVED and agent.campaign == dial.campaign:
                return True
            if agent.state is AgentState.RESERVED:
                self.runtime.submit_now(rc.ReleaseAgent(dial.agent_id))
            self.runtime.submit_now(rc.ReserveAgent(dial.agent_id, dial.campaign))
        except RoutingError as err:
            log.warning("preview dial %d: agent %s: %s", dial.attempt_id, dial.agent_id, err)
            return False
        return True

    def _give_back(self, agent_id: str) -> None:
        agent = self.runtime.engine.agents.get(agent_id)
        if agent is not None and agent.state is AgentState.RESERVED and agent.offer is None:
            with contextlib.suppress(RoutingError):
                self.runtime.submit_now(rc.ReleaseAgent(agent_id))

    def _bridge_preview(
        self, dial: PreviewDial, dial_id: str, call: Call, leg: RtpEndpoint
    ) -> None:
        now = self.runtime.clock.now()
        contact = Contact(
            id=f"{dial_id}-c",
            channel=Channel.VOICE,
            direction=Direction.OUTBOUND,
            tenant=self.tenant or "",
            created_at=now,
            to_address=dial.number,
            attributes={
                "campaign": dial.campaign,
                "record": dial.record,
                "attempt": str(dial.attempt_id),
            },
        )
        self.voice.adopt(contact, call, leg)
        try:
            self.runtime.submit_now(rc.ConnectContact(contact, dial.agent_id, dial.queue))
        except RoutingError as err:
            log.warning("preview dial %d: could not connect %s: %s", dial.attempt_id,
                        dial.agent_id, err)  # fmt: skip
            call.hangup()
            self._give_back(dial.agent_id)
            return
        self.runtime.record_events(
            [
                dev.OutboundConnected(
                    at=now, dial_id=dial_id, campaign=dial.campaign, record_id=dial.record,
                    agent_id=dial.agent_id, wait_s=0.0,
                )
            ]
        )  # fmt: skip
        self._store_preview(dial.attempt_id, lambda attempt: setattr(attempt, "connected", True))

    def _preview_result(
        self, dial: PreviewDial, dial_id: str, outcome: DialOutcome, placed_at: float,
        note: str = "",
    ) -> None:  # fmt: skip
        now = self.runtime.clock.now()
        ring_s = max(0.0, now - placed_at)
        self.runtime.record_events(
            [
                dev.DialResulted(
                    at=now, dial_id=dial_id, campaign=dial.campaign, record_id=dial.record,
                    outcome=outcome, ring_s=ring_s,
                )
            ]
        )  # fmt: skip
        log.info("preview dial %d to %s by %s: %s%s", dial.attempt_id, dial.number,
                 dial.agent_id, outcome.value, f" ({note})" if note else "")  # fmt: skip

        def store(db: Session) -> None:
            attempt = db.get(DialAttemptRow, dial.attempt_id)
            if attempt is None or attempt.outcome is not None:
                return  # gone, or the agent reported the result first
            apply_dial_result(db, attempt, outcome.value, ring_s, now)
            if note:
                attempt.notes = note

        self._with_db(store)

    def _store_preview(self, attempt_id: int, change: Callable[[DialAttemptRow], Any]) -> None:
        def store(db: Session) -> None:
            attempt = db.get(DialAttemptRow, attempt_id)
            if attempt is not None:
                change(attempt)

        self._with_db(store)

    def _with_db(self, work: Callable[[Session], None]) -> None:
        if self.sessions is None:
            return
        try:
            with self.sessions() as db:
                work(db)
                db.commit()
        except Exception:
            log.exception("outbound gateway: could not store a preview dial")

    # ================================================================ events
    def _on_event(self, event_id: int, event: Event) -> None:
        del event_id
        self.floor.apply(event)
        if isinstance(event, rev.ContactEnded):
            for run in self.campaigns.values():
                dial = run.contact_dials.get(event.contact_id)
                if dial is not None and event.agent_id is not None:
                    ended = run.dialer.call_ended(
                        dial[0], dial[1], event.agent_id, event.talk_s, event.at
                    )
                    self._commit(run, [ended])
        if isinstance(
            event,
            rev.ContactWrappedUp | rev.AgentStateChanged | rev.AgentReleased | rev.ContactQueued,
        ):
            for run in self.campaigns.values():
                if (
                    isinstance(event, rev.ContactWrappedUp)
                    and event.contact_id in run.contact_dials
                ):
                    run.contact_dials.pop(event.contact_id)
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


def start_gateways(
    runtime: CenterRuntime,
    endpoint: SipEndpoint,
    voice: VoiceGateway,
    sessions: sessionmaker[Session],
    blending: BlendingRules | None = None,
) -> list[tuple[OutboundGateway, asyncio.Task[None]]]:
    """One gateway per tenant with a trunk, running the tenant's stored campaigns (read at
    once, then every second) and placing its agents' preview dials."""
    gateways: list[tuple[OutboundGateway, asyncio.Task[None]]] = []
    for tenant in runtime.config.tenants:
        if tenant.trunk is None:
            continue
        try:
            trunk = Trunk.from_config(tenant)
        except KeyError as err:
            log.error("tenant %s: trunk password variable %s is not set; no outbound calls",
                      tenant.id, err)  # fmt: skip
            continue
        gateway = OutboundGateway(
            runtime, endpoint, voice, trunk, tenant=tenant.id, sessions=sessions,
            blending=blending,
        )  # fmt: skip
        gateway.sync()
        task = asyncio.get_running_loop().create_task(gateway.run())
        gateways.append((gateway, task))
    return gateways


def import_campaign_specs(
    sessions: sessionmaker[Session], specs: Iterable[CampaignSpec], now: float
) -> None:
    """Store the campaigns of a campaign file (``serve --campaigns FILE``) in the outbound
    tables, where the gateways read them: each campaign created or updated (running), its list
    records added (numbers already listed are kept with their history), its do-not-call
    numbers put on the tenant's list. One transaction."""
    from madoguchi.store.campaigns import add_dnc, import_records, save_campaign

    with sessions() as db:
        for spec in specs:
            campaign = spec.campaign
            rules = _rules_of(campaign)
            rules["agents"] = list(spec.agents)
            rules["recorded_message"] = spec.recorded_message
            row = save_campaign(db, campaign, rules, now)
            import_records(db, row, list(spec.records), now)
            for number in spec.do_not_call:
                add_dnc(db, campaign.tenant, number, now, reason="campaign file")
        db.commit()


def _rules_of(campaign: Campaign) -> dict[str, Any]:
    """The stored ``rules`` of a core campaign (the calling window as one daily span)."""
    spans = [day[0] for day in campaign.calling_window if day]
    rules: dict[str, Any] = {
        "max_attempts": campaign.max_attempts,
        "priority": campaign.priority,
        "daily_cap": campaign.daily_cap,
        "daily_connect_cap": campaign.daily_connect_cap,
        "timezone": campaign.timezone,
        "target_abandon": campaign.target_abandon,
        "ring_timeout_s": campaign.ring_timeout_s,
        "connect_rule_s": campaign.connect_rule_s,
        "holidays_closed": campaign.national_holidays_closed,
        "window_days": [i for i, day in enumerate(campaign.calling_window) if day],
    }
    if spans:
        rules["window_start"] = _clock(spans[0].start)
        rules["window_end"] = _clock(spans[0].end)
    return rules


def _lines(rules: dict[str, Any]) -> int:
    """An agentless campaign's simultaneous lines from its rules (at least one)."""
    try:
        return max(1, int(rules.get("lines") or DEFAULT_LINES))
    except (TypeError, ValueError):
        return DEFAULT_LINES


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
