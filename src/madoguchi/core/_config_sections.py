"""Reading the center file's people and codes: tenants, skills, teams, agents, codes, metrics.

Queues are read by :mod:`madoguchi.core._config_queues`, calendars by
:mod:`madoguchi.core._config_calendars`; references between sections go through
:class:`~madoguchi.core._config_refs.References`.
"""

from __future__ import annotations

import re

import yaml

from madoguchi.core import _config_values as values
from madoguchi.core._config_nodes import NodeReader, label, suggestion
from madoguchi.core._config_refs import References, read_timezone, skill_levels, tenant_of
from madoguchi.core._config_trunks import read_trunk
from madoguchi.core.config import (
    DISPOSITION_CATEGORIES,
    AgentConfig,
    CodeConfig,
    LocalizedText,
    MetricsConfig,
    SkillConfig,
    TeamConfig,
    TenantConfig,
)
from madoguchi.core.model import Channel, WorkMode

_NUMBER = re.compile(r"^\+?[0-9][0-9\-() ]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
_MAX_CAPACITY = 20

TENANT_KEYS = ("id", "name", "timezone", "numbers", "main_flow", "trunk")
SKILL_KEYS = ("id", "name")
TEAM_KEYS = ("id", "tenant", "name", "supervisor", "work_mode", "max_continuous_queue")
AGENT_KEYS = (
    "id", "tenant", "name", "team", "skills", "capacity", "work_mode", "extension", "languages",
)  # fmt: skip
CODE_KEYS = ("code", "name", "tenant", "category")
METRICS_KEYS = ("short_abandon", "intervals_min")


def read_tenant(
    reader: NodeReader, refs: References, node: yaml.Node, default_timezone: str
) -> TenantConfig | None:
    """``{id, name, timezone?, numbers?, main_flow?, trunk?}``."""
    fields = reader.mapping(node, label(node, "tenant"), TENANT_KEYS, required=("id", "name"))
    if fields is None or "id" not in fields or "name" not in fields:
        return None
    ident = reader.ident(fields["id"], "tenant id")
    what = f"tenant '{ident}'"
    name = reader.text(fields["name"], f"{what} name")
    zone = default_timezone
    if "timezone" in fields:
        zone = read_timezone(reader, fields["timezone"], f"{what} timezone") or zone
    numbers: list[str] = []
    for number_node, number in (
        reader.strings(fields.get("numbers", _EMPTY), f"{what} numbers") or []
    ):
        if not _NUMBER.match(number):
            reader.report(number_node, f"{what}: '{number}' is not a phone number (digits, +, -)")
            continue
        if refs.declare("number", number, number_node):
            numbers.append(number)
    main_flow = None
    if "main_flow" in fields:
        main_flow = reader.ident(fields["main_flow"], f"{what} main_flow")
    trunk = read_trunk(reader, fields["trunk"], what) if "trunk" in fields else None
    declared = ident is not None and refs.declare("tenant", ident, fields["id"])
    if ident is None or name is None or not declared:
        return None
    return TenantConfig(ident, name, zone, tuple(numbers), main_flow, trunk)


def read_skill(reader: NodeReader, refs: References, node: yaml.Node) -> SkillConfig | None:
    """``{id, name?}``."""
    fields = reader.mapping(node, label(node, "skill"), SKILL_KEYS, required=("id",))
    if fields is None or "id" not in fields:
        return None
    ident = reader.ident(fields["id"], "skill id")
    if ident is None:
        return None
    name = LocalizedText(ident)
    if "name" in fields:
        name = reader.text(fields["name"], f"skill '{ident}' name") or name
    if not refs.declare("skill", ident, fields["id"]):
        return None
    return SkillConfig(ident, name)


def read_team(
    reader: NodeReader, refs: References, node: yaml.Node, default_tenant: str
) -> TeamConfig | None:
    """``{id, name, tenant?, supervisor?, work_mode?, max_continuous_queue?}``."""
    fields = reader.mapping(node, label(node, "team"), TEAM_KEYS, required=("id", "name"))
    if fields is None or "id" not in fields or "name" not in fields:
        return None
    ident = reader.ident(fields["id"], "team id")
    what = f"team '{ident}'"
    ok = ident is not None and refs.declare("team", ident, fields["id"])
    name = reader.text(fields["name"], f"{what} name")
    tenant = tenant_of(reader, refs, fields, what, default_tenant)
    supervisor = None
    if "supervisor" in fields:
        supervisor = reader.ident(fields["supervisor"], f"{what} supervisor")
        if supervisor is not None:
            refs.use("agent", supervisor, fields["supervisor"], f"{what} supervisor")
    mode: WorkMode | None = WorkMode.INBOUND
    if "work_mode" in fields:
        mode = reader.choice(fields["work_mode"], f"{what} work_mode", WorkMode)
    rotate = None
    if "max_continuous_queue" in fields:
        rotate = reader.parsed(
            fields["max_continuous_queue"], f"{what} max_continuous_queue", values.parse_duration
        )
        if rotate is None:
            return None
    if not ok or ident is None or name is None or mode is None:
        return None
    return TeamConfig(ident, tenant, name, supervisor, mode, rotate)


def read_agents(
    reader: NodeReader,
    refs: References,
    nodes: list[yaml.Node],
    default_tenant: str,
    team_modes: dict[str, WorkMode],
) -> list[AgentConfig]:
    """Every agent; an agent without ``work_mode`` takes its team's."""
    agents = []
    for node in nodes:
        agent = _read_agent(reader, refs, node, default_tenant, team_modes)
        if agent is not None:
            agents.append(agent)
    return agents


def _read_agent(
    reader: NodeReader,
    refs: References,
    node: yaml.Node,
    default_tenant: str,
    team_modes: dict[str, WorkMode],
) -> AgentConfig | None:
    fields = reader.mapping(node, label(node, "agent"), AGENT_KEYS, required=("id", "name"))
    if fields is None or "id" not in fields or "name" not in fields:
        return None
    ident = reader.ident(fields["id"], "agent id")
    what = f"agent '{ident}'"
    ok = ident is not None and refs.declare("agent", ident, fields["id"])
    name = reader.string(fields["name"], f"{what} name")
    tenant = tenant_of(reader, refs, fields, what, default_tenant)
    team = None
    if "team" in fields:
        team = reader.ident(fields["team"], f"{what} team")
        if team is not None:
            refs.use("team", team, fields["team"], f"{what} team")
    skills = skill_levels(reader, refs, fields.get("skills"), what, "")
    capacity = _capacity(reader, fields.get("capacity"), what)
    mode: WorkMode | None = team_modes.get(team or "", WorkMode.INBOUND)
    if "work_mode" in fields:
        mode = reader.choice(fields["work_mode"], f"{what} work_mode", WorkMode)
    extension = None
    if "extension" in fields:
        extension = reader.string(fields["extension"], f"{what} extension")
        if extension is not None and not refs.declare("extension", extension, fields["extension"]):
            ok = False
    languages: list[str] = []
    for lang_node, lang in reader.strings(fields.get("languages", _JA), f"{what} languages") or []:
        if _LANGUAGE.match(lang):
            languages.append(lang)
        else:
            reader.report(lang_node, f"{what}: '{lang}' is not a language code (ja, en, zh…)")
    if not ok or ident is None or name is None or capacity is None or mode is None:
        return None
    return AgentConfig(
        ident, tenant, name, team, tuple(skills), capacity, mode, extension, tuple(languages)
    )


def _capacity(
    reader: NodeReader, node: yaml.Node | None, what: str
) -> tuple[tuple[Channel, int], ...] | None:
    """``{voice: 1, chat: 3, email: 5}``: contacts of each channel at once."""
    if node is None:
        return ((Channel.VOICE, 1),)
    pairs = reader.free_mapping(node, f"{what} capacity")
    if pairs is None:
        return None
    capacity: list[tuple[Channel, int]] = []
    for key_node, value_node in pairs:
        channel = reader.choice(key_node, f"{what} capacity channel", Channel)
        high = 1 if channel is Channel.VOICE else _MAX_CAPACITY
        count = reader.integer(value_node, f"{what} capacity {key_node.value}", 0)
        if count is not None and count > high:
            hint = "voice is exclusive: one call at a time" if high == 1 else f"at most {high}"
            reader.report(value_node, f"{what} capacity {key_node.value} is {count}: {hint}")
            return None
        if channel is None or count is None:
            return None
        if count > 0:
            capacity.append((channel, count))
    if not capacity:
        reader.report(node, f"{what} capacity is 0 for every channel: the agent could take nothing")
        return None
    return tuple(capacity)


def read_codes(
    reader: NodeReader, refs: References, nodes: list[yaml.Node], kind: str
) -> list[CodeConfig]:
    """Disposition (wrap-up) codes or not-ready reasons: ``{code, name, tenant?, category?}``."""
    codes = []
    for node in nodes:
        fields = reader.mapping(
            node, label(node, kind, "code"), CODE_KEYS, required=("code", "name")
        )
        if fields is None or "code" not in fields or "name" not in fields:
            continue
        code = reader.ident(fields["code"], f"{kind} code")
        what = f"{kind} '{code}'"
        name = reader.text(fields["name"], f"{what} name")
        tenant = None
        if "tenant" in fields:
            tenant = reader.ident(fields["tenant"], f"{what} tenant")
            if tenant is not None:
                refs.use("tenant", tenant, fields["tenant"], f"{what} tenant")
        category = ""
        if "category" in fields:
            category = reader.ident(fields["category"], f"{what} category") or ""
            if kind == "disposition" and category and category not in DISPOSITION_CATEGORIES:
                reader.report(
                    fields["category"],
                    f"{what}: category '{category}' is not known"
                    f"{suggestion(category, DISPOSITION_CATEGORIES)}; use one of: "
                    + ", ".join(sorted(DISPOSITION_CATEGORIES)),
                )
                continue
        if code is None or name is None:
            continue
        scope = kind if tenant is None else f"{kind} of tenant '{tenant}'"
        if refs.declare(scope, code, fields["code"]):
            codes.append(CodeConfig(code, name, tenant, category))
    return codes


def read_metrics(reader: NodeReader, node: yaml.Node) -> MetricsConfig | None:
    """``{short_abandon: 5s, intervals_min: [15, 30, 60]}``."""
    fields = reader.mapping(node, "metrics", METRICS_KEYS)
    if fields is None:
        return None
    short = 5.0
    if "short_abandon" in fields:
        parsed = reader.parsed(
            fields["short_abandon"], "metrics short_abandon", values.parse_duration
        )
        if parsed is None:
            return None
        short = parsed
    intervals: list[int] = [15, 30, 60]
    if "intervals_min" in fields:
        intervals = []
        for item in reader.sequence(fields["intervals_min"], "metrics intervals_min") or []:
            minutes = reader.integer(item, "metrics interval", 1, 1440)
            if minutes is not None and 1440 % minutes:
                reader.report(item, f"metrics interval {minutes} min does not divide a day")
            elif minutes is not None:
                intervals.append(minutes)
    return MetricsConfig(short, tuple(intervals))


_EMPTY = yaml.SequenceNode("tag:yaml.org,2002:seq", [])
_JA = yaml.ScalarNode("tag:yaml.org,2002:str", "ja")
