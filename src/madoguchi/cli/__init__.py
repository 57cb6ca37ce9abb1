"""The ``madoguchi`` command.

Each command group lives in its own module of this package and exposes a ``typer.Typer`` named
``app``; heavy imports stay inside the command functions so that ``madoguchi --help`` is quick.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="madoguchi",
    help="madoguchi (窓口): an open-source contact-center system.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: command group name -> module holding its ``app``
_GROUPS: dict[str, str] = {
    "config": "madoguchi.cli.config",
    "bench": "madoguchi.cli.bench",
    "flow": "madoguchi.cli.flow",
    "wfm": "madoguchi.cli.wfm",
    "db": "madoguchi.cli.db",
    "campaign": "madoguchi.cli.campaign",
}

#: single commands: name -> "module:function"
_COMMANDS: dict[str, str] = {
    "simulate": "madoguchi.cli.simulate:simulate",
    "serve": "madoguchi.cli.serve:serve",
    "demo": "madoguchi.cli.demo:demo",
}


def _register() -> None:
    for name, module_name in _GROUPS.items():
        module = importlib.import_module(module_name)
        app.add_typer(module.app, name=name)
    for name, target in _COMMANDS.items():
        module_name, func_name = target.split(":")
        module = importlib.import_module(module_name)
        app.command(name)(getattr(module, func_name))


_register()


def main() -> None:
    """Entry point of the ``madoguchi`` console script."""
    app()
