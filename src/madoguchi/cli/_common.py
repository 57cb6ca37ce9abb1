"""Helpers shared by the command modules."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer


def parse_host_port(text: str, flag: str) -> tuple[str, int]:
    """``HOST:PORT`` → (host, port); a clear error naming ``flag`` otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise typer.BadParameter(f"expected HOST:PORT, got {text!r}", param_hint=flag)
    return host, int(port)


@contextlib.contextmanager
def fail_with_problems() -> Iterator[None]:
    """Turn configuration and flow file errors into ``FILE:LINE: message`` lines and exit 1."""
    from madoguchi.core.config_loader import ConfigError
    from madoguchi.core.flows.loader import FlowFileError

    try:
        yield
    except ConfigError as err:
        for problem in err.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(1) from err
    except FlowFileError as err:
        typer.echo(str(err), err=True)
        raise typer.Exit(1) from err
    except OSError as err:
        typer.echo(f"madoguchi: {err}", err=True)
        raise typer.Exit(1) from err
