"""Outbound: campaigns, call lists, do-not-call lists, pacing and the dialer (sans-I/O);
call blending and rotation, agentless reminder calls, and reports (see docs/outbound.md)."""

from madoguchi.core.dialer.agentless import AgentlessCall, AgentlessScript
from madoguchi.core.dialer.blending import BlendingPolicy, BlendingRules, TeamBlending
from madoguchi.core.dialer.campaign import (
    Campaign,
    CampaignStatus,
    CampaignType,
    DialingMode,
    DialOutcome,
)
from madoguchi.core.dialer.dialer import Dialer, DialerError
from madoguchi.core.dialer.dnc import DncEntry, DoNotCallRegistry
from madoguchi.core.dialer.floor import BlendingFloor
from madoguchi.core.dialer.lists import (
    ListImportError,
    ListRecord,
    normalize_number,
    parse_call_list,
)
from madoguchi.core.dialer.pacing import (
    FixedRatioPacer,
    Pacer,
    PacingState,
    PredictivePacer,
    ProgressivePacer,
)
from madoguchi.core.dialer.reports import OutboundReport
from madoguchi.core.dialer.rotation import QueueRotation

__all__ = [
    "AgentlessCall",
    "AgentlessScript",
    "BlendingFloor",
    "BlendingPolicy",
    "BlendingRules",
    "Campaign",
    "CampaignStatus",
    "CampaignType",
    "DialOutcome",
    "Dialer",
    "DialerError",
    "DialingMode",
    "DncEntry",
    "DoNotCallRegistry",
    "FixedRatioPacer",
    "ListImportError",
    "ListRecord",
    "OutboundReport",
    "Pacer",
    "PacingState",
    "PredictivePacer",
    "ProgressivePacer",
    "QueueRotation",
    "TeamBlending",
    "normalize_number",
    "parse_call_list",
]
