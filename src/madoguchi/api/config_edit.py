"""Editing the center's configuration from the admin pages: a new version of the center YAML.

An admin edits one section at a time (skills, calendars — hours, holidays, closures and special
days —, queues, agents, dispositions, not-ready reasons) as YAML. The server puts the section
into the whole center document (:func:`madoguchi.core.config_document.center_document` of the
current file), checks the result with the validated loader
(:func:`madoguchi.core.config_loader.parse_center`) and only then writes it: atomically, with
the previous version kept beside it as ``<name>.<UTC time>.bak``. A rejected edit answers 422
with the loader's ``FILE:LINE: message`` problems as details and changes nothing.

The running center keeps its configuration until the server restarts (routing state is built
from it); the answer and the page say so. Without a ``--config`` file (the sample center) the
new version is written to ``DATA_DIR/center.yaml``: start the server with ``--config`` on it.

Tenants: sections whose items name a tenant (queues, agents, dispositions, reasons) show and
replace only the caller's items; shared codes (no tenant) stay read-only. Skills are
center-wide; a calendar is editable unless only other tenants' queues use it. The loader still
refuses removing anything another part of the center refers to.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from madoguchi.api.context import ApiContext
from madoguchi.api.errors import ApiError, ErrorDetail
from madoguchi.core.config_document import center_document
from madoguchi.core.config_loader import ConfigError, parse_center

Section = Literal["skills", "calendars", "queues", "agents", "dispositions", "not_ready_reasons"]
SECTIONS: tuple[str, ...] = (
    "skills",
    "calendars",
    "queues",
    "agents",
    "dispositions",
    "not_ready_reasons",
)
_TENANT_SECTIONS = frozenset({"queues", "agents", "dispositions", "not_ready_reasons"})
_lock = threading.Lock()


class ConfigRejected(ApiError):
    """The edited center does not load: every problem as ``FILE:LINE``, nothing written."""

    status = 422
    error_id = "config-rejected"


@dataclass(frozen=True, slots=True)
class SectionView:
    """A section as the caller may edit it."""

    editable: list[dict[str, Any]]
    read_only: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SavedVersion:
    """Where a new version went."""

    file: Path
    backup: Path | None


def center_file(ctx: ApiContext) -> Path:
    """The center YAML the admin pages write (see the module docstring)."""
    hooked = ctx.extras.get("center_file")
    if hooked is not None:
        return Path(hooked)
    if ctx.settings.center_file is not None:
        return ctx.settings.center_file
    return ctx.settings.data_dir / "center.yaml"


def current_document(ctx: ApiContext) -> dict[str, Any]:
    """The latest version: the file when it exists (it may be newer than the running center)."""
    path = center_file(ctx)
    if path.is_file():
        return center_document(parse_center(path.read_text(encoding="utf-8"), str(path)))
    return center_document(ctx.config)


def pending_restart(ctx: ApiContext) -> bool:
    """Whether a saved version differs from what the center runs."""
    path = center_file(ctx)
    if not path.is_file():
        return False
    try:
        return current_document(ctx) != center_document(ctx.config)
    except ConfigError:
        return True


def _editable_calendars(document: dict[str, Any], tenant: str) -> set[str]:
    others = {q.get("hours") for q in document["queues"] if q.get("tenant") != tenant}
    mine = {q.get("hours") for q in document["queues"] if q.get("tenant") == tenant}
    return {c["id"] for c in document["calendars"] if c["id"] in mine or c["id"] not in others}


def _is_editable(section: str, item: dict[str, Any], tenant: str, calendars: set[str]) -> bool:
    if section in _TENANT_SECTIONS:
        return bool(item.get("tenant") == tenant)
    if section == "calendars":
        return item["id"] in calendars
    return True


def section_view(document: dict[str, Any], section: str, tenant: str) -> SectionView:
    """The caller's part of ``section`` and the part they may only read."""
    calendars = _editable_calendars(document, tenant)
    items: list[dict[str, Any]] = list(document.get(section, []))
    editable = [i for i in items if _is_editable(section, i, tenant, calendars)]
    read_only = [i for i in items if not _is_editable(section, i, tenant, calendars)]
    return SectionView(editable, read_only)


