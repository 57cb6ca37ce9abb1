"""Ids and references across the center file's sections, and the helpers that note them.

Sections may refer to each other in any order (a queue's skills, an agent's team…):
:class:`References` collects declarations and uses and checks them once all are read.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import yaml

from madoguchi.core._config_nodes import NodeReader, line_of, suggestion

_SECTION = {
    "tenant": "tenants",
    "calendar": "calendars",
    "skill": "skills",
    "queue": "queues",
    "team": "teams",
    "agent": "agents",
}


class References:
    """Ids declared per kind (to find duplicates) and uses of them (checked at the end)."""

    def __init__(self, reader: NodeReader) -> None:
        self.reader = reader
        self.declared: dict[str, dict[str, int]] = {}
        self.uses: list[tuple[str, str, yaml.Node, str]] = []

    def declare(self, kind: str, ident: str, node: yaml.Node) -> bool:
        """Record an id; report it when the same kind already has it."""
        table = self.declared.setdefault(kind, {})
        if ident in table:
            self.reader.report(
                node, f"duplicate {kind} id '{ident}' (first defined at line {table[ident]})"
            )
            return False
        table[ident] = line_of(node)
        return True

    def use(self, kind: str, ident: str, node: yaml.Node, what: str) -> None:
        """Note that ``what`` refers to the ``kind`` called ``ident``."""
        self.uses.append((kind, ident, node, what))

    def check(self) -> None:
        """Report every use of an id that was never declared."""
        for kind, ident, node, what in self.uses:
            known = self.declared.get(kind, {})
            if ident in known:
                continue
            listed = ", ".join(list(known)[:8]) + (", …" if len(known) > 8 else "")
            where = f"; declared: {listed}" if known else ""
            self.reader.report(
                node,
                f"{what}: unknown {kind} '{ident}'{suggestion(ident, known)}{where} "
                f"(declare it under '{_SECTION[kind]}:')",
            )


def read_timezone(reader: NodeReader, node: yaml.Node, what: str) -> str | None:
    """An IANA time zone name; reports unknown ones with the closest known name."""
    name = reader.string(node, what)
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        hint = suggestion(name, available_timezones())
        reader.report(
            node, f"{what}: unknown time zone '{name}'{hint}; use an IANA name such as Asia/Tokyo"
        )
        return None
    return name


def tenant_of(
    reader: NodeReader, refs: References, fields: dict[str, yaml.Node], what: str, default: str
) -> str:
    if "tenant" not in fields:
        return default
    tenant = reader.ident(fields["tenant"], f"{what} tenant")
    if tenant is None:
        return default
    refs.use("tenant", tenant, fields["tenant"], f"{what} tenant")
    return tenant


def skill_levels(
    reader: NodeReader, refs: References, node: yaml.Node | None, what: str, level_name: str
) -> list[tuple[str, int]]:
    """``{skill: level, …}`` with levels 1–10; each skill noted as a reference."""
    if node is None:
        return []
    pairs = []
    for key_node, value_node in reader.free_mapping(node, f"{what} skills") or []:
        skill = reader.ident(key_node, f"{what} skill")
        level = reader.integer(value_node, f"{what} skill '{skill}' {level_name}proficiency", 1, 10)
        if skill is None:
            continue
        refs.use("skill", skill, key_node, f"{what} skills")
        if level is not None:
            pairs.append((skill, level))
    return pairs
