"""Outbound: campaigns, call lists, do-not-call lists, pacing and the dialer (sans-I/O)."""

from madoguchi.core.dialer.campaign import (
    Campaign,
    CampaignStatus,
    CampaignType,
    DialingMode,
    DialOutcome,
)
from madoguchi.core.dialer.dialer import Dialer, DialerError
from madoguchi.core.dialer.dnc import DncEntry, DoNotCallRegistry
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

__all__ = [
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
    "Pacer",
    "PacingState",
    "PredictivePacer",
    "ProgressivePacer",
    "normalize_number",
    "parse_call_list",
]
