"""Load a scenario file together with the center it references.

``center: sample`` is the bundled sample center (:func:`madoguchi.samples.load_sample_center`);
any other value is a center YAML path, relative to the scenario file. Problems in either file
come back as one :class:`~madoguchi.sim.scenario_loader.ScenarioError` whose lines name their
own file (``FILE:LINE: message``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from madoguchi.core.config import CenterConfig
from madoguchi.core.flows import Flow, FlowFileError, parse_flow, validate_flow
from madoguchi.sim.scenario import Scenario
from madoguchi.sim.scenario_loader import (
    ScenarioError,
    ScenarioProblem,
    center_reference,
    parse_scenario,
)


def load_center_for(path: Path) -> CenterConfig:
    """The center configuration the scenario at ``path`` refers to."""
    from madoguchi.core.config_loader import ConfigError, parse_center

    text = _read(path)
    reference, line = center_reference(text, str(path))
    if reference == "sample":
        from madoguchi.samples import load_sample_center

        return load_sample_center()
    center_path = (path.parent / reference).resolve()
    try:
        center_text = center_path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(
            [ScenarioProblem(str(path), line, f"cannot read center {reference!r}: {err.strerror}")]
        ) from err
    try:
        return parse_center(center_text, str(center_path))
    except ConfigError as err:
        raise ScenarioError(
            [ScenarioProblem(p.filename, p.line, p.message) for p in err.problems]
        ) from err


def load_scenario_file(path: Path) -> tuple[Scenario, CenterConfig]:
    """Read the scenario at ``path``, its center and its flows; :class:`ScenarioError` on any
    problem (a flow's own problems name the flow file and line)."""
    center = load_center_for(path)
    text = _read(path)
    scenario = parse_scenario(text, str(path), center)
    references = sorted({k.flow for k in scenario.mix if k.flow is not None})
    if not references:
        return scenario, center
    flows: list[tuple[str, Flow]] = []
    problems: list[ScenarioProblem] = []
    for reference in references:
        flow_path = (path.parent / reference).resolve()
        line = _line_mentioning(text, reference)
        try:
            flow_text = flow_path.read_text(encoding="utf-8")
        except OSError as err:
            problems.append(
                ScenarioProblem(str(path), line, f"cannot read flow {reference!r}: {err.strerror}")
            )
            continue
        try:
            flow = parse_flow(flow_text, str(flow_path))
        except FlowFileError as err:
            problems += [ScenarioProblem(str(flow_path), p.line, p.message) for p in err.problems]
            continue
        found = validate_flow(flow, center)
        problems += [ScenarioProblem(str(flow_path), p.line, p.message) for p in found]
        flows.append((reference, flow))
    if problems:
        raise ScenarioError(problems)
    return replace(scenario, flows=tuple(flows)), center


def _line_mentioning(text: str, value: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if "flow:" in line and value in line:
            return number
    return 1


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as err:
        raise ScenarioError(
            [ScenarioProblem(str(path), 1, f"cannot read: {err.strerror}")]
        ) from err
