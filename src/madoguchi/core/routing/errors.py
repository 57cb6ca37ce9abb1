"""Errors the routing engine raises; after any of them the engine's state is unchanged.

::

    RoutingError
    ├── UnknownName            a command names something the engine does not know
    │   ├── UnknownAgent
    │   ├── UnknownContact
    │   ├── UnknownQueue
    │   └── UnknownSkill
    ├── DuplicateContact       EnqueueContact/ConnectContact for a contact routing already has
    ├── InvalidTransition      the agent's state machine does not allow this step now
    ├── InvalidCommand         the command contradicts the contact's state or itself
    │   ├── NotOfferedToAgent  accept/reject by an agent the contact is not ringing at
    │   └── ContactNotConnected
    └── AgentUnavailable       a named agent (transfer, dialer) cannot take the contact now

All of them are the caller's fault (the API answers 4xx); ``error_id`` is a stable slug.
"""

from __future__ import annotations

from typing import ClassVar


class RoutingError(Exception):
    """Base of every routing refusal."""

    error_id: ClassVar[str] = "routing-error"


class UnknownName(RoutingError, KeyError):
    """A command names an agent, contact or queue the engine does not know."""

    error_id: ClassVar[str] = "unknown-name"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"{self.error_id}: {self.name!r}"


class UnknownAgent(UnknownName):
    """No configured agent has this id."""

    error_id: ClassVar[str] = "no-such-agent"


class UnknownContact(UnknownName):
    """Routing has no live contact with this id."""

    error_id: ClassVar[str] = "no-such-contact"


class UnknownQueue(UnknownName):
    """No configured queue has this id."""

    error_id: ClassVar[str] = "no-such-queue"


class UnknownSkill(UnknownName):
    """No configured skill has this id."""

    error_id: ClassVar[str] = "no-such-skill"


class DuplicateContact(RoutingError):
    """The contact id is already in routing (or already ended)."""

    error_id: ClassVar[str] = "duplicate-contact"


class InvalidTransition(RoutingError):
    """The agent's state does not allow the requested step."""

    error_id: ClassVar[str] = "invalid-agent-transition"

    def __init__(self, agent_id: str, state: str, trigger: str) -> None:
        super().__init__(f"agent {agent_id!r} in state {state} cannot {trigger}")
        self.agent_id = agent_id
        self.state = state
        self.trigger = trigger


class InvalidCommand(RoutingError):
    """The command does not fit the contact's state, or contradicts itself."""

    error_id: ClassVar[str] = "invalid-command"


class NotOfferedToAgent(InvalidCommand):
    """Accept or reject by an agent the contact is not being offered to."""

    error_id: ClassVar[str] = "not-offered-to-agent"


class ContactNotConnected(InvalidCommand):
    """End, hold, resume or transfer of a contact that is not connected to an agent."""

    error_id: ClassVar[str] = "contact-not-connected"


class AgentUnavailable(RoutingError):
    """A named agent cannot take a contact now (busy, logged out, no capacity, wrong mode)."""

    error_id: ClassVar[str] = "agent-unavailable"
