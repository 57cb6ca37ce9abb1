"""Outbound over a SIP trunk: sipp plays the callees (one answers and echoes, one is busy, one
lets it ring); the dialer classifies the results from SIP and bridges answered callees to the
reserved agent's phone within the connect rule."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import wave
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telephony_support import free_port, run_sipp
from voice_support import AgentPhone

from madoguchi.bus import InProcessBus
from madoguchi.core.config import TimeRange
from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    Dialer,
    DialOutcome,
    FixedRatioPacer,
    ListRecord,
    PacingState,
    ProgressivePacer,
)
from madoguchi.core.dialer.events import DialPlaced, DialResulted, OutboundConnected
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState, Channel, Contact, Direction, WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.demo import open_around_the_clock
from madoguchi.runtime import CenterRuntime, ManualClock
from madoguchi.runtime.outbound import CampaignRun, OutboundGateway, Trunk, classify
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer, ServerOptions
from madoguchi.store import InMemoryEventStore
from madoguchi.store.campaigns import (
    CampaignRow,
    DialAttemptRow,
    ListRecordRow,
    add_dnc,
    create_campaign_tables,
    import_records,
    stamp,
)
from madoguchi.store.crm import create_crm_engine, create_crm_tables

SCENARIOS = Path(__file__).parent / "scenarios"
PASSWORD = "phone-secret-2"


class RoutedTrunk(Trunk):
    """A trunk whose far end is three sipp callees, chosen by the number's last digit."""

    def __init__(self, ports: dict[str, int]) -> None:
        super().__init__("sip:{number}@127.0.0.1")
        self.ports = ports

    def uri(self, number: str) -> str:
        return f"sip:{number.lstrip('+')}@127.0.0.1:{self.ports[number[-1]]}"


def test_sip_statuses_map_to_dial_outcomes() -> None:
    assert classify(486, "failed") is DialOutcome.BUSY
    assert classify(404, "failed") is DialOutcome.INVALID_NUMBER
    assert classify(603, "failed") is DialOutcome.REJECTED
    assert classify(None, "timeout") is DialOutcome.NO_ANSWER
    assert classify(487, "cancelled") is DialOutcome.NO_ANSWER
    assert classify(503, "failed") is DialOutcome.FAILED


@pytest.mark.peer
async def test_dialer_over_trunk_classifies_results_and_bridges_answered_callee(
    tmp_path: Path,
) -> None:
    ports = {"1": free_port(), "2": free_port(), "3": free_port()}
    callees = [
        asyncio.create_task(
            run_sipp("-sn", "uas", "-rtp_echo", "-p", str(ports["1"]), "-m", "1", cwd=tmp_path,
                     timeout=40)
        ),
        asyncio.create_task(
            run_sipp("-sf", str(SCENARIOS / "callee_busy.xml"), "-p", str(ports["2"]), "-m", "1",
                     cwd=tmp_path, timeout=40)
        ),
        asyncio.create_task(
            run_sipp("-sf", str(SCENARIOS / "callee_never_answers.xml"), "-p", str(ports["3"]),
                     "-m", "1", cwd=tmp_path, timeout=40)
        ),
    ]  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = CenterServer(
        ServerOptions(
            config=open_around_the_clock(load_sample_center()),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            web=False,
            phone_password_default=PASSWORD,
            drain_timeout_s=1.0,
        )
    )
    await server.start()
    phone = AgentPhone(talk_s=3.0, ring_s=0.1, greeting_s=1.5)
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    campaign = Campaign(
        id="renewal",
        tenant="midori",
        name="更新のご案内",
        queue="orders",
        status=CampaignStatus.RUNNING,
        ring_timeout_s=4.0,
        max_attempts=1,
        # the test runs whenever CI does: open the calling window around the clock
        calling_window=((TimeRange(0, 1440),),) * 7,
        national_holidays_closed=False,
    )
    records = [
        ListRecord(id=f"r{d}", number=f"+8131234567{d}") for d in ("1", "2", "3")
    ]  # 1 answers, 2 is busy, 3 rings
    dialer = Dialer(campaign, FixedRatioPacer(3.0), records=records)  # all three at once
    outbound = OutboundGateway(server.runtime, server.endpoint, server.gateway, RoutedTrunk(ports))
    try:
        extension = server.config.agent("op04").extension
        assert extension is not None
        await phone.endpoint.start()
        status = await phone.endpoint.register(
            f"sip:{extension}@127.0.0.1",
            ("127.0.0.1", server.endpoint.port),
            (extension, PASSWORD),
            expires=600,
        )
        assert status == 200
        await server.runtime.submit(
            rc.AgentLogin("op04", work_mode=WorkMode.OUTBOUND, available=True)
        )
        outbound.add_campaign(
            CampaignRun(
                dialer,
                agents=("op04",),
                recorded_message="みどり通販です。ご案内のお電話でした。改めてご連絡いたします。",
            )
        )
        pacing = asyncio.create_task(outbound.run())
        results = await asyncio.wait_for(asyncio.gather(*callees), 60)
        pacing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pacing
    finally:
        await outbound.close()
        await phone.close()
        await server.stop()
    for result in results:
        assert result.returncode == 0, result.output
    outcomes = {e.record_id: e.outcome for e in events if isinstance(e, DialResulted)}
    assert outcomes == {
        "r1": DialOutcome.ANSWERED,
        "r2": DialOutcome.BUSY,
        "r3": DialOutcome.NO_ANSWER,
    }
    (connected,) = [e for e in events if isinstance(e, OutboundConnected)]
    assert connected.agent_id == "op04"
    assert connected.wait_s < 2.0
    assert len(phone.answered) == 1
    assert phone.heard_frames > 20  # the agent's greeting, echoed by the callee, came back


