"""docs/events.md documents every registered event type with every one of its fields."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
import re
from pathlib import Path

import madoguchi.core
from madoguchi.core.events import event_types

DOCS = Path(__file__).resolve().parents[2] / "docs" / "events.md"


def _import_every_core_module() -> None:
    for module in pkgutil.walk_packages(madoguchi.core.__path__, "madoguchi.core."):
        importlib.import_module(module.name)


def _documented() -> dict[str, set[str]]:
    """{event name: field names in its table} from the ``### Name`` sections of the doc."""
    sections: dict[str, set[str]] = {}
    current: set[str] | None = None
    for line in DOCS.read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^###\s+`?(\w+)`?\s*$", line)
        if heading:
            current = sections.setdefault(heading.group(1), set())
            continue
        if line.startswith("#"):
            current = None
            continue
        row = re.match(r"^\|\s*`?(\w+)`?\s*\|", line)
        if current is not None and row and row.group(1) not in {"field", "---"}:
            current.add(row.group(1))
    return sections


def test_every_registered_event_type_is_documented_with_all_its_fields() -> None:
    _import_every_core_module()
    documented = _documented()
    problems = []
    for name, kind in sorted(event_types().items()):
        fields = {f.name for f in dataclasses.fields(kind)}
        if name not in documented:
            problems.append(f"{name} ({kind.__module__}): no '### {name}' section")
            continue
        missing = fields - documented[name]
        extra = documented[name] - fields
        if missing:
            problems.append(f"{name}: fields not documented: {sorted(missing)}")
        if extra:
            problems.append(f"{name}: documented fields that do not exist: {sorted(extra)}")
    assert not problems, "docs/events.md is out of date:\n" + "\n".join(problems)


def test_the_routing_vocabulary_is_registered() -> None:
    from madoguchi.core.routing.events import ROUTING_EVENTS

    registered = event_types()
    assert all(registered[kind.__name__] is kind for kind in ROUTING_EVENTS)
