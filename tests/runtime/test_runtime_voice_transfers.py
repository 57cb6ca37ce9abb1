"""Hold and transfers from an agent's desk phone, through the center with real SIP: the agent
(sipp as UAS) holds and resumes with re-INVITEs and transfers with REFER; another agent's phone
(our own user agent) takes the caller; routing records hold, resume and the transfer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telephony_support import free_port, run_sipp
from test_runtime_voice_calls import MAIN_NUMBER, SCENARIOS, sign_in_agent, start_center
from voice_support import AgentPhone, ConsultingPhone

from madoguchi.core.events import Event
from madoguchi.core.routing import commands as rc
from madoguchi.core.routing import events as rev
from madoguchi.demo import open_around_the_clock
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer
from madoguchi.telephony.sip.message import SipRequest, parse_message


@pytest.fixture
async def center(tmp_path: Path) -> AsyncIterator[CenterServer]:
    server = await start_center(tmp_path, open_around_the_clock(load_sample_center()))
    try:
        yield server
    finally:
        await server.stop()


def bind_sipp_phone(center: CenterServer, extension: str, port: int) -> None:
    """Register the extension at sipp's address (sipp cannot REGISTER and then answer in one
    run), straight through the center's registrar."""
    text = (
        f"REGISTER sip:127.0.0.1 SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKreg{port}\r\n"
        f"From: <sip:{extension}@127.0.0.1>;tag=r{port}\r\n"
        f"To: <sip:{extension}@127.0.0.1>\r\n"
        f"Call-ID: reg-{port}@127.0.0.1\r\nCSeq: 1 REGISTER\r\n"
        f"Contact: <sip:{extension}@127.0.0.1:{port}>\r\nExpires: 600\r\nContent-Length: 0\r\n\r\n"
    )
    request = parse_message(text.encode())
    assert isinstance(request, SipRequest)
    registrar = center.endpoint.registrar
    assert registrar is not None
    response = registrar.register(request, ("127.0.0.1", port), "udp", time.time())
    assert response.status == 200


async def run_agent_sipp(center: CenterServer, port: int, refer_to: str, cwd: Path) -> str:
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "agent_holds_then_refers.xml"),
        "-p",
        str(port),
        "-s",
        "2001",
        "-key",
        "refer_to",
        refer_to,
        "-rtp_echo",
        "-mp",
        str(free_port()),
        "-m",
        "1",
        cwd=cwd,
        timeout=60,
    )
    assert result.returncode == 0, result.output
    return result.output


async def call_in(center: CenterServer, cwd: Path) -> None:
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "caller_ivr_to_agent.xml"),
        "-s",
        MAIN_NUMBER,
        "-m",
        "1",
        "-mp",
        str(free_port()),
        cwd=cwd,
        timeout=60,
    )
    assert result.returncode == 0, result.output


async def sign_in_when_connected(center: CenterServer, phone: AgentPhone, agent_id: str) -> None:
    """The second agent becomes available only once the first one talks to the caller."""
    for _ in range(300):
        if any(voice.connected for voice in center.gateway.calls.values()):
            break
        await asyncio.sleep(0.05)
    await sign_in_agent(center, phone, agent_id)


def record_events(center: CenterServer, sent_to_caller: list[int] | None = None) -> list[Event]:
    """Events as they come; with ``sent_to_caller``, the RTP packets sent to the caller so far
    at each hold and resume."""
    events: list[Event] = []

    def listener(_id: int, event: Event) -> None:
        events.append(event)
        if sent_to_caller is not None and isinstance(event, rev.ContactHeld | rev.ContactResumed):
            sent_to_caller.append(center.gateway.calls[event.contact_id].leg.packets_sent)

    center.runtime.listen(listener)
    return events


@pytest.mark.peer
@pytest.mark.parametrize(
    ("refer_to", "to_queue", "to_agent"), [("orders", "orders", None), ("2002", None, "op02")]
)
async def test_agent_holds_resumes_and_blind_transfers_caller_to_queue_or_extension(
    center: CenterServer, tmp_path: Path, refer_to: str, to_queue: str | None, to_agent: str | None
) -> None:
    sent_to_caller: list[int] = []
    events = record_events(center, sent_to_caller)
    agent_port = free_port()
    bind_sipp_phone(center, "2001", agent_port)
    await center.runtime.submit(rc.AgentLogin("op01", available=True))
    second = AgentPhone(talk_s=2.0)  # op02 works the orders queue
    try:
        await asyncio.gather(
            run_agent_sipp(center, agent_port, refer_to, tmp_path),
            call_in(center, tmp_path),
            sign_in_when_connected(center, second, "op02"),
        )
        await asyncio.sleep(0.3)
    finally:
        await second.close()
    kinds = [type(e) for e in events]
    assert rev.ContactHeld in kinds
    assert rev.ContactResumed in kinds
    (transferred,) = [e for e in events if isinstance(e, rev.ContactTransferred)]
    assert transferred.from_agent == "op01"
    assert (transferred.to_queue, transferred.to_agent) == (to_queue, to_agent)
    (resumed,) = [e for e in events if isinstance(e, rev.ContactResumed)]
    assert resumed.held_s >= 2.0
    # music on hold: the caller got ~50 packets/s while held (the echo agent sent nothing)
    at_hold, at_resume = sent_to_caller
    assert at_resume - at_hold >= 40 * resumed.held_s
    assert len(second.answered) == 1
    assert second.heard_frames > 25  # the caller's audio reached the second agent
    contact = transferred.contact_id
    recordings = center.options.data_dir / "recordings"
    # one recording for the whole call (op01, the wait, then op02)
    assert sorted(p.name for p in recordings.glob(f"{contact}*.wav")) == [f"{contact}.wav"]
    assert center.gateway.calls == {}