def rms_of(path: Path) -> float:
    """The RMS level of a WAV file's left channel (the callee's side)."""
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (2, 8000)
        frames = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    assert len(frames) > 0
    return float(np.sqrt(np.mean(frames[:, 0].astype(np.float64) ** 2)))


@pytest.mark.peer
async def test_early_media_of_each_dial_is_recorded_until_the_answer_or_the_failure(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="madoguchi.outbound")
    ports = {"1": free_port(), "2": free_port()}
    callees = [
        asyncio.create_task(
            run_sipp("-sf", str(SCENARIOS / "callee_early_media.xml"), "-p", str(ports["1"]),
                     "-m", "1", cwd=tmp_path, timeout=40)
        ),
        asyncio.create_task(
            run_sipp("-sf", str(SCENARIOS / "callee_early_media_then_404.xml"), "-p",
                     str(ports["2"]), "-m", "1", cwd=tmp_path, timeout=40)
        ),
    ]  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = CenterServer(
        ServerOptions(
            config=open_around_the_clock(load_sample_center()),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            web=False,
            phone_password_default=PASSWORD,
            drain_timeout_s=1.0,
        )
    )
    await server.start()
    phone = AgentPhone(talk_s=1.0, ring_s=0.1, greeting_s=0.5)
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    campaign = Campaign(
        id="renewal",
        tenant="midori",
        name="更新のご案内",
        queue="orders",
        status=CampaignStatus.RUNNING,
        ring_timeout_s=6.0,
        max_attempts=1,
        calling_window=((TimeRange(0, 1440),),) * 7,
        national_holidays_closed=False,
    )
    records = [ListRecord(id=f"r{d}", number=f"+8131234567{d}") for d in ("1", "2")]
    dialer = Dialer(campaign, FixedRatioPacer(2.0), records=records)  # both at once
    # attempt rows the recordings' paths are noted on (the campaign itself is not stored here)
    sessions = outbound_tables(tmp_path)
    with sessions() as db:
        row = stored_campaign(db, [])
        rows = {
            dial_id: DialAttemptRow(
                tenant="midori", campaign_id=row.id, record_id=None, number="+81312345670",
                attempt=1, agent_id=None, placed_at=stamp(START), connected=False,
                notes="earlier note" if dial_id.endswith("1") else "",
            )
            for dial_id in ("renewal-d1", "renewal-d2")
        }  # fmt: skip
        db.add_all(rows.values())
        db.commit()
        attempt_ids = {dial_id: attempt.id for dial_id, attempt in rows.items()}
    outbound = OutboundGateway(
        server.runtime, server.endpoint, server.gateway, RoutedTrunk(ports), sessions=sessions
    )
    try:
        extension = server.config.agent("op04").extension
        assert extension is not None
        await phone.endpoint.start()
        status = await phone.endpoint.register(
            f"sip:{extension}@127.0.0.1",
            ("127.0.0.1", server.endpoint.port),
            (extension, PASSWORD),
            expires=600,
        )
        assert status == 200
        await server.runtime.submit(
            rc.AgentLogin("op04", work_mode=WorkMode.OUTBOUND, available=True)
        )
        run = CampaignRun(dialer, agents=("op04",), recorded_message="ご案内")
        run.attempts.update(attempt_ids)
        outbound.add_campaign(run)
        pacing = asyncio.create_task(outbound.run())
        results = await asyncio.wait_for(asyncio.gather(*callees), 60)
        pacing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pacing
    finally:
        await outbound.close()
        await phone.close()
        await server.stop()
    for result in results:
        assert result.returncode == 0, result.output
    resulted = {e.record_id: e for e in events if isinstance(e, DialResulted)}
    assert {r: e.outcome for r, e in resulted.items()} == {
        "r1": DialOutcome.ANSWERED,
        "r2": DialOutcome.INVALID_NUMBER,  # the announcement does not change the final status
    }
    assert outbound.stats["early_media"] == 2
    recordings = tmp_path / "data" / "recordings"
    for record_id in ("r1", "r2"):
        path = recordings / f"{resulted[record_id].dial_id}-early.wav"
        assert path.exists(), sorted(p.name for p in recordings.iterdir())
        with wave.open(str(path), "rb") as wav:  # 1.5 s of announcement before 200 / 404
            assert 1.0 <= wav.getnframes() / 8000 <= 2.5
        assert rms_of(path) > 100  # speech from the pcap (about 360), not silence (under 10)
        assert any(str(path) in m for m in caplog.messages)  # logged with the result
        with sessions() as db:  # and in the attempt's notes, after what was there
            attempt = db.get(DialAttemptRow, attempt_ids[resulted[record_id].dial_id])
            assert attempt is not None
            before = "earlier note; " if attempt_ids["renewal-d1"] == attempt.id else ""
            assert attempt.notes == f"{before}early media: {path}"


