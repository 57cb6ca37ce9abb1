"""The agent state machine: every allowed transition, in one table.

The engine never sets an agent's state except through :func:`next_state`, and the state diagram
in docs/events.md is generated from :data:`TRANSITIONS` by :func:`mermaid_diagram` (a test keeps
the two equal). A step not in the table raises
:class:`~madoguchi.core.routing.errors.InvalidTransition`.

ON_CONTACT covers one voice contact or one to N chats/emails; offering an extra chat to an agent
already on chats keeps them ON_CONTACT (the offer is tracked per contact).
"""

from __future__ import annotations

from enum import StrEnum

from madoguchi.core.model import AgentState
from madoguchi.core.routing.errors import InvalidTransition

S = AgentState


class AgentTrigger(StrEnum):
    """What happens to an agent."""

    LOGIN = "login"
    LOGIN_AVAILABLE = "login_available"
    LOGOUT = "logout"
    MAKE_AVAILABLE = "make_available"
    MAKE_NOT_READY = "make_not_ready"
    OFFER = "offer"
    """Routing rings the agent with a contact."""
    ACCEPT = "accept"
    REJECT = "reject"
    OFFER_TIMEOUT = "offer_timeout"
    OFFER_WITHDRAWN = "offer_withdrawn"
    """The contact abandoned while ringing."""
    DIALER_RESERVE = "dialer_reserve"
    DIALER_RELEASE = "dialer_release"
    CONNECT = "connect"
    """A contact is connected without an offer (answered outbound dial)."""
    END_CONTACT = "end_contact"
    """A contact ends (or is transferred away) while others remain."""
    END_LAST_CONTACT = "end_last_contact"
    END_LAST_CONTACT_RINGING = "end_last_contact_ringing"
    """The last contact ends while another is being offered: no after-contact work yet."""
    WRAP_UP_DONE = "wrap_up_done"
    WRAP_UP_DONE_NOT_READY = "wrap_up_done_not_ready"
    """After-contact work ends with a pending NOT_READY request."""


T = AgentTrigger

TRANSITIONS: dict[tuple[AgentState, AgentTrigger], AgentState] = {
    (S.LOGGED_OUT, T.LOGIN): S.NOT_READY,
    (S.LOGGED_OUT, T.LOGIN_AVAILABLE): S.AVAILABLE,
    (S.AVAILABLE, T.LOGOUT): S.LOGGED_OUT,
    (S.NOT_READY, T.LOGOUT): S.LOGGED_OUT,
    (S.AFTER_CONTACT_WORK, T.LOGOUT): S.LOGGED_OUT,
    (S.NOT_READY, T.MAKE_AVAILABLE): S.AVAILABLE,
    (S.AFTER_CONTACT_WORK, T.MAKE_AVAILABLE): S.AVAILABLE,
    (S.AVAILABLE, T.MAKE_NOT_READY): S.NOT_READY,
    (S.NOT_READY, T.MAKE_NOT_READY): S.NOT_READY,
    (S.AFTER_CONTACT_WORK, T.MAKE_NOT_READY): S.NOT_READY,
    (S.ON_CONTACT, T.MAKE_NOT_READY): S.ON_CONTACT,
    (S.AVAILABLE, T.OFFER): S.RESERVED,
    (S.ON_CONTACT, T.OFFER): S.ON_CONTACT,
    (S.RESERVED, T.ACCEPT): S.ON_CONTACT,
    (S.ON_CONTACT, T.ACCEPT): S.ON_CONTACT,
    (S.RESERVED, T.REJECT): S.NOT_READY,
    (S.ON_CONTACT, T.REJECT): S.ON_CONTACT,
    (S.RESERVED, T.OFFER_TIMEOUT): S.NOT_READY,
    (S.ON_CONTACT, T.OFFER_TIMEOUT): S.ON_CONTACT,
    (S.RESERVED, T.OFFER_WITHDRAWN): S.AVAILABLE,
    (S.ON_CONTACT, T.OFFER_WITHDRAWN): S.ON_CONTACT,
    (S.AVAILABLE, T.DIALER_RESERVE): S.RESERVED,
    (S.RESERVED, T.DIALER_RELEASE): S.AVAILABLE,
    (S.AVAILABLE, T.CONNECT): S.ON_CONTACT,
    (S.RESERVED, T.CONNECT): S.ON_CONTACT,
    (S.ON_CONTACT, T.END_CONTACT): S.ON_CONTACT,
    (S.ON_CONTACT, T.END_LAST_CONTACT): S.AFTER_CONTACT_WORK,
    (S.ON_CONTACT, T.END_LAST_CONTACT_RINGING): S.RESERVED,
    (S.AFTER_CONTACT_WORK, T.WRAP_UP_DONE): S.AVAILABLE,
    (S.AFTER_CONTACT_WORK, T.WRAP_UP_DONE_NOT_READY): S.NOT_READY,
}
"""(state, trigger) → next state. Anything absent is an invalid transition."""


def next_state(agent_id: str, state: AgentState, trigger: AgentTrigger) -> AgentState:
    """The state ``trigger`` leads to from ``state``; InvalidTransition when not allowed."""
    try:
        return TRANSITIONS[state, trigger]
    except KeyError:
        raise InvalidTransition(agent_id, state.value, trigger.value) from None


def allows(state: AgentState, trigger: AgentTrigger) -> bool:
    """Whether the table has a transition for ``trigger`` from ``state``."""
    return (state, trigger) in TRANSITIONS


def mermaid_diagram() -> str:
    """The state diagram (Mermaid ``stateDiagram-v2``) drawn from :data:`TRANSITIONS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.LOGGED_OUT.value}"]
    edges: dict[tuple[AgentState, AgentState], list[str]] = {}
    for (source, trigger), target in TRANSITIONS.items():
        edges.setdefault((source, target), []).append(trigger.value)
    for (source, target), triggers in edges.items():
        lines.append(f"    {source.value} --> {target.value}: {', '.join(triggers)}")
    return "\n".join(lines) + "\n"
