"""Contact flows (IVR 音声ガイダンス and chat bots): model, loader, validator, interpreter.

One flow serves voice and chat. Files are YAML (reference: docs/flows.md, JSON Schema in
``madoguchi/samples/flows/flow.schema.json``); :func:`parse_flow` builds a :class:`Flow`,
:func:`validate_flow` checks it against the center, :class:`FlowSession` runs one contact through
it without I/O, and :class:`FlowRegistry` swaps versions in service atomically.
"""

from madoguchi.core.flows._yaml import FlowProblem
from madoguchi.core.flows.environment import FlowEnvironment, StaticFlowEnvironment
from madoguchi.core.flows.loader import FlowFileError, parse_flow
from madoguchi.core.flows.model import Flow, FlowOutcome
from madoguchi.core.flows.registry import FlowRegistry
from madoguchi.core.flows.session import FlowPhase, FlowSession
from madoguchi.core.flows.validator import validate_flow

__all__ = [
    "Flow",
    "FlowEnvironment",
    "FlowFileError",
    "FlowOutcome",
    "FlowPhase",
    "FlowProblem",
    "FlowRegistry",
    "FlowSession",
    "StaticFlowEnvironment",
    "parse_flow",
    "validate_flow",
]
