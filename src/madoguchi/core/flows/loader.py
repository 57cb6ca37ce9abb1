"""Flow files (YAML) → :class:`~madoguchi.core.flows.model.Flow`, every mistake with its line.

Pure: takes the text and a file name for messages. :func:`parse_flow` raises
:class:`FlowFileError` carrying every problem found (malformed YAML, unknown node type, wrong
field type, missing field); nothing is returned half-built. The semantic checks (targets,
reachability, loops, translations, variables, queues) are in :mod:`.validator`.

File shape::

    flow: main-number          # id
    version: 3
    name: {ja: 代表番号, en: Main number}
    languages: [ja, en]
    start: welcome
    nodes:
      welcome: {type: say, prompt: {ja: …, en: …}, next: menu}
"""

from __future__ import annotations

import re

import yaml

from madoguchi.core.config import LocalizedText
from madoguchi.core.flows import model as m
from madoguchi.core.flows._node_readers import READERS, read_text
from madoguchi.core.flows._yaml import FlowProblem, MapReader, compose, line_of

_TOP = frozenset({"flow", "version", "name", "languages", "start", "variables", "nodes"})
_RETRY_KEYS = {"timeout", "attempts", "no_input", "invalid"}
_COMMON = {"type", "description"}
_NODE_KEYS: dict[str, set[str]] = {
    "say": {"prompt", "barge_in", "next"},
    "menu": {"prompt", "options", "fallback", "barge_in"} | _RETRY_KEYS,
    "collect": {"prompt", "into", "mode", "min_length", "max_length", "pattern", "format"}
    | {"next", "fallback", "sensitive"}
    | _RETRY_KEYS,
    "identify": {"by", "fields", "timeout", "found", "not_found"},
    "verify": {"prompt", "secret", "mode", "format", "verified", "failed"} | _RETRY_KEYS,
    "set": {"attributes", "priority", "skills", "language", "next"},
    "condition": {"branches", "otherwise"},
    "enqueue": {"queue", "priority", "skills", "treatment", "prompt"},
    "callback": {"queue", "prompt", "ask_number", "confirmation", "fallback"} | _RETRY_KEYS,
    "voicemail": {"prompt", "max_seconds", "confirmation"},
    "transfer": {"to", "prompt"},
    "http": {"url", "method", "body", "timeout", "retries", "map", "next", "error"},
    "survey": {"prompt", "comment_prompt", "next"} | _RETRY_KEYS,
    "disconnect": {"prompt", "outcome"},
}
_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


class FlowFileError(ValueError):
    """A flow file that cannot be loaded; ``problems`` lists every mistake with its line."""

    def __init__(self, filename: str, problems: list[FlowProblem]) -> None:
        self.filename = filename
        self.problems = sorted(problems, key=lambda p: p.line)
        super().__init__("\n".join(p.format(filename) for p in self.problems))


def parse_flow(text: str, filename: str = "<flow>") -> m.Flow:
    """Build a flow from YAML text; :class:`FlowFileError` lists every mistake."""
    problems: list[FlowProblem] = []
    root = compose(text, problems)
    if root is None and not problems:
        problems.append(FlowProblem(1, "empty flow file", "start with 'flow: <id>'"))
    if problems:
        raise FlowFileError(filename, problems)
    assert root is not None
    if not isinstance(root, yaml.MappingNode):
        raise FlowFileError(filename, [FlowProblem(line_of(root), "a flow file is a mapping")])
    flow = _read_flow(MapReader(root, problems, "flow"), filename)
    if problems or flow is None:
        raise FlowFileError(filename, problems)
    return flow


def _read_flow(top: MapReader, filename: str) -> m.Flow | None:
    top.reject_unknown(_TOP)
    flow_id = top.string("flow", required=True)
    version = top.integer("version", minimum=1)
    if version is None and not top.has("version"):
        top.problem(top.line, "flow: missing field 'version'", "add version: 1")
    name = read_text(top, "name") or LocalizedText(flow_id or "")
    languages = top.strings("languages") or ("ja", "en")
    start = top.string("start", required=True)
    variables, defaults = _variables(top)
    nodes_reader = top.mapping("nodes")
    if nodes_reader is None:
        if not top.has("nodes"):
            top.problem(top.line, "flow: missing field 'nodes'", "add nodes: {...}")
        return None
    nodes: dict[str, m.Node] = {}
    for node_id, value, line in nodes_reader.pairs():
        if not _ID.match(node_id):
            top.problem(line, f"node id {node_id!r} is not a plain name", "use letters, digits, _")
        if not isinstance(value, yaml.MappingNode):
            top.problem(line, f"node {node_id!r} must be a mapping", "give it type: and fields")
            continue
        reader = MapReader(value, top.problems, f"node {node_id!r}")
        reader.line = line
        node = _read_node(node_id, reader)
        if node is not None:
            nodes[node_id] = node
    if flow_id is None or start is None or version is None:
        return None
    lines = {key: top.line_at(key) for key in _TOP}
    return m.Flow(
        id=flow_id,
        version=version,
        start=start,
        nodes=nodes,
        name=name,
        languages=languages,
        variables=variables,
        defaults=defaults,
        source=filename,
        lines=lines,
    )


def _variables(top: MapReader) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    """``variables:`` as a list of names, or a mapping of names to default values."""
    node = top.fields.get("variables")
    if isinstance(node, yaml.MappingNode):
        sub = top.mapping("variables")
        assert sub is not None
        defaults = tuple((name, sub.string(name, "") or "") for name, _, _ in sub.pairs())
        return tuple(name for name, _ in defaults), defaults
    return top.strings("variables"), ()


def _read_node(node_id: str, r: MapReader) -> m.Node | None:
    kind = r.string("type", required=True)
    if kind is None:
        return None
    if kind not in m.NODE_TYPES:
        r.problem(
            line_of(r.fields["type"]),
            f"node {node_id!r}: unknown node type {kind!r}",
            "one of " + ", ".join(m.NODE_TYPES),
        )
        return None
    r.reject_unknown(_NODE_KEYS[kind] | _COMMON)
    r.raw("description")
    reader = READERS[kind]
    return reader(node_id, r)
