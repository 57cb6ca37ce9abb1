"""Scenario YAML → :class:`~madoguchi.sim.scenario.Scenario`, checked against the center.

Every problem is collected with its line and raised together as :class:`ScenarioError`
(``FILE:LINE: message`` per problem) before anything runs: unknown queues, skills or agents,
negative rates or shares, a profile that leaves part of the open hours uncovered, bad times.
The format is described in docs/simulation.md; ``madoguchi/samples/scenarios/`` has examples.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from madoguchi.core.config import CenterConfig
from madoguchi.core.model import Channel, SkillRequirement
from madoguchi.sim import distributions as d
from madoguchi.sim._located_yaml import (
    LocatedDict,
    LocatedList,
    YamlSyntaxError,
    line_of,
    load_located,
)
from madoguchi.sim._scenario_reader import Reader, ScenarioError, ScenarioProblem
from madoguchi.sim.profile import (
    DEFAULT_PROFILE,
    DEFAULT_WEEKDAY_FACTORS,
    FLAT_PROFILE,
    WEEKDAYS,
    IntradayProfile,
    ProfileSegment,
)
from madoguchi.sim.scenario import (
    AgentPool,
    Break,
    ContactKind,
    NotReadyPattern,
    Redial,
    Scenario,
)

__all__ = ["ScenarioError", "ScenarioProblem", "center_reference", "parse_scenario"]

_KNOWN_KEYS = {
    "name",
    "center",
    "date",
    "hours",
    "seed",
    "interval_minutes",
    "volume",
    "profile",
    "weekday_factors",
    "contacts",
    "redial",
    "agents",
    "drain_minutes",
    "staffing_plan",
    "staffing_interval_minutes",
}
_DEFAULT_DAY = dt.date(2026, 11, 24)


def parse_scenario(text: str, filename: str, center: CenterConfig) -> Scenario:
    """Read and check a scenario against ``center``; :class:`ScenarioError` lists problems."""
    reader = Reader(filename)
    try:
        root = load_located(text)
    except YamlSyntaxError as err:
        raise ScenarioError([ScenarioProblem(filename, err.line, err.message)]) from err
    top = reader.mapping(root, 1, "a scenario")
    if top is None:
        raise ScenarioError(reader.problems)
    scenario = _read(reader, top, center)
    if reader.problems or scenario is None:
        raise ScenarioError(reader.problems or [ScenarioProblem(filename, 1, "unreadable")])
    return scenario


def center_reference(text: str, filename: str) -> tuple[str, int]:
    """The scenario's ``center:`` value (default ``sample``) and its line."""
    try:
        root = load_located(text)
    except YamlSyntaxError as err:
        raise ScenarioError([ScenarioProblem(filename, err.line, err.message)]) from err
    if not isinstance(root, LocatedDict):
        raise ScenarioError([ScenarioProblem(filename, 1, "a scenario must be a mapping")])
    value = root.get("center", "sample")
    if not isinstance(value, str):
        raise ScenarioError(
            [ScenarioProblem(filename, line_of(root, "center"), "'center' must be a string")]
        )
    return value, line_of(root, "center")


