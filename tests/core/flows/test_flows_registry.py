"""Publishing flow versions: all or nothing, and running sessions keep their version."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from madoguchi.core.flows import FlowFileError, FlowRegistry, FlowSession
from madoguchi.core.model import Channel, Contact, Direction
from madoguchi.samples import load_sample_center
from madoguchi.samples.flows import sample_flow_text

Text = Callable[..., str]
V1 = "flow: f\nversion: 1\nlanguages: [ja]\nstart: a\nnodes:\n  a: {type: disconnect, prompt: 一}\n"
V2 = V1.replace("version: 1", "version: 2").replace("prompt: 一", "prompt: 二")


def test_publish_swaps_versions_and_running_sessions_keep_theirs() -> None:
    registry = FlowRegistry()
    registry.publish(V1, "f.yaml")
    session = FlowSession(registry.get("f"))
    registry.publish(V2, "f.yaml")
    assert registry.versions() == {"f": 2}
    contact = Contact("k", Channel.VOICE, Direction.INBOUND, "t", 0.0)
    assert session.start(contact, 0.0)[0].text == "一"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("flow: f\nversion: 2\nstart: a\nnodes: {a: [", "malformed YAML"),
        (V2.replace("type: disconnect", "type: hangup"), "unknown node type 'hangup'"),
        (V2.replace("version: 2", "version: two"), "field 'version' must be an integer"),
        (V2.replace("start: a", "start: b"), "start node 'b' is not defined"),
        (V1, "version 1 is not newer than the running version 1"),
    ],
)
def test_a_bad_file_changes_nothing(text: str, message: str) -> None:
    registry = FlowRegistry()
    running = registry.publish(V1, "f.yaml")
    with pytest.raises(FlowFileError) as caught:
        registry.publish(text, "f.yaml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("f.yaml:")
    assert registry.get("f") is running


def test_registry_checks_queues_against_its_center() -> None:
    registry = FlowRegistry(load_sample_center())
    assert registry.publish(sample_flow_text("main-number"), "main.yaml").id == "midori-main"
    with pytest.raises(FlowFileError, match="unknown queue 'sales'"):
        registry.publish(
            sample_flow_text("chat-bot").replace("queue: chat", "queue: sales"), "chat.yaml"
        )
    assert registry.versions() == {"midori-main": 1}
