"""``madoguchi bench sip``: SIP call set-up rate of our UAS and of the center, driven by sipp.

Three parts: ``cps`` (below: the bare SIP answerer), ``center`` (call set-up through the real
center — contact, contact flow, greeting prompt, events in the log — in
:mod:`madoguchi.bench.sip_center`) and ``concurrent`` (bridged, recorded calls).

The UAS runs in a child process (``python -m madoguchi.bench.sip serve PORT``, with uvloop when
installed) and answers every INVITE at once with 180 and 200 + SDP; sipp's built-in ``uac``
scenario calls it at a fixed rate for a bounded time (10 s with ``--quick``, 60 s otherwise):
INVITE → 100/180/200 → ACK → BYE → 200. Reported: completed calls per second, failed calls,
retransmissions seen by sipp, and the server's CPU time per call (user + system, from
``/proc/PID/stat``). No media flows in this part (no prompt is played).

The ``concurrent`` part bridges calls without the contact-center core (which is wired in later):
the child answers each sipp caller (who streams the A-law speech of sipp's ``g711a.pcap`` in a
loop for 7.3 s with ``rtp_stream``, then hangs up), calls an echoing sipp UAS (``-rtp_echo``) as
the agent, relays RTP between the two legs (A-law ↔ μ-law) and records both sides to a
two-channel WAV. Steps of N simultaneous calls (``--quick``: 50, 100; full: 50, 100, 200, 300,
400, 500) stop at the first that fails; a step passes with every call bridged and recorded, RTP
loss under 0.1 % and p99 jitter under 10 ms on both legs of every call. Each step also reports
the CPU seconds of the server and of both sipp processes, and the server's CPU per relayed
packet.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

RATE_PER_S = 500
QUICK_SECONDS = 10
FULL_SECONDS = 60
HOST = "127.0.0.1"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def _parse_sipp(output: str) -> dict[str, int]:
    def cumulative(label: str) -> int:
        found = re.findall(rf"{label}\s*\|\s*(\d+)\s*\|\s*(\d+)", output)
        return int(found[-1][1]) if found else 0

    retrans = {"INVITE": 0, "ACK": 0, "BYE": 0}
    for line in output.splitlines():
        match = re.match(r"\s*(INVITE|ACK|BYE) ---------->\s+(\d+)\s+(\d+)", line)
        if match:
            retrans[match.group(1)] += int(match.group(3))
    return {
        "successful": cumulative("Successful call"),
        "failed": cumulative("Failed call"),
        "retransmissions": sum(retrans.values()),
        "invite_retransmissions": retrans["INVITE"],
        "bye_retransmissions": retrans["BYE"],
    }


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run both parts; prints tables and returns the JSON document."""
    if shutil.which("sipp") is None:
        raise RuntimeError("sipp is not installed (Debian package sip-tester)")
    from madoguchi.bench.sip_center import run_center

    cps = _run_cps(quick, console)
    center = run_center(quick, console)
    concurrent = _run_concurrent(quick, console)
    return {"cps": cps, "center": center, "concurrent": concurrent}


