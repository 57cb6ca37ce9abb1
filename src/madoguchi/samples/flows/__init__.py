"""Sample contact flows of the demo center (株式会社みどり通販), and the flow file JSON Schema.

- ``main-number.yaml``: the main number (代表番号) IVR;
- ``after-hours.yaml``: the after-hours line (message, callback request, web form);
- ``chat-bot.yaml``: the chat bot with buttons and handoff to an agent with the transcript;
- ``customers.yaml``: a small customer directory ``madoguchi flow run`` looks callers up in;
- ``flow.schema.json``: the JSON Schema of flow files (for editors and ``flow check``).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from madoguchi.core.flows import Flow, parse_flow

__all__ = ["SAMPLE_FLOWS", "load_sample_flow", "sample_flow_path", "sample_flow_text"]

SAMPLE_FLOWS = ("main-number", "after-hours", "chat-bot")
"""Names of the sample flows (file names without ``.yaml``)."""


def sample_flow_path(name: str) -> Path:
    """Where a sample flow file is installed."""
    return Path(str(files(__name__).joinpath(f"{name}.yaml")))


def sample_flow_text(name: str) -> str:
    """A sample flow file's text."""
    return files(__name__).joinpath(f"{name}.yaml").read_text(encoding="utf-8")


def load_sample_flow(name: str) -> Flow:
    """A sample flow, parsed (raises FlowFileError only if the shipped file were broken)."""
    return parse_flow(sample_flow_text(name), str(sample_flow_path(name)))
