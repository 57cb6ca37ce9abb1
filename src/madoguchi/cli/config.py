"""``madoguchi config ...``: check and show a center file.

``check`` prints each problem as ``FILE:LINE: message`` and exits 1, or a short summary of the
center (tenants, calendars, queues with whether they are open, agents). ``show`` prints the
configuration as the loader understood it, with every default filled in. ``sample`` prints the
packaged sample center.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from madoguchi.core.config import CenterConfig

app = typer.Typer(
    help="Center configuration: check a center file, show it normalized, print the sample.",
    no_args_is_help=True,
)

FileArg = Annotated[Path, typer.Argument(help="The center file (YAML).", show_default=False)]
AtOpt = Annotated[
    str | None,
    typer.Option(
        "--at",
        help="Judge opening hours at this time (ISO, e.g. 2026-12-30T10:00) instead of now; "
        "without an offset it is in the center's time zone.",
    ),
]
LangOpt = Annotated[str, typer.Option("--lang", help="Language of names: ja or en.")]
FormatOpt = Annotated[str, typer.Option("--format", help="yaml or json.")]


def load_center_file(path: Path) -> CenterConfig:
    """Read and parse a center file; on problems print ``FILE:LINE: message`` and exit 1."""
    from madoguchi.core.config_loader import ConfigError, parse_center

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        typer.echo(f"{path}: no such file", err=True)
        raise typer.Exit(1) from None
    except (OSError, UnicodeDecodeError) as err:
        typer.echo(f"{path}: cannot read: {err}", err=True)
        raise typer.Exit(1) from None
    try:
        return parse_center(text, str(path))
    except ConfigError as err:
        for problem in err.problems:
            typer.echo(str(problem))
        count = len(err.problems)
        typer.echo(f"{count} problem{'s' if count != 1 else ''}; nothing loaded.", err=True)
        raise typer.Exit(1) from None


@app.command("check")
def check(file: FileArg, at: AtOpt = None, lang: LangOpt = "ja") -> None:
    """Validate a center file: FILE:LINE: message per problem, or a summary of the center."""
    from rich.console import Console

    config = load_center_file(file)
    now = _instant(at, config.timezone)
    _print_summary(Console(), config, now, lang)


@app.command("show")
def show(file: FileArg, output_format: FormatOpt = "yaml") -> None:
    """Print the center as the loader understood it, every default filled in."""
    import json

    import yaml

    from madoguchi.core.config_document import center_document

    if output_format not in {"yaml", "json"}:
        typer.echo(f"--format: '{output_format}' is not yaml or json", err=True)
        raise typer.Exit(2)
    document = center_document(load_center_file(file))
    if output_format == "json":
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        typer.echo(yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100))


@app.command("sample")
def sample(
    path_only: Annotated[
        bool, typer.Option("--path", help="Print where the sample is installed instead.")
    ] = False,
) -> None:
    """Print the sample center (株式会社みどり通販) to start a file from."""
    from madoguchi.samples import sample_center_path, sample_center_text

    typer.echo(str(sample_center_path()) if path_only else sample_center_text(), nl=path_only)


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


def _print_summary(console: Console, config: CenterConfig, now: float, lang: str) -> None:
    from rich.table import Table

    from madoguchi.core.config import local_datetime

    def when(instant: float | None) -> str:
        if instant is None:
            return "—"
        return local_datetime(instant, config.timezone).strftime("%m-%d %a %H:%M")

    at = local_datetime(now, config.timezone).strftime("%Y-%m-%d %a %H:%M %Z")
    console.print(f"[bold green]OK[/] {config.name.get(lang)} — {config.timezone}, as of {at}")

    tenants = Table("tenant", "name", "numbers", "queues", "agents", title="Tenants")
    for tenant in config.tenants:
        tenants.add_row(
            tenant.id,
            tenant.name.get(lang),
            ", ".join(tenant.numbers),
            str(sum(q.tenant == tenant.id for q in config.queues)),
            str(sum(a.tenant == tenant.id for a in config.agents)),
        )
    console.print(tenants)

    calendars = Table("calendar", "name", "time zone", "open now", "next change", title="Calendars")
    for calendar in config.calendars:
        name = calendar.name.get(lang) if calendar.name else ""
        calendars.add_row(
            calendar.id,
            name,
            calendar.timezone,
            _open_text(calendar.is_open(now)),
            when(calendar.next_change(now)),
        )
    console.print(calendars)

    queues = Table(
        "queue", "name", "channels", "skills", "SL", "open now", "agents", title="Queues"
    )
    for queue in config.queues:
        target = f"{queue.service_level.fraction:.0%}/{_seconds(queue.service_level.seconds)}"
        is_open = _open_text(config.queue_is_open(queue.id, now))
        queues.add_row(
            queue.id,
            queue.name.get(lang),
            ", ".join(sorted(c.value for c in queue.channels)),
            ", ".join(f"{s.skill}≥{s.min_proficiency}" for s in queue.skills),
            target,
            f"{is_open} ({queue.hours})" if queue.hours else is_open,
            str(len(_eligible_agents(config, queue.id))),
        )
    console.print(queues)

    teams = Table("team", "name", "supervisor", "agents", "work mode", title="Teams")
    for team in config.teams:
        members = [a for a in config.agents if a.team == team.id]
        supervisor = team.supervisor or "—"
        if team.supervisor:
            supervisor = f"{team.supervisor} {config.agent(team.supervisor).name}"
        teams.add_row(team.id, team.name.get(lang), supervisor, str(len(members)), team.work_mode)
    console.print(teams)
    console.print(
        f"{len(config.agents)} agents, {len(config.skills)} skills, "
        f"{len(config.dispositions)} dispositions, "
        f"{len(config.not_ready_reasons)} not-ready reasons"
    )


def _seconds(seconds: float) -> str:
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def _open_text(is_open: bool) -> str:
    return "[green]open[/]" if is_open else "[red]closed[/]"


def _eligible_agents(config: CenterConfig, queue_id: str) -> list[str]:
    """Agents with every skill the queue needs, at its minimum, and a channel it takes."""
    queue = config.queue(queue_id)
    eligible = []
    for agent in config.agents:
        channels = {channel for channel, count in agent.capacity if count > 0}
        if not channels & queue.channels:
            continue
        if all(agent.proficiency(s.skill) >= s.min_proficiency for s in queue.skills):
            eligible.append(agent.id)
    return eligible