def _read(r: Reader, top: LocatedDict, center: CenterConfig) -> Scenario | None:
    for key in top:
        if key not in _KNOWN_KEYS:
            r.fail(line_of(top, key), f"unknown key '{key}'")
    name = str(top.get("name", Path(r.filename).stem))
    day = _day(r, top)
    hours = r.mapping(top.get("hours", {}), line_of(top, "hours"), "'hours'")
    open_min = close_min = None
    if hours is not None:
        open_min = r.time_of_day(hours.get("open"), line_of(hours, "open"), "'open'")
        close_min = r.time_of_day(hours.get("close"), line_of(hours, "close"), "'close'")
        if open_min is not None and close_min is not None and close_min <= open_min:
            r.fail(line_of(hours, "close"), "'close' must be after 'open'")
    volume = r.number(top, "volume")
    seed = top.get("seed", 1)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        r.fail(line_of(top, "seed"), "'seed' must be a non-negative integer")
        seed = 1
    interval = top.get("interval_minutes", 15)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 1440:
        r.fail(line_of(top, "interval_minutes"), "'interval_minutes' must be 1–1440")
        interval = 15
    drain = top.get("drain_minutes", 60)
    if isinstance(drain, bool) or not isinstance(drain, int) or drain < 0:
        r.fail(line_of(top, "drain_minutes"), "'drain_minutes' must be a non-negative integer")
        drain = 60
    profile = _profile(r, top, open_min, close_min)
    factors = _weekday_factors(r, top)
    mix = _mix(r, top, center)
    redial = _redial(r, top)
    pools = _pools(r, top, center)
    plan = _plan(r, top)
    plan_interval = top.get("staffing_interval_minutes")
    if plan_interval is not None and (
        isinstance(plan_interval, bool) or not isinstance(plan_interval, int) or plan_interval < 1
    ):
        r.fail(line_of(top, "staffing_interval_minutes"), "must be a positive number of minutes")
        plan_interval = None
    if None in (day, open_min, close_min, volume, profile) or r.problems:
        return None
    assert day is not None
    assert open_min is not None
    assert close_min is not None
    assert volume is not None
    assert profile is not None
    return Scenario(
        name=name,
        day=day,
        open_min=open_min,
        close_min=close_min,
        volume=volume,
        mix=mix,
        pools=pools,
        center=str(top.get("center", "sample")),
        seed=seed,
        interval_min=interval,
        profile=profile,
        weekday_factors=factors,
        redial=redial,
        drain_min=drain,
        source=r.filename,
        staffing_plan=plan,
        staffing_interval_min=plan_interval,
    )


def _day(r: Reader, top: LocatedDict) -> dt.date | None:
    value = top.get("date", _DEFAULT_DAY)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    r.fail(line_of(top, "date"), f"'date' must be YYYY-MM-DD, not {value!r}")
    return None


def _profile(
    r: Reader, top: LocatedDict, open_min: int | None, close_min: int | None
) -> IntradayProfile | None:
    value = top.get("profile", "default")
    line = line_of(top, "profile")
    if value == "default":
        profile = DEFAULT_PROFILE
    elif value == "flat":
        profile = FLAT_PROFILE
    elif isinstance(value, LocatedList):
        segments: list[ProfileSegment] = []
        for i, item in enumerate(value):
            seg = r.mapping(item, line_of(value, i), "a profile segment")
            if seg is None:
                continue
            start = r.time_of_day(seg.get("start"), line_of(seg, "start"), "'start'")
            end = r.time_of_day(seg.get("end"), line_of(seg, "end"), "'end'")
            weight = r.number(seg, "weight")
            if start is not None and end is not None and end <= start:
                r.fail(line_of(seg, "end"), "'end' must be after 'start'")
            elif start is not None and end is not None and weight is not None:
                segments.append(ProfileSegment(start, end, weight))
        profile = IntradayProfile(tuple(segments))
    else:
        r.fail(line, "'profile' must be default, flat or a list of {start, end, weight}")
        return None
    if open_min is not None and close_min is not None and not profile.covers(open_min, close_min):
        r.fail(line, "the profile does not cover the open hours (every minute needs a segment)")
        return None
    return profile


def _weekday_factors(r: Reader, top: LocatedDict) -> tuple[float, ...]:
    value = top.get("weekday_factors", "default")
    if value == "default":
        return DEFAULT_WEEKDAY_FACTORS
    if value == "flat":
        return (1.0,) * 7
    m = r.mapping(value, line_of(top, "weekday_factors"), "'weekday_factors'")
    if m is None:
        return DEFAULT_WEEKDAY_FACTORS
    for key in m:
        if key not in WEEKDAYS:
            r.fail(line_of(m, key), f"unknown weekday '{key}' (use {', '.join(WEEKDAYS)})")
    return tuple(r.number(m, day, 1.0) or 0.0 for day in WEEKDAYS)


