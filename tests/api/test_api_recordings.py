"""Call recordings: streamed to the contact's supervisors, admins and handling agent only, and
every play lands in the audit log."""

from __future__ import annotations

import wave
from pathlib import Path

from api_support import SignIn
from fastapi import FastAPI
from sqlalchemy import select

from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime
from madoguchi.store.crm import AuditEntry


def write_wav(path: Path, frames: int = 8000) -> bytes:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\x01\x00\x02\x00" * frames)
    return path.read_bytes()


async def handled_call(sign_in: SignIn, runtime: CenterRuntime, contact_id: str) -> None:
    agent = await sign_in("op01")
    await agent.post("/api/v1/agents/me/login", json={"available": True})
    contact = Contact(
        id=contact_id,
        channel=Channel.VOICE,
        direction=Direction.INBOUND,
        tenant="midori",
        created_at=runtime.clock.now(),
        from_address="+819012345678",
    )
    await runtime.submit(rc.EnqueueContact(contact, "general"))
    assert (await agent.post(f"/api/v1/contacts/{contact_id}/accept")).status_code == 200
    assert (await agent.post(f"/api/v1/contacts/{contact_id}/end")).status_code == 200


async def test_given_a_recorded_call_when_its_agent_or_supervisor_asks_then_the_wav_streams(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    app.state.ctx.extras["recordings_dir"] = tmp_path
    content = write_wav(tmp_path / "rec-1.wav")
    await handled_call(sign_in, runtime, "rec-1")

    for user in ("op01", "sv01", "admin-midori"):
        client = await sign_in(user)
        response = await client.get("/api/v1/contacts/rec-1/recording")
        assert response.status_code == 200, (user, response.text)
        assert response.headers["content-type"] == "audio/wav"
        assert response.content == content

    partial = await (await sign_in("sv01")).get(
        "/api/v1/contacts/rec-1/recording", headers={"Range": "bytes=0-43"}
    )
    assert partial.status_code == 206
    assert partial.content == content[:44]

    with app.state.ctx.sessions() as db:
        plays = db.scalars(select(AuditEntry).where(AuditEntry.action == "recording.listen"))
        assert sorted(a.username for a in plays) == ["admin-midori", "op01", "sv01", "sv01"]


async def test_given_a_recorded_call_when_another_agent_or_tenant_asks_then_404_and_no_audio(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    app.state.ctx.extras["recordings_dir"] = tmp_path
    write_wav(tmp_path / "rec-2.wav")
    await handled_call(sign_in, runtime, "rec-2")
    for user in ("op02", "sv05", "admin-aozora"):
        response = await (await sign_in(user)).get("/api/v1/contacts/rec-2/recording")
        assert response.status_code == 404, user
        assert response.json()["error_id"] == "no-such-recording"


async def test_given_no_recording_file_when_asked_then_404(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    app.state.ctx.extras["recordings_dir"] = tmp_path
    await handled_call(sign_in, runtime, "rec-3")
    response = await (await sign_in("sv01")).get("/api/v1/contacts/rec-3/recording")
    assert response.status_code == 404
    response = await (await sign_in("sv01")).get("/api/v1/contacts/..%2Fsecret/recording")
    assert response.status_code == 404


async def test_given_only_settings_when_asked_then_the_data_dir_recordings_are_used(
    app: FastAPI, sign_in: SignIn, runtime: CenterRuntime, tmp_path: Path
) -> None:
    app.state.ctx.settings = app.state.ctx.settings.model_copy(update={"data_dir": tmp_path})
    (tmp_path / "recordings").mkdir()
    content = write_wav(tmp_path / "recordings" / "rec-4.wav", 10)
    await handled_call(sign_in, runtime, "rec-4")
    response = await (await sign_in("sv01")).get("/api/v1/contacts/rec-4/recording")
    assert response.content == content
