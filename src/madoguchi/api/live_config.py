"""Putting an edited configuration into the running center, without a restart.

The admin pages write a new version of the center file (:mod:`madoguchi.api.config_edit`, which
checks it with the loader first). :func:`apply` then compares it with what the center runs and
puts it in service:

* **agents' skills** (the agents section, ``PUT admin/agents/{id}/skills``, the supervisor's
  move) go to routing as ``SetAgentSkills`` commands, one per changed agent: logged as
  ``AgentSkillsChanged``, so a restart replays them; a ready agent is offered a fitting waiting
  contact at once;
* **calendars** (weekly hours, national holidays, closures, special days), **dispositions** and
  **not-ready reasons** are read by routing, the flows and the API when they are used: the new
  configuration object replaces the running one in one step of the event loop (the runtime, the
  routing engine, the metrics, the stream's tenant filter and every registered listener, e.g.
  the voice gateway's flow environment), so the next contact sees all of it or none of it;
* talk scripts live in the database and were already live.

What routing builds its structures from at start — the queues themselves, the skill catalogue,
agents added or removed or moved between tenants and teams, tenants, numbers, metrics
intervals — still needs a restart: :func:`apply` says which sections wait for one, and then
swaps nothing but the skills (a half-swapped center would be worse than a restart).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from madoguchi.api.context import ApiContext
from madoguchi.core.config import CenterConfig
from madoguchi.core.config_document import center_document
from madoguchi.core.routing import commands as rc

_log = logging.getLogger("madoguchi.api.live_config")

#: Sections that take effect by swapping the configuration object.
SWAPPABLE = frozenset({"calendars", "dispositions", "not_ready_reasons"})
#: ``ctx.extras`` key: callables ``(config) -> None`` told about a swapped configuration.
LISTENERS_KEY = "config_listeners"

ConfigListener = Callable[[CenterConfig], None]


@dataclass(slots=True)
class LiveOutcome:
    """What an edit changed in the running center."""

    applied: list[str] = field(default_factory=list)
    """Sections now in service (``skills of op02``, ``calendars``…)."""
    waiting: list[str] = field(default_factory=list)
    """Sections that take effect at the next restart."""

    @property
    def restart_required(self) -> bool:
        """Whether part of the edit waits for a restart."""
        return bool(self.waiting)


def add_listener(extras: dict[str, Any], listener: ConfigListener) -> None:
    """Call ``listener(new_config)`` whenever an edited configuration is swapped in."""
    extras.setdefault(LISTENERS_KEY, []).append(listener)


def _without_skills(agent: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in agent.items() if k != "skills"}


def plan(running: CenterConfig, edited: CenterConfig) -> tuple[list[str], dict[str, list[str]]]:
    """What differs: (agents whose skills changed, {section: why it waits for a restart})."""
    before = center_document(running)
    after = center_document(edited)
    skills_changed: list[str] = []
    waiting: dict[str, list[str]] = {}
    for section in after.keys() | before.keys():
        if section == "agents" or section in SWAPPABLE:
            continue
        if before.get(section) != after.get(section):
            waiting.setdefault(section, []).append("changed")
    old_agents = {a["id"]: a for a in before["agents"]}
    new_agents = {a["id"]: a for a in after["agents"]}
    if old_agents.keys() != new_agents.keys():
        waiting.setdefault("agents", []).append("agents added or removed")
    for agent_id, new in new_agents.items():
        old = old_agents.get(agent_id)
        if old is None:
            continue
        if _without_skills(old) != _without_skills(new):
            waiting.setdefault("agents", []).append(f"{agent_id}: more than skills changed")
        if old.get("skills") != new.get("skills"):
            skills_changed.append(agent_id)
    return skills_changed, waiting


async def apply(ctx: ApiContext, edited: CenterConfig) -> LiveOutcome:
    """Put ``edited`` (already checked by the loader) into service as far as it can be live.

    Runs in the event loop. Routing refusals of a skills command (a skill routing does not
    know yet: added in the same edit) leave that agent for the restart, never half-applied."""
    runtime = ctx.runtime
    running: CenterConfig = runtime.config
    skills_changed, waiting = plan(running, edited)
    outcome = LiveOutcome(waiting=[f"{s} ({', '.join(why)})" for s, why in sorted(waiting.items())])
    for agent_id in skills_changed:
        skills = edited.agent(agent_id).skills
        try:
            await runtime.submit(rc.SetAgentSkills(agent_id, tuple(skills)))
        except Exception as err:  # a RoutingError: the agent waits for the restart
            _log.warning("skills of %s not applied live: %s", agent_id, err)
            outcome.waiting.append(f"skills of {agent_id} ({err})")
        else:
            outcome.applied.append(f"skills of {agent_id}")
    if waiting:
        return outcome
    swapped = [
        s for s in sorted(SWAPPABLE) if center_document(running)[s] != center_document(edited)[s]
    ]
    swap(ctx, edited)
    outcome.applied += swapped
    return outcome


def swap(ctx: ApiContext, edited: CenterConfig) -> None:
    """Replace the running configuration object everywhere at once (no await in between)."""
    runtime = ctx.runtime
    runtime.config = edited
    engine = runtime.engine
    engine.config = edited
    # Routing keeps each queue's current open/closed span of its calendar until the span ends;
    # forget them so the new hours and holidays count from now, and re-arm the closing timer.
    # (A reconfigure method of the engine and the runtime would be the better home for this.)
    spans = getattr(engine, "_calendar", None)
    if isinstance(spans, dict):
        spans.clear()
    runtime.metrics.config = edited
    hub = ctx.extras.get("stream_hub")
    if hub is not None:
        hub.reconfigure()
    for listener in ctx.extras.get(LISTENERS_KEY, []):
        try:
            listener(edited)
        except Exception:  # one listener's bug must not leave the others on the old config
            _log.exception("configuration listener %r failed", listener)
    rearm = getattr(runtime, "_rearm", None)
    if callable(rearm):
        rearm()
    _log.info("configuration swapped in without a restart")
