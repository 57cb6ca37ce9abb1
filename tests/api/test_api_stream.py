"""The live stream over a real server: snapshot, events, resume after a drop, lag, filtering."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn
from api_support import PASSWORD
from fastapi import FastAPI
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from madoguchi.core.model import AgentState
from madoguchi.core.routing import commands as rc
from madoguchi.runtime import CenterRuntime


@pytest.fixture
async def server(app: FastAPI) -> AsyncIterator[str]:
    """Per-message compression on (uvicorn's default): frames go through ASGI."""
    async for host in serve(app, compress=True):
        yield host


@pytest.fixture
async def plain_server(app: FastAPI) -> AsyncIterator[str]:
    """As ``madoguchi serve`` runs it (no compression): frames are written directly."""
    async for host in serve(app, compress=False):
        yield host


async def serve(app: FastAPI, compress: bool) -> AsyncIterator[str]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        lifespan="off",
        log_config=None,
        ws="websockets-sansio",
        ws_per_message_deflate=compress,
    )
    running = uvicorn.Server(config)
    task = asyncio.create_task(running.serve())
    while not running.started:
        if task.done():
            task.result()  # raises what stopped the server
        await asyncio.sleep(0.01)
    port = running.servers[0].sockets[0].getsockname()[1]
    yield f"127.0.0.1:{port}"
    running.should_exit = True
    await task


