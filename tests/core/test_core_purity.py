"""madoguchi.core is pure: no I/O library, no asyncio, no threads, no wall clock.

Checked twice: by reading every core module's syntax tree (imports, clock calls), and by
importing all of core in a fresh interpreter with an import hook that records any forbidden
module a core module itself imports.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import madoguchi.core

CORE = Path(madoguchi.core.__file__).resolve().parent
FORBIDDEN_MODULES = (
    "asyncio",
    "socket",
    "sqlalchemy",
    "httpx",
    "fastapi",
    "starlette",
    "uvicorn",
    "aiortc",
    "psycopg",
    "requests",
    "subprocess",
    "threading",
    "selectors",
    "ssl",
    "urllib.request",
    "http.client",
    "http.server",
)
CLOCK_CALLS = {
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "monotonic_ns"),
    ("time", "perf_counter"),
    ("time", "perf_counter_ns"),
    ("time", "process_time"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
}
CLOCK_NAMES = {name for owner, name in CLOCK_CALLS if owner == "time"}


def _forbidden(module: str) -> bool:
    return any(module == f or module.startswith(f + ".") for f in FORBIDDEN_MODULES)


def problems_in(source: str, where: str) -> list[str]:
    """Forbidden imports and clock reads in one module's source."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, where)):
        if isinstance(node, ast.Import):
            found += [
                f"{where}:{node.lineno}: imports {a.name}" for a in node.names if _forbidden(a.name)
            ]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            if any(_forbidden(m) for m in modules):
                found.append(f"{where}:{node.lineno}: imports from {node.module}")
            if node.module == "time" and any(a.name in CLOCK_NAMES for a in node.names):
                found.append(f"{where}:{node.lineno}: imports a clock from time")
        elif isinstance(node, ast.Attribute):
            owner = node.value
            owner_name = (
                owner.id
                if isinstance(owner, ast.Name)
                else owner.attr
                if isinstance(owner, ast.Attribute)
                else None
            )
            if (owner_name, node.attr) in CLOCK_CALLS:
                found.append(f"{where}:{node.lineno}: reads the clock ({owner_name}.{node.attr})")
    return found


def test_no_core_module_imports_io_libraries_or_reads_the_clock() -> None:
    sources = sorted(CORE.rglob("*.py"))
    assert len(sources) > 10
    problems = [
        p
        for path in sources
        for p in problems_in(path.read_text(encoding="utf-8"), str(path.relative_to(CORE.parent)))
    ]
    assert not problems, "\n".join(problems)


def test_the_syntax_check_catches_io_imports_and_clock_reads() -> None:
    sample = (
        "import asyncio\n"
        "from datetime import datetime, date\n"
        "from time import monotonic\n"
        "import time\n"
        "a = datetime.now()\n"
        "b = date.today()\n"
        "c = time.perf_counter()\n"
        "from urllib.parse import quote\n"
    )
    found = problems_in(sample, "sample.py")
    assert [p.split(": ", 1)[1] for p in found] == [
        "imports asyncio",
        "imports a clock from time",
        "reads the clock (datetime.now)",
        "reads the clock (date.today)",
        "reads the clock (time.perf_counter)",
    ]


_HOOK = """
import importlib, json, pkgutil, sys
FORBIDDEN = {forbidden!r}
hits = []
class Watch:
    def find_spec(self, name, path=None, target=None):
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN):
            frame = sys._getframe(1)
            while frame is not None:
                module = frame.f_globals.get("__name__", "")
                if not module.startswith(("importlib", "_frozen_importlib")):
                    break
                frame = frame.f_back
            if frame is not None and frame.f_globals.get("__name__", "").startswith(
                "madoguchi.core"
            ):
                hits.append((frame.f_globals["__name__"], name))
        return None
sys.meta_path.insert(0, Watch())
import madoguchi.core as core
for m in pkgutil.walk_packages(core.__path__, "madoguchi.core."):
    importlib.import_module(m.name)
print(json.dumps(hits))
"""


def test_importing_all_of_core_makes_no_core_module_load_an_io_library() -> None:
    script = _HOOK.format(forbidden=FORBIDDEN_MODULES)
    probe = script.replace(
        "print(json.dumps(hits))",
        'exec("import asyncio", {"__name__": "madoguchi.core.probe"})\nprint(json.dumps(hits))',
    )
    caught = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(caught.stdout) == [["madoguchi.core.probe", "asyncio"]], "hook is blind"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    hits = json.loads(done.stdout)
    assert hits == [], f"core modules importing I/O libraries: {hits}"
