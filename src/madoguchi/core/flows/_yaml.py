"""Typed reading of a composed YAML tree, remembering the line of every value.

PyYAML's ``compose`` keeps each node's position; :class:`MapReader` reads fields of a mapping
with their expected types and records a :class:`FlowProblem` (with the line) for each mistake,
so that one pass reports every problem in a file.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_STR = "tag:yaml.org,2002:str"


@dataclass(frozen=True, slots=True)
class FlowProblem:
    """One mistake in a flow file: where, what, and how to fix it."""

    line: int
    message: str
    hint: str = ""

    def format(self, filename: str) -> str:
        """``FILE:LINE: message (hint)``."""
        text = f"{filename}:{self.line}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text


def line_of(node: yaml.Node) -> int:
    """1-based line of a YAML node."""
    return int(node.start_mark.line) + 1


def describe(node: yaml.Node) -> str:
    """A short name of the YAML value's type for messages."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return {
        _INT: "an integer",
        _FLOAT: "a number",
        _BOOL: "a boolean",
        _NULL: "null",
    }.get(node.tag, "a string")


class MapReader:
    """Fields of one YAML mapping, read by type; mistakes go to the shared problem list."""

    def __init__(self, node: yaml.MappingNode, problems: list[FlowProblem], what: str) -> None:
        self.node = node
        self.line = line_of(node)
        self.problems = problems
        self.what = what
        self.fields: dict[str, yaml.Node] = {}
        self.key_lines: dict[str, int] = {}
        for key, value in node.value:
            name = str(key.value)
            if name in self.fields:
                self.problem(line_of(key), f"{what}: duplicate key {name!r}", "keep one of them")
            self.fields[name] = value
            self.key_lines[name] = line_of(key)
        self.used: set[str] = set()

    def problem(self, line: int, message: str, hint: str = "") -> None:
        """Record a mistake."""
        self.problems.append(FlowProblem(line, message, hint))

    def has(self, key: str) -> bool:
        """Whether the key is present."""
        return key in self.fields

    def raw(self, key: str) -> yaml.Node | None:
        """The YAML node under ``key`` (marked as used)."""
        self.used.add(key)
        return self.fields.get(key)

    def line_at(self, key: str) -> int:
        """Line of ``key`` (or of the mapping when absent)."""
        return self.key_lines.get(key, self.line)

    def _wrong(self, key: str, node: yaml.Node, expected: str) -> None:
        self.problem(
            line_of(node),
            f"{self.what}: field {key!r} must be {expected}, not {describe(node)}",
            f"write {key}: <{expected}>",
        )

    def string(self, key: str, default: str | None = None, required: bool = False) -> str | None:
        """A scalar as written (numbers and yes/no too: menu keys, phone numbers, keywords)."""
        node = self.raw(key)
        if node is None:
            if required:
                self.problem(self.line, f"{self.what}: missing field {key!r}", f"add {key}: ...")
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            self._wrong(key, node, "a string")
            return default
        return str(node.value)

    def integer(
        self,
        key: str,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        """An integer (within ``minimum`` … ``maximum`` when given)."""
        node = self.raw(key)
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT:
            self._wrong(key, node, "an integer")
            return default
        try:
            value = int(str(node.value).replace("_", ""), 0)
        except ValueError:  # YAML 1.1 forms Python does not read (sexagesimal 1:30…)
            self._unreadable(key, node, "an integer")
            return default
        return value if self._within(key, node, value, minimum, maximum) else default

    def number(
        self, key: str, default: float | None = None, minimum: float | None = None
    ) -> float | None:
        """A finite number (integer or decimal), at least ``minimum`` when given."""
        node = self.raw(key)
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag not in (_INT, _FLOAT):
            self._wrong(key, node, "a number")
            return default
        try:
            value = float(str(node.value).replace("_", ""))
        except ValueError:  # .nan, .inf and YAML 1.1 forms Python does not read
            value = math.nan
        if not math.isfinite(value):
            self._unreadable(key, node, "a finite number")
            return default
        return value if self._within(key, node, value, minimum, None) else default

    def _unreadable(self, key: str, node: yaml.Node, expected: str) -> None:
        self.problem(
            line_of(node),
            f"{self.what}: field {key!r} must be {expected}, not {str(node.value)!r}",
            f"write {key}: <{expected}>",
        )

    def _within(
        self,
        key: str,
        node: yaml.Node,
        value: float,
        minimum: float | None,
        maximum: float | None,
    ) -> bool:
        if (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
            return True
        bounds = f"at least {minimum:g}" if minimum is not None else ""
        if maximum is not None:
            bounds = (
                f"from {minimum:g} to {maximum:g}"
                if minimum is not None
                else f"at most {maximum:g}"
            )
        self.problem(
            line_of(node),
            f"{self.what}: field {key!r} must be {bounds}, not {value:g}",
            f"write {key}: <a number {bounds}>",
        )
        return False

    def boolean(self, key: str, default: bool) -> bool:
        """true or false."""
        node = self.raw(key)
        if node is None:
            return default
        if not isinstance(node, yaml.ScalarNode) or node.tag != _BOOL:
            self._wrong(key, node, "true or false")
            return default
        return str(node.value).lower() in ("true", "yes", "on")

    def mapping(self, key: str) -> MapReader | None:
        """A nested mapping."""
        node = self.raw(key)
        if node is None:
            return None
        if not isinstance(node, yaml.MappingNode):
            self._wrong(key, node, "a mapping")
            return None
        return MapReader(node, self.problems, f"{self.what}.{key}")

    def sequence(self, key: str) -> list[yaml.Node] | None:
        """A list (its items as YAML nodes)."""
        node = self.raw(key)
        if node is None:
            return None
        if not isinstance(node, yaml.SequenceNode):
            self._wrong(key, node, "a list")
            return None
        return list(node.value)

    def strings(self, key: str) -> tuple[str, ...]:
        """A list of scalars as text."""
        items = self.sequence(key)
        if items is None:
            return ()
        values: list[str] = []
        for item in items:
            if isinstance(item, yaml.ScalarNode) and item.tag != _NULL:
                values.append(str(item.value))
            else:
                self._wrong(key, item, "a list of strings")
        return tuple(values)

    def pairs(self) -> Iterator[tuple[str, yaml.Node, int]]:
        """Every (key, value node, key line) of the mapping."""
        for key, value in self.fields.items():
            yield key, value, self.key_lines[key]

    def reject_unknown(self, allowed: frozenset[str] | set[str]) -> None:
        """Report keys the reader does not know."""
        for key in self.fields:
            if key not in allowed:
                known = ", ".join(sorted(allowed))
                self.problem(
                    self.key_lines[key], f"{self.what}: unknown field {key!r}", f"known: {known}"
                )


def compose(text: str, problems: list[FlowProblem]) -> yaml.Node | None:
    """The YAML tree of ``text``, or None with the syntax error recorded."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        problems.append(FlowProblem(line, f"malformed YAML: {err.problem or err}", ""))
    except yaml.YAMLError as err:
        problems.append(FlowProblem(1, f"malformed YAML: {err}", ""))
    return None


def to_data(node: yaml.Node) -> object:
    """Plain Python data of a YAML tree (for JSON Schema checks)."""
    return yaml.SafeLoader(yaml.serialize(node)).get_single_data()


def path_line(root: yaml.Node, path: list[str | int]) -> int:
    """Line of the value at a JSON path (as far down as it exists)."""
    node = root
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if str(k.value) == str(step)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            found = node.value[step] if 0 <= step < len(node.value) else None
        else:
            found = None
        if found is None:
            break
        node = found
    return line_of(node)
