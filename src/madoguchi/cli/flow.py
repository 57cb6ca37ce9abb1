"""``madoguchi flow ...``: check a contact flow, walk through it in the terminal, report on it.

- ``check FILE...``: syntax (``FILE:LINE: message — hint``), the JSON Schema, and the semantic
  checks against the center; exit 1 on any problem.
- ``run FILE``: be the caller (type digits) or the chat user (type text or a button's number);
  enqueue goes to the real routing engine over the center, HTTP lookups are really performed.
  On a terminal, voice prompts are spoken at a pace and a key cuts them short (barge-in);
  ``--no-pace`` (and any run without a terminal) prints them whole and reads lines.
  An empty line is silence (the no-input time-out fires), ``/wait`` lets time pass while queued,
  ``/hangup`` leaves. Time is virtual: it starts at ``--at`` (or now) and advances per answer.
- ``report --log FILE`` or ``report --db URL``: containment, drop-off per node and time in the
  flow from an event log (JSON lines of event records) or the event store.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from madoguchi.core.config import CenterConfig
    from madoguchi.core.flows import Flow

app = typer.Typer(help="Contact flows (IVR and chat bot): check, try in the terminal, report.")

FilesArg = Annotated[list[Path], typer.Argument(help="Flow files (YAML).", show_default=False)]
FileArg = Annotated[Path, typer.Argument(help="The flow file (YAML).", show_default=False)]
CenterOpt = Annotated[
    Path | None,
    typer.Option("--center", help="Center file to check queues/skills against (default: sample)."),
]


def _sample_center() -> CenterConfig:
    from madoguchi.samples import load_sample_center

    return load_sample_center()


def _center(path: Path | None) -> CenterConfig:
    if path is None:
        return _sample_center()
    from madoguchi.cli.config import load_center_file

    return load_center_file(path)


def _schema() -> dict[str, Any]:
    from importlib.resources import files

    text = files("madoguchi.samples.flows").joinpath("flow.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _schema_problems(text: str) -> list[Any]:
    """JSON Schema findings (after the loader accepted the file), with lines."""
    import jsonschema

    from madoguchi.core.flows._yaml import FlowProblem, compose, path_line, to_data

    problems: list[FlowProblem] = []
    root = compose(text, problems)
    if root is None:
        return problems
    validator = jsonschema.Draft202012Validator(_schema())
    for error in validator.iter_errors(to_data(root)):
        path = list(error.absolute_path)
        where = "/".join(str(p) for p in path) or "(top)"
        line = path_line(root, path)
        problems.append(FlowProblem(line, f"schema: {where}: {error.message}", ""))
    return problems


def load_flow_file(path: Path, center: CenterConfig | None) -> Flow:
    """Read, parse and validate a flow file; print ``FILE:LINE: message`` and exit 1 on problems."""
    from madoguchi.core.flows import FlowFileError, parse_flow, validate_flow

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        typer.echo(f"{path}: no such file", err=True)
        raise typer.Exit(1) from None
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(f"{path}: cannot read: {err}", err=True)
        raise typer.Exit(1) from None
    try:
        flow = parse_flow(text, str(path))
        problems = validate_flow(flow, center) or _schema_problems(text)
    except FlowFileError as err:
        problems = err.problems
    if problems:
        for problem in problems:
            typer.echo(problem.format(str(path)))
        count = len(problems)
        typer.echo(f"{count} problem{'s' if count != 1 else ''}; nothing loaded.", err=True)
        raise typer.Exit(1)
    return flow


@app.command("check")
def check(files: FilesArg, center: CenterOpt = None) -> None:
    """Validate flow files: FILE:LINE: message — hint per problem, exit 1 on any."""
    config = _center(center)
    failed = False
    for path in files:
        try:
            flow = load_flow_file(path, config)
        except typer.Exit:
            failed = True
            continue
        typer.echo(f"{path}: OK — flow {flow.id} v{flow.version}, {len(flow.nodes)} nodes")
    if failed:
        raise typer.Exit(1)


def _instant(at: str | None, timezone: str) -> float:
    from zoneinfo import ZoneInfo

    if at is None:
        return datetime.now(ZoneInfo(timezone)).timestamp()
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        typer.echo(f"--at: '{at}' is not an ISO date-time such as 2026-12-30T10:00", err=True)
        raise typer.Exit(2) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    return moment.timestamp()


@app.command("run")
def run(
    file: FileArg,
    channel: Annotated[str, typer.Option("--channel", help="voice or chat.")] = "voice",
    caller: Annotated[str, typer.Option("--caller", help="Caller number (voice).")] = "",
    lang: Annotated[str, typer.Option("--lang", help="ja or en.")] = "ja",
    center: CenterOpt = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Virtual start time (ISO), default now.")
    ] = None,
    ahead: Annotated[
        int,
        typer.Option(
            "--ahead", help="Contacts that reached each queue first (busy agents, then a line)."
        ),
    ] = 0,
    set_values: Annotated[
        list[str] | None, typer.Option("--set", help="NAME=VALUE: a flow variable.")
    ] = None,
    customers: Annotated[
        Path | None, typer.Option("--customers", help="Customer directory (default: sample).")
    ] = None,
    log: Annotated[
        Path | None, typer.Option("--log", help="Append the flow's events here (JSON lines).")
    ] = None,
    pace: Annotated[
        float | None,
        typer.Option(
            "--pace",
            help="Voice: characters per second prompts are spoken at (default: 8 ja, 15 en).",
        ),
    ] = None,
    no_pace: Annotated[
        bool,
        typer.Option(
            "--no-pace",
            help="Voice: print prompts whole and read answers by the line (as without a terminal).",
        ),
    ] = False,
) -> None:
    """Walk through a flow in the terminal as a caller (digits) or a chat user (text, buttons).

    On a terminal, voice prompts are spoken at a pace and a key cuts a prompt short (barge-in).
    """
    import sys

    from rich.console import Console

    from madoguchi.cli._flow_terminal import TerminalKeyboard, TerminalRun

    if channel not in ("voice", "chat"):
        typer.echo(f"--channel: '{channel}' is not voice or chat", err=True)
        raise typer.Exit(2)
    if pace is not None and not (pace > 0 and pace < float("inf")):
        typer.echo(
            f"--pace: '{pace:g}' is not a positive number of characters per second", err=True
        )
        raise typer.Exit(2)
    if lang not in ("ja", "en"):
        typer.echo(f"--lang: '{lang}' is not ja or en", err=True)
        raise typer.Exit(2)
    attributes: dict[str, str] = {}
    for item in set_values or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            typer.echo(f"--set: '{item}' is not NAME=VALUE", err=True)
            raise typer.Exit(2)
        attributes[name] = value
    config = _center(center)
    flow = load_flow_file(file, config)
    if log is not None:
        _check_writable(log)  # before the walk, so that its events are not lost at the end
    console = Console(highlight=False)
    paced = channel == "voice" and not no_pace and TerminalKeyboard.available()
    keyboard = TerminalKeyboard(sys.stdin.fileno()) if paced else None
    runner = TerminalRun(
        flow,
        config,
        console,
        channel=channel,
        caller=caller,
        language=lang,
        attributes=attributes,
        customers=_load_customers(customers),
        now=_instant(at, config.timezone),
        ahead=ahead,
        keyboard=keyboard,
        pace=pace,
    )
    if keyboard is not None:
        with keyboard.cbreak():
            runner.run(input_line=lambda: "")
    else:
        runner.run(input_line=lambda: console.input("[bold cyan]> [/]"))
    if log is not None:
        try:
            runner.write_log(log)
        except OSError as err:
            typer.echo(f"{log}: cannot write: {err}", err=True)
            raise typer.Exit(1) from None


def _check_writable(path: Path) -> None:
    try:
        with path.open("a", encoding="utf-8"):
            pass
    except OSError as err:
        typer.echo(f"{path}: cannot write: {err}", err=True)
        raise typer.Exit(1) from None


def _load_customers(path: Path | None) -> list[dict[str, Any]]:
    import yaml

    if path is None:
        from importlib.resources import files

        text = files("madoguchi.samples.flows").joinpath("customers.yaml").read_text("utf-8")
        name = "customers.yaml"
    else:
        name = str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            typer.echo(f"{path}: cannot read: {err}", err=True)
            raise typer.Exit(1) from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        typer.echo(f"{name}:{line}: malformed YAML", err=True)
        raise typer.Exit(1) from None
    found = data.get("customers") if isinstance(data, dict) else None
    if not isinstance(found, list):
        typer.echo(f"{name}:1: expected 'customers:' with a list", err=True)
        raise typer.Exit(1)
    return [c for c in found if isinstance(c, dict)]


@app.command("report")
def report(
    log: Annotated[
        Path | None, typer.Option("--log", help="Event log: JSON lines of event records.")
    ] = None,
    db: Annotated[
        str | None,
        typer.Option("--db", help="Event store URL (sqlite:///file, postgresql://…)."),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Also write the figures as JSON here.")
    ] = None,
) -> None:
    """Containment, drop-off per node and time in the flow, from an event log or store."""
    from rich.console import Console

    from madoguchi.core.flows import events as _flow_events  # noqa: F401  (registers them)
    from madoguchi.core.flows.analytics import FlowAnalytics

    if (log is None) == (db is None):
        typer.echo("give exactly one of --log FILE or --db URL", err=True)
        raise typer.Exit(2)
    analytics = FlowAnalytics()
    if log is not None:
        _read_log(log, analytics)
    else:
        assert db is not None
        _read_store(db, analytics)
    console = Console(highlight=False)
    _print_report(console, analytics)
    if json_path is not None:
        document = [figures.as_dict() for figures in analytics.report()]
        json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        console.print(f"wrote {json_path}")


_FLOW_EVENT_PREFIXES = ("Flow", "Node", "Input", "Survey", "Queue")


def _read_log(log: Path, analytics: Any) -> None:
    from madoguchi.core import events as ev

    try:
        lines = log.read_bytes().splitlines()
    except OSError as err:
        typer.echo(f"{log}: cannot read: {err}", err=True)
        raise typer.Exit(1) from None
    for number, raw in enumerate(lines, start=1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            typer.echo(f"{log}:{number}: not UTF-8 text", err=True)
            raise typer.Exit(1) from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            typer.echo(f"{log}:{number}: not a JSON record", err=True)
            raise typer.Exit(1) from None
        if not isinstance(record, dict) or not str(record.get("type", "")).startswith(
            _FLOW_EVENT_PREFIXES
        ):
            continue
        try:
            item = ev.from_record(record)
            _check_field_types(item)
        except ev.EventError as err:
            typer.echo(f"{log}:{number}: {err}", err=True)
            raise typer.Exit(1) from None
        analytics.apply(item)


def _check_field_types(item: Any) -> None:
    """Refuse a record whose fields are not of their declared plain types (EventError).

    ``from_record`` converts numbers and enumerations; texts, integers and flags come as read,
    and the analytics must not meet a list where a node name belongs, or a NaN duration.
    """
    import dataclasses
    import math
    import typing

    from madoguchi.core.events import EventError

    hints = typing.get_type_hints(type(item))
    for f in dataclasses.fields(item):
        value = getattr(item, f.name)
        hint = hints.get(f.name)
        if hint is str:
            ok = isinstance(value, str)
        elif hint is bool:
            ok = isinstance(value, bool)
        elif hint is int:
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif hint is float:
            ok = isinstance(value, float) and math.isfinite(value)
        else:
            ok = True  # enumerations are converted (or refused) by from_record
        if not ok:
            name = type(item).__name__
            raise EventError(f"bad {name} record: field {f.name!r} is {value!r}")


def _read_store(url: str, analytics: Any) -> None:
    from madoguchi.store import open_store
    from madoguchi.store.errors import StoreError

    try:
        with open_store(url, migrate=False) as store:
            for _, item in store.read(on_undecodable=lambda error: None):
                analytics.apply(item)
    except StoreError as err:
        typer.echo(f"--db: {err}", err=True)
        raise typer.Exit(1) from None


def _print_report(console: Console, analytics: Any) -> None:
    from rich.table import Table

    flows = analytics.report()
    if not flows:
        console.print("no flow events in the log")
        return
    for figures in flows:
        containment = figures.containment
        share = f"{containment:.1%}" if containment is not None else "—"
        mean = figures.mean_duration
        p90 = figures.duration_percentile(0.9)
        console.print(
            f"[bold]{figures.flow_id}[/]: {figures.entered} entered, {figures.exited} exited, "
            f"self-service containment {share}, time in flow mean "
            f"{mean:.1f} s / p90 {p90:.1f} s"
            if mean is not None and p90 is not None
            else f"[bold]{figures.flow_id}[/]: {figures.entered} entered, no exits yet"
        )
        outcomes = Table("outcome", "contacts", title="outcomes")
        for outcome, count in figures.outcomes.most_common():
            outcomes.add_row(outcome, str(count))
        console.print(outcomes)
        drop = Table("node", "hung up here", "visits", title="drop-off per node")
        for node, count in figures.drop_off.most_common():
            drop.add_row(node, str(count), str(figures.visits[node]))
        console.print(drop)
        if figures.ratings:
            console.print(
                f"survey: {len(figures.ratings)} answers, mean {figures.mean_rating:.2f} / 5"
            )
