"""The ``center`` part of ``madoguchi bench sip``: call set-up through the real center.

A child process (``python -m madoguchi.bench.sip_center PORT DIR``, uvloop when installed) runs
:class:`~madoguchi.server.CenterServer` with the sample center open around the clock
(:func:`madoguchi.demo.open_around_the_clock`), no web, the event log in SQLite under ``DIR``.
sipp calls the main number at a fixed rate: INVITE → 100/200 → ACK, the contact flow's greeting
prompt plays (Open JTalk, synthesized once and cached) for 1 s → BYE → 200. Every call is a
contact with its flow session, its RTP leg and its events in the log. Reported: completed calls
per second, failed calls, INVITE retransmissions, server CPU per call, contacts created.

Steps of rising rate (``--quick``: 20, 50 calls/s for 10 s; full: 20, 50, 100, 200, 300, 500
for 20 s) stop at the first with failed calls or INVITE retransmissions. (The 500 calls/s of the
``cps`` part is our bare SIP answerer; through the center each call also runs its flow, plays its
prompt and writes its events to the log.) Each step also reports the event log's group commit:
transactions, events per transaction, and the CPU time of the thread that writes them.

Alone: ``madoguchi bench sip_center [--quick] [--json FILE]``; also the ``center`` part of
``madoguchi bench sip``. With ``MADOGUCHI_BENCH_CENTER_URL=postgresql://…`` the event log is in
PostgreSQL instead (a fresh schema per step, dropped after it).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from rich.console import Console
from rich.table import Table

from madoguchi.bench.sip import HOST, _cpu_seconds, _free_port, _parse_sipp, _stop

MAIN_NUMBER = "+81120000100"
CALLER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller hears the greeting">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "0311112222" <sip:0311112222@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:0311112222@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "0311112222" <sip:0311112222@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "0311112222" <sip:0311112222@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <recv response="200"/>
</scenario>
"""


def run(quick: bool, console: Console) -> dict[str, Any]:
    """``madoguchi bench sip_center``: the center part of ``madoguchi bench sip`` alone."""
    return {
        "center": run_center(quick, console),
        "event_log": "postgresql" if os.environ.get(CENTER_URL_ENV) else "sqlite",
        "load_average": list(os.getloadavg()),
    }


def run_center(quick: bool, console: Console) -> dict[str, Any]:
    """Rising call rates into the center; prints a table, returns the figures."""
    rates = [20, 50] if quick else [20, 50, 100, 200, 300, 500]
    seconds = 10 if quick else 20
    steps: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        scenario = Path(work) / "caller.xml"
        scenario.write_text(CALLER_SCENARIO)
        prompts = Path(work) / "prompts"
        prompts.mkdir()
        for rate in rates:
            data_dir = Path(work) / f"center-{rate}"
            data_dir.mkdir()
            (data_dir / "prompts").symlink_to(prompts)  # synthesized once for all the steps
            step = _step(rate, seconds, scenario, data_dir)
            steps.append(step)
            if not step["passed"]:
                break
    table = Table(title="Call set-up through the center (main flow greeting, 1 s, BYE)")
    columns = (
        "offered_rate",
        "calls_per_s",
        "calls",
        "failed",
        "invite_retransmissions",
        "cpu_ms_per_call",
        "log_cpu_ms_per_call",
        "events_per_commit",
        "max_loop_lag_ms",
        "load",
        "passed",
    )
    for column in columns:
        table.add_column(column, justify="right")
    for step in steps:
        table.add_row(*[str(step[c]) for c in columns])
    console.print(table)
    passing = [s for s in steps if s["passed"]]
    best = max(passing, key=lambda s: s["calls_per_s"]) if passing else None
    return {
        "calls_per_s": best["calls_per_s"] if best else 0.0,
        "cpu_ms_per_call": best["cpu_ms_per_call"] if best else None,
        "steps": steps,
    }


