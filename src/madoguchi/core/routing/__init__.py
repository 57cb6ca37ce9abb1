"""The ACD routing core: skills-based routing of contacts to agents, sans I/O.

See docs/dev/routing-api.md for the contract and docs/events.md for the vocabulary.
"""

from __future__ import annotations

from madoguchi.core.routing import commands, events
from madoguchi.core.routing.agent_state import TRANSITIONS, AgentTrigger, mermaid_diagram
from madoguchi.core.routing.ended import (
    DEFAULT_ENDED_HORIZON_S,
    DEFAULT_ENDED_LIMIT,
    EndedContacts,
)
from madoguchi.core.routing.engine import RoutingEngine
from madoguchi.core.routing.errors import (
    AgentUnavailable,
    ContactNotConnected,
    DuplicateContact,
    InvalidCommand,
    InvalidTransition,
    NotOfferedToAgent,
    RoutingError,
    UnknownAgent,
    UnknownContact,
    UnknownName,
    UnknownQueue,
    UnknownSkill,
)

__all__ = [
    "DEFAULT_ENDED_HORIZON_S",
    "DEFAULT_ENDED_LIMIT",
    "TRANSITIONS",
    "AgentTrigger",
    "AgentUnavailable",
    "ContactNotConnected",
    "DuplicateContact",
    "EndedContacts",
    "InvalidCommand",
    "InvalidTransition",
    "NotOfferedToAgent",
    "RoutingEngine",
    "RoutingError",
    "UnknownAgent",
    "UnknownContact",
    "UnknownName",
    "UnknownQueue",
    "UnknownSkill",
    "commands",
    "events",
    "mermaid_diagram",
]