# ---------------------------------------------------------------- blending, stored campaigns

START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC).timestamp()  # a Tuesday, 10:00 in Tokyo
TEAM_GENERAL = ("op01", "op02", "op03", "op04", "op05")  # op05 works inbound only


async def quiet_runtime() -> CenterRuntime:
    runtime = CenterRuntime(
        open_around_the_clock(load_sample_center()),
        store=InMemoryEventStore(),
        bus=InProcessBus(),
        clock=ManualClock(START),
    )
    await runtime.start()
    return runtime


def no_telephony(runtime: CenterRuntime, **options: Any) -> OutboundGateway:
    """A gateway that never reaches the trunk in these tests (nothing gets dialled)."""
    return OutboundGateway(
        runtime, cast(Any, None), cast(Any, None), Trunk("sip:{number}@127.0.0.1:9"), **options
    )


def reserved(runtime: CenterRuntime) -> set[str]:
    """Agents the dialer holds (an inbound offer is not a hold)."""
    return {
        a.id
        for a in runtime.engine.agents.values()
        if a.state is AgentState.RESERVED and a.campaign is not None
    }


async def blend(gateway: OutboundGateway) -> None:
    """One round of the gateway's blending, once the floor has folded the events so far
    (listeners are called from the loop, soon after the commit)."""
    for _ in range(5):
        await asyncio.sleep(0)
    gateway._blend()
    for _ in range(5):
        await asyncio.sleep(0)


def inbound(runtime: CenterRuntime, contact_id: str) -> rc.EnqueueContact:
    contact = Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=runtime.clock.now(),
    )
    return rc.EnqueueContact(contact, "orders")


