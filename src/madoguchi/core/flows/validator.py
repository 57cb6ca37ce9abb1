"""Semantic checks of a loaded flow: what ``madoguchi flow check`` reports beyond the syntax.

Checks: unknown targets and start node, unreachable nodes, menu options without a branch or
with a key no keypad has, loops that never wait for input (and loops a silent caller would go
round forever), missing translations, undefined variables, bad patterns, and — given the
center's configuration — unknown queues, skills, calendars and agents. Each finding is a
:class:`~madoguchi.core.flows._yaml.FlowProblem` with the line and a fix hint.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator

from madoguchi.core.config import CenterConfig, LocalizedText
from madoguchi.core.flows import model as m
from madoguchi.core.flows._yaml import FlowProblem

BUILTIN_VARIABLES = frozenset({"caller", "dialled", "channel", "language", "contact_id"})
_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
_KEYPAD = frozenset("0123456789*#")
#: Nodes that wait for the customer, and the field a customer who stays silent leaves by.
_SILENT_EXIT: dict[type[m.Node], str] = {
    m.MenuNode: "fallback",
    m.CollectNode: "fallback",
    m.VerifyNode: "failed",
    m.CallbackNode: "fallback",
    m.SurveyNode: "next",
    m.EnqueueNode: "",
    m.VoicemailNode: "",
}


def validate_flow(flow: m.Flow, center: CenterConfig | None = None) -> list[FlowProblem]:
    """Every semantic problem of ``flow``, sorted by line (empty when it is fine)."""
    problems: list[FlowProblem] = []
    _check_targets(flow, problems)
    _check_reachable(flow, problems)
    _check_menus(flow, problems)
    _check_treatments(flow, problems)
    _check_loops(flow, problems)
    _check_translations(flow, problems)
    _check_variables(flow, problems)
    if center is not None:
        _check_center(flow, center, problems)
    return sorted(problems, key=lambda p: (p.line, p.message))


def _suggest(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}?" if close else f"define node {name!r} or fix the name"


def _check_targets(flow: m.Flow, problems: list[FlowProblem]) -> None:
    known = list(flow.nodes)
    if flow.start not in flow.nodes:
        line = flow.lines.get("start", 1)
        problems.append(
            FlowProblem(
                line, f"start node {flow.start!r} is not defined", _suggest(flow.start, known)
            )
        )
    for node in flow.nodes.values():
        for field, target in m.targets(node):
            if target not in flow.nodes:
                problems.append(
                    FlowProblem(
                        _target_line(node, field),
                        f"node {node.id!r}: {field} goes to unknown node {target!r}",
                        _suggest(target, known),
                    )
                )


def _target_line(node: m.Node, field: str) -> int:
    if isinstance(node, m.MenuNode) and field.startswith("option "):
        key = field.removeprefix("option ")
        return next((o.line for o in node.options if o.key == key), node.line)
    return node.line


def _reach(flow: m.Flow, roots: list[str]) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        current = todo.pop()
        if current in seen or current not in flow.nodes:
            continue
        seen.add(current)
        todo.extend(target for _, target in m.targets(flow.nodes[current]))
    return seen


def _check_reachable(flow: m.Flow, problems: list[FlowProblem]) -> None:
    """One finding per unreachable region, on its entry node (not one per node)."""
    unreachable = set(flow.nodes) - _reach(flow, [flow.start])
    if not unreachable:
        return
    entered = {t for n in unreachable for _, t in m.targets(flow.nodes[n])}
    by_line = sorted(unreachable, key=lambda n: flow.nodes[n].line)
    entries = [n for n in by_line if n not in entered]
    covered: set[str] = set()
    for entry in entries + by_line:
        if entry in covered:
            continue
        region = _reach(flow, [entry]) & unreachable
        covered |= region
        more = len(region) - 1
        after = f", and so are {more} nodes reached only through it" if more > 1 else ""
        if more == 1:
            after = ", and so is 1 node reached only through it"
        problems.append(
            FlowProblem(
                flow.nodes[entry].line,
                f"node {entry!r} is unreachable from start {flow.start!r}{after}",
                "link it from another node or delete it",
            )
        )


def _check_menus(flow: m.Flow, problems: list[FlowProblem]) -> None:
    for node in flow.nodes.values():
        if isinstance(node, m.CollectNode) and node.pattern is not None:
            try:
                re.compile(node.pattern)
            except re.error as err:
                problems.append(
                    FlowProblem(
                        node.line, f"node {node.id!r}: bad pattern: {err}", "a Python regex"
                    )
                )
        if isinstance(node, m.CollectNode) and node.min_length > node.max_length:
            problems.append(
                FlowProblem(
                    node.line,
                    f"node {node.id!r}: min_length {node.min_length} is above max_length "
                    f"{node.max_length}, so no answer is ever accepted",
                    "lower min_length or raise max_length",
                )
            )
        if not isinstance(node, m.MenuNode):
            continue
        if not node.options:
            problems.append(
                FlowProblem(node.line, f"menu {node.id!r} has no options", "add options")
            )
        keys: set[str] = set()
        for option in node.options:
            if not option.next:
                problems.append(
                    FlowProblem(
                        option.line,
                        f"menu {node.id!r}: option {option.key!r} has no branch",
                        "add next: <node> to the option",
                    )
                )
            if option.key in keys:
                problems.append(
                    FlowProblem(option.line, f"menu {node.id!r}: key {option.key!r} used twice", "")
                )
            keys.add(option.key)
            if len(option.key) != 1 or option.key not in _KEYPAD:
                problems.append(
                    FlowProblem(
                        option.line,
                        f"menu {node.id!r}: key {option.key!r} is not a keypad key",
                        "use one of 0-9, * or #",
                    )
                )


def _check_treatments(flow: m.Flow, problems: list[FlowProblem]) -> None:
    for node in flow.nodes.values():
        if not isinstance(node, m.EnqueueNode):
            continue
        t = node.treatment
        where = f"node {node.id!r}: treatment"
        if (t.callback_after_s is not None or t.callback_if_ewt_above_s is not None) and not (
            t.callback or t.message
        ):
            problems.append(
                FlowProblem(
                    node.line,
                    f"{where} offers a callback but names no callback node",
                    "add callback: <callback node>",
                )
            )
        if t.offer_message and not t.message:
            problems.append(
                FlowProblem(
                    node.line,
                    f"{where} offers a message but names no message node",
                    "add message: <voicemail node>",
                )
            )
        if t.callback_if_ewt_above_s is not None and not t.announce_every_s:
            problems.append(
                FlowProblem(
                    node.line,
                    f"{where}: callback_if_wait_above is checked at announcements, none are set",
                    "add announce_every: <seconds>",
                )
            )


def _cycle(flow: m.Flow, edges: dict[str, list[str]]) -> Iterator[list[str]]:
    """Each distinct cycle found by depth-first search (one per strongly linked group)."""
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    for root in edges:
        if root in state:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(root, iter(edges[root]))]
        path = [root]
        state[root] = 1
        while stack:
            current, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[current] = 2
                continue
            if child not in edges:
                continue
            if state.get(child) == 1:
                loop = path[path.index(child) :]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    yield [*loop, child]
            elif child not in state:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(edges[child])))


def _check_loops(flow: m.Flow, problems: list[FlowProblem]) -> None:
    busy: dict[str, list[str]] = {}
    silent: dict[str, list[str]] = {}
    for node in flow.nodes.values():
        follow = [t for _, t in m.targets(node) if t in flow.nodes]
        silent_field = _SILENT_EXIT.get(type(node))
        if silent_field is None:
            busy[node.id] = follow
            silent[node.id] = follow
        else:
            target = getattr(node, silent_field) if silent_field else ""
            silent[node.id] = [target] if target in flow.nodes else []
    reported: set[frozenset[str]] = set()
    for loop in _cycle(flow, busy):
        reported.add(frozenset(loop))
        first = flow.nodes[loop[0]]
        problems.append(
            FlowProblem(
                first.line,
                "loop that never waits for input: " + " → ".join(loop),
                "put a menu or collect node in the loop, or end it",
            )
        )
    for loop in _cycle(flow, silent):
        if frozenset(loop) in reported:
            continue
        first = flow.nodes[loop[0]]
        problems.append(
            FlowProblem(
                first.line,
                "a silent caller would go round forever: " + " → ".join(loop),
                "let the fallback (no input) path end in disconnect, voicemail or enqueue",
            )
        )


def _texts(node: m.Node) -> Iterator[tuple[str, LocalizedText, int]]:
    for name in ("prompt", "comment_prompt", "ask_number", "confirmation"):
        prompt = getattr(node, name, None)
        if isinstance(prompt, m.Prompt) and prompt.text is not None:
            yield name, prompt.text, node.line
        elif isinstance(prompt, m.Prompt) and prompt.audio is None:
            yield name, LocalizedText(""), node.line
    retries = getattr(node, "retries", None)
    if isinstance(retries, m.Retries):
        for name, prompt in (("no_input", retries.no_input), ("invalid", retries.invalid)):
            if prompt is not None and prompt.text is not None:
                yield name, prompt.text, node.line
    if isinstance(node, m.MenuNode):
        for option in node.options:
            yield f"option {option.key} label", option.label, option.line


def _check_translations(flow: m.Flow, problems: list[FlowProblem]) -> None:
    for node in flow.nodes.values():
        for name, text, line in _texts(node):
            for language in flow.languages:
                value = text.ja if language == "ja" else text.en if language == "en" else ""
                if not value:
                    problems.append(
                        FlowProblem(
                            line,
                            f"node {node.id!r}: {name} has no {language!r} text",
                            f"add {language}: … (the flow declares {list(flow.languages)})",
                        )
                    )


def defined_variables(flow: m.Flow) -> set[str]:
    """Every variable some node (or the contact) sets."""
    names = set(BUILTIN_VARIABLES) | set(flow.variables)
    names |= {"survey.rating", "message", "number", "closure.name"}
    for node in flow.nodes.values():
        if isinstance(node, m.CollectNode):
            names.add(node.into)
        elif isinstance(node, m.SetNode):
            names.update(name for name, _ in node.attributes)
        elif isinstance(node, m.HttpNode):
            names.update(name for name, _ in node.map)
        elif isinstance(node, m.IdentifyNode):
            names.add("customer.id")
            names.update(f"customer.{f}" for f in node.fields)
        elif isinstance(node, m.VerifyNode):
            names.add("customer.verified")
    return names


def _used_variables(node: m.Node) -> Iterator[str]:
    for _, text, _ in _texts(node):
        for value in (text.ja, text.en):
            yield from _TEMPLATE.findall(value)
    if isinstance(node, m.HttpNode):
        yield from _TEMPLATE.findall(node.url)
        yield from _TEMPLATE.findall(node.body or "")
    elif isinstance(node, m.SetNode):
        for _, template in node.attributes:
            yield from _TEMPLATE.findall(template)
    elif isinstance(node, m.TransferNode):
        yield from _TEMPLATE.findall(node.target)
    elif isinstance(node, m.VerifyNode):
        yield node.secret
    elif isinstance(node, m.IdentifyNode) and node.by != "caller":
        yield node.by
    elif isinstance(node, m.ConditionNode):
        for condition, _ in node.branches:
            yield from _condition_names(condition)


def _condition_names(condition: m.Condition) -> Iterator[str]:
    if condition.kind in ("attribute", "exists"):
        yield condition.name
    for part in condition.parts:
        yield from _condition_names(part)


def _check_variables(flow: m.Flow, problems: list[FlowProblem]) -> None:
    defined = defined_variables(flow)
    for node in flow.nodes.values():
        for name in dict.fromkeys(_used_variables(node)):
            if name not in defined:
                problems.append(
                    FlowProblem(
                        node.line,
                        f"node {node.id!r}: variable {name!r} is never set",
                        "set it in a collect, set, http or identify node, or list it in variables:",
                    )
                )


def _conditions(node: m.Node) -> Iterator[m.Condition]:
    if isinstance(node, m.ConditionNode):
        todo = [condition for condition, _ in node.branches]
        while todo:
            current = todo.pop()
            yield current
            todo.extend(current.parts)


def _check_center(flow: m.Flow, center: CenterConfig, problems: list[FlowProblem]) -> None:
    queues = [q.id for q in center.queues]
    skills = [s.id for s in center.skills]
    calendars = [c.id for c in center.calendars]
    agents = [a.id for a in center.agents]

    def check(line: int, node: m.Node, what: str, name: str, known: list[str]) -> None:
        if name and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(known)}"
            problems.append(FlowProblem(line, f"node {node.id!r}: unknown {what} {name!r}", hint))

    for node in flow.nodes.values():
        if isinstance(node, m.EnqueueNode | m.CallbackNode):
            check(node.line, node, "queue", node.queue, queues)
        if isinstance(node, m.TransferNode) and node.kind is m.TransferKind.QUEUE:
            check(node.line, node, "queue", node.target, queues)
        if isinstance(node, m.TransferNode) and node.kind is m.TransferKind.AGENT:
            check(node.line, node, "agent", node.target, agents)
        if isinstance(node, m.EnqueueNode | m.SetNode):
            for skill, _ in node.skills:
                check(node.line, node, "skill", skill, skills)
        for condition in _conditions(node):
            if condition.queue:
                check(condition.line, node, "queue", condition.queue, queues)
            if condition.calendar:
                check(condition.line, node, "calendar", condition.calendar, calendars)
