"""Helpers for the telephony tests: free ports and bounded runs of sipp and baresip."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from pathlib import Path

SCENARIOS = Path(__file__).parent / "fixtures" / "scenarios"


def free_port(kind: int = socket.SOCK_DGRAM) -> int:
    """A port free for UDP and TCP on 127.0.0.1."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                t.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue


@dataclass
class SippResult:
    """How a sipp run ended."""

    returncode: int
    output: str


async def run_sipp(*args: str, cwd: Path, timeout: float = 30.0) -> SippResult:
    """Run sipp bound to 127.0.0.1 (with its control port too), bounded in time."""
    command = [
        "sipp",
        "-i",
        "127.0.0.1",
        "-ci",
        "127.0.0.1",
        "-cp",
        str(free_port(socket.SOCK_DGRAM)),
        "-nostdin",
        "-timeout",
        f"{int(timeout)}s",
        "-timeout_error",
        *args,
    ]
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout + 10)
    except TimeoutError:
        proc.terminate()
        out, _ = await proc.communicate()
    assert proc.returncode is not None
    return SippResult(proc.returncode, out.decode(errors="replace"))
