"""The stream hub: one serialization per audience, coalesced array frames, slow clients dropped
without holding the others back, and the catch-up boundary (no event missed or doubled)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any, cast

from fastapi import FastAPI, WebSocket

from madoguchi.api.context import Principal, Role
from madoguchi.api.stream import (
    DirectWriter,
    Frame,
    StreamClient,
    StreamHub,
    _follow,
    websocket_text_frame,
)
from madoguchi.core.events import Event
from madoguchi.core.model import AgentState
from madoguchi.core.routing.events import AgentStateChanged


class FakeSocket:
    """Stands in for a WebSocket: records what is sent; ``blocked`` never finishes a send."""

    def __init__(self, blocked: bool = False) -> None:
        self.sent: list[str] = []
        self.gate = asyncio.Event()
        if not blocked:
            self.gate.set()
        self.closed_with: int | None = None

    async def send_text(self, text: str) -> None:
        await self.gate.wait()
        self.sent.append(text)

    async def receive_json(self) -> Any:
        await asyncio.Event().wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = code


def viewer(
    username: str, role: Role, tenant: str = "midori", agent: str | None = None
) -> Principal:
    return Principal(1, username, tenant, role, username, agent, "session")


def state_change(agent_id: str, n: int) -> Event:
    state = AgentState.AVAILABLE if n % 2 == 0 else AgentState.NOT_READY
    return AgentStateChanged(at=1_800_000_000.0 + n, agent_id=agent_id, state=state, previous=state)


def events(socket: FakeSocket) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for text in socket.sent:
        frame = json.loads(text)
        assert isinstance(frame, list)
        found += frame
    return found


async def follow(
    hub: StreamHub, app: FastAPI, who: Principal, socket: FakeSocket, backlog: int
) -> tuple[StreamClient, asyncio.Task[None]]:
    client = hub.join(who, cast(WebSocket, socket), backlog)
    client.covered = 0
    task = asyncio.create_task(_follow(cast(WebSocket, socket), client, app.state.metrics, hub.ctx))
    await asyncio.sleep(0)
    return client, task


async def stop(hub: StreamHub, *tasks: asyncio.Task[None]) -> None:
    for task in tasks:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await hub.stop()


async def test_each_audience_gets_one_frame_text_shared_by_its_clients(app: FastAPI) -> None:
    hub = StreamHub(app.state.ctx)
    sockets = [FakeSocket(), FakeSocket()]
    agent_socket = FakeSocket()
    first, t1 = await follow(hub, app, viewer("sv01", Role.SUPERVISOR), sockets[0], 100)
    second, t2 = await follow(hub, app, viewer("sv02", Role.SUPERVISOR), sockets[1], 100)
    agent, t3 = await follow(hub, app, viewer("op01", Role.AGENT, agent="op01"), agent_socket, 100)
    batch = [
        (1, state_change("op01", 1)),
        (2, state_change("op02", 2)),
        (3, state_change("op25", 3)),
    ]
    hub.flush(batch)
    await asyncio.sleep(0.01)
    assert len(sockets[0].sent) == len(sockets[1].sent) == 1
    assert sockets[0].sent[0] is sockets[1].sent[0]  # the same text object: serialized once
    assert [m["id"] for m in events(sockets[0])] == [1, 2]  # op25 belongs to another tenant
    assert [m["event"]["agent_id"] for m in events(agent_socket)] == ["op01"]
    assert first.covered == second.covered == 2
    assert agent.covered == 1
    await stop(hub, t1, t2, t3)


async def test_a_stuck_client_is_dropped_as_lagged_and_the_others_get_everything(
    app: FastAPI,
) -> None:
    hub = StreamHub(app.state.ctx)
    fast, stuck = FakeSocket(), FakeSocket(blocked=True)
    _, t1 = await follow(hub, app, viewer("sv01", Role.SUPERVISOR), fast, 5)
    slow, t2 = await follow(hub, app, viewer("sv02", Role.SUPERVISOR), stuck, 5)
    for n in range(1, 9):
        hub.flush([(n, state_change("op01", n))])
        await asyncio.sleep(0.001)
    assert [m["id"] for m in events(fast)] == list(range(1, 9))
    assert slow.lagged
    stuck.gate.set()  # the stuck send finally returns: the writer then drops the client
    await asyncio.wait_for(t2, 1)
    assert stuck.sent[-1] == '{"type":"lagged"}'
    assert stuck.closed_with == 4008
    await stop(hub, t1)


async def test_frames_waiting_for_a_slow_client_go_out_as_one_array() -> None:
    client = StreamClient(cast(WebSocket, FakeSocket()), max_backlog=100, covered=0)
    for n in (1, 2, 3):
        text = json.dumps({"id": n, "event": {}})
        client.push(Frame([n], [text], f"[{text}]"))
    merged = client.take()
    assert merged is not None
    assert [m["id"] for m in json.loads(merged)] == [1, 2, 3]
    assert client.take() is None
    assert client.covered == 3


async def test_events_covered_by_the_snapshot_or_replay_are_not_sent_again() -> None:
    client = StreamClient(cast(WebSocket, FakeSocket()), max_backlog=100)
    texts = [json.dumps({"id": n, "event": {}}) for n in (4, 5, 6)]
    client.push(Frame([4, 5, 6], texts, "[" + ",".join(texts) + "]"))
    client.covered = 5  # the snapshot (taken after joining) already covered 4 and 5
    sent = client.take()
    assert sent is not None
    assert [m["id"] for m in json.loads(sent)] == [6]


def test_a_text_frame_is_framed_for_every_payload_length() -> None:
    for size in (0, 125, 126, 65535, 65536):
        text = "x" * size
        frame = websocket_text_frame(text)
        assert frame[0] == 0x81
        if size < 126:
            assert frame[1] == size
            assert frame[2:] == text.encode()
        elif size < 65536:
            assert frame[1] == 126
            assert int.from_bytes(frame[2:4], "big") == size
            assert frame[4:] == text.encode()
        else:
            assert frame[1] == 127
            assert int.from_bytes(frame[2:10], "big") == size
            assert frame[10:] == text.encode()
    assert websocket_text_frame("窓口")[2:].decode() == "窓口"


def test_an_unknown_server_send_takes_the_asgi_path() -> None:
    async def send(message: Any) -> None:
        del message

    assert DirectWriter.find(send) is None
    assert DirectWriter.find(None) is None


def test_a_uvloop_style_transport_is_written_to_directly() -> None:
    """``madoguchi serve`` runs on uvloop, whose transports are not ``asyncio.Transport``s."""
    from websockets.protocol import State

    class Transport:  # duck-typed like uvloop.loop.TCPTransport
        def __init__(self) -> None:
            self.written: list[bytes] = []

        def write(self, data: bytes) -> None:
            self.written.append(data)

        def is_closing(self) -> bool:
            return False

    class Conn:
        def __init__(self) -> None:
            self.extensions: list[object] = []
            self.state = State.OPEN

    class WebSocketsSansIOProtocol:  # the name uvicorn's class has
        def __init__(self) -> None:
            self.conn = Conn()
            self.transport = Transport()
            self.writable = asyncio.Event()
            self.writable.set()
            self.close_sent = False
            self.disconnected = False

        async def send(self, message: Any) -> None:
            del message

    protocol = WebSocketsSansIOProtocol()
    writer = DirectWriter.find(protocol.send)
    assert writer is not None
    assert writer.ready()
    writer.write(websocket_text_frame("[]"))
    assert protocol.transport.written == [b"\x81\x02[]"]
    protocol.writable.clear()  # uvicorn paused writing: the writer task takes over
    assert not writer.ready()
