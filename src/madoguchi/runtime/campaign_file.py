"""The campaign file of ``madoguchi serve --campaigns FILE``: campaigns to dial over SIP trunks.

A YAML file with a ``campaigns`` list; each entry holds the campaign's fields, the agents who
work it and the CSV call list (a path relative to the file, imported with the list importer:
numbers normalized by phonenumbers, a file with a bad row is refused with its row numbers)::

    campaigns:
      - id: renewal
        tenant: midori            # its trunk (center file, tenants[].trunk) carries the calls
        name: 更新のご案内
        type: reminder            # sales, appointment, survey, reminder, collection, notice
        mode: progressive         # progressive or predictive (preview/agentless: not over SIP yet)
        queue: orders
        agents: [op04, op05]
        list: renewal.csv
        do_not_call: refused.csv  # optional: numbers the tenant must never call (phone column)
        calling_hours: "09:00-20:00"   # callee's time; Mon–Fri unless every_day: true
        every_day: false
        holidays_closed: true     # no calls on Japanese national holidays
        max_attempts: 3
        ring_timeout: 25          # seconds before an unanswered call counts as no answer
        connect_rule: 2           # seconds an answered callee may wait for an agent
        target_abandon: 0.03
        recorded_message: みどり通販です。…改めてお電話いたします。

Problems are reported as ``FILE:LINE: message`` (:class:`CampaignFileError`). ``madoguchi
serve`` imports a good file into the outbound tables
(:func:`madoguchi.runtime.outbound.import_campaign_specs`): the database is what the running
server dials, so the campaigns can then be paused, resumed or stopped through the API and the
browser like any other.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from madoguchi.core.config import CenterConfig, TimeRange
from madoguchi.core.dialer import (
    Campaign,
    CampaignStatus,
    CampaignType,
    DialingMode,
    ListImportError,
    ListRecord,
    parse_call_list,
)

KEYS = frozenset(
    {
        "id", "tenant", "name", "type", "mode", "queue", "agents", "list", "calling_hours",
        "every_day", "holidays_closed", "max_attempts", "ring_timeout", "connect_rule",
        "target_abandon", "recorded_message", "do_not_call",
    }
)  # fmt: skip
_HOURS = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")
DEFAULT_MESSAGE = "ただいま担当者がお話しできません。改めてお電話いたします。失礼いたします。"


class CampaignFileError(ValueError):
    """A campaign file that cannot be used; ``problems`` are ``FILE:LINE: message`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CampaignSpec:
    """One campaign from the file, ready for the outbound gateway."""

    campaign: Campaign
    agents: tuple[str, ...]
    records: tuple[ListRecord, ...]
    recorded_message: str
    do_not_call: tuple[str, ...] = ()
    """E.164 numbers on the tenant-wide do-not-call list (checked at every dial)."""


def load_campaign_file(path: Path, config: CenterConfig) -> list[CampaignSpec]:
    """Read and check ``path`` against the center; raises :class:`CampaignFileError`."""
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as err:
        raise CampaignFileError([f"{path}:1: {err}"]) from err
    if not isinstance(root, yaml.MappingNode):
        raise CampaignFileError([f"{path}:1: expected a mapping with a 'campaigns' list"])
    top = {key.value: value for key, value in root.value}
    entries = top.get("campaigns")
    if not isinstance(entries, yaml.SequenceNode):
        raise CampaignFileError([f"{path}:1: 'campaigns' must be a list"])
    problems: list[str] = []
    specs: list[CampaignSpec] = []
    for node in entries.value:
        line = node.start_mark.line + 1
        try:
            specs.append(_read_campaign(path, node, config))
        except CampaignFileError as err:
            problems.extend(err.problems)
        except (ValueError, TypeError) as err:
            problems.append(f"{path}:{line}: {err}")
    ids = [s.campaign.id for s in specs]
    if len(set(ids)) != len(ids):
        problems.append(f"{path}:1: campaign ids must be unique")
    if problems:
        raise CampaignFileError(problems)
    return specs


def _read_campaign(path: Path, node: yaml.Node, config: CenterConfig) -> CampaignSpec:
    line = node.start_mark.line + 1
    where = f"{path}:{line}"
    fields: dict[str, Any] = yaml.safe_load(yaml.serialize(node))
    if not isinstance(fields, dict):
        raise CampaignFileError([f"{where}: a campaign must be a mapping"])
    unknown = sorted(set(fields) - KEYS)
    if unknown:
        raise CampaignFileError([f"{where}: unknown key(s) {', '.join(map(str, unknown))}"])
    for key in ("id", "tenant", "name", "agents", "list"):
        if key not in fields:
            raise CampaignFileError([f"{where}: '{key}' is required"])
    tenant = next((t for t in config.tenants if t.id == fields["tenant"]), None)
    if tenant is None:
        raise CampaignFileError([f"{where}: no tenant '{fields['tenant']}' in the center"])
    if tenant.trunk is None:
        raise CampaignFileError([f"{where}: tenant '{tenant.id}' has no trunk in the center"])
    env = tenant.trunk.password_env
    if env is not None and env not in os.environ:
        raise CampaignFileError(
            [f"{where}: tenant '{tenant.id}' trunk password_env {env} is not set"]
        )
    agent_ids = {a.id for a in config.agents}
    agents = tuple(str(a) for a in fields["agents"])
    missing = [a for a in agents if a not in agent_ids]
    if missing or not agents:
        raise CampaignFileError([f"{where}: agents not in the center: {missing or '(none)'}"])
    queue = fields.get("queue")
    if queue is not None and all(q.id != queue for q in config.queues):
        raise CampaignFileError([f"{where}: no queue '{queue}' in the center"])
    mode = DialingMode(fields.get("mode", "progressive"))
    if mode not in (DialingMode.PROGRESSIVE, DialingMode.PREDICTIVE):
        raise CampaignFileError([f"{where}: mode '{mode}' is not dialled over SIP yet"])
    records = _read_list(where, path.parent / str(fields["list"]), f"{fields['id']}-")
    refused: tuple[str, ...] = ()
    if "do_not_call" in fields:
        dnc_path = path.parent / str(fields["do_not_call"])
        refused = tuple(r.number for r in _read_list(where, dnc_path, "dnc-"))
    window = _window(where, fields)
    optional: dict[str, Any] = {} if window is None else {"calling_window": window}
    for key, name in (
        ("max_attempts", "max_attempts"),
        ("ring_timeout", "ring_timeout_s"),
        ("connect_rule", "connect_rule_s"),
        ("target_abandon", "target_abandon"),
        ("holidays_closed", "national_holidays_closed"),
    ):
        if key in fields:
            optional[name] = fields[key]
    campaign = Campaign(
        id=str(fields["id"]),
        tenant=tenant.id,
        name=str(fields["name"]),
        type=CampaignType(fields.get("type", "sales")),
        mode=mode,
        queue=queue,
        timezone=tenant.timezone,
        status=CampaignStatus.RUNNING,
        **optional,
    )
    message = str(fields.get("recorded_message", DEFAULT_MESSAGE))
    return CampaignSpec(campaign, agents, tuple(records), message, refused)


def _read_list(where: str, path: Path, prefix: str) -> list[ListRecord]:
    try:
        return parse_call_list(path.read_text(encoding="utf-8"), str(path), id_prefix=prefix)
    except OSError as err:
        raise CampaignFileError([f"{where}: {path}: {err.strerror}"]) from err
    except ListImportError as err:
        raise CampaignFileError([str(problem) for problem in err.problems]) from err


def _window(where: str, fields: dict[str, Any]) -> tuple[tuple[TimeRange, ...], ...] | None:
    hours = fields.get("calling_hours")
    if hours is None:
        return None
    match = _HOURS.match(str(hours))
    if match is None:
        raise CampaignFileError([f"{where}: calling_hours '{hours}' must be HH:MM-HH:MM"])
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if not 0 <= start < end <= 1440:
        raise CampaignFileError([f"{where}: calling_hours '{hours}' is not a range in a day"])
    day = (TimeRange(start, end),)
    days = 7 if fields.get("every_day") else 5
    return tuple(day if i < days else () for i in range(7))
