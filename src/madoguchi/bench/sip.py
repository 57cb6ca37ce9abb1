"""``madoguchi bench sip``: SIP call set-up rate of our UAS, driven by sipp.

The UAS runs in a child process (``python -m madoguchi.bench.sip serve PORT``, with uvloop when
installed) and answers every INVITE at once with 180 and 200 + SDP; sipp's built-in ``uac``
scenario calls it at a fixed rate for a bounded time (10 s with ``--quick``, 60 s otherwise):
INVITE → 100/180/200 → ACK → BYE → 200. Reported: completed calls per second, failed calls,
retransmissions seen by sipp, and the server's CPU time per call (user + system, from
``/proc/PID/stat``). No media flows in this part (no prompt is played).

The ``concurrent`` part (N bridged, recorded calls) needs the bridge wired into the center and is
reported as not done.
"""

from __future__ import annotations

import asyncio
import os
import re
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

    retrans = 0
    for line in output.splitlines():
        match = re.match(r"\s*(INVITE|ACK|BYE) ---------->\s+(\d+)\s+(\d+)", line)
        if match:
            retrans += int(match.group(3))
    return {
        "successful": cumulative("Successful call"),
        "failed": cumulative("Failed call"),
        "retransmissions": retrans,
    }


def run(quick: bool, console: Console) -> dict[str, Any]:
    """Run the call set-up benchmark; prints a table and returns the JSON document."""
    if shutil.which("sipp") is None:
        raise RuntimeError("sipp is not installed (Debian package sip-tester)")
    seconds = QUICK_SECONDS if quick else FULL_SECONDS
    calls = RATE_PER_S * seconds
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "madoguchi.bench.sip", "serve", str(port)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        ready = server.stdout.readline().strip()
        if ready != "ready":
            raise RuntimeError(f"bench SIP server did not start: {ready!r}")
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
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    figures = _parse_sipp(sipp.stdout)
    done = figures["successful"]
    cps = {
        "calls_per_s": round(done / elapsed, 1),
        "offered_rate": RATE_PER_S,
        "seconds": round(elapsed, 2),
        "calls": done,
        "failed": figures["failed"],
        "retransmissions": figures["retransmissions"],
        "cpu_ms_per_call": round(1000 * cpu / done, 3) if done else None,
        "server_loop": _loop_name(),
    }
    table = Table(title=f"SIP call set-up (sipp uac at {RATE_PER_S}/s for {seconds} s)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in cps.items():
        table.add_row(key, str(value))
    console.print(table)
    console.print("concurrent bridged calls: not done (needs the bridge wired into the center)")
    return {"cps": cps, "concurrent": {"done": False, "reason": "bridge not wired into center"}}


def _loop_name() -> str:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


async def _serve(port: int) -> None:
    from madoguchi.telephony.sip.call import Call
    from madoguchi.telephony.sip.endpoint import SipEndpoint
    from madoguchi.telephony.sip.sdp import build_sdp

    answer = build_sdp(HOST, 40000, [0], telephone_event_pt=None)

    def on_incoming_call(call: Call) -> None:
        call.ring()
        call.answer(answer)

    endpoint = SipEndpoint(host=HOST, port=port, on_incoming_call=on_incoming_call, tcp=False)
    await endpoint.start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await endpoint.close()


def _main(argv: list[str]) -> None:
    if len(argv) != 2 or argv[0] != "serve":
        raise SystemExit("usage: python -m madoguchi.bench.sip serve PORT")
    try:
        import uvloop
    except ImportError:
        asyncio.run(_serve(int(argv[1])))
    else:
        uvloop.run(_serve(int(argv[1])))


if __name__ == "__main__":
    _main(sys.argv[1:])
