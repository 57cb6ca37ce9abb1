"""The voice gateway's HTTP lookups: any failure reaches the flow as ``HttpFailed`` at once."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from madoguchi.core.flows import commands as fc
from madoguchi.core.flows import inputs as fi
from madoguchi.runtime.voice import VoiceGateway


class _Gateway:
    """Just what ``VoiceGateway._http`` uses: the client and the flow's input."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.http = client
        self.fed: list[fi.FlowInput] = []

    def _feed(self, voice: Any, item: fi.FlowInput) -> None:
        del voice
        self.fed.append(item)


def _lookup(url: str, handler: Any) -> list[fi.FlowInput]:
    async def run() -> list[fi.FlowInput]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as client:
            gateway = _Gateway(client)
            command = fc.HttpRequest("r1", "GET", url, None, 2.0)
            await VoiceGateway._http(gateway, None, command)  # type: ignore[arg-type]
            return gateway.fed

    return asyncio.run(run())


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text='{"status": "shipped"}')


def test_an_answer_reaches_the_flow() -> None:
    (item,) = _lookup("http://crm.example/orders/1", _ok)
    assert item == fi.HttpResponse("r1", 200, '{"status": "shipped"}')


@pytest.mark.parametrize("url", ["http://[::1/orders", "http://crm\x00.example/x"])
def test_a_url_httpx_cannot_parse_takes_the_error_branch_at_once(url: str) -> None:
    (item,) = _lookup(url, _ok)
    assert isinstance(item, fi.HttpFailed)
    assert item.request_id == "r1"


def test_a_refused_connection_takes_the_error_branch() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    (item,) = _lookup("http://crm.example/orders/1", refuse)
    assert item == fi.HttpFailed("r1", "ConnectError")