async def test_gateway_holds_only_the_agents_blending_allows_given_live_inbound_figures() -> None:
    runtime = await quiet_runtime()
    try:
        gateway = no_telephony(runtime, tenant="midori")
        campaign = Campaign(id="renewal", tenant="midori", name="更新", queue="orders",
                            status=CampaignStatus.RUNNING)  # fmt: skip
        records = [ListRecord(id=f"r{i}", number=f"+8131234500{i}") for i in range(5)]
        dialer = Dialer(campaign, ProgressivePacer(), records=records)
        gateway.add_campaign(CampaignRun(dialer, TEAM_GENERAL, "…"))
        for agent in TEAM_GENERAL:
            await runtime.submit(rc.AgentLogin(agent, available=True))

        await blend(gateway)  # no inbound traffic: every agent who may dial is held
        assert reserved(runtime) == {"op01", "op02", "op03", "op04"}  # never op05 (inbound)
        assert gateway.decisions["team-general"].outbound_allowed == 5

        await runtime.submit(inbound(runtime, "in1"))  # rings op05, the one free agent
        await blend(gateway)  # inbound with one agent left on it: reclaim everything at once
        decision = gateway.decisions["team-general"]
        assert decision.reclaiming
        assert decision.outbound_allowed == 0
        assert reserved(runtime) == set()
        await blend(gateway)  # Erlang C: inbound needs 2 agents (85 %/20 s) + 1 headroom of 5
        decision = gateway.decisions["team-general"]
        assert (decision.inbound_needed, decision.outbound_allowed) == (3, 2)
        assert len(reserved(runtime)) == 2

        for n in range(2, 7):  # more callers than agents: one waits
            await runtime.submit(inbound(runtime, f"in{n}"))
        await blend(gateway)
        assert reserved(runtime) == set()
        assert gateway.decisions["team-general"].reclaiming
        await blend(gateway)  # nothing new is held while a caller waits
        assert reserved(runtime) == set()
    finally:
        await runtime.stop(drain_timeout=0.0)


ALWAYS = {"window_start": "00:00", "window_end": "24:00", "window_days": [0, 1, 2, 3, 4, 5, 6],
          "holidays_closed": False}  # fmt: skip


def outbound_tables(tmp_path: Path) -> sessionmaker[Session]:
    engine = create_crm_engine(f"sqlite+pysqlite:///{tmp_path / 'crm.sqlite3'}")
    create_crm_tables(engine)
    create_campaign_tables(engine)
    return sessionmaker(engine, class_=Session, expire_on_commit=False)


def stored_campaign(db: Session, numbers: list[str], **rules: Any) -> CampaignRow:
    row = CampaignRow(
        tenant="midori", key="renewal", name="更新のご案内", type="reminder", mode="progressive",
        queue="orders", dispositions=[], rules={**ALWAYS, "agents": ["op04"], **rules},
        status="draft", created_at=stamp(START), updated_at=stamp(START),
    )  # fmt: skip
    db.add(row)
    db.flush()
    records = [ListRecord(id=f"x{i}", number=n) for i, n in enumerate(numbers)]
    import_records(db, row, records, START)
    return row


def status(run: CampaignRun) -> CampaignStatus:
    return run.dialer.status


def capped(run: CampaignRun) -> str | None:
    return run.capped


def set_status(sessions: sessionmaker[Session], status: str, **rules: Any) -> None:
    with sessions() as db:
        row = db.scalars(select(CampaignRow)).one()
        row.status = status
        row.rules = {**row.rules, **rules}
        row.updated_at = stamp(START + 1 + len(rules))
        db.commit()