def _skills(r: Reader, value: Any, line: int, center: CenterConfig) -> tuple[tuple[str, int], ...]:
    m = r.mapping(value, line, "'skills'")
    if m is None:
        return ()
    known = {s.id for s in center.skills}
    skills: list[tuple[str, int]] = []
    for skill, level in m.items():
        if skill not in known:
            r.fail(line_of(m, skill), f"unknown skill '{skill}'")
        elif isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            r.fail(line_of(m, skill), f"proficiency of '{skill}' must be 1–10")
        else:
            skills.append((skill, level))
    return tuple(skills)


def _mix(r: Reader, top: LocatedDict, center: CenterConfig) -> tuple[ContactKind, ...]:
    value = top.get("contacts")
    if not isinstance(value, LocatedList) or not value:
        r.fail(line_of(top, "contacts"), "'contacts' must be a non-empty list")
        return ()
    queues = {q.id for q in center.queues}
    kinds: list[ContactKind] = []
    for i, item in enumerate(value):
        m = r.mapping(item, line_of(value, i), "a contact kind")
        if m is None:
            continue
        flow = m.get("flow")
        queue = m.get("queue")
        if queue is None and flow is not None:
            queue = _first_queue(center)
        elif queue not in queues:
            r.fail(line_of(m, "queue"), f"unknown queue {queue!r}")
        keys = m.get("flow_keys", [])
        if not isinstance(keys, list) or not all(isinstance(k, str | int) for k in keys):
            r.fail(line_of(m, "flow_keys"), "'flow_keys' must be a list of keys, e.g. ['3']")
            keys = []
        answer_delay = r.distribution(
            m.get("flow_answer_delay", 3), line_of(m, "flow_answer_delay"), "'flow_answer_delay'"
        )
        share = r.number(m, "share", 1.0)
        channel_name = m.get("channel", "voice")
        try:
            channel = Channel(channel_name)
        except ValueError:
            r.fail(line_of(m, "channel"), f"unknown channel {channel_name!r}")
            channel = Channel.VOICE
        skills = _skills(r, m["skills"], line_of(m, "skills"), center) if "skills" in m else ()
        handle = r.distribution(
            m.get("handle_time", {"distribution": "lognormal", "mean": 210, "cv": 1.0}),
            line_of(m, "handle_time"),
            "'handle_time'",
        )
        acw = None
        if m.get("after_contact_work") is not None:
            acw = r.distribution(
                m["after_contact_work"], line_of(m, "after_contact_work"), "after-contact work"
            )
        patience: d.Distribution | None = d.DEFAULT_PATIENCE
        if "patience" in m:
            patience = (
                None
                if m["patience"] in (None, "none")
                else r.distribution(m["patience"], line_of(m, "patience"), "'patience'")
            )
        accept_callback, accept_message = _queue_offers(r, m)
        priority = m.get("priority")
        if priority is not None and (isinstance(priority, bool) or not isinstance(priority, int)):
            r.fail(line_of(m, "priority"), "'priority' must be an integer")
            priority = None
        if handle is not None and share is not None and isinstance(queue, str):
            kinds.append(
                ContactKind(
                    queue=queue,
                    share=share,
                    channel=channel,
                    skills=tuple(SkillRequirement(s, p) for s, p in skills),
                    priority=priority,
                    handle_time=handle,
                    after_contact_work=acw,
                    patience=patience,
                    flow=None if flow is None else str(flow),
                    flow_keys=tuple(str(k) for k in keys),
                    flow_answer_delay=answer_delay or d.Fixed(3.0),
                    accept_callback=accept_callback,
                    accept_message=accept_message,
                )
            )
    if kinds and sum(k.share for k in kinds) <= 0:
        r.fail(line_of(top, "contacts"), "the contact shares add up to zero")
    return tuple(kinds)


