"""Real-time KPIs folded from events: service level, ASA, AHT, abandons, occupancy.

See :class:`MetricsBoard`.
"""

from __future__ import annotations

from madoguchi.core.metrics.board import AgentStats, MetricsBoard, QueueNow
from madoguchi.core.metrics.tally import IntervalStats, Tally

__all__ = ["AgentStats", "IntervalStats", "MetricsBoard", "QueueNow", "Tally"]
