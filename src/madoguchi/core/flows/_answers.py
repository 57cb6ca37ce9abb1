"""Pure helpers of the interpreter: filling templates, matching answers, mapping HTTP answers."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

from madoguchi.core.flows import inputs as i
from madoguchi.core.flows import model as m
from madoguchi.core.flows._formats import normalize

_TEMPLATE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


def render(template: str, variables: dict[str, str], url: bool = False) -> str:
    """Fill ``{name}`` placeholders (unknown names become empty).

    With ``url``, values are percent-quoted, except a placeholder at the very start (the base).
    """
    if "{" not in template:
        return template
    parts = _PARSED.get(template) or _parse(template)
    out: list[str] = []
    # A placeholder that starts the URL is its base (``{api_base}/orders``): kept as is.
    base = url and not parts[0][0]
    for literal, name in parts:
        out.append(literal)
        if name:
            value = variables.get(name, "")
            if url and not base:
                value = quote(value, safe="")
            base = False
            out.append(value)
    return "".join(out)


_PARSED: dict[str, tuple[tuple[str, str], ...]] = {}
"""Templates split once into (literal text, placeholder name or "") pairs."""


def _parse(template: str) -> tuple[tuple[str, str], ...]:
    parts: list[tuple[str, str]] = []
    at = 0
    for match in _TEMPLATE.finditer(template):
        parts.append((template[at : match.start()], match[1]))
        at = match.end()
    parts.append((template[at:], ""))
    if len(_PARSED) > 4096:
        _PARSED.clear()
    _PARSED[template] = found = tuple(parts)
    return found


def match_option(node: m.MenuNode, value: str, digits: bool) -> m.MenuOption | None:
    """The option a key press, a button's text, or a typed text with a keyword stands for."""
    for option in node.options:
        if value == option.key:
            return option
    if digits:
        return None
    text = normalize(value).lower()
    for option in node.options:
        label = option.label
        if text in (option.key, label.ja.lower(), label.en.lower()):
            return option
        if text.startswith(option.key + ".") or any(k.lower() in text for k in option.keywords):
            return option
    return None


def mapped_response(node: m.HttpNode, response: i.HttpResponse) -> dict[str, str] | None:
    """The variables an HTTP answer maps to, or None when it is an error or garbage."""
    if not 200 <= response.status < 300:
        return None
    try:
        document: object = json.loads(response.body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the decoder goes
        return None
    values: dict[str, str] = {}
    for name, path in node.map:
        value = document
        for step in path.split("."):
            if isinstance(value, dict) and step in value:
                value = value[step]
            elif isinstance(value, list) and step.isdigit() and int(step) < len(value):
                value = value[int(step)]
            else:
                return None
        if isinstance(value, bool):
            values[name] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            values[name] = str(value)
        else:
            return None
    return values
