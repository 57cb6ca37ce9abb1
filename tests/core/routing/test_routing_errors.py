"""Bad commands get a typed error and leave the engine exactly as it was."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from madoguchi.core.model import AgentState
from madoguchi.core.routing import (
    ContactNotConnected,
    DuplicateContact,
    InvalidCommand,
    InvalidTransition,
    NotOfferedToAgent,
    RoutingError,
    UnknownAgent,
    UnknownContact,
    UnknownQueue,
)
from madoguchi.core.routing import commands as rc


@pytest.fixture
def busy_desk(desk: Callable[..., Any], build: Any) -> Any:
    d = desk([build.queue("q", "s")], [build.agent("a1", "s"), build.agent("a2", "s")])
    d.login("a1", "a2")
    d.call("talking", "q")
    d.answer("talking")
    d.call("ringing", "q")
    d.call("waiting", "q")
    return d


@pytest.mark.parametrize(
    ("command", "error"),
    [
        (rc.AgentLogin("ghost"), UnknownAgent),
        (rc.SetAgentState("ghost", AgentState.AVAILABLE), UnknownAgent),
        (rc.AcceptOffer("nobody", "a1"), UnknownContact),
        (rc.EndContact("nobody"), UnknownContact),
        (rc.AbandonContact("nobody"), UnknownContact),
        (rc.TransferContact("talking", to_queue="nowhere"), UnknownQueue),
        (rc.TransferContact("talking", to_agent="ghost"), UnknownAgent),
        (rc.AgentLogin("a1"), InvalidTransition),
        (rc.AgentLogout("a1"), InvalidTransition),
        (rc.SetAgentState("a1", AgentState.AVAILABLE), InvalidTransition),
        (rc.SetAgentState("a2", AgentState.NOT_READY, "break"), InvalidTransition),
        (rc.SetAgentState("a1", AgentState.ON_CONTACT), InvalidTransition),
        (rc.AcceptOffer("ringing", "a1"), NotOfferedToAgent),
        (rc.AcceptOffer("waiting", "a2"), NotOfferedToAgent),
        (rc.EndContact("waiting"), None),  # allowed: ends a waiting contact
        (rc.HoldContact("waiting"), ContactNotConnected),
        (rc.TransferContact("ringing", to_queue="q"), ContactNotConnected),
        (rc.TransferContact("talking"), InvalidCommand),
        (rc.TransferContact("talking", to_queue="q", to_agent="a2"), InvalidCommand),
        (rc.AbandonContact("talking"), InvalidCommand),
        (rc.ResumeContact("talking"), InvalidCommand),
        (rc.RequestCallback("ringing", "0120"), InvalidCommand),
        (rc.CompleteWrapUp("a1", "talking"), InvalidCommand),
        (rc.CompleteWrapUp("a1", "nobody"), UnknownContact),
        (rc.ReleaseAgent("a1"), InvalidCommand),
    ],
)
def test_given_a_bad_command_then_a_typed_error_and_the_state_is_unchanged(
    busy_desk: Any, command: Any, error: type[RoutingError] | None
) -> None:
    before = busy_desk.engine.snapshot()
    if error is None:
        busy_desk.do(command)
        return
    with pytest.raises(error):
        busy_desk.do(command)
    assert busy_desk.engine.snapshot() == before


def test_given_a_contact_id_already_in_routing_when_enqueued_again_then_duplicate(
    busy_desk: Any, build: Any
) -> None:
    before = busy_desk.engine.snapshot()
    with pytest.raises(DuplicateContact):
        busy_desk.call("waiting", "q")
    assert busy_desk.engine.snapshot() == before


def test_given_an_unknown_queue_when_enqueued_then_unknown_queue_names_it(busy_desk: Any) -> None:
    with pytest.raises(UnknownQueue) as raised:
        busy_desk.call("new", "nowhere")
    assert raised.value.name == "nowhere"
    assert raised.value.error_id == "no-such-queue"


def test_given_something_that_is_not_a_command_then_invalid_command(busy_desk: Any) -> None:
    with pytest.raises(InvalidCommand):
        busy_desk.engine.receive("EnqueueContact", busy_desk.now)