async def consult_colleague(center: CenterServer, extension: str, cwd: Path) -> None:
    """Agent 2001's phone calls a colleague through the center once it talks to the caller."""
    for _ in range(300):
        if any(voice.connected for voice in center.gateway.calls.values()):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.3)  # the colleague's phone registers meanwhile
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "agent_consults_colleague.xml"),
        "-s",
        extension,
        "-m",
        "1",
        "-mp",
        str(free_port()),
        cwd=cwd,
        timeout=30,
    )
    assert result.returncode == 0, result.output


@pytest.mark.peer
async def test_attended_transfer_hands_the_answered_consult_leg_to_the_caller(
    center: CenterServer, tmp_path: Path
) -> None:
    events = record_events(center)
    agent_port = free_port()
    bind_sipp_phone(center, "2001", agent_port)
    await center.runtime.submit(rc.AgentLogin("op01", available=True))
    colleague = AgentPhone(talk_s=9.0)  # answers the consult call, later talks to the caller
    try:
        await asyncio.gather(
            run_agent_sipp(center, agent_port, "2002", tmp_path),
            call_in(center, tmp_path),
            sign_in_when_connected(center, colleague, "op02"),
            consult_colleague(center, "2002", tmp_path),
        )
        await asyncio.sleep(0.3)
    finally:
        await colleague.close()
    (transferred,) = [e for e in events if isinstance(e, rev.ContactTransferred)]
    assert transferred.to_agent == "op02"
    # the colleague's phone rang once (the consult call) and was not rung again
    assert len(colleague.answered) == 1
    connected = [e for e in events if isinstance(e, rev.ContactConnected)]
    assert [e.agent_id for e in connected] == ["op01", "op02"]
    assert colleague.heard_frames > 100  # the consulting agent's, then the caller's audio
    recordings = center.options.data_dir / "recordings"
    contact = transferred.contact_id
    assert sorted(p.name for p in recordings.glob(f"{contact}*.wav")) == [f"{contact}.wav"]
    assert center.gateway.calls == {}
    assert center.gateway.control.consults == {}


async def take_over_agent_leg(center: CenterServer, replaces: str, cwd: Path) -> str:
    """The agent's second device sends INVITE with ``Replaces`` (once the caller is bridged)."""
    for _ in range(300):
        voices = [v for v in center.gateway.calls.values() if v.connected]
        if voices and voices[0].agent_call is not None:
            break
        await asyncio.sleep(0.05)
    call = voices[0].agent_call
    assert call is not None
    value = replaces.format(call_id=call.call_id, center=call.local_tag, phone=call.remote_tag)
    result = await run_sipp(
        f"127.0.0.1:{center.endpoint.port}",
        "-sf",
        str(SCENARIOS / "agent_phone_takes_over.xml"),
        "-key",
        "replaces",
        value,
        "-m",
        "1",
        "-mp",
        str(free_port()),
        cwd=cwd,
        timeout=30,
    )
    return result.output if result.returncode == 0 else f"sipp failed: {result.output}"


