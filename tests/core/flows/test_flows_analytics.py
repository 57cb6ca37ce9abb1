"""Containment, drop-off per node and time in the flow, folded from flow events."""

from __future__ import annotations

from madoguchi.core.flows.analytics import FlowAnalytics
from madoguchi.core.flows.events import (
    FlowEntered,
    FlowExited,
    NodeVisited,
    SurveyAnswered,
)
from madoguchi.core.flows.model import FlowOutcome


def exited(contact: str, node: str, outcome: FlowOutcome, duration: float) -> FlowExited:
    return FlowExited(
        at=duration,
        contact_id=contact,
        flow_id="main",
        node=node,
        outcome=outcome,
        duration_s=duration,
    )


def test_containment_drop_off_and_time_in_flow() -> None:
    analytics = FlowAnalytics()
    events = [
        *(
            FlowEntered(at=0, contact_id=f"c{n}", flow_id="main", flow_version=1, channel="voice")
            for n in range(5)
        ),
        *(
            NodeVisited(at=0, contact_id=f"c{n}", flow_id="main", node="menu", kind="menu")
            for n in range(5)
        ),
        exited("c0", "goodbye", FlowOutcome.SELF_SERVICE, 30.0),
        exited("c1", "goodbye", FlowOutcome.SELF_SERVICE, 50.0),
        exited("c2", "menu", FlowOutcome.ABANDONED, 10.0),
        exited("c3", "menu", FlowOutcome.ABANDONED, 20.0),
        exited("c4", "general_enqueue", FlowOutcome.QUEUED, 40.0),
        SurveyAnswered(at=1, contact_id="c0", flow_id="main", node="survey", rating=4, comment=""),
        SurveyAnswered(
            at=1, contact_id="c1", flow_id="main", node="survey", rating=5, comment="良い"
        ),
    ]
    for item in events:
        analytics.apply(item)
    (figures,) = analytics.report()
    assert figures.entered == 5
    assert figures.exited == 5
    assert figures.containment == 0.4
    assert dict(figures.drop_off) == {"menu": 2}
    assert figures.mean_duration == 30.0
    assert figures.duration_percentile(0.5) == 30.0
    assert figures.duration_percentile(0.9) == 50.0
    assert figures.mean_rating == 4.5
    document = figures.as_dict()
    assert document["outcomes"] == {"self_service": 2, "abandoned": 2, "queued": 1}
    assert document["visits"] == {"menu": 5}


def test_no_exits_means_no_figures_yet() -> None:
    analytics = FlowAnalytics()
    analytics.apply(FlowEntered(at=0, contact_id="c", flow_id="f", flow_version=1, channel="chat"))
    (figures,) = analytics.report()
    assert figures.containment is None
    assert figures.mean_duration is None
    assert figures.duration_percentile(0.9) is None
