"""Event distribution between the runtime and its listeners.

The port is :class:`EventBus`: ``publish(event_id, event)`` never blocks and never fails because
of a slow listener; each :class:`Subscription` has a bounded backlog, and a subscriber that falls
behind is cut off with :class:`SubscriberLagged` (it re-snapshots and resumes from the store), so
a frozen wallboard can never stall routing.

:class:`InProcessBus` is the embedded default. A NATS JetStream bus for several nodes is a later
adapter behind the same port.
"""

from __future__ import annotations

from madoguchi.bus._inprocess import EventBus, InProcessBus, SubscriberLagged, Subscription

__all__ = ["EventBus", "InProcessBus", "SubscriberLagged", "Subscription"]
