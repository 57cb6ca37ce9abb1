"""Turn the text of a center file (YAML) into a :class:`~madoguchi.core.config.CenterConfig`.

:func:`parse_center` is pure: it gets the text and the file name (only used in messages) and
either returns the whole configuration or raises :class:`ConfigError` listing **every** problem
found, each with its line (``FILE:LINE: message``), and loads nothing. The format is described
in ``docs/configuration.md``; ``madoguchi/samples/center.yaml`` is a complete example.

Errors::

    ValueError
     └── ConfigError            .problems: list[Problem(filename, line, message)]
"""

from __future__ import annotations

import yaml

from madoguchi.core import _config_sections as sections
from madoguchi.core._config_calendars import read_calendar
from madoguchi.core._config_nodes import NodeReader, Problem, suggestion
from madoguchi.core._config_queues import check_overflow_chains, read_queues
from madoguchi.core._config_refs import References, read_timezone
from madoguchi.core.config import (
    DEFAULT_TIMEZONE,
    CenterConfig,
    LocalizedText,
    MetricsConfig,
)

__all__ = ["ConfigError", "Problem", "parse_center"]

TOP_LEVEL_KEYS = (
    "version",
    "name",
    "timezone",
    "unmapped_numbers_to_main_flow",
    "metrics",
    "tenants",
    "calendars",
    "skills",
    "queues",
    "teams",
    "agents",
    "dispositions",
    "not_ready_reasons",
)
FORMAT_VERSION = 1
#: libyaml's safe loader when PyYAML was built with it (10× faster), else the pure-Python one.
_SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class ConfigError(ValueError):
    """A center file has problems; nothing was loaded. ``problems`` holds each with its line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def parse_center(text: str, filename: str) -> CenterConfig:
    """Read a center file's text; raise :class:`ConfigError` with all problems if any."""
    reader = NodeReader(filename)
    try:
        root = yaml.compose(text, Loader=_SAFE_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        what = err.problem or err.context or "invalid YAML"
        raise ConfigError([Problem(filename, line, f"YAML syntax error: {what}")]) from err
    except yaml.YAMLError as err:
        raise ConfigError([Problem(filename, 1, f"YAML error: {err}")]) from err
    if root is None:
        raise ConfigError([Problem(filename, 1, "the file is empty: a center needs tenants")])
    config = _read_center(reader, root)
    if reader.problems or config is None:
        problems = sorted(reader.problems, key=lambda p: p.line)
        raise ConfigError(problems or [Problem(filename, 1, "the center could not be read")])
    return config


def _read_center(reader: NodeReader, root: yaml.Node) -> CenterConfig | None:
    fields = reader.mapping(root, "the center file", TOP_LEVEL_KEYS, required=("tenants",))
    if fields is None:
        return None
    if "version" in fields:
        version = reader.integer(fields["version"], "version")
        if version is not None and version != FORMAT_VERSION:
            reader.report(
                fields["version"], f"version {version} is not supported (this is {FORMAT_VERSION})"
            )
    timezone = DEFAULT_TIMEZONE
    if "timezone" in fields:
        timezone = read_timezone(reader, fields["timezone"], "timezone") or DEFAULT_TIMEZONE
    refs = References(reader)
    tenants = [
        t
        for t in (
            sections.read_tenant(reader, refs, i, timezone)
            for i in _items(reader, fields, "tenants")
        )
        if t is not None
    ]
    default_tenant = tenants[0].id if tenants else ""
    calendars = []
    for item in _items(reader, fields, "calendars"):
        read = read_calendar(reader, item, timezone)
        if read is None:
            continue
        calendar, cal_fields = read
        refs.declare("calendar", calendar.id, cal_fields["id"])
        if "timezone" in cal_fields:
            read_timezone(reader, cal_fields["timezone"], f"calendar '{calendar.id}' timezone")
        if "holiday_country" in cal_fields:
            _holiday_country(reader, cal_fields["holiday_country"], calendar.holiday_country)
        calendars.append(calendar)
    skills = [
        s
        for s in (sections.read_skill(reader, refs, i) for i in _items(reader, fields, "skills"))
        if s is not None
    ]
    queues = read_queues(reader, refs, _items(reader, fields, "queues"), default_tenant)
    teams = [
        t
        for t in (
            sections.read_team(reader, refs, i, default_tenant)
            for i in _items(reader, fields, "teams")
        )
        if t is not None
    ]
    team_modes = {t.id: t.work_mode for t in teams}
    agents = sections.read_agents(
        reader, refs, _items(reader, fields, "agents"), default_tenant, team_modes
    )
    dispositions = sections.read_codes(
        reader, refs, _items(reader, fields, "dispositions"), "disposition"
    )
    reasons = sections.read_codes(
        reader, refs, _items(reader, fields, "not_ready_reasons"), "not-ready reason"
    )
    metrics = MetricsConfig()
    if "metrics" in fields:
        metrics = sections.read_metrics(reader, fields["metrics"]) or metrics
    name = tenants[0].name if tenants else LocalizedText("madoguchi")
    if "name" in fields:
        name = reader.text(fields["name"], "name") or name
    unmapped = False
    if "unmapped_numbers_to_main_flow" in fields:
        unmapped = bool(
            reader.boolean(fields["unmapped_numbers_to_main_flow"], "unmapped_numbers_to_main_flow")
        )
    refs.check()
    check_overflow_chains(reader, queues)
    if "tenants" in fields and _is_empty_list(fields["tenants"]):
        reader.report(fields["tenants"], "tenants: list at least one company the center serves")
    return CenterConfig(
        name=name,
        timezone=timezone,
        tenants=tuple(tenants),
        calendars=tuple(calendars),
        skills=tuple(skills),
        queues=tuple(q for q, _ in queues),
        teams=tuple(teams),
        agents=tuple(agents),
        dispositions=tuple(dispositions),
        not_ready_reasons=tuple(reasons),
        metrics=metrics,
        unmapped_numbers_to_main_flow=unmapped,
    )


def _is_empty_list(node: yaml.Node) -> bool:
    return isinstance(node, yaml.SequenceNode) and not node.value


def _items(reader: NodeReader, fields: dict[str, yaml.Node], key: str) -> list[yaml.Node]:
    if key not in fields:
        return []
    return reader.sequence(fields[key], key) or []


def _holiday_country(reader: NodeReader, node: yaml.Node, country: str) -> None:
    import holidays

    supported = holidays.list_supported_countries()
    if country not in supported:
        reader.report(
            node,
            f"holiday_country '{country}' has no holiday table{suggestion(country, supported)}; "
            "use an ISO country code such as JP",
        )
