"""Reading the ``queues:`` section: targets, waits, overflow and closed-hours actions."""

from __future__ import annotations

import yaml

from madoguchi.core import _config_values as values
from madoguchi.core._config_nodes import NodeReader, label
from madoguchi.core._config_refs import References, skill_levels, tenant_of
from madoguchi.core.config import (
    QueueConfig,
    ServiceLevelTarget,
    Treatment,
    TreatmentKind,
)
from madoguchi.core.model import Channel, SelectionPolicy, SkillRequirement

QUEUE_KEYS = (
    "id", "tenant", "name", "channels", "skills", "priority", "aging_per_minute",
    "service_level", "max_wait", "overflow", "max_size", "when_full", "hours", "when_closed",
    "policy", "offer_timeout", "after_contact_work",
)  # fmt: skip
TREATMENT_KEYS = ("action", "target", "message")


def read_queues(
    reader: NodeReader, refs: References, nodes: list[yaml.Node], default_tenant: str
) -> list[tuple[QueueConfig, dict[str, yaml.Node]]]:
    """Every queue with its fields' nodes (for the overflow checks)."""
    queues = []
    for node in nodes:
        read = _read_queue(reader, refs, node, default_tenant)
        if read is not None:
            queues.append(read)
    return queues


def _read_queue(
    reader: NodeReader, refs: References, node: yaml.Node, default_tenant: str
) -> tuple[QueueConfig, dict[str, yaml.Node]] | None:
    fields = reader.mapping(node, label(node, "queue"), QUEUE_KEYS, required=("id", "name"))
    if fields is None or "id" not in fields or "name" not in fields:
        return None
    ident = reader.ident(fields["id"], "queue id")
    what = f"queue '{ident}'"
    ok = ident is not None and refs.declare("queue", ident, fields["id"])
    name = reader.text(fields["name"], f"{what} name")
    tenant = tenant_of(reader, refs, fields, what, default_tenant)
    channels = [Channel.VOICE]
    if "channels" in fields:
        items = reader.strings(fields["channels"], f"{what} channels") or []
        channels = [
            c for c in (reader.choice(n, f"{what} channel", Channel) for n, _ in items) if c
        ]
    skills = tuple(
        SkillRequirement(skill, level)
        for skill, level in skill_levels(reader, refs, fields.get("skills"), what, "minimum ")
    )
    kwargs: dict[str, object] = {}
    for key, low in (("priority", None), ("max_size", 1)):
        if key in fields:
            kwargs[key] = reader.integer(fields[key], f"{what} {key}", low)
    if "aging_per_minute" in fields:
        kwargs["aging_per_minute"] = reader.number(fields["aging_per_minute"], f"{what} aging", 0)
    for key in ("max_wait", "offer_timeout", "after_contact_work"):
        if key in fields:
            kwargs[f"{key}_s"] = reader.parsed(fields[key], f"{what} {key}", values.parse_duration)
    if kwargs.get("offer_timeout_s") == 0:
        reader.report(fields["offer_timeout"], f"{what} offer_timeout must be more than 0")
    if "service_level" in fields:
        kwargs["service_level"] = _service_level(reader, fields["service_level"], what)
    for key in ("overflow", "when_full", "when_closed"):
        if key in fields:
            kwargs[key] = _treatment(reader, refs, fields[key], f"{what} {key}", channels)
    if "hours" in fields:
        hours = reader.ident(fields["hours"], f"{what} hours")
        if hours is not None:
            refs.use("calendar", hours, fields["hours"], f"{what} hours")
        kwargs["hours"] = hours
    if "policy" in fields:
        kwargs["policy"] = reader.choice(fields["policy"], f"{what} policy", SelectionPolicy)
    if "overflow" in fields and "max_wait" not in fields:
        reader.report(fields["overflow"], f"{what}: overflow needs max_wait (how long to wait)")
    if "max_wait" in fields and "overflow" not in fields:
        reader.report(
            fields["max_wait"], f"{what}: max_wait needs an overflow (e.g. overflow: voicemail)"
        )
    if not ok or name is None or any(v is None for v in kwargs.values()) or ident is None:
        return None
    queue = QueueConfig(
        id=ident,
        tenant=tenant,
        name=name,
        channels=frozenset(channels),
        skills=skills,
        **kwargs,  # type: ignore[arg-type]
    )
    return queue, fields


