"""``madoguchi serve``: run a center (runtime, SIP, web) until Ctrl-C, then drain."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
from pathlib import Path
from typing import Annotated

import typer

from madoguchi.cli._common import fail_with_problems, parse_host_port


def tune_gc() -> None:
    """After start-up: collect once and freeze what is left out of the collector's way.

    What exists once the center has started (configuration, routing tables, prompts, modules)
    is never garbage; frozen, the collector's full passes no longer walk it. Thresholds stay
    at Python's defaults: raising them (50,000, 50, 100) cut the total GC time at 200–500
    calls/s in ``madoguchi bench sip_center`` but did not lower the longest pause reliably.
    """
    gc.collect()
    gc.freeze()


def serve(
    config: Annotated[
        Path | None, typer.Option("--config", help="Center YAML (default: the sample center).")
    ] = None,
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Where data is kept.")] = Path(
        "data"
    ),
    sip: Annotated[str, typer.Option("--sip", help="SIP HOST:PORT (UDP and TCP).")] = (
        "127.0.0.1:5060"
    ),
    http: Annotated[str, typer.Option("--http", help="Web HOST:PORT.")] = "127.0.0.1:8080",
    db: Annotated[
        str | None, typer.Option("--db", help="Event store URL (default: SQLite in --data-dir).")
    ] = None,
    flows: Annotated[Path | None, typer.Option("--flows", help="Directory of flow files.")] = None,
    drain: Annotated[float, typer.Option("--drain", help="Seconds live calls may finish.")] = 30.0,
    campaigns: Annotated[
        Path | None,
        typer.Option("--campaigns", help="Campaign YAML to dial over the tenants' trunks."),
    ] = None,
) -> None:
    """Run the contact center: calls in by SIP, agents and supervisors in the browser."""
    from madoguchi.server import CenterServer, ServerOptions

    sip_host, sip_port = parse_host_port(sip, "--sip")
    http_host, http_port = parse_host_port(http, "--http")
    options = ServerOptions(
        config_file=config,
        flows_dir=flows,
        data_dir=data_dir,
        database_url=db,
        sip_host=sip_host,
        sip_port=sip_port,
        http_host=http_host,
        http_port=http_port,
        drain_timeout_s=drain,
        campaigns_file=campaigns,
    )
    from madoguchi.runtime.campaign_file import CampaignFileError

    with fail_with_problems():
        try:
            server = CenterServer(options)
        except CampaignFileError as err:
            for problem in err.problems:
                typer.echo(problem, err=True)
            raise typer.Exit(1) from err
    try:
        import uvloop  # uvicorn[standard] brings it: the RTP relay costs less CPU per packet
    except ImportError:  # pragma: no cover - platforms without uvloop
        asyncio.run(_run(server))
    else:
        uvloop.run(_run(server))


async def _run(server: object) -> None:
    from madoguchi.server import CenterServer

    assert isinstance(server, CenterServer)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await server.start()
    tune_gc()
    options = server.options
    typer.echo(f"madoguchi: SIP on {options.sip_host}:{server.endpoint.port}")
    if options.web:
        typer.echo(f"madoguchi: web on http://{options.http_host}:{options.http_port}/")
    await stop.wait()
    typer.echo("madoguchi: draining (new calls refused)…")
    await server.stop()
    typer.echo("madoguchi: stopped")
