"""What the interpreter prepares once per flow means what the records say.

Conditions are compiled into test functions, templates split once, prompts resolved per language
and channel, flow events built positionally: each gives the same results as the plain reading.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from madoguchi.core.config import Closure, HoursCalendar, TimeRange, epoch
from madoguchi.core.flows import StaticFlowEnvironment
from madoguchi.core.flows import commands as c
from madoguchi.core.flows._answers import render
from madoguchi.core.flows.conditions import compile_condition, holds
from madoguchi.core.flows.events import (
    FlowEntered,
    FlowExited,
    InputReceived,
    NodeVisited,
    QueueOfferAccepted,
    SurveyAnswered,
    new_flow_entered,
    new_flow_exited,
    new_input_received,
    new_node_visited,
    new_queue_offer_accepted,
    new_survey_answered,
)
from madoguchi.core.flows.model import Condition, FlowOutcome
from madoguchi.core.model import Channel

Walker = Callable[..., Any]
Text = Callable[..., str]

A = Condition  # short for the tables below


OFFICE = HoursCalendar(
    id="office",
    weekly=((TimeRange(540, 1080),),) * 5 + ((), ()),
    closures=(Closure(date(2026, 12, 29), date(2027, 1, 3), "年末年始"),),
)
TUESDAY_10AM = epoch(datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")))


ENV = StaticFlowEnvironment(
    calendars={"office": OFFICE}, waits={"general": 200.0}, available={"general": 0}
)
NEW_YEAR = TUESDAY_10AM + 36 * 86400  # 2026-12-30, in the closure

CASES: list[tuple[Condition, dict[str, str], float, bool]] = [
    (A("attribute", name="tier", equals="vip"), {"tier": "vip"}, TUESDAY_10AM, True),
    (A("attribute", name="tier", equals="vip"), {"tier": "gold"}, TUESDAY_10AM, False),
    (A("attribute", name="tier", equals="vip"), {}, TUESDAY_10AM, False),
    (A("attribute", name="tier", one_of=("a", "b")), {"tier": "b"}, TUESDAY_10AM, True),
    (A("attribute", name="tier", one_of=("a", "b")), {"tier": "c"}, TUESDAY_10AM, False),
    (A("attribute", name="t", equals="a", one_of=("a",)), {"t": "a"}, TUESDAY_10AM, True),
    (A("attribute", name="t", equals="a", one_of=("b",)), {"t": "a"}, TUESDAY_10AM, False),
    (A("attribute", name="tier"), {"tier": ""}, TUESDAY_10AM, True),
    (A("attribute", name="tier"), {}, TUESDAY_10AM, False),
    (A("exists", name="tier"), {"tier": ""}, TUESDAY_10AM, False),
    (A("exists", name="tier"), {"tier": "x"}, TUESDAY_10AM, True),
    (A("channel", equals="chat"), {"channel": "chat"}, TUESDAY_10AM, True),
    (A("language", equals="en"), {"language": "ja"}, TUESDAY_10AM, False),
    (A("open", calendar="office"), {}, TUESDAY_10AM, True),
    (A("open", calendar="office"), {}, TUESDAY_10AM + 10 * 3600, False),
    (A("open", calendar="nowhere"), {}, TUESDAY_10AM, False),
    (A("holiday", calendar="office"), {}, TUESDAY_10AM - 86400, True),  # 勤労感謝の日
    (A("holiday", calendar="office"), {}, TUESDAY_10AM, False),
    (A("closure", calendar="office"), {}, NEW_YEAR, True),
    (A("closure", calendar="office"), {}, TUESDAY_10AM, False),
    (A("ewt_above", queue="general", number=180), {}, TUESDAY_10AM, True),
    (A("ewt_above", queue="general", number=200), {}, TUESDAY_10AM, False),
    (A("ewt_above", queue="orders", number=0), {}, TUESDAY_10AM, False),
    (A("agents_available_below", queue="general", number=1), {}, TUESDAY_10AM, True),
    (A("agents_available_below", queue="orders", number=1), {}, TUESDAY_10AM, False),
    (
        A("all", parts=(A("open", calendar="office"), A("exists", name="x"))),
        {"x": "1"},
        TUESDAY_10AM,
        True,
    ),
    (
        A("all", parts=(A("open", calendar="office"), A("exists", name="x"))),
        {},
        TUESDAY_10AM,
        False,
    ),
    (
        A("any", parts=(A("exists", name="x"), A("exists", name="y"))),
        {"y": "1"},
        TUESDAY_10AM,
        True,
    ),
    (A("any", parts=()), {}, TUESDAY_10AM, False),
    (A("all", parts=()), {}, TUESDAY_10AM, True),
    (A("not", parts=(A("open", calendar="office"),)), {}, TUESDAY_10AM, False),
    (A("nonsense"), {}, TUESDAY_10AM, False),
]


@pytest.mark.parametrize(("condition", "variables", "now", "expected"), CASES)
def test_compiled_conditions_hold_as_written(
    condition: Condition, variables: dict[str, str], now: float, expected: bool
) -> None:
    assert compile_condition(condition)(dict(variables), ENV, now) is expected
    assert holds(condition, dict(variables), ENV, now) is expected


def test_live_figures_and_calendars_are_unknown_without_an_environment() -> None:
    for kind in ("open", "holiday", "closure"):
        assert not compile_condition(A(kind, calendar="office"))({}, None, TUESDAY_10AM)
    assert not compile_condition(A("ewt_above", queue="general"))({}, None, TUESDAY_10AM)
    test = compile_condition(A("not", parts=(A("agents_available_below", queue="general"),)))
    assert test({}, None, TUESDAY_10AM)


def test_a_true_closure_test_names_the_closure() -> None:
    variables: dict[str, str] = {}
    assert compile_condition(A("closure", calendar="office"))(variables, ENV, NEW_YEAR)
    assert variables == {"closure.name": "年末年始"}


@pytest.mark.parametrize(
    ("template", "url", "expected"),
    [
        ("plain", False, "plain"),
        ("{a}", False, "x/y z"),
        ("{a}{b}-{missing}", False, "x/y z日本-"),
        ("{ a}", False, "{ a}"),
        ("{api_base}/orders/{a}", True, "https://h/v1/orders/x%2Fy%20z"),
        ("{a}{b}", True, "x/y z%E6%97%A5%E6%9C%AC"),  # only the very first is the base
        ("https://h/{b}?q={c.d}", True, "https://h/%E6%97%A5%E6%9C%AC?q=%26%3F"),
        ("{a", True, "{a"),
    ],
)
def test_templates_fill_placeholders_and_quote_url_values(
    template: str, url: bool, expected: str
) -> None:
    variables = {"a": "x/y z", "b": "日本", "c.d": "&?", "api_base": "https://h/v1"}
    assert render(template, variables, url=url) == expected
    assert render(template, variables, url=url) == expected  # the split template, reused


def test_flow_events_built_positionally_equal_the_keyword_built_ones() -> None:
    at, contact, flow = 1.5, "k1", "f"
    assert new_flow_entered(at, contact, flow, 3, "voice") == FlowEntered(
        at=at, contact_id=contact, flow_id=flow, flow_version=3, channel="voice"
    )
    assert new_node_visited(at, contact, flow, "n", "menu") == NodeVisited(
        at=at, contact_id=contact, flow_id=flow, node="n", kind="menu"
    )
    assert new_input_received(at, contact, flow, "n", "option", "1", True) == InputReceived(
        at=at, contact_id=contact, flow_id=flow, node="n", kind="option", value="1", valid=True
    )
    assert new_survey_answered(at, contact, flow, "n", 5, "よい") == SurveyAnswered(
        at=at, contact_id=contact, flow_id=flow, node="n", rating=5, comment="よい"
    )
    exited = new_flow_exited(at, contact, flow, "n", FlowOutcome.QUEUED, 2.0)
    assert exited == FlowExited(
        at=at,
        contact_id=contact,
        flow_id=flow,
        node="n",
        outcome=FlowOutcome.QUEUED,
        duration_s=2.0,
    )
    assert new_queue_offer_accepted(at, contact, flow, "general", "callback") == (
        QueueOfferAccepted(
            at=at, contact_id=contact, flow_id=flow, queue="general", offer="callback"
        )
    )
    with pytest.raises(TypeError):
        NodeVisited(at=at, contact_id=contact, flow_id=flow, node="n")  # type: ignore[call-arg]


LANGUAGE_SWITCH = """
a: {type: say, prompt: {ja: ようこそ, en: Welcome}, next: b}
b: {type: set, language: en, next: c}
c: {type: say, prompt: {ja: "{name}様", en: "Dear {name}"}, next: d}
d: {type: disconnect, prompt: {ja: さようなら, en: Goodbye, audio: bye.wav}}
"""


def test_prompts_follow_the_language_set_mid_flow_and_fill_placeholders_per_contact(
    walk: Walker, flow_text: Text
) -> None:
    text = flow_text(LANGUAGE_SWITCH)
    first = walk(text, attributes={"name": "山田"})
    first.start()
    assert first.said() == ["ようこそ", "Dear 山田", "Goodbye"]
    assert isinstance(first.commands[2], c.Play)
    assert first.commands[2].audio == "bye.wav"
    second = walk(first.session.flow, attributes={"name": "Sato"}, channel=Channel.CHAT)
    second.start()
    assert second.said() == ["ようこそ", "Dear Sato", "Goodbye"]
    assert isinstance(second.commands[2], c.Say)  # chat shows the text of an audio prompt
    # the same words for every contact are the same command, resolved once per flow
    assert second.commands[0] is walk(first.session.flow, channel=Channel.CHAT).start()[0]
