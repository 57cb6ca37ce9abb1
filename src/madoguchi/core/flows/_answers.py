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
    if url:
        # A placeholder that starts the URL is its base (``{api_base}/orders``): kept as is.
        return _TEMPLATE.sub(
            lambda x: (
                variables.get(x[1], "")
                if x.start() == 0
                else quote(variables.get(x[1], ""), safe="")
            ),
            template,
        )
    return _TEMPLATE.sub(lambda x: variables.get(x[1], ""), template)


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
    except ValueError:
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
