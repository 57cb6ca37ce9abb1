"""Readers of each node type's fields (used by :mod:`.loader`); each returns a model node."""

from __future__ import annotations

from enum import StrEnum

import yaml

from madoguchi.core.config import LocalizedText
from madoguchi.core.flows import model as m
from madoguchi.core.flows._yaml import MapReader, line_of

_TREATMENT_KEYS = frozenset(
    {"music", "announce_every", "callback_after", "callback_if_wait_above", "offer_message"}
    | {"callback", "message"}
)
_CONDITION_KINDS = (
    "attribute",
    "open",
    "holiday",
    "closure",
    "ewt_above",
    "agents_available_below",
    "channel",
    "language",
    "all",
    "any",
    "not",
)


def read_text(r: MapReader, key: str) -> LocalizedText | None:
    node = r.raw(key)
    if node is None:
        return None
    if isinstance(node, yaml.ScalarNode):
        return LocalizedText(ja=str(node.value), en="")
    if not isinstance(node, yaml.MappingNode):
        r.problem(line_of(node), f"{r.what}: {key!r} must be a text or {{ja:, en:}}")
        return None
    sub = MapReader(node, r.problems, f"{r.what}.{key}")
    sub.reject_unknown({"ja", "en"})
    return LocalizedText(ja=sub.string("ja") or "", en=sub.string("en") or "")


def _prompt(r: MapReader, key: str, required: bool = False) -> m.Prompt | None:
    node = r.raw(key)
    if node is None:
        if required:
            r.problem(r.line, f"{r.what}: missing field {key!r}", f"add {key}: {{ja: …, en: …}}")
        return None
    if isinstance(node, yaml.ScalarNode):
        return m.Prompt(text=LocalizedText(ja=str(node.value), en=""))
    if not isinstance(node, yaml.MappingNode):
        r.problem(line_of(node), f"{r.what}: {key!r} must be a text or {{ja:, en:, audio:}}")
        return None
    sub = MapReader(node, r.problems, f"{r.what}.{key}")
    sub.reject_unknown({"ja", "en", "audio"})
    text = None
    if sub.has("ja") or sub.has("en"):
        text = LocalizedText(ja=sub.string("ja") or "", en=sub.string("en") or "")
    return m.Prompt(text=text, audio=sub.string("audio"))


def _retries(r: MapReader) -> m.Retries:
    return m.Retries(
        timeout_s=r.number("timeout", 5.0, minimum=0) or 5.0,
        max_attempts=r.integer("attempts", 3, minimum=1) or 3,
        no_input=_prompt(r, "no_input"),
        invalid=_prompt(r, "invalid"),
    )


def _target(r: MapReader, key: str, required: bool = True) -> str:
    value = r.string(key, required=required)
    return value or ""


def _enum(r: MapReader, key: str, kind: type[StrEnum], default: str) -> str:
    value = r.string(key, default) or default
    allowed = [str(e.value) for e in kind]
    if value not in allowed:
        r.problem(r.line_at(key), f"{r.what}: {key} {value!r} is not known", f"one of {allowed}")
        return default
    return value


def _skills(r: MapReader) -> tuple[tuple[str, int], ...]:
    sub = r.mapping("skills")
    if sub is None:
        return ()
    found = []
    for name, _, _ in sub.pairs():
        found.append((name, sub.integer(name, 1, minimum=1, maximum=10) or 1))
    return tuple(found)


def _say(node_id: str, r: MapReader) -> m.Node:
    return m.SayNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        barge_in=r.boolean("barge_in", True),
        next=_target(r, "next"),
    )


def _menu(node_id: str, r: MapReader) -> m.Node:
    options: list[m.MenuOption] = []
    for item in r.sequence("options") or []:
        if not isinstance(item, yaml.MappingNode):
            r.problem(line_of(item), f"{r.what}: each option is a mapping (key, label, next)")
            continue
        o = MapReader(item, r.problems, f"{r.what} option")
        o.reject_unknown({"key", "label", "next", "keywords"})
        key = o.string("key", required=True) or ""
        options.append(
            m.MenuOption(
                key=key,
                label=read_text(o, "label") or LocalizedText(key),
                next=o.string("next") or "",
                keywords=o.strings("keywords"),
                line=o.line,
            )
        )
    if not r.has("options"):
        r.problem(r.line, f"{r.what}: missing field 'options'", "add options: [{key: 1, …}]")
    return m.MenuNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        options=tuple(options),
        retries=_retries(r),
        fallback=_target(r, "fallback"),
        barge_in=r.boolean("barge_in", True),
    )


