"""Events of contact flows: enough to report containment, drop-off per node and time in the flow.

Listed in docs/events.md under "Contact flows".

The interpreter emits several events per node visit, so these types also accept their fields
positionally (``at`` first, then the fields in declaration order), which costs about half of a
keyword call; the ``new_*`` names below are the same classes typed for positional calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from madoguchi.core.events import Event, event, install_slot_init
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


for _kind in (
    FlowEntered,
    NodeVisited,
    InputReceived,
    SurveyAnswered,
    FlowExited,
    QueueOfferAccepted,
):
    install_slot_init(_kind, keyword_only=False)


def _positional(kind: type[Any]) -> Any:
    return cast(Any, kind)


new_flow_entered: Callable[[float, str, str, int, str], FlowEntered] = _positional(FlowEntered)
"""``FlowEntered(at, contact_id, flow_id, flow_version, channel)``."""
new_node_visited: Callable[[float, str, str, str, str], NodeVisited] = _positional(NodeVisited)
"""``NodeVisited(at, contact_id, flow_id, node, kind)``."""
new_input_received: Callable[[float, str, str, str, str, str, bool], InputReceived] = _positional(
    InputReceived
)
"""``InputReceived(at, contact_id, flow_id, node, kind, value, valid)``."""
new_survey_answered: Callable[[float, str, str, str, int, str], SurveyAnswered] = _positional(
    SurveyAnswered
)
"""``SurveyAnswered(at, contact_id, flow_id, node, rating, comment)``."""
new_flow_exited: Callable[[float, str, str, str, FlowOutcome, float], FlowExited] = _positional(
    FlowExited
)
"""``FlowExited(at, contact_id, flow_id, node, outcome, duration_s)``."""
new_queue_offer_accepted: Callable[[float, str, str, str, str], QueueOfferAccepted] = _positional(
    QueueOfferAccepted
)
"""``QueueOfferAccepted(at, contact_id, flow_id, queue, offer)``."""