async def test_stored_campaign_is_followed_live_and_its_blocks_are_logged(tmp_path: Path) -> None:
    sessions = outbound_tables(tmp_path)
    with sessions() as db:
        stored_campaign(db, ["+81312345671"])
        db.commit()
    runtime = await quiet_runtime()
    try:
        gateway = no_telephony(runtime, tenant="midori", sessions=sessions)
        await runtime.submit(rc.AgentLogin("op04", available=True))
        gateway.sync()
        assert gateway.campaigns == {}  # a draft is not dialled
        set_status(sessions, "running")
        gateway.sync()
        run = gateway.campaigns["renewal"]
        assert run.agents == ("op04",)
        assert status(run) is CampaignStatus.RUNNING

        # the only number goes on the do-not-call list through the API's tables: the dial is
        # refused at the moment of dialling, logged and stored in the block log
        with sessions() as db:
            add_dnc(db, "midori", "+81312345671", START, reason="refused", added_by="op01")
            db.commit()
        await blend(gateway)
        assert reserved(runtime) == {"op04"}
        gateway._pace(run)
        with sessions() as db:
            (block,) = db.scalars(select(DialAttemptRow)).all()
            assert (block.outcome, block.blocked_reason) == ("blocked", "do_not_call")
            assert db.scalars(select(ListRecordRow)).one().closed == "do_not_call"
        await blend(gateway)
        assert reserved(runtime) == set()  # nothing left to dial: the seat goes back

        set_status(sessions, "paused")  # picked up without a restart
        gateway.sync()
        assert status(run) is CampaignStatus.PAUSED

        with sessions() as db:  # a list imported while it runs joins the dialer
            row = db.scalars(select(CampaignRow)).one()
            import_records(db, row, [ListRecord(id="y", number="+81312345672")], START)
            db.commit()
        set_status(sessions, "running")
        gateway.sync()
        assert "+81312345672" in {r.number for r in run.dialer.records.values()}
        assert status(run) is CampaignStatus.RUNNING
        await blend(gateway)
        assert reserved(runtime) == {"op04"}

        with sessions() as db:  # switched to preview: agents dial it, the gateway stops pacing
            db.scalars(select(CampaignRow)).one().mode = "preview"
            db.commit()
        gateway.sync()
        assert status(run) is CampaignStatus.PAUSED
        await blend(gateway)
        assert reserved(runtime) == set()  # given back
    finally:
        await runtime.stop(drain_timeout=0.0)


async def test_daily_cap_counted_from_stored_dials_stops_dialling_and_frees_the_seat(
    tmp_path: Path,
) -> None:
    sessions = outbound_tables(tmp_path)
    with sessions() as db:
        row = stored_campaign(db, ["+81312345671", "+81312345672"], daily_cap=2)
        row.status = "running"
        for minute in (1, 2):  # two dials already placed today (Tokyo), before a restart
            db.add(DialAttemptRow(tenant="midori", campaign_id=row.id, number="+81300000000",
                                  attempt=1, placed_at=stamp(START - 60 * minute),
                                  outcome="busy", connected=False, notes=""))  # fmt: skip
        db.commit()
    runtime = await quiet_runtime()
    try:
        gateway = no_telephony(runtime, tenant="midori", sessions=sessions)
        await runtime.submit(rc.AgentLogin("op04", available=True))
        gateway.sync()
        run = gateway.campaigns["renewal"]
        assert run.dialer.today(START) == (2, 0)
        gateway._pace(run)
        assert capped(run) == "daily_cap"
        await blend(gateway)
        assert reserved(runtime) == set()  # a capped campaign holds nobody
        gateway._pace(run)
        with sessions() as db:  # nothing was dialled or taken off the list
            assert len(db.scalars(select(DialAttemptRow)).all()) == 2
        assert run.ringing == {}

        runtime.clock.set(START + 86_400.0)  # type: ignore[attr-defined]
        gateway._pace(run)  # a new day in Tokyo
        assert capped(run) is None
        await blend(gateway)
        assert reserved(runtime) == {"op04"}
    finally:
        await runtime.stop(drain_timeout=0.0)


