"""Softphone signalling: a bad offer is the page's fault (422 naming the SDP), not a crash."""

from __future__ import annotations

from api_support import SignIn
from fastapi import FastAPI

from madoguchi.telephony.webrtc import WebRtcSoftphones


async def test_given_a_malformed_offer_when_starting_the_session_then_422_names_body_sdp(
    app: FastAPI, sign_in: SignIn
) -> None:
    gateway = WebRtcSoftphones()
    app.state.ctx.extras["softphone"] = gateway
    agent = await sign_in("op01")
    response = await agent.post(
        "/api/v1/softphone/session", json={"type": "offer", "sdp": "v=0\r\nthis is not sdp\r\n"}
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error_id"] == "invalid-request"
    assert [d["field"] for d in body["details"]] == ["body.sdp"]
    assert "op01" not in gateway.sessions
    await gateway.close_all()


async def test_given_no_gateway_when_starting_the_session_then_409_unavailable(
    sign_in: SignIn,
) -> None:
    agent = await sign_in("op01")
    response = await agent.post("/api/v1/softphone/session", json={"type": "offer", "sdp": "v=0"})
    assert response.status_code == 409
    assert response.json()["error_id"] == "softphone-unavailable"