async def cookie_for(host: str, username: str) -> str:
    async with httpx.AsyncClient(base_url=f"http://{host}") as client:
        response = await client.post(
            "/api/v1/auth/sign-in", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


async def open_stream(
    host: str, username: str, last_event_id: int | None = None, origin: str | None = None
) -> ClientConnection:
    headers = {"Cookie": await cookie_for(host, username)}
    if origin is not None:
        headers["Origin"] = origin
    socket = await connect(f"ws://{host}/api/v1/stream", additional_headers=headers)
    with contextlib.suppress(ConnectionClosed):
        await socket.send(json.dumps({"type": "register", "last_event_id": last_event_id}))
    return socket


async def receive(socket: ClientConnection) -> Any:
    """The next frame: a control object, or an array of events."""
    return json.loads(await asyncio.wait_for(socket.recv(), 5))


async def receive_events(socket: ClientConnection, count: int) -> list[dict[str, Any]]:
    """The next ``count`` events (they come in array frames, possibly several per frame)."""
    found: list[dict[str, Any]] = []
    while len(found) < count:
        frame = await receive(socket)
        assert isinstance(frame, list), frame
        assert frame, "an array frame is never empty"
        found += frame
    assert len(found) == count
    return found


async def events_until_quiet(
    socket: ClientConnection, quiet_s: float = 0.3
) -> list[dict[str, Any]]:
    """Every event and control message until the stream is quiet (arrays flattened)."""
    found: list[dict[str, Any]] = []
    while True:
        try:
            frame = json.loads(await asyncio.wait_for(socket.recv(), quiet_s))
        except (TimeoutError, ConnectionClosed):
            return found
        found += frame if isinstance(frame, list) else [frame]


async def test_given_a_supervisor_when_registering_then_snapshot_then_live_events(
    server: str, runtime: CenterRuntime
) -> None:
    await runtime.submit(rc.AgentLogin("op01"))
    socket = await open_stream(server, "sv01")
    snapshot = await receive(socket)
    assert snapshot["type"] == "snapshot"
    assert snapshot["last_event_id"] == runtime.last_event_id
    agent_ids = {a.get("agent_id", a.get("id")) for a in snapshot["agents"]}
    assert "op01" in agent_ids
    assert "op25" not in agent_ids
    published = await runtime.submit(rc.SetAgentState("op01", AgentState.AVAILABLE))
    (message,) = await receive_events(socket, 1)
    assert message["id"] == published[0][0]
    assert message["event"]["type"] == "AgentStateChanged"
    assert message["event"]["state"] == "available"
    await socket.close()


async def test_given_a_drop_when_resuming_with_the_last_id_then_missed_events_come_in_order(
    server: str, runtime: CenterRuntime
) -> None:
    await runtime.submit(rc.AgentLogin("op01"))
    socket = await open_stream(server, "sv01")
    snapshot = await receive(socket)
    await socket.close()
    missed = []
    for state in (AgentState.AVAILABLE, AgentState.NOT_READY, AgentState.AVAILABLE):
        missed += await runtime.submit(
            rc.SetAgentState("op01", state, "break" if state is AgentState.NOT_READY else None)
        )
    socket = await open_stream(server, "sv01", last_event_id=snapshot["last_event_id"])
    assert (await receive(socket)) == {
        "type": "resumed",
        "last_event_id": snapshot["last_event_id"],
    }
    replayed = await receive_events(socket, len(missed))
    assert [m["id"] for m in replayed] == [event_id for event_id, _ in missed]
    live = await runtime.submit(rc.SetAgentState("op01", AgentState.NOT_READY, "lunch"))
    assert [m["id"] for m in await receive_events(socket, 1)] == [live[0][0]]
    await socket.close()


async def test_given_a_client_that_falls_behind_then_it_is_told_to_register_again(
    server: str, runtime: CenterRuntime, app: FastAPI
) -> None:
    app.state.ctx.settings.stream_backlog = 10
    await runtime.submit(rc.AgentLogin("op01"))
    socket = await open_stream(server, "sv01")
    await receive(socket)
    for i in range(30):  # published back to back: the stream task gets no turn in between
        runtime.submit_now(
            rc.SetAgentState(
                "op01",
                AgentState.AVAILABLE if i % 2 == 0 else AgentState.NOT_READY,
                None if i % 2 == 0 else "break",
            )
        )
    messages = await events_until_quiet(socket)
    assert messages[-1] == {"type": "lagged"}
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4008


async def test_agents_receive_only_their_own_events_and_tenants_stay_apart(
    server: str, runtime: CenterRuntime
) -> None:
    op01 = await open_stream(server, "op01")
    op02 = await open_stream(server, "op02")
    aozora = await open_stream(server, "sv05")
    midori = await open_stream(server, "sv01")
    for socket in (op01, op02, aozora, midori):
        assert (await receive(socket))["type"] == "snapshot"
    await runtime.submit(rc.AgentLogin("op01"))
    await runtime.submit(rc.AgentLogin("op25"))
    own = [m["event"]["agent_id"] for m in await events_until_quiet(op01)]
    assert own == ["op01"]
    assert await events_until_quiet(op02) == []
    assert [m["event"]["agent_id"] for m in await events_until_quiet(aozora)] == ["op25"]
    assert [m["event"]["agent_id"] for m in await events_until_quiet(midori)] == ["op01"]
    for socket in (op01, op02, aozora, midori):
        await socket.close()


async def test_given_no_session_then_the_stream_closes_with_4001(server: str) -> None:
    socket = await connect(f"ws://{server}/api/v1/stream")
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4001


async def test_given_a_foreign_origin_then_the_session_cookie_is_not_honoured(server: str) -> None:
    socket = await open_stream(server, "sv01", origin="https://evil.example")
    with pytest.raises(ConnectionClosed) as closed:
        await socket.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4001


async def test_given_a_burst_of_events_then_the_client_gets_each_once_in_order(
    server: str, runtime: CenterRuntime
) -> None:
    await runtime.submit(rc.AgentLogin("op01"))
    socket = await open_stream(server, "sv01")
    snapshot = await receive(socket)
    published = []
    for i in range(8):  # back to back: they come in one array frame
        published += runtime.submit_now(
            rc.SetAgentState(
                "op01",
                AgentState.AVAILABLE if i % 2 == 0 else AgentState.NOT_READY,
                None if i % 2 == 0 else "break",
            )
        )
    frames: list[list[dict[str, Any]]] = []
    while sum(len(frame) for frame in frames) < len(published):
        frames.append(await receive(socket))
    assert len(frames) == 1  # coalesced: one frame for the burst
    ids = [item["id"] for frame in frames for item in frame]
    first = snapshot["last_event_id"] + 1
    assert ids == list(range(first, first + len(published)))
    states = [getattr(e, "state").value for e in published]  # noqa: B009 - Event has no .state
    assert [item["event"]["state"] for item in frames[0]] == states
    assert await events_until_quiet(socket) == []
    await socket.close()


async def test_without_compression_frames_are_written_directly_and_arrive_whole(
    plain_server: str, runtime: CenterRuntime, app: FastAPI
) -> None:
    await runtime.submit(rc.AgentLogin("op01"))
    sockets = [await open_stream(plain_server, "sv01") for _ in range(3)]
    for socket in sockets:
        assert (await receive(socket))["type"] == "snapshot"
    hub = app.state.ctx.extras["stream_hub"]
    assert all(client.direct is not None for client in hub.stream_clients())
    published = []
    for i in range(6):
        published += await runtime.submit(
            rc.SetAgentState(
                "op01",
                AgentState.AVAILABLE if i % 2 == 0 else AgentState.NOT_READY,
                None if i % 2 == 0 else "break",
            )
        )
    for socket in sockets:
        got = await receive_events(socket, len(published))
        assert [m["id"] for m in got] == [event_id for event_id, _ in published]
        pong = await ping(socket)
        assert pong == {"type": "pong", "last_event_id": runtime.last_event_id}
        await socket.close()


async def ping(socket: ClientConnection) -> Any:
    await socket.send('{"type":"ping"}')
    return await receive(socket)
