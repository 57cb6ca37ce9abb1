"""Events of contact flows: enough to report containment, drop-off per node and time in the flow.

Listed in docs/events.md under "Contact flows".
"""

from __future__ import annotations

from madoguchi.core.events import Event, event
from madoguchi.core.flows.model import FlowOutcome


@event
class FlowEntered(Event):
    """A contact started a flow."""

    contact_id: str
    flow_id: str
    flow_version: int
    channel: str
    """voice or chat."""


@event
class NodeVisited(Event):
    """The flow moved to a node."""

    contact_id: str
    flow_id: str
    node: str
    kind: str
    """The node type (menu, collect, enqueue…)."""


@event
class InputReceived(Event):
    """The customer answered (or stayed silent) at a waiting node."""

    contact_id: str
    flow_id: str
    node: str
    kind: str
    """digits, text, no_input, option, invalid…"""
    value: str
    """What was entered; ``***`` for sensitive nodes; the option key for menus."""
    valid: bool


@event
class SurveyAnswered(Event):
    """A customer rated the service (1–5), with an optional comment."""

    contact_id: str
    flow_id: str
    node: str
    rating: int
    comment: str


@event
class FlowExited(Event):
    """The contact left the flow, once: to a queue, to self-service end, hung up…"""

    contact_id: str
    flow_id: str
    node: str
    """The last node (where a caller hung up: the drop-off point)."""
    outcome: FlowOutcome
    duration_s: float
    """Time spent in the flow (IVR time)."""


@event
class QueueOfferAccepted(Event):
    """A queued customer took the offer of a callback (keeping the place) or of a message."""

    contact_id: str
    flow_id: str
    queue: str
    offer: str
    """callback or message."""