def _collect(node_id: str, r: MapReader) -> m.Node:
    return m.CollectNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        into=r.string("into", required=True) or "",
        mode=m.InputMode(_enum(r, "mode", m.InputMode, "digits")),
        min_length=r.integer("min_length", 1, minimum=0) or 1,
        max_length=r.integer("max_length", 32, minimum=1) or 32,
        pattern=r.string("pattern"),
        format=m.InputFormat(_enum(r, "format", m.InputFormat, "any")),
        retries=_retries(r),
        next=_target(r, "next"),
        fallback=_target(r, "fallback"),
        sensitive=r.boolean("sensitive", False),
    )


def _identify(node_id: str, r: MapReader) -> m.Node:
    return m.IdentifyNode(
        id=node_id,
        line=r.line,
        by=r.string("by", "caller") or "caller",
        fields=r.strings("fields"),
        timeout_s=r.number("timeout", 5.0, minimum=0) or 5.0,
        found=_target(r, "found"),
        not_found=_target(r, "not_found"),
    )


def _verify(node_id: str, r: MapReader) -> m.Node:
    return m.VerifyNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        secret=r.string("secret", required=True) or "",
        mode=m.InputMode(_enum(r, "mode", m.InputMode, "digits")),
        format=m.InputFormat(_enum(r, "format", m.InputFormat, "any")),
        retries=_retries(r),
        verified=_target(r, "verified"),
        failed=_target(r, "failed"),
    )


def _set(node_id: str, r: MapReader) -> m.Node:
    attributes: list[tuple[str, str]] = []
    sub = r.mapping("attributes")
    if sub is not None:
        for name, _, _ in sub.pairs():
            attributes.append((name, sub.string(name, "") or ""))
    return m.SetNode(
        id=node_id,
        line=r.line,
        attributes=tuple(attributes),
        priority=r.integer("priority"),
        skills=_skills(r),
        language=r.string("language"),
        next=_target(r, "next"),
    )


def _condition(r: MapReader, node: yaml.Node) -> m.Condition | None:
    if not isinstance(node, yaml.MappingNode):
        r.problem(line_of(node), f"{r.what}: a condition is a mapping such as {{open: hours}}")
        return None
    c = MapReader(node, r.problems, f"{r.what} condition")
    kind = next((k for k in _CONDITION_KINDS if c.has(k)), None)
    if kind is None:
        c.problem(c.line, f"{r.what}: unknown condition", "one of " + ", ".join(_CONDITION_KINDS))
        return None
    line = c.line
    if kind == "attribute":
        c.reject_unknown({"attribute", "equals", "one_of", "exists"})
        exists = c.boolean("exists", False)
        return m.Condition(
            kind="exists" if exists else "attribute",
            name=c.string("attribute") or "",
            equals=c.string("equals"),
            one_of=c.strings("one_of"),
            line=line,
        )
    c.reject_unknown({kind})
    if kind in ("open", "holiday", "closure"):
        return m.Condition(kind=kind, calendar=c.string(kind) or "", line=line)
    if kind in ("channel", "language"):
        return m.Condition(kind=kind, equals=c.string(kind), line=line)
    if kind in ("ewt_above", "agents_available_below"):
        sub = c.mapping(kind)
        if sub is None:
            return None
        measure = "seconds" if kind == "ewt_above" else "count"
        sub.reject_unknown({"queue", measure})
        return m.Condition(
            kind=kind,
            queue=sub.string("queue", required=True) or "",
            number=sub.number(measure, 0.0, minimum=0) or 0.0,
            line=line,
        )
    if kind == "not":
        inner = c.raw("not")
        part = _condition(r, inner) if inner is not None else None
        return m.Condition(kind="not", parts=(part,), line=line) if part else None
    parts = [_condition(r, item) for item in c.sequence(kind) or []]
    return m.Condition(kind=kind, parts=tuple(p for p in parts if p is not None), line=line)


def _condition_node(node_id: str, r: MapReader) -> m.Node:
    branches: list[tuple[m.Condition, str]] = []
    for item in r.sequence("branches") or []:
        if not isinstance(item, yaml.MappingNode):
            r.problem(line_of(item), f"{r.what}: each branch is {{when: …, next: …}}")
            continue
        b = MapReader(item, r.problems, f"{r.what} branch")
        b.reject_unknown({"when", "next"})
        when = b.raw("when")
        if when is None:
            b.problem(b.line, f"{r.what}: branch without 'when'", "add when: {…}")
            continue
        condition = _condition(b, when)
        target = b.string("next", required=True) or ""
        if condition is not None:
            branches.append((condition, target))
    return m.ConditionNode(
        id=node_id, line=r.line, branches=tuple(branches), otherwise=_target(r, "otherwise")
    )