def _step(rate: int, seconds: int, scenario: Path, data_dir: Path) -> dict[str, Any]:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.bench.sip_center", str(port), str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    ready = server.stdout.readline().strip()
    if ready != "ready":
        server.kill()
        raise RuntimeError(f"bench center did not start: {ready!r}")
    calls = rate * seconds
    load = os.getloadavg()[0]
    try:
        cpu_before = _cpu_seconds(server.pid)
        started = time.perf_counter()
        sipp = subprocess.run(
            [
                "sipp",
                "-sf",
                str(scenario),
                "-s",
                MAIN_NUMBER,
                "-i",
                HOST,
                "-ci",
                HOST,
                "-p",
                str(_free_port()),
                "-cp",
                str(_free_port()),
                "-mp",
                str(_free_port()),
                "-nostdin",
                "-r",
                str(rate),
                "-m",
                str(calls),
                "-l",
                str(rate * 4),
                "-buff_size",
                "4194304",
                "-timeout",
                f"{seconds + 40}s",
                f"{HOST}:{port}",
            ],
            cwd=scenario.parent,
            capture_output=True,
            text=True,
            timeout=seconds + 90,
            check=False,
        )
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(server.pid) - cpu_before
    finally:
        lines = _stop(server).strip().splitlines()
    summary: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    figures = _parse_sipp(sipp.stdout)
    done = figures["successful"]
    log = summary.get("event_log", {})
    return {
        "offered_rate": rate,
        "calls_per_s": round(done / elapsed, 1),
        "seconds": round(elapsed, 2),
        "calls": done,
        "failed": figures["failed"],
        "invite_retransmissions": figures["invite_retransmissions"],
        "retransmissions": figures["retransmissions"],
        "cpu_ms_per_call": round(1000 * cpu / done, 3) if done else None,
        "contacts": summary.get("calls"),
        "max_loop_lag_ms": summary.get("max_loop_lag_ms"),
        "loop_lags_over_100ms": summary.get("loop_lags_over_100ms"),
        "worst_lags_ms_at_s": summary.get("worst_lags_ms_at_s"),
        "max_gc_pause_ms": summary.get("max_gc_pause_ms"),
        "gc_total_ms": summary.get("gc_total_ms"),
        "commits": log.get("batches"),
        "events_logged": log.get("events"),
        "events_per_commit": (
            round(log["events"] / log["batches"], 1) if log.get("batches") else None
        ),
        "largest_commit": log.get("largest_batch"),
        "log_cpu_ms_per_call": (
            round(1000 * log["write_cpu_s"] / done, 3) if done and "write_cpu_s" in log else None
        ),
        "prompts_ready": summary.get("prompts_ready"),
        "load": round(load, 2),
        "passed": summary.get("prompts_ready", False) is True
        and done == calls
        and figures["failed"] == 0
        and figures["invite_retransmissions"] == 0,
    }


#: Environment variable: a PostgreSQL URL to keep the center's event log in (default: SQLite).
CENTER_URL_ENV = "MADOGUCHI_BENCH_CENTER_URL"