def _start_server(port: int, *extra: str) -> subprocess.Popen[str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.bench.sip", "serve", str(port), *extra],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    ready = server.stdout.readline().strip()
    if ready != "ready":
        server.kill()
        raise RuntimeError(f"bench SIP server did not start: {ready!r}")
    return server


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        out, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    return out or ""


def _run_cps(quick: bool, console: Console) -> dict[str, Any]:
    seconds = QUICK_SECONDS if quick else FULL_SECONDS
    calls = RATE_PER_S * seconds
    port = _free_port()
    server = _start_server(port)
    try:
        cpu_before = _cpu_seconds(server.pid)
        started = time.perf_counter()
        with tempfile.TemporaryDirectory() as work:
            sipp = subprocess.run(
                [
                    "sipp",
                    "-sn",
                    "uac",
                    "-i",
                    HOST,
                    "-ci",
                    HOST,
                    "-p",
                    str(_free_port()),
                    "-cp",
                    str(_free_port()),
                    "-nostdin",
                    "-r",
                    str(RATE_PER_S),
                    "-m",
                    str(calls),
                    "-l",
                    str(RATE_PER_S * 4),
                    "-buff_size",
                    "4194304",
                    "-timeout",
                    f"{seconds + 30}s",
                    f"{HOST}:{port}",
                ],
                cwd=work,
                capture_output=True,
                text=True,
                timeout=seconds + 60,
                check=False,
            )
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds(server.pid) - cpu_before
    finally:
        lines = _stop(server).strip().splitlines()
    server_summary: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    figures = _parse_sipp(sipp.stdout)
    done = figures["successful"]
    cps = {
        "calls_per_s": round(done / elapsed, 1),
        "offered_rate": RATE_PER_S,
        "seconds": round(elapsed, 2),
        "calls": done,
        "failed": figures["failed"],
        "retransmissions": figures["retransmissions"],
        "invite_retransmissions": figures["invite_retransmissions"],
        "bye_retransmissions": figures["bye_retransmissions"],
        "cpu_ms_per_call": round(1000 * cpu / done, 3) if done else None,
        "server_retransmissions": server_summary.get("server_retransmissions"),
        "max_loop_lag_ms": server_summary.get("max_loop_lag_ms"),
        "loop_lags_over_100ms": server_summary.get("loop_lags_over_100ms"),
        "max_gc_pause_ms": server_summary.get("max_gc_pause_ms"),
        "live_transactions_at_end": server_summary.get("live_transactions"),
        "server_loop": _loop_name(),
    }
    table = Table(title=f"SIP call set-up (sipp uac at {RATE_PER_S}/s for {seconds} s)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in cps.items():
        table.add_row(key, str(value))
    console.print(table)
    return cps


CALLER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller playing g711a">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:sipp@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=sipp 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200"/>
  <send><![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <pause milliseconds="500"/>
  <nop><action><exec rtp_stream="AUDIO_FILE,-1,8"/></action></nop>
  <pause milliseconds="7300"/>
  <send retrans="500"><![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <recv response="200"/>
</scenario>
"""
PCAP = Path("/usr/share/sip-tester/g711a.pcap")
MAX_LOSS = 0.001


def _pcap_to_raw(pcap: Path, raw: Path) -> int:
    """Write the RTP payloads of a pcap of G.711 packets as one raw audio file; frame count.

    sipp's ``play_pcap_audio`` sends through one raw IP socket per call, and the kernel then
    hands every UDP packet on the host to each of those sockets (300 calls: 300 copies per
    packet, for every process). ``rtp_stream`` plays the same audio through ordinary sockets.
    """
    data = pcap.read_bytes()
    offset, frames, out = 24, 0, bytearray()
    while offset + 16 <= len(data):
        captured = int.from_bytes(data[offset + 8 : offset + 12], "little")
        record = data[offset + 16 : offset + 16 + captured]
        offset += 16 + captured
        # Ethernet (14) + IPv4 (IHL) + UDP (8) + RTP (12): the rest is the payload
        ihl = (record[14] & 0x0F) * 4
        out += record[14 + ihl + 8 + 12 :]
        frames += 1
    raw.write_bytes(bytes(out))
    return frames


MAX_P99_JITTER_MS = 10.0


def _run_concurrent(quick: bool, console: Console) -> dict[str, Any]:
    steps = [50, 100] if quick else [50, 100, 200, 300, 400, 500]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as work:
        audio = Path(work) / "g711a.raw"
        _pcap_to_raw(PCAP, audio)
        scenario = Path(work) / "caller.xml"
        scenario.write_text(CALLER_SCENARIO.replace("AUDIO_FILE", str(audio)))
        for n in steps:
            step = _concurrent_step(n, scenario, Path(work))
            results.append(step)
            if not step["passed"]:
                break
    passing = [r["calls"] for r in results if r["passed"]]
    table = Table(title="Bridged, recorded G.711 calls (sipp callers → relay → sipp echo)")
    for column in ("calls", "bridged", "loss", "p99_jitter_ms", "max_jitter_ms", "passed"):
        table.add_column(column, justify="right")
    for r in results:
        table.add_row(
            *[
                str(r[c])
                for c in ("calls", "bridged", "loss", "p99_jitter_ms", "max_jitter_ms", "passed")
            ]
        )
    console.print(table)
    best = max(passing) if passing else 0
    best_step = next((r for r in results if r["calls"] == best), None)
    return {
        "max_calls": best,
        "loss": best_step["loss"] if best_step else None,
        "p99_jitter_ms": best_step["p99_jitter_ms"] if best_step else None,
        "steps": results,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _children_user_cpu() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime


def _concurrent_step(n: int, scenario: Path, work: Path) -> dict[str, Any]:
    agent_port, media_port, port = _free_port(), _free_port(), _free_port()
    load_before = os.getloadavg()[0]
    agent = subprocess.Popen(
        [
            "sipp",
            "-sn",
            "uas",
            "-rtp_echo",
            "-i",
            HOST,
            "-ci",
            HOST,
            "-cp",
            str(_free_port()),
            "-p",
            str(agent_port),
            "-mp",
            str(media_port),
            "-nostdin",
            "-buff_size",
            "4194304",
        ],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    recordings = work / f"rec-{n}"
    server = _start_server(port, f"{HOST}:{agent_port}", str(recordings))
    cpu = {"callers": 0.0, "server": 0.0, "server_user": 0.0, "agents": 0.0}
    try:
        before = _children_cpu()
        subprocess.run(
            [
                "sipp",
                "-sf",
                str(scenario),
                "-i",
                HOST,
                "-ci",
                HOST,
                "-cp",
                str(_free_port()),
                "-p",
                str(_free_port()),
                "-mp",
                str(_free_port()),
                "-nostdin",
                "-r",
                str(n),
                "-rp",
                "2000",
                "-m",
                str(n),
                "-l",
                str(n),
                "-buff_size",
                "4194304",
                "-timeout",
                "60s",
                f"{HOST}:{port}",
            ],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        cpu["callers"] = _children_cpu() - before
    finally:
        load_after = os.getloadavg()[0]
        before, user_before = _children_cpu(), _children_user_cpu()
        summary_text = _stop(server).strip().splitlines()
        cpu["server"] = _children_cpu() - before
        cpu["server_user"] = _children_user_cpu() - user_before
        agent.send_signal(signal.SIGTERM)
        before = _children_cpu()
        agent.wait(10)
        cpu["agents"] = _children_cpu() - before
    summary: dict[str, Any] = json.loads(summary_text[-1]) if summary_text else {}
    loss = summary.get("loss", 1.0)
    p99 = summary.get("p99_jitter_ms", float("inf"))
    bridged = summary.get("bridged", 0)
    shutil.rmtree(recordings, ignore_errors=True)
    return {
        "calls": n,
        "bridged": bridged,
        "recordings": summary.get("recordings", 0),
        "loss": loss,
        "p99_jitter_ms": p99,
        "max_jitter_ms": summary.get("max_jitter_ms"),
        "p99_jitter_ms_caller_legs": summary.get("p99_jitter_ms_caller_legs"),
        "p99_jitter_ms_agent_legs": summary.get("p99_jitter_ms_agent_legs"),
        "loss_caller_legs": summary.get("loss_caller_legs"),
        "loss_agent_legs": summary.get("loss_agent_legs"),
        "relayed_packets": summary.get("received"),
        "cpu_s": summary.get("cpu_s"),
        "cpu_us_per_packet": round(1e6 * summary["cpu_s"] / summary["received"], 2)
        if summary.get("received")
        else None,
        "cpu_s_server_user_system": [
            round(cpu["server_user"], 2),
            round(cpu["server"] - cpu["server_user"], 2),
        ],
        "cpu_s_sipp_callers": round(cpu["callers"], 2),
        "cpu_s_sipp_agents": round(cpu["agents"], 2),
        "load_1min_before_after": [round(load_before, 2), round(load_after, 2)],
        "max_loop_lag_ms": summary.get("max_loop_lag_ms"),
        "loop_lags_over_20ms": summary.get("loop_lags_over_20ms"),
        "max_gc_pause_ms": summary.get("max_gc_pause_ms"),
        "passed": bridged == n
        and summary.get("recordings", 0) == n
        and loss < MAX_LOSS
        and p99 < MAX_P99_JITTER_MS,
    }


def _loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


async def _serve(port: int, agent: str | None, recordings: Path | None) -> None:
    from madoguchi.telephony.call_bridge import BridgedCall
    from madoguchi.telephony.rtp.stats import ReceptionReport
    from madoguchi.telephony.sip.call import Call
    from madoguchi.telephony.sip.endpoint import SipEndpoint
    from madoguchi.telephony.sip.sdp import build_sdp

    answer = build_sdp(HOST, 40000, [0], telephone_event_pt=None)
    reports: list[ReceptionReport] = []
    tasks: set[asyncio.Task[None]] = set()
    counts = {"bridged": 0, "recordings": 0}
    endpoint: SipEndpoint

    async def bridge(call: Call, number: int) -> None:
        assert agent is not None
        path = recordings / f"call-{number}.wav" if recordings is not None else None
        bridged = BridgedCall(endpoint, call, host=HOST, recording=path)
        await bridged.answer()
        await bridged.connect(f"sip:agent@{agent}")
        counts["bridged"] += 1
        await bridged.ended
        reports.extend(bridged.reports())
        if await bridged.recorded is not None:
            counts["recordings"] += 1

    def on_incoming_call(call: Call) -> None:
        if agent is None:
            call.ring()
            call.answer(answer)
            return
        task = asyncio.create_task(bridge(call, len(tasks) + counts["bridged"]))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    endpoint = SipEndpoint(host=HOST, port=port, on_incoming_call=on_incoming_call, tcp=False)
    await endpoint.start()
    gc.collect()
    gc.freeze()  # start-up objects leave the collector's generations (field notes: GC pauses)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    lag = {"max_ms": 0.0, "over_100ms": 0}
    lag_events: list[tuple[float, float]] = []
    ready_at = loop.time()

    async def watch_lag() -> None:
        while True:
            before = loop.time()
            await asyncio.sleep(0.01)
            late = (loop.time() - before - 0.01) * 1000
            lag["max_ms"] = max(lag["max_ms"], late)
            lag["over_100ms"] += late > 100
            if late > 20:
                lag_events.append((round(before - ready_at, 2), round(late, 1)))

    gc_pause = {"started": 0.0, "max_ms": 0.0}

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_pause["started"] = time.perf_counter()
        else:
            pause = (time.perf_counter() - gc_pause["started"]) * 1000
            gc_pause["max_ms"] = max(gc_pause["max_ms"], pause)

    gc.callbacks.append(on_gc)
    watcher = asyncio.create_task(watch_lag())
    print("ready", flush=True)
    await stop.wait()
    watcher.cancel()
    if tasks:  # recordings still being written in worker threads
        await asyncio.wait(set(tasks), timeout=20)
    await endpoint.close()
    summary = {
        "max_loop_lag_ms": round(lag["max_ms"], 1),
        "loop_lags_over_100ms": lag["over_100ms"],
        "server_retransmissions": endpoint.transactions.retransmissions,
        "gc_collections": [g["collections"] for g in gc.get_stats()],
        "max_gc_pause_ms": round(gc_pause["max_ms"], 1),
        "live_transactions": len(endpoint.transactions),
        "loop_lags_over_20ms": sorted(lag_events, key=lambda e: -e[1])[:10],
    }
    if agent is not None:
        summary.update(_media_summary(reports, counts))
    print(json.dumps(summary), flush=True)


def _media_summary(reports: list[Any], counts: dict[str, int]) -> dict[str, Any]:
    expected = sum(r.expected for r in reports)
    lost = sum(max(0, r.lost) for r in reports)
    p99 = _p99([r.jitter_ms for r in reports])
    times = os.times()

    def loss(side: list[Any]) -> float:
        wanted = sum(r.expected for r in side)
        return round(sum(max(0, r.lost) for r in side) / wanted, 6) if wanted else 1.0

    return {
        **counts,
        "legs": len(reports),
        "received": sum(r.received for r in reports),
        "loss": round(lost / expected, 6) if expected else 1.0,
        "loss_caller_legs": loss(reports[0::2]),
        "loss_agent_legs": loss(reports[1::2]),
        "p99_jitter_ms": round(p99, 3),
        "p99_jitter_ms_caller_legs": round(_p99([r.jitter_ms for r in reports[0::2]]), 3),
        "p99_jitter_ms_agent_legs": round(_p99([r.jitter_ms for r in reports[1::2]]), 3),
        "max_jitter_ms": round(max((r.max_jitter_ms for r in reports), default=0.0), 3),
        "cpu_s": round(times.user + times.system, 2),
    }


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("inf")
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _main(argv: list[str]) -> None:
    if len(argv) not in (2, 4) or argv[0] != "serve":
        raise SystemExit("usage: python -m madoguchi.bench.sip serve PORT [AGENT_HOST:PORT DIR]")
    agent = argv[2] if len(argv) == 4 else None
    recordings = Path(argv[3]) if len(argv) == 4 else None
    server = _serve(int(argv[1]), agent, recordings)
    try:
        import uvloop
    except ImportError:
        asyncio.run(server)
    else:
        uvloop.run(server)


if __name__ == "__main__":
    _main(sys.argv[1:])