def _enqueue(node_id: str, r: MapReader) -> m.Node:
    treatment = m.QueueTreatment()
    t = r.mapping("treatment")
    if t is not None:
        t.reject_unknown(_TREATMENT_KEYS)
        treatment = m.QueueTreatment(
            music=t.string("music"),
            announce_every_s=t.number("announce_every", minimum=0),
            callback_after_s=t.number("callback_after", minimum=0),
            callback_if_ewt_above_s=t.number("callback_if_wait_above", minimum=0),
            offer_message=t.boolean("offer_message", False),
            callback=t.string("callback") or "",
            message=t.string("message") or "",
        )
    return m.EnqueueNode(
        id=node_id,
        line=r.line,
        queue=r.string("queue", required=True) or "",
        priority=r.integer("priority"),
        skills=_skills(r),
        treatment=treatment,
        prompt=_prompt(r, "prompt"),
    )


def _callback(node_id: str, r: MapReader) -> m.Node:
    return m.CallbackNode(
        id=node_id,
        line=r.line,
        queue=r.string("queue", required=True) or "",
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        ask_number=_prompt(r, "ask_number", required=True) or m.Prompt(),
        retries=_retries(r),
        confirmation=_prompt(r, "confirmation"),
        fallback=_target(r, "fallback"),
    )


def _voicemail(node_id: str, r: MapReader) -> m.Node:
    return m.VoicemailNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        max_seconds=r.number("max_seconds", 120.0, minimum=0) or 120.0,
        confirmation=_prompt(r, "confirmation"),
    )


def _transfer(node_id: str, r: MapReader) -> m.Node:
    to = r.mapping("to")
    kind, target = m.TransferKind.QUEUE, ""
    if to is None:
        r.problem(r.line, f"{r.what}: missing field 'to'", "add to: {queue: …} / {number: …}")
    else:
        to.reject_unknown({"queue", "agent", "number"})
        for option in m.TransferKind:
            if to.has(option.value):
                kind, target = option, to.string(option.value) or ""
                break
        else:
            to.problem(to.line, f"{r.what}: 'to' needs queue, agent or number")
    return m.TransferNode(
        id=node_id, line=r.line, kind=kind, target=target, prompt=_prompt(r, "prompt")
    )


def _http(node_id: str, r: MapReader) -> m.Node:
    mapping: list[tuple[str, str]] = []
    sub = r.mapping("map")
    if sub is not None:
        for name, _, _ in sub.pairs():
            mapping.append((name, sub.string(name, "") or ""))
    method = (r.string("method", "GET") or "GET").upper()
    if method not in ("GET", "POST", "PUT"):
        r.problem(r.line_at("method"), f"{r.what}: method {method!r}", "GET, POST or PUT")
    return m.HttpNode(
        id=node_id,
        line=r.line,
        url=r.string("url", required=True) or "",
        method=method,
        body=r.string("body"),
        timeout_s=r.number("timeout", 3.0, minimum=0) or 3.0,
        retries=r.integer("retries", 1, minimum=0) or 0,
        map=tuple(mapping),
        next=_target(r, "next"),
        error=_target(r, "error"),
    )


def _survey(node_id: str, r: MapReader) -> m.Node:
    return m.SurveyNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt", required=True) or m.Prompt(),
        comment_prompt=_prompt(r, "comment_prompt"),
        retries=_retries(r),
        next=_target(r, "next"),
    )


def _disconnect(node_id: str, r: MapReader) -> m.Node:
    return m.DisconnectNode(
        id=node_id,
        line=r.line,
        prompt=_prompt(r, "prompt"),
        outcome=m.FlowOutcome(_enum(r, "outcome", m.FlowOutcome, "self_service")),
    )


READERS = {
    "say": _say,
    "menu": _menu,
    "collect": _collect,
    "identify": _identify,
    "verify": _verify,
    "set": _set,
    "condition": _condition_node,
    "enqueue": _enqueue,
    "callback": _callback,
    "voicemail": _voicemail,
    "transfer": _transfer,
    "http": _http,
    "survey": _survey,
    "disconnect": _disconnect,
}
