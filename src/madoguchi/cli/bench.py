"""``madoguchi bench ...``: benchmarks as commands.

Every benchmark lives in ``madoguchi.bench.<name>`` and exposes
``run(quick: bool, console: rich.console.Console) -> dict[str, Any]``: it prints its own table
and returns the JSON document that ``--json FILE`` writes.
"""

from __future__ import annotations

import importlib
import json
import platform
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

app = typer.Typer(
    help="Benchmarks: print a table, write JSON with --json FILE.", no_args_is_help=True
)

QuickOpt = Annotated[bool, typer.Option("--quick", help="A shorter run, for smoke checks.")]
JsonOpt = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]


def machine_info() -> dict[str, Any]:
    """What the figures were measured on (they are only comparable on the same machine)."""
    import os

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "machine": platform.machine(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _run(name: str, quick: bool, json_path: Path | None) -> None:
    console = Console()
    module = importlib.import_module(f"madoguchi.bench.{name}")
    result: dict[str, Any] = module.run(quick=quick, console=console)
    if json_path is not None:
        document = dict(result)
        document.setdefault("_machine", machine_info())
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        console.print(f"wrote {json_path}")


def _define(name: str, summary: str) -> None:
    def command(quick: QuickOpt = False, json_path: JsonOpt = None) -> None:
        _run(name, quick, json_path)

    command.__doc__ = summary
    app.command(name)(command)


for _name, _summary in {
    "routing": "Routing engine: assignments per second and latency (scenarios 1k and 10k).",
    "sip": "SIP: sipp calls our UAS and the center (IVR greeting); bridged recorded calls.",
    "sip_center": "Calls through the whole center: sipp callers, IVR greeting, hang-up.",
    "wfm": "Erlang C and Erlang A staffing of a 96-interval day, against pyworkforce.",
    "wfm_skills": "Two-skill staffing rule vs the simulator (load splits × cross-training).",
    "sim": "Simulator: a day through the real engine vs a SimPy reference model (day, day10x).",
    "dialer": "Outbound pacing: progressive, fixed ratio, predictive (50 agents, 8 h, 5 seeds).",
    "blending": "Call blending: blended team vs fixed inbound/outbound split (connects, SL).",
    "store": "Event log: events appended and read per second (memory, SQLite, PostgreSQL).",
    "flows": "Flow interpreter: node transitions/s through the sample main number, random callers.",
    "web": "Live stream latency (500 WebSocket clients, 100 ev/s); screen pop over 1M customers.",
    "softphone": "WebRTC softphone gateway: set-up, CPU per agent, one-way latency both ways.",
}.items():
    _define(_name, _summary)