def _queue_offers(r: Reader, kind: LocatedDict) -> tuple[float, float]:
    """``queue_offers: {callback: P, message: P}``: how often waiting callers take the
    queue-time offers of the kind's flow."""
    if kind.get("queue_offers") is None:
        return 0.0, 0.0
    line = line_of(kind, "queue_offers")
    m = r.mapping(kind["queue_offers"], line, "'queue_offers'")
    if m is None:
        return 0.0, 0.0
    if kind.get("flow") is None:
        r.fail(line, "'queue_offers' needs a 'flow': its enqueue node makes the offers")
    for key in m:
        if key not in ("callback", "message"):
            r.fail(line_of(m, key), f"unknown key '{key}' in 'queue_offers' (callback, message)")
    probabilities: list[float] = []
    for key in ("callback", "message"):
        value = r.number(m, key, 0.0) or 0.0
        if value > 1:
            r.fail(line_of(m, key), f"'{key}' must be a probability (0–1), not {value:g}")
            value = 0.0
        probabilities.append(value)
    callback, message = probabilities
    if callback + message > 1:
        r.fail(line, "'callback' and 'message' add up to more than 1")
        return 0.0, 0.0
    return callback, message


def _first_queue(center: CenterConfig) -> str | None:
    return center.queues[0].id if center.queues else None


def _redial(r: Reader, top: LocatedDict) -> Redial | None:
    if top.get("redial") is None:
        return None
    m = r.mapping(top["redial"], line_of(top, "redial"), "'redial'")
    if m is None:
        return None
    probability = r.number(m, "probability", 0.0) or 0.0
    if probability > 1:
        r.fail(line_of(m, "probability"), "'probability' must be at most 1")
    delay = r.distribution(m.get("delay", 300), line_of(m, "delay"), "'delay'")
    attempts = m.get("max_attempts", 3)
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        r.fail(line_of(m, "max_attempts"), "'max_attempts' must be a positive integer")
        attempts = 3
    return Redial(probability, delay or d.Fixed(300.0), attempts)


def _pools(r: Reader, top: LocatedDict, center: CenterConfig) -> tuple[AgentPool, ...]:
    value = top.get("agents")
    if not isinstance(value, LocatedList) or not value:
        r.fail(line_of(top, "agents"), "'agents' must be a non-empty list of agent pools")
        return ()
    known_agents = {a.id for a in center.agents}
    pools: list[AgentPool] = []
    for i, item in enumerate(value):
        m = r.mapping(item, line_of(value, i), "an agent pool")
        if m is None:
            continue
        name = str(m.get("name", f"pool{i + 1}"))
        ids: tuple[str, ...] = ()
        if "ids" in m:
            raw = m["ids"]
            if not isinstance(raw, LocatedList):
                r.fail(line_of(m, "ids"), "'ids' must be a list of agent ids")
            else:
                for j, agent_id in enumerate(raw):
                    if agent_id not in known_agents:
                        r.fail(line_of(raw, j), f"unknown agent {agent_id!r}")
                ids = tuple(str(a) for a in raw)
        count = len(ids) if ids else m.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            r.fail(line_of(m, "count"), "'count' must be a non-negative integer (or give 'ids')")
            count = 0
        skills = _skills(r, m["skills"], line_of(m, "skills"), center) if "skills" in m else ()
        if not skills and ids:
            skills = center.agent(ids[0]).skills if ids[0] in known_agents else ()
        shift = _shift(r, m, top)
        breaks = _breaks(r, m)
        not_ready = None
        if m.get("not_ready") is not None:
            nr = r.mapping(m["not_ready"], line_of(m, "not_ready"), "'not_ready'")
            if nr is not None:
                not_ready = NotReadyPattern(
                    per_hour=r.number(nr, "per_hour", 0.0) or 0.0,
                    duration=r.distribution(
                        nr.get("duration", 120), line_of(nr, "duration"), "'duration'"
                    )
                    or d.Fixed(120.0),
                    reason=str(nr.get("reason", "personal")),
                )
        ring = r.distribution(m.get("ring_delay", 3), line_of(m, "ring_delay"), "'ring_delay'")
        capacity = _capacity(r, m)
        tenant = m.get("tenant")
        if tenant is not None and tenant not in {t.id for t in center.tenants}:
            r.fail(line_of(m, "tenant"), f"unknown tenant {tenant!r}")
        if shift is not None:
            pools.append(
                AgentPool(
                    name=name,
                    count=count,
                    shift_start=shift[0],
                    shift_end=shift[1],
                    skills=skills,
                    agent_ids=ids,
                    prefix=None if m.get("prefix") is None else str(m["prefix"]),
                    tenant=None if tenant is None else str(tenant),
                    breaks=breaks,
                    not_ready=not_ready,
                    ring_delay=ring or d.Fixed(3.0),
                    capacity=capacity,
                )
            )
    return tuple(pools)


