"""Typed reading of a composed YAML node tree, collecting every problem with its line.

PyYAML's ``compose`` keeps each value's position; :class:`NodeReader` turns nodes into Python
values and, instead of raising at the first mistake, records a :class:`Problem` and returns
``None`` so the caller can carry on and report everything at once. Scalars are read from the
text as written (not YAML 1.1's guesses: ``10:00`` stays a time, ``no`` stays a language code).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import yaml

from madoguchi.core.config import LocalizedText

_NULL_TAG = "tag:yaml.org,2002:null"
_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a configuration file, at a 1-based line."""

    filename: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line}: {self.message}"


def label(node: yaml.Node, kind: str, key: str = "id") -> str:
    """``kind 'ID'`` when the mapping ``node`` has a plain ``key``, else just ``kind``."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if (
                isinstance(key_node, yaml.ScalarNode)
                and key_node.value == key
                and isinstance(value_node, yaml.ScalarNode)
                and value_node.value
            ):
                return f"{kind} '{value_node.value}'"
    return kind


def line_of(node: yaml.Node) -> int:
    """The 1-based line where ``node`` starts."""
    return int(node.start_mark.line) + 1


def suggestion(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` when a known word is close, else an empty string."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class NodeReader:
    """Reads nodes of one file, appending a :class:`Problem` for each mistake."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.problems: list[Problem] = []

    def report(self, where: yaml.Node | int, message: str) -> None:
        """Record a problem at a node or a line number."""
        line = where if isinstance(where, int) else line_of(where)
        self.problems.append(Problem(self.filename, line, message))

    # containers -------------------------------------------------------------------------

    def mapping(
        self,
        node: yaml.Node,
        what: str,
        keys: Sequence[str],
        required: Sequence[str] = (),
    ) -> dict[str, yaml.Node] | None:
        """A mapping whose keys must be among ``keys``; reports unknown, duplicate, missing."""
        if not isinstance(node, yaml.MappingNode):
            self.report(node, f"{what} must be a mapping of key: value, not {_kind(node)}")
            return None
        result: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(key_node, f"{what}: a key must be a plain word")
                continue
            key = str(key_node.value)
            if key in result:
                self.report(
                    key_node,
                    f"{what}: key '{key}' appears twice (first at line {line_of(result[key])})",
                )
                continue
            if key not in keys:
                self.report(
                    key_node,
                    f"{what}: unknown key '{key}'{suggestion(key, keys)}; "
                    f"allowed: {', '.join(keys)}",
                )
                continue
            result[key] = value_node
        for key in required:
            if key not in result:
                self.report(node, f"{what}: '{key}' is missing")
        return result

    def free_mapping(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]] | None:
        """A mapping with keys of the caller's choosing (skill → level, day → hours)."""
        if not isinstance(node, yaml.MappingNode):
            self.report(node, f"{what} must be a mapping of key: value, not {_kind(node)}")
            return None
        seen: dict[str, yaml.Node] = {}
        pairs: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.report(key_node, f"{what}: a key must be a plain word")
                continue
            key = str(key_node.value)
            if key in seen:
                self.report(
                    key_node,
                    f"{what}: key '{key}' appears twice (first at line {line_of(seen[key])})",
                )
                continue
            seen[key] = key_node
            pairs.append((key_node, value_node))
        return pairs

    def sequence(self, node: yaml.Node, what: str) -> list[yaml.Node] | None:
        """A list (``- item`` lines or ``[a, b]``)."""
        if not isinstance(node, yaml.SequenceNode):
            self.report(
                node, f"{what} must be a list (lines starting with '- '), not {_kind(node)}"
            )
            return None
        return list(node.value)

    def strings(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, str]] | None:
        """A single string or a list of strings, each with its node."""
        items = [node] if isinstance(node, yaml.ScalarNode) else self.sequence(node, what)
        if items is None:
            return None
        result = []
        for item in items:
            text = self.string(item, what)
            if text is not None:
                result.append((item, text))
        return result

    # scalars ----------------------------------------------------------------------------

    def scalar(self, node: yaml.Node, what: str, expected: str) -> str | None:
        """The text of a scalar as written; reports lists, mappings and empty values."""
        if not isinstance(node, yaml.ScalarNode):
            self.report(node, f"{what} must be {expected}, not {_kind(node)}")
            return None
        if _is_null(node):
            self.report(node, f"{what} is empty: give {expected}")
            return None
        return str(node.value)

    def string(self, node: yaml.Node, what: str) -> str | None:
        """Any text."""
        return self.scalar(node, what, "a text")

    def ident(self, node: yaml.Node, what: str) -> str | None:
        """An id: letters, digits, '_', '.', '-', starting with a letter or digit."""
        text = self.scalar(node, what, "an id")
        if text is not None and not _ID.match(text):
            self.report(
                node,
                f"{what} '{text}' is not a valid id: use ASCII letters, digits, '_', '.', '-' "
                "(put Japanese in 'name')",
            )
            return None
        return text

    def integer(
        self, node: yaml.Node, what: str, low: int | None = None, high: int | None = None
    ) -> int | None:
        """A whole number, optionally within ``low``–``high``."""
        text = self.scalar(node, what, "a whole number")
        if text is None:
            return None
        if not _INT.match(text.strip()):
            self.report(node, f"{what} must be a whole number, not '{text}'")
            return None
        value = int(text)
        return value if self._in_range(node, what, value, low, high) else None

    def number(
        self, node: yaml.Node, what: str, low: float | None = None, high: float | None = None
    ) -> float | None:
        """A number, optionally within ``low``–``high``."""
        text = self.scalar(node, what, "a number")
        if text is None:
            return None
        if not _FLOAT.match(text.strip()):
            self.report(node, f"{what} must be a number, not '{text}'")
            return None
        value = float(text)
        return value if self._in_range(node, what, value, low, high) else None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        """``true`` or ``false`` (also yes/no, on/off)."""
        text = self.scalar(node, what, "true or false")
        if text is None:
            return None
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        self.report(node, f"{what} must be true or false, not '{text}'")
        return None

    def choice(self, node: yaml.Node, what: str, enum: type[E]) -> E | None:
        """One of an enumeration's values, with a 'did you mean' hint."""
        text = self.scalar(node, what, "a word")
        if text is None:
            return None
        allowed = [member.value for member in enum]
        if text not in allowed:
            self.report(
                node,
                f"{what} '{text}' is not known{suggestion(text, allowed)}; "
                f"use one of: {', '.join(allowed)}",
            )
            return None
        return enum(text)

    def text(self, node: yaml.Node, what: str) -> LocalizedText | None:
        """A name: a plain text (Japanese), or ``{ja: ..., en: ...}``."""
        if isinstance(node, yaml.ScalarNode):
            value = self.string(node, what)
            return None if value is None else LocalizedText(value)
        fields = self.mapping(node, what, ("ja", "en"))
        if fields is None:
            return None
        ja = self.string(fields["ja"], f"{what}.ja") if "ja" in fields else ""
        en = self.string(fields["en"], f"{what}.en") if "en" in fields else ""
        if ja is None or en is None:
            return None
        if not ja and not en:
            self.report(node, f"{what} needs 'ja' or 'en'")
            return None
        return LocalizedText(ja, en)

    def parsed(self, node: yaml.Node, what: str, parse: Callable[[str], T]) -> T | None:
        """A scalar run through one of the value parsers; its ValueError becomes a problem."""
        text = self.scalar(node, what, "a value")
        if text is None:
            return None
        try:
            return parse(text)
        except ValueError as err:
            self.report(node, f"{what}: {err}")
            return None

    def _in_range(
        self,
        node: yaml.Node,
        what: str,
        value: float,
        low: float | None,
        high: float | None,
    ) -> bool:
        if low is not None and high is not None and not low <= value <= high:
            self.report(node, f"{what} is {value:g}, outside {low:g}–{high:g}")
            return False
        if low is not None and value < low:
            hint = " (times cannot be negative)" if low == 0 else ""
            self.report(node, f"{what} is {value:g}, must be at least {low:g}{hint}")
            return False
        if high is not None and value > high:
            self.report(node, f"{what} is {value:g}, must be at most {high:g}")
            return False
        return True


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if _is_null(node):
        return "empty"
    return f"'{node.value}'"


def _is_null(node: yaml.Node) -> bool:
    """A plain ``~``, ``null`` or empty value (a quoted ``""`` is an empty text, not null)."""
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG and not node.style