@contextlib.contextmanager
def _event_log_url(port: int) -> Iterator[str | None]:
    """None (SQLite in the data directory), or a fresh PostgreSQL schema for this step."""
    base = os.environ.get(CENTER_URL_ENV)
    if not base:
        yield None
        return
    from sqlalchemy import create_engine, text

    from madoguchi.store.engine import parse_url

    schema = f"bench_center_{port}"
    admin = create_engine(parse_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


async def _serve(port: int, data_dir: Path) -> None:
    with _event_log_url(port) as url:
        await _serve_center(port, data_dir, url)


async def _serve_center(port: int, data_dir: Path, url: str | None) -> None:
    from madoguchi.demo import open_around_the_clock
    from madoguchi.samples import load_sample_center
    from madoguchi.server import CenterServer, ServerOptions

    server = CenterServer(
        ServerOptions(
            config=open_around_the_clock(load_sample_center()),
            data_dir=data_dir,
            database_url=url,
            sip_host=HOST,
            sip_port=port,
            web=False,
            drain_timeout_s=2.0,
        )
    )
    await server.start()
    prompts_ready = await _warm_prompts(server)
    await _warm_up(port)
    gc.collect()
    gc.freeze()  # start-up objects leave the collector's generations, as in the ``cps`` part
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    lag = {"max_ms": 0.0, "over_100ms": 0}
    ready_at = loop.time()
    worst: list[tuple[float, float]] = []

    async def watch_lag() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            late = (loop.time() - before - 0.01) * 1000
            lag["max_ms"] = max(lag["max_ms"], late)
            lag["over_100ms"] += late > 100
            if late > 100:
                worst.append((round(late, 1), round(before - ready_at, 2)))

    gc_pause = {"started": 0.0, "max_ms": 0.0, "total_ms": 0.0}

    def on_gc(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            gc_pause["started"] = time.perf_counter()
        else:
            pause = (time.perf_counter() - gc_pause["started"]) * 1000
            gc_pause["max_ms"] = max(gc_pause["max_ms"], pause)
            gc_pause["total_ms"] += pause

    gc.callbacks.append(on_gc)
    watcher = asyncio.create_task(watch_lag())
    log_before = dataclasses.replace(server.runtime.log_stats)
    print("ready", flush=True)
    await stop.wait()
    watcher.cancel()
    gc.callbacks.remove(on_gc)
    stats = dict(server.gateway.stats)
    await server.stop()
    log_after = server.runtime.log_stats
    event_log = {
        "batches": log_after.batches - log_before.batches,
        "events": log_after.events - log_before.events,
        "largest_batch": log_after.largest_batch,
        "write_cpu_s": round(log_after.write_cpu_s - log_before.write_cpu_s, 4),
        "write_s": round(log_after.write_s - log_before.write_s, 4),
    }
    summary = {
        **stats,
        "prompts_ready": prompts_ready,
        "max_loop_lag_ms": round(lag["max_ms"], 1),
        "loop_lags_over_100ms": lag["over_100ms"],
        "worst_lags_ms_at_s": sorted(worst, reverse=True)[:5],
        "max_gc_pause_ms": round(gc_pause["max_ms"], 1),
        "gc_total_ms": round(gc_pause["total_ms"], 1),
        "event_log": event_log,
    }
    print(json.dumps(summary), flush=True)


#: The main flow's nodes a bench caller hears in its second: the greeting, then the menu.
PROMPT_NODES = ("welcome", "main_menu")


async def _warm_prompts(server: Any) -> bool:
    """Synthesize the prompts the callers will hear before the clock starts (the cache folder is
    shared by the steps); False if one could not be made (the calls then hear 1 s of silence
    instead, which is cheaper: the step is then not comparable)."""
    flow = server.flows.get("midori-main")
    ready = True
    for node_id in PROMPT_NODES:
        prompt = getattr(flow.nodes[node_id], "prompt", None)
        text = prompt.text.get("ja") if prompt is not None and prompt.text is not None else None
        if text is None:
            continue
        for _attempt in range(3):
            try:
                await server.prompts.get_async(text, "ja")
                break
            except Exception as err:  # Open JTalk timing out on a loaded machine
                print(f"warm-up: prompt {node_id} not synthesized: {err}", file=sys.stderr)
        else:
            ready = False
    return ready


async def _warm_up(port: int) -> None:
    """One real call before the clock starts: the greeting is synthesized and cached, lazy
    imports (holiday tables) are done."""
    from madoguchi.telephony.sip.endpoint import SipEndpoint
    from madoguchi.telephony.sip.sdp import build_sdp

    caller = SipEndpoint(host=HOST, port=0, tcp=False)
    await caller.start()
    try:
        call = await caller.invite(
            f"sip:{MAIN_NUMBER}@{HOST}:{port}", build_sdp(HOST, 40002, [0]), from_user="warmup"
        )
        await asyncio.wait_for(call.answered, 10)
        await asyncio.sleep(2.0)
        call.hangup()
        await asyncio.sleep(0.2)
    finally:
        await caller.close()


def _main(argv: list[str]) -> None:
    if len(argv) != 2:
        raise SystemExit("usage: python -m madoguchi.bench.sip_center PORT DATA_DIR")
    server = _serve(int(argv[0]), Path(argv[1]))
    try:
        import uvloop
    except ImportError:
        asyncio.run(server)
    else:
        uvloop.run(server)


if __name__ == "__main__":
    _main(sys.argv[1:])
