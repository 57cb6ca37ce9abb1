"""The agent state machine table and the diagram drawn from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from madoguchi.core.model import AgentState
from madoguchi.core.routing import TRANSITIONS, AgentTrigger, InvalidTransition, mermaid_diagram
from madoguchi.core.routing.agent_state import next_state

DOCS = Path(__file__).resolve().parents[3] / "docs" / "events.md"


def test_every_state_is_reachable_from_logged_out() -> None:
    reached = {AgentState.LOGGED_OUT}
    frontier = [AgentState.LOGGED_OUT]
    while frontier:
        state = frontier.pop()
        for (source, _trigger), target in TRANSITIONS.items():
            if source is state and target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(AgentState)


def test_given_a_step_missing_from_the_table_then_invalid_transition() -> None:
    with pytest.raises(InvalidTransition) as raised:
        next_state("a1", AgentState.LOGGED_OUT, AgentTrigger.OFFER)
    assert (raised.value.state, raised.value.trigger) == ("logged_out", "offer")


def test_docs_state_diagram_is_the_one_generated_from_the_table() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert f"```mermaid\n{mermaid_diagram()}```" in text, (
        "docs/events.md is stale: paste madoguchi.core.routing.mermaid_diagram() output"
    )