def _capacity(r: Reader, m: LocatedDict) -> tuple[tuple[Channel, int], ...]:
    value = m.get("capacity")
    if value is None:
        return ((Channel.VOICE, 1),)
    found = r.mapping(value, line_of(m, "capacity"), "'capacity'")
    if found is None:
        return ((Channel.VOICE, 1),)
    capacity: list[tuple[Channel, int]] = []
    for name, count in found.items():
        try:
            channel = Channel(name)
        except ValueError:
            r.fail(line_of(found, name), f"unknown channel {name!r}")
            continue
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            r.fail(line_of(found, name), f"capacity of {name!r} must be a positive integer")
            continue
        capacity.append((channel, 1 if channel is Channel.VOICE else count))
    return tuple(capacity)


def _shift(r: Reader, m: LocatedDict, top: LocatedDict) -> tuple[int, int] | None:
    value = m.get("shift")
    if value is None:
        hours = top.get("hours")
        if isinstance(hours, LocatedDict):
            value = f"{hours.get('open')}-{hours.get('close')}"
    if not isinstance(value, str) or "-" not in value:
        r.fail(line_of(m, "shift"), "'shift' must be HH:MM-HH:MM")
        return None
    first, _, last = value.partition("-")
    line = line_of(m, "shift")
    start = r.time_of_day(first.strip(), line, "shift start")
    end = r.time_of_day(last.strip(), line, "shift end")
    if start is None or end is None:
        return None
    if end <= start:
        r.fail(line, "the shift must end after it starts")
        return None
    return start, end


def _breaks(r: Reader, m: LocatedDict) -> tuple[Break, ...]:
    value = m.get("breaks")
    if value is None:
        return ()
    if not isinstance(value, LocatedList):
        r.fail(line_of(m, "breaks"), "'breaks' must be a list")
        return ()
    breaks: list[Break] = []
    for i, item in enumerate(value):
        b = r.mapping(item, line_of(value, i), "a break")
        if b is None:
            continue
        start = r.time_of_day(b.get("start"), line_of(b, "start"), "break 'start'")
        minutes = r.number(b, "minutes")
        spread = r.number(b, "spread_minutes", 0.0)
        if start is not None and minutes is not None:
            breaks.append(Break(start, minutes, int(spread or 0)))
    return tuple(breaks)


def _plan(r: Reader, top: LocatedDict) -> tuple[int, ...] | None:
    value = top.get("staffing_plan")
    if value is None:
        return None
    if not isinstance(value, LocatedList):
        r.fail(line_of(top, "staffing_plan"), "'staffing_plan' must be a list of agent counts")
        return None
    for i, n in enumerate(value):
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            r.fail(line_of(value, i), f"agent count {n!r} must be a non-negative integer")
    return tuple(int(n) for n in value if isinstance(n, int))