def _service_level(reader: NodeReader, node: yaml.Node, what: str) -> ServiceLevelTarget | None:
    if isinstance(node, yaml.ScalarNode):
        return reader.parsed(node, f"{what} service_level", values.parse_service_level)
    fields = reader.mapping(
        node, f"{what} service_level", ("fraction", "seconds"), ("fraction", "seconds")
    )
    if fields is None or "fraction" not in fields or "seconds" not in fields:
        return None
    fraction = reader.number(fields["fraction"], f"{what} service_level fraction", 0.0, 1.0)
    seconds = reader.parsed(
        fields["seconds"], f"{what} service_level seconds", values.parse_duration
    )
    if fraction is None or seconds is None:
        return None
    if fraction == 0 or seconds == 0:
        reader.report(node, f"{what} service_level: fraction and seconds must be more than 0")
        return None
    return ServiceLevelTarget(fraction, seconds)


def _treatment(
    reader: NodeReader, refs: References, node: yaml.Node, what: str, channels: list[Channel]
) -> Treatment | None:
    """``voicemail`` or ``{action: queue, target: ID}`` or ``{action: message, message: …}``."""
    if isinstance(node, yaml.ScalarNode):
        fields: dict[str, yaml.Node] | None = {"action": node}
    else:
        fields = reader.mapping(node, what, TREATMENT_KEYS, required=("action",))
    if fields is None or "action" not in fields:
        return None
    kind = reader.choice(fields["action"], f"{what} action", TreatmentKind)
    if kind is None:
        return None
    target = None
    if kind is TreatmentKind.QUEUE:
        if "target" not in fields:
            reader.report(node, f"{what}: action queue needs a target queue (target: ID)")
            return None
        target = reader.ident(fields["target"], f"{what} target")
        if target is None:
            return None
        refs.use("queue", target, fields["target"], f"{what} target")
    elif "target" in fields:
        reader.report(fields["target"], f"{what}: target is only for action: queue")
        return None
    if kind in (TreatmentKind.CALLBACK, TreatmentKind.VOICEMAIL) and Channel.VOICE not in channels:
        reader.report(
            fields["action"], f"{what}: {kind.value} needs a queue with the voice channel"
        )
        return None
    message = None
    if "message" in fields:
        message = reader.text(fields["message"], f"{what} message")
        if message is None:
            return None
    return Treatment(kind, target, message)


def check_overflow_chains(
    reader: NodeReader, queues: list[tuple[QueueConfig, dict[str, yaml.Node]]]
) -> None:
    """Overflow targets: same tenant, take the queue's channels, never loop back."""
    by_id = {queue.id: queue for queue, _ in queues}
    for queue, fields in queues:
        overflow = queue.overflow
        if overflow is None or overflow.target not in by_id:
            continue
        node = fields["overflow"]
        target = by_id[overflow.target]
        what = f"queue '{queue.id}' overflow"
        if target.tenant != queue.tenant:
            reader.report(
                node,
                f"{what} goes to '{target.id}' of tenant '{target.tenant}', not '{queue.tenant}'",
            )
        missing = sorted(c.value for c in queue.channels - target.channels)
        if missing:
            reader.report(
                node, f"{what}: queue '{target.id}' takes no {', '.join(missing)} contacts"
            )
        path = [queue.id]
        current: QueueConfig | None = target
        while current is not None and current.id not in path:
            path.append(current.id)
            nxt = current.overflow
            current = by_id.get(nxt.target or "") if nxt is not None else None
        if current is not None and current.id == queue.id:
            reader.report(
                node,
                f"{what} loops back: {' → '.join([*path, queue.id])}; end the chain with "
                "callback, voicemail or message",
            )
