"""Shared builders for core tests: small centers and contacts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from madoguchi.core.config import (
    AgentConfig,
    CenterConfig,
    LocalizedText,
    QueueConfig,
    SkillConfig,
    TeamConfig,
    TenantConfig,
)
from madoguchi.core.model import Channel, Contact, Direction, SkillRequirement

T0 = 1_767_225_600.0
"""2026-01-01 00:00 UTC (09:00 in Tokyo): the start instant of scripted days."""


def center(
    queues: Sequence[QueueConfig],
    agents: Sequence[AgentConfig],
    teams: Sequence[TeamConfig] = (),
    **kwargs: Any,
) -> CenterConfig:
    """A center with tenant "acme" and every skill the queues and agents mention."""
    skills = {r.skill for q in queues for r in q.skills} | {s for a in agents for s, _ in a.skills}
    return CenterConfig(
        name=LocalizedText("テスト窓口", "test center"),
        tenants=(TenantConfig("acme", LocalizedText("アクメ")),),
        skills=tuple(SkillConfig(s, LocalizedText(s)) for s in sorted(skills)),
        queues=tuple(queues),
        agents=tuple(agents),
        teams=tuple(teams),
        **kwargs,
    )


def queue(queue_id: str, *skills: str, **kwargs: Any) -> QueueConfig:
    """A voice queue needing ``skills`` at proficiency 1."""
    return QueueConfig(
        id=queue_id,
        tenant="acme",
        name=LocalizedText(queue_id),
        skills=tuple(SkillRequirement(s) for s in skills),
        **kwargs,
    )


def agent(agent_id: str, *skills: str | tuple[str, int], **kwargs: Any) -> AgentConfig:
    """An agent with skills (name, or (name, proficiency); default proficiency 5)."""
    pairs = tuple((s, 5) if isinstance(s, str) else s for s in skills)
    return AgentConfig(id=agent_id, tenant="acme", name=agent_id, skills=pairs, **kwargs)


def contact(
    contact_id: str,
    channel: Channel = Channel.VOICE,
    at: float = T0,
    skills: tuple[SkillRequirement, ...] = (),
    direction: Direction = Direction.INBOUND,
    **kwargs: Any,
) -> Contact:
    """An inbound contact of tenant "acme"."""
    return Contact(
        id=contact_id,
        channel=channel,
        direction=direction,
        tenant="acme",
        created_at=at,
        skills=skills,
        from_address=kwargs.pop("from_address", "0312345678"),
        **kwargs,
    )


@pytest.fixture(scope="session")
def build() -> Callable[..., Any]:
    """The builders as one namespace: ``build.center(...)``, ``build.queue(...)``…"""

    class Builders:
        pass

    ns: Any = Builders()
    ns.center = center
    ns.queue = queue
    ns.agent = agent
    ns.contact = contact
    ns.T0 = T0
    return ns  # type: ignore[no-any-return]
