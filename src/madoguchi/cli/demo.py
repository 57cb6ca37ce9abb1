"""``madoguchi demo``: the sample center running live, with simulated callers and agents."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from madoguchi.cli._common import fail_with_problems, parse_host_port


def demo(
    calls_per_hour: Annotated[
        float, typer.Option("--calls-per-hour", min=0, help="Simulated inbound calls per hour.")
    ] = 120.0,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where data is kept.")] = Path(
        "data/demo"
    ),
    sip: Annotated[str, typer.Option("--sip", help="SIP HOST:PORT.")] = "127.0.0.1:5060",
    http: Annotated[str, typer.Option("--http", help="Web HOST:PORT.")] = "127.0.0.1:8080",
    free_seats: Annotated[
        int, typer.Option("--free-seats", min=0, help="Agents left for people to sign in as.")
    ] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the simulated people.")] = 1,
    duration: Annotated[
        float | None,
        typer.Option("--duration", help="Stop after this many seconds (default: Ctrl-C)."),
    ] = None,
) -> None:
    """Run the sample Japanese company's center with simulated traffic; sign in as a free seat."""
    from madoguchi.demo import DemoOptions, run_demo

    sip_host, sip_port = parse_host_port(sip, "--sip")
    http_host, http_port = parse_host_port(http, "--http")
    options = DemoOptions(
        calls_per_hour=calls_per_hour,
        data_dir=data_dir,
        sip_host=sip_host,
        sip_port=sip_port,
        http_host=http_host,
        http_port=http_port,
        free_seats=free_seats,
        seed=seed,
        duration_s=duration,
    )
    with fail_with_problems():
        asyncio.run(run_demo(options))
