"""The flows in service, by id: a new version replaces the old one whole, or not at all.

:meth:`FlowRegistry.publish` parses and validates the text first; on any problem it raises
:class:`~madoguchi.core.flows.loader.FlowFileError` and the running version stays in place.
Sessions hold the :class:`~madoguchi.core.flows.model.Flow` they started with, so a contact in
the middle of a flow finishes on the version it began.
"""

from __future__ import annotations

from madoguchi.core.config import CenterConfig
from madoguchi.core.flows._yaml import FlowProblem
from madoguchi.core.flows.loader import FlowFileError, parse_flow
from madoguchi.core.flows.model import Flow
from madoguchi.core.flows.validator import validate_flow


class FlowRegistry:
    """Current version of every flow; versions are swapped atomically."""

    def __init__(self, center: CenterConfig | None = None) -> None:
        self.center = center
        self._flows: dict[str, Flow] = {}

    def publish(self, text: str, filename: str) -> Flow:
        """Load, validate and put in service; raises FlowFileError and changes nothing on error."""
        flow = parse_flow(text, filename)
        problems = validate_flow(flow, self.center)
        if problems:
            raise FlowFileError(filename, problems)
        current = self._flows.get(flow.id)
        if current is not None and flow.version <= current.version:
            raise FlowFileError(
                filename,
                [_version_problem(flow, current)],
            )
        self._flows = {**self._flows, flow.id: flow}
        return flow

    def get(self, flow_id: str) -> Flow:
        """The flow in service under ``flow_id`` (KeyError when none)."""
        return self._flows[flow_id]

    def versions(self) -> dict[str, int]:
        """Flow id → version in service."""
        return {key: flow.version for key, flow in self._flows.items()}


def _version_problem(flow: Flow, current: Flow) -> FlowProblem:
    return FlowProblem(
        flow.lines.get("version", 1),
        f"version {flow.version} is not newer than the running version {current.version}",
        f"raise version to {current.version + 1}",
    )
