"""Flow analytics folded from the event log: containment, drop-off per node, time in the flow.

Pure: feed events (any order of flows, interleaved contacts) to :meth:`FlowAnalytics.apply` and
read :meth:`FlowAnalytics.report`. Events of other parts of the system are ignored.

- *Self-service containment* (自己解決率): contacts that left the flow served by it
  (outcome ``self_service``) over contacts that left it.
- *Drop-off per node*: where customers hung up inside the flow (outcome ``abandoned``).
- *Time in the flow* (IVR time): ``FlowExited.duration_s``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from madoguchi.core.events import Event
from madoguchi.core.flows.events import FlowEntered, FlowExited, NodeVisited, SurveyAnswered
from madoguchi.core.flows.model import FlowOutcome


@dataclass(slots=True)
class FlowFigures:
    """Counts of one flow."""

    flow_id: str
    entered: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    drop_off: Counter[str] = field(default_factory=Counter)
    """Node → customers who hung up there."""
    visits: Counter[str] = field(default_factory=Counter)
    durations: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)

    @property
    def exited(self) -> int:
        """Contacts that left the flow."""
        return sum(self.outcomes.values())

    @property
    def containment(self) -> float | None:
        """Share of exits that were self-service; None before any exit."""
        total = self.exited
        return self.outcomes[FlowOutcome.SELF_SERVICE.value] / total if total else None

    def duration_percentile(self, fraction: float) -> float | None:
        """Time in the flow at this percentile (nearest rank), None without exits."""
        if not self.durations:
            return None
        ordered = sorted(self.durations)
        rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
        return ordered[rank]

    @property
    def mean_duration(self) -> float | None:
        """Mean time in the flow, None without exits."""
        return sum(self.durations) / len(self.durations) if self.durations else None

    @property
    def mean_rating(self) -> float | None:
        """Mean survey rating (1–5), None without answers."""
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready figures."""
        return {
            "flow_id": self.flow_id,
            "entered": self.entered,
            "exited": self.exited,
            "outcomes": dict(self.outcomes),
            "containment": self.containment,
            "drop_off": dict(self.drop_off.most_common()),
            "visits": dict(self.visits.most_common()),
            "time_in_flow_s": {
                "mean": self.mean_duration,
                "p50": self.duration_percentile(0.5),
                "p90": self.duration_percentile(0.9),
            },
            "survey": {"answers": len(self.ratings), "mean_rating": self.mean_rating},
        }


class FlowAnalytics:
    """Folds flow events into per-flow figures."""

    def __init__(self) -> None:
        self.flows: dict[str, FlowFigures] = {}

    def _figures(self, flow_id: str) -> FlowFigures:
        figures = self.flows.get(flow_id)
        if figures is None:
            figures = self.flows[flow_id] = FlowFigures(flow_id)
        return figures

    def apply(self, item: Event) -> None:
        """Take one event into account (others than flow events are ignored)."""
        if isinstance(item, NodeVisited):
            self._figures(item.flow_id).visits[item.node] += 1
        elif isinstance(item, FlowEntered):
            self._figures(item.flow_id).entered += 1
        elif isinstance(item, FlowExited):
            figures = self._figures(item.flow_id)
            figures.outcomes[item.outcome.value] += 1
            figures.durations.append(item.duration_s)
            if item.outcome is FlowOutcome.ABANDONED:
                figures.drop_off[item.node] += 1
        elif isinstance(item, SurveyAnswered):
            self._figures(item.flow_id).ratings.append(item.rating)

    def report(self) -> list[FlowFigures]:
        """Figures of every flow seen, by flow id."""
        return [self.flows[key] for key in sorted(self.flows)]