@pytest.mark.peer
async def test_invite_with_replaces_moves_the_agents_side_to_another_device(
    center: CenterServer, tmp_path: Path
) -> None:
    events = record_events(center)
    phone = AgentPhone(talk_s=20.0)  # would talk long: the center hangs it up when replaced
    await sign_in_agent(center, phone, "op01")
    try:
        _, moved = await asyncio.gather(
            call_in(center, tmp_path),
            take_over_agent_leg(center, "{call_id};to-tag={center};from-tag={phone}", tmp_path),
        )
        await asyncio.sleep(0.3)
    finally:
        await phone.close()
    assert not moved.startswith("sipp failed"), moved
    (desk_call,) = phone.answered
    assert desk_call.end_reason == "remote_bye"  # the center's BYE to the replaced phone
    connected = [e for e in events if isinstance(e, rev.ContactConnected)]
    assert [e.agent_id for e in connected] == ["op01"]  # one contact, one agent, not re-offered
    (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
    recordings = center.options.data_dir / "recordings"
    assert sorted(p.name for p in recordings.iterdir()) == [f"{ended.contact_id}.wav"]
    assert center.gateway.calls == {}


@pytest.mark.peer
async def test_invite_with_replaces_naming_no_dialog_is_refused_with_481(
    center: CenterServer, tmp_path: Path
) -> None:
    phone = AgentPhone(talk_s=3.0)
    await sign_in_agent(center, phone, "op01")
    try:
        # the tags swapped: no dialog at the center has them that way round
        _, moved = await asyncio.gather(
            call_in(center, tmp_path),
            take_over_agent_leg(center, "{call_id};to-tag={phone};from-tag={center}", tmp_path),
        )
    finally:
        await phone.close()
    assert moved.startswith("sipp failed")
    assert "481" in moved
    (desk_call,) = phone.answered
    assert desk_call.end_reason == "local_bye"  # the desk phone kept the call to its end


@pytest.mark.peer
@pytest.mark.parametrize("names_consult_call", [True, False])
async def test_attended_transfer_with_replaces_goes_to_the_consult_call_it_names(
    center: CenterServer, tmp_path: Path, names_consult_call: bool
) -> None:
    events = record_events(center)
    phone = ConsultingPhone(
        "2001", "2002", center.endpoint.port, replace_customer_call=not names_consult_call
    )
    colleague = AgentPhone(talk_s=6.0)  # answers the consult call, later talks to the caller
    await sign_in_agent(center, phone, "op01")
    colleague_in = asyncio.create_task(sign_in_when_connected(center, colleague, "op02"))
    try:
        await asyncio.gather(call_in(center, tmp_path), colleague_in)
        await asyncio.wait_for(phone.done.wait(), 10)
        await asyncio.sleep(0.3)
    finally:
        await phone.close()
        await colleague.close()
    (customer_call,) = phone.answered
    (consult,) = phone.consults
    transferred = [e for e in events if isinstance(e, rev.ContactTransferred)]
    if names_consult_call:
        assert phone.statuses == [100, 200]
        assert [e.to_agent for e in transferred] == ["op02"]
        # the center hung up both of the first agent's dialogs
        assert customer_call.end_reason == "remote_bye"
        assert consult.end_reason == "remote_bye"
        # the colleague's phone rang once (the consult call) and then talked to the caller
        assert len(colleague.answered) == 1
        connected = [e.agent_id for e in events if isinstance(e, rev.ContactConnected)]
        assert connected == ["op01", "op02"]
    else:  # the Replaces names the customer's own call: no consult call, 481, no transfer
        assert phone.statuses == [100, 481]
        assert transferred == []
        assert customer_call.end_reason == "local_bye"
    assert center.gateway.calls == {}
    assert center.gateway.control.consults == {}


@pytest.mark.peer
async def test_invite_with_replaces_naming_the_customers_dialog_keeps_contact_agent_and_recording(
    center: CenterServer, tmp_path: Path
) -> None:
    events = record_events(center)
    phone = AgentPhone(talk_s=20.0)  # talks until the (new) customer leg hangs up
    await sign_in_agent(center, phone, "op01")

    heard_before_move: list[int] = []

    async def customer_moves() -> str:
        for _ in range(300):
            voices = [v for v in center.gateway.calls.values() if v.connected]
            if voices:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(2.0)  # the first caller's scenario then waits for its BYE
        call = voices[0].call
        value = f"{call.call_id};to-tag={call.local_tag};from-tag={call.remote_tag}"
        heard_before_move.append(phone.heard_frames)
        result = await run_sipp(
            f"127.0.0.1:{center.endpoint.port}",
            "-sf",
            str(SCENARIOS / "agent_phone_takes_over.xml"),
            "-key",
            "replaces",
            value,
            "-m",
            "1",
            "-mp",
            str(free_port()),
            cwd=tmp_path,
            timeout=30,
        )
        return result.output if result.returncode == 0 else f"sipp failed: {result.output}"

    try:
        # the first sipp caller is hung up by the center (its scenario ends on that BYE)
        _, moved = await asyncio.gather(call_in(center, tmp_path), customer_moves())
        await asyncio.sleep(0.3)
    finally:
        await phone.close()
    assert not moved.startswith("sipp failed"), moved
    (desk_call,) = phone.answered
    assert desk_call.end_reason == "remote_bye"  # the new customer leg hung up: contact over
    # the first caller's audio (its second recording starts ~1 s after the bridge), then the
    # second device's (2 s of it before it hangs up)
    (before,) = heard_before_move
    assert before > 10
    assert phone.heard_frames - before > 40
    connected = [e for e in events if isinstance(e, rev.ContactConnected)]
    assert [e.agent_id for e in connected] == ["op01"]
    (ended,) = [e for e in events if isinstance(e, rev.ContactEnded)]
    recordings = center.options.data_dir / "recordings"
    assert sorted(p.name for p in recordings.iterdir()) == [f"{ended.contact_id}.wav"]
    assert center.gateway.calls == {}
