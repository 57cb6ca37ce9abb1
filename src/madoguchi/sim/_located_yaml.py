"""YAML read into plain dicts and lists that remember the line of every key and item.

The scenario loader reports each problem as ``FILE:LINE: message``; PyYAML's composed node tree
knows the lines, so the document is built from that tree (safe loader rules, no Python tags).
"""

from __future__ import annotations

from typing import Any

import yaml


class LocatedDict(dict[str, Any]):
    """A mapping read from YAML: ``line`` is where it starts, ``lines[key]`` where each key is."""

    line: int
    lines: dict[str, int]


class LocatedList(list[Any]):
    """A sequence read from YAML: ``line`` is where it starts, ``lines[i]`` where item i is."""

    line: int
    lines: list[int]


class YamlSyntaxError(ValueError):
    """The text is not YAML; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_located(text: str) -> Any:
    """Parse ``text``; mappings become :class:`LocatedDict`, sequences :class:`LocatedList`."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlSyntaxError(line, str(err.problem or err)) from err
    except yaml.YAMLError as err:
        raise YamlSyntaxError(1, str(err)) from err
    if node is None:
        return None
    return _build(node)


def _build(node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        mapping = LocatedDict()
        mapping.line = node.start_mark.line + 1
        mapping.lines = {}
        for key_node, value_node in node.value:
            key = _scalar(key_node)
            mapping[str(key)] = _build(value_node)
            mapping.lines[str(key)] = key_node.start_mark.line + 1
        return mapping
    if isinstance(node, yaml.SequenceNode):
        sequence = LocatedList()
        sequence.line = node.start_mark.line + 1
        sequence.lines = []
        for item in node.value:
            sequence.append(_build(item))
            sequence.lines.append(item.start_mark.line + 1)
        return sequence
    return _scalar(node)


def _scalar(node: yaml.Node) -> Any:
    if not isinstance(node, yaml.ScalarNode):
        raise YamlSyntaxError(node.start_mark.line + 1, "expected a plain value")
    constructor = yaml.SafeLoader("")
    try:
        return constructor.construct_object(node, deep=True)
    finally:
        constructor.dispose()


def line_of(container: Any, key: str | int, default: int = 1) -> int:
    """The line of ``key`` in a located mapping/sequence (or the container's own line)."""
    if isinstance(container, LocatedDict):
        return container.lines.get(str(key), container.line)
    if isinstance(container, LocatedList) and isinstance(key, int) and key < len(container.lines):
        return container.lines[key]
    return getattr(container, "line", default)