async def test_disposition_stored_by_the_api_reaches_the_running_dialer(tmp_path: Path) -> None:
    sessions = outbound_tables(tmp_path)
    with sessions() as db:
        row = stored_campaign(db, ["+81312345671", "+81312345672"])
        row.status = "running"
        db.commit()
    runtime = await quiet_runtime()
    try:
        gateway = no_telephony(runtime, tenant="midori", sessions=sessions)
        gateway.sync()
        run = gateway.campaigns["renewal"]
        placed = run.dialer.place_dials(START, PacingState(START, 2, [], []))
        gateway._commit(run, placed)  # as if both were answered and connected to op04
        for item in placed:
            assert isinstance(item, DialPlaced)
            gateway._commit(run, run.dialer.dial_result(item.dial_id, DialOutcome.ANSWERED,
                                                        START + 5))  # fmt: skip
            run.awaiting[item.record_id] = run.attempts[item.dial_id]
        with sessions() as db:  # the agent's dispositions through the API
            first, second = db.scalars(select(DialAttemptRow).order_by(DialAttemptRow.id))
            first.disposition = "no_contact"
            second.disposition = "sale"
            records = {r.number: r for r in db.scalars(select(ListRecordRow))}
            records["+81312345671"].next_attempt_at = stamp(START + 7200)
            records["+81312345672"].closed = "sale"
            db.commit()
        gateway.sync()
        assert run.awaiting == {}
        assert run.dialer.place_dials(START + 60, PacingState(START + 60, 2, [], [])) == []
        (again,) = run.dialer.place_dials(START + 7200, PacingState(START + 7200, 2, [], []))
        assert isinstance(again, DialPlaced)
        assert (again.number, again.attempt) == ("+81312345671", 2)
    finally:
        await runtime.stop(drain_timeout=0.0)


async def test_dial_outside_the_calling_window_is_refused_logged_and_kept_for_later(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = outbound_tables(tmp_path)
    with sessions() as db:  # Tuesday 10:00 in Tokyo, but 01:00 for this callee in London
        row = stored_campaign(db, ["+81312345671"], window_start="09:00", window_end="20:00")
        row.status = "running"
        db.scalars(select(ListRecordRow)).one().timezone = "Europe/London"
        db.commit()
    runtime = await quiet_runtime()
    try:
        gateway = no_telephony(runtime, tenant="midori", sessions=sessions)
        await runtime.submit(rc.AgentLogin("op04", available=True))
        gateway.sync()
        await blend(gateway)
        with caplog.at_level("INFO", logger="madoguchi.outbound"):
            gateway._pace(gateway.campaigns["renewal"])
        assert "refused: outside_window" in caplog.text
        with sessions() as db:
            (block,) = db.scalars(select(DialAttemptRow)).all()
            assert block.blocked_reason == "outside_window"
            record = db.scalars(select(ListRecordRow)).one()
            assert (record.closed, record.attempts) == (None, 0)  # called when the window opens

        set_status(sessions, "running", window_start="18:00")  # closed in Tokyo as well
        gateway.sync()
        gateway._pace(gateway.campaigns["renewal"])
        await blend(gateway)
        assert reserved(runtime) == set()  # nobody is held while the window is closed
        runtime.clock.set(START + 9 * 3600)  # type: ignore[attr-defined]  # 19:00 in Tokyo
        gateway._pace(gateway.campaigns["renewal"])
        await blend(gateway)
        assert reserved(runtime) == {"op04"}
    finally:
        await runtime.stop(drain_timeout=0.0)


async def test_an_unusable_stored_campaign_is_reported_once_and_stops_no_other(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sessions = outbound_tables(tmp_path)
    with sessions() as db:
        stored_campaign(db, ["+81312345671"]).status = "running"
        db.add(CampaignRow(tenant="midori", key="broken", name="壊れた", type="sales",
                           mode="progressive", dispositions=[], rules={"window_start": "9 am"},
                           status="running", created_at=stamp(START),
                           updated_at=stamp(START)))  # fmt: skip  # written past the API
        db.commit()
    runtime = await quiet_runtime()
    try:
        gateway = no_telephony(runtime, tenant="midori", sessions=sessions)
        with caplog.at_level("ERROR", logger="madoguchi.outbound"):
            gateway.sync()
            gateway.sync()
        assert list(gateway.campaigns) == ["renewal"]
        assert caplog.text.count("campaign broken cannot be run as stored") == 1
    finally:
        await runtime.stop(drain_timeout=0.0)
