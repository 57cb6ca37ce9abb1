"""Which live events a client may receive: its tenant's, and for agents only their own.

Events name their tenant directly (``ContactQueued.tenant``) or through an agent or a queue of
the configuration; an event that names none of these (a center-wide fact) goes to supervisors
and admins of every tenant.
"""

from __future__ import annotations

from collections.abc import Callable

from madoguchi.api.context import Principal, Role
from madoguchi.core.config import CenterConfig
from madoguchi.core.events import Event

_AGENT_FIELDS = ("agent_id", "from_agent", "to_agent")
_QUEUE_FIELDS = ("queue_id", "from_queue", "to_queue")


class TenantResolver:
    """Finds the tenant of an event from its fields and the configuration."""

    def __init__(self, config: CenterConfig) -> None:
        self._agents = {agent.id: agent.tenant for agent in config.agents}
        self._queues = {queue.id: queue.tenant for queue in config.queues}

    def tenant_of(self, item: Event) -> str | None:
        """The tenant ``item`` belongs to, or None for a center-wide event."""
        tenant = getattr(item, "tenant", None)
        if isinstance(tenant, str):
            return tenant
        for name in _AGENT_FIELDS:
            value = getattr(item, name, None)
            if value and value in self._agents:
                return self._agents[value]
        for name in _QUEUE_FIELDS:
            value = getattr(item, name, None)
            if value and value in self._queues:
                return self._queues[value]
        return None

    def agent_tenant(self, agent_id: str) -> str | None:
        """The tenant of a configured agent."""
        return self._agents.get(agent_id)

    def queue_tenant(self, queue_id: str) -> str | None:
        """The tenant of a configured queue."""
        return self._queues.get(queue_id)


def names_agent(item: Event, agent_id: str) -> bool:
    """Whether ``item`` is about ``agent_id`` (their state, their offer, their contact)."""
    return any(getattr(item, name, None) == agent_id for name in _AGENT_FIELDS)


def event_filter(resolver: TenantResolver, viewer: Principal) -> Callable[[Event], bool]:
    """The predicate choosing the events ``viewer`` receives."""
    if viewer.role is Role.AGENT:
        agent_id = viewer.agent_id
        if agent_id is None:
            return lambda item: False
        return lambda item: names_agent(item, agent_id)
    tenant = viewer.tenant

    def same_tenant(item: Event) -> bool:
        found = resolver.tenant_of(item)
        return found is None or found == tenant

    return same_tenant