def dump(items: list[dict[str, Any]]) -> str:
    """Items as block YAML (Japanese kept readable)."""
    if not items:
        return "[]\n"
    return yaml.safe_dump(items, allow_unicode=True, sort_keys=False, width=100)


def _read_items(section: str, text: str) -> list[dict[str, Any]]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = int(mark.line) + 1 if mark is not None else 1
        raise ConfigRejected(
            f"{section}: YAML syntax error",
            details=[ErrorDetail(field=f"body.yaml:{line}", message=str(err.problem or err))],
        ) from err
    except yaml.YAMLError as err:
        raise ConfigRejected(
            f"{section}: YAML error",
            details=[ErrorDetail(field="body.yaml", message=str(err))],
        ) from err
    if loaded is None:
        return []
    if not isinstance(loaded, list) or not all(isinstance(i, dict) for i in loaded):
        raise ConfigRejected(
            f"{section}: expected a list of entries",
            details=[ErrorDetail(field="body.yaml", message="write a YAML list of mappings")],
        )
    return loaded


def _claim(section: str, items: list[dict[str, Any]], tenant: str, calendars: set[str]) -> None:
    """Items without a tenant become the caller's; another tenant's is refused."""
    problems: list[ErrorDetail] = []
    for n, item in enumerate(items, start=1):
        if section in _TENANT_SECTIONS:
            item.setdefault("tenant", tenant)
            if item["tenant"] != tenant:
                problems.append(
                    ErrorDetail(field=f"body.yaml[{n}].tenant", message=f"must be {tenant}")
                )
        elif section == "calendars" and "id" in item and item["id"] not in calendars:
            problems.append(
                ErrorDetail(
                    field=f"body.yaml[{n}].id",
                    message="this calendar is used only by another tenant's queues",
                )
            )
    if problems:
        raise ConfigRejected(f"{section}: entries of another tenant", details=problems)


def build_version(
    document: dict[str, Any], section: str, text: str, tenant: str, filename: str
) -> str:
    """The whole center's YAML with ``section`` replaced, checked by the loader."""
    items = _read_items(section, text)
    calendars = _editable_calendars(document, tenant)
    _claim(section, items, tenant, calendars)
    kept = section_view(document, section, tenant).read_only
    updated = {**document, section: [*kept, *items]}
    version = yaml.safe_dump(updated, allow_unicode=True, sort_keys=False, width=100)
    try:
        parse_center(version, filename)
    except ConfigError as err:
        lines = version.splitlines()
        raise ConfigRejected(
            f"{section}: the center does not load ({len(err.problems)} problems)",
            details=[
                ErrorDetail(
                    field=f"{p.filename}:{p.line}",
                    message=_with_line(p.message, lines, p.line),
                )
                for p in err.problems
            ],
        ) from err
    return version


def _with_line(message: str, lines: list[str], line: int) -> str:
    if 1 <= line <= len(lines):
        return f"{message} (at: {lines[line - 1].strip()[:120]})"
    return message


def save_version(ctx: ApiContext, section: str, text: str, tenant: str, now: float) -> SavedVersion:
    """Check and write a new version of the center file (see the module docstring)."""
    path = center_file(ctx)
    with _lock:
        version = build_version(current_document(ctx), section, text, tenant, path.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        backup: Path | None = None
        if path.is_file():
            stamp = datetime.fromtimestamp(now, UTC).strftime("%Y%m%dT%H%M%S%fZ")
            backup = path.with_name(f"{path.name}.{stamp}.bak")
            backup.write_bytes(path.read_bytes())
        temporary = path.with_name(f".{path.name}.writing")
        temporary.write_text(
            f"# Written by the madoguchi admin pages ({section} edited by tenant {tenant}).\n"
            + version,
            encoding="utf-8",
        )
        os.replace(temporary, path)
    return SavedVersion(path, backup)
