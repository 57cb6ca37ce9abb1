"""``flow check``'s semantic findings: one test per kind of mistake, each with line and hint."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from madoguchi.core.config import CenterConfig
from madoguchi.core.flows import parse_flow, validate_flow
from madoguchi.samples import load_sample_center
from madoguchi.samples.flows import SAMPLE_FLOWS, load_sample_flow

Text = Callable[..., str]


@pytest.fixture(scope="module")
def center() -> CenterConfig:
    return load_sample_center()


def findings(text: str, center: CenterConfig | None = None) -> list[str]:
    return [p.format("f.yaml") for p in validate_flow(parse_flow(text, "f.yaml"), center)]


@pytest.mark.parametrize("name", SAMPLE_FLOWS)
def test_sample_flows_pass_every_check(name: str, center: CenterConfig) -> None:
    assert validate_flow(load_sample_flow(name), center) == []


def test_unknown_target_suggests_the_closest_node(flow_text: Text) -> None:
    text = flow_text(
        "a: {type: say, prompt: {ja: あ, en: a}, next: goodby}\ngoodbye: {type: disconnect}\n"
    )
    assert findings(text) == [
        "f.yaml:6: node 'a': next goes to unknown node 'goodby' — did you mean 'goodbye'?",
        "f.yaml:7: node 'goodbye' is unreachable from start 'a' — "
        "link it from another node or delete it",
    ]


def test_unknown_start_node_is_reported_on_the_start_line(flow_text: Text) -> None:
    text = flow_text("b: {type: disconnect}\n", header="flow: t\nversion: 1\nstart: a\n")
    assert (
        findings(text)[0]
        == "f.yaml:3: start node 'a' is not defined — define node 'a' or fix the name"
    )


def test_unreachable_node(flow_text: Text) -> None:
    text = flow_text("a: {type: disconnect}\norphan: {type: disconnect}\n")
    assert findings(text) == [
        "f.yaml:7: node 'orphan' is unreachable from start 'a' — "
        "link it from another node or delete it"
    ]


def test_menu_option_without_a_branch(flow_text: Text) -> None:
    text = flow_text(
        """
        a:
          type: menu
          prompt: {ja: 選択, en: Choose}
          options:
            - {key: 1, label: {ja: 一, en: one}, next: z}
            - {key: 2, label: {ja: 二, en: two}}
          fallback: z
        z: {type: disconnect}
        """
    )
    assert findings(text) == [
        "f.yaml:12: menu 'a': option '2' has no branch — add next: <node> to the option"
    ]


def test_menu_key_that_no_keypad_has(flow_text: Text) -> None:
    text = flow_text(
        """
        a:
          type: menu
          prompt: {ja: 選択, en: Choose}
          options: [{key: 12, label: {ja: 一, en: one}, next: z}]
          fallback: z
        z: {type: disconnect}
        """
    )
    assert findings(text) == [
        "f.yaml:10: menu 'a': key '12' is not a keypad key — use one of 0-9, * or #"
    ]


def test_loop_that_never_waits_for_input(flow_text: Text) -> None:
    text = flow_text(
        """
        a: {type: say, prompt: {ja: あ, en: a}, next: b}
        b: {type: set, attributes: {x: "1"}, next: a}
        """
    )
    (finding,) = findings(text)
    assert finding.startswith("f.yaml:7: loop that never waits for input: a → b → a")
    assert "put a menu or collect node in the loop" in finding


def test_loop_a_silent_caller_would_go_round_forever(flow_text: Text) -> None:
    text = flow_text(
        """
        a:
          type: menu
          prompt: {ja: 選択, en: Choose}
          options: [{key: 1, label: {ja: 終了, en: End}, next: z}]
          fallback: sorry
        sorry: {type: say, prompt: {ja: もう一度, en: Again}, next: a}
        z: {type: disconnect}
        """
    )
    (finding,) = findings(text)
    assert "a silent caller would go round forever: a → sorry → a" in finding
    assert finding.startswith("f.yaml:7:")


def test_missing_translation(flow_text: Text) -> None:
    text = flow_text(
        """
        a:
          type: menu
          prompt: {ja: 選択してください}
          options: [{key: 1, label: {en: End}, next: z}]
          fallback: z
        z: {type: disconnect, prompt: 終了}
        """
    )
    assert findings(text) == [
        "f.yaml:7: node 'a': prompt has no 'en' text — add en: … (the flow declares ['ja', 'en'])",
        "f.yaml:10: node 'a': option 1 label has no 'ja' text — "
        "add ja: … (the flow declares ['ja', 'en'])",
        "f.yaml:12: node 'z': prompt has no 'en' text — add en: … (the flow declares ['ja', 'en'])",
    ]


def test_undefined_variable(flow_text: Text) -> None:
    text = flow_text(
        """
        a: {type: say, prompt: {ja: "{order_no}です", en: "It is {order_no}"}, next: b}
        b:
          type: condition
          branches: [{when: {attribute: customer.tier, equals: vip}, next: z}]
          otherwise: z
        z: {type: disconnect}
        """
    )
    assert findings(text) == [
        "f.yaml:7: node 'a': variable 'order_no' is never set — set it in a collect, set, http or "
        "identify node, or list it in variables:",
        "f.yaml:8: node 'b': variable 'customer.tier' is never set — "
        "set it in a collect, set, http or identify node, or list it in variables:",
    ]


def test_unknown_queue_skill_calendar_and_agent_against_the_center(
    flow_text: Text, center: CenterConfig
) -> None:
    text = flow_text(
        """
        a:
          type: condition
          branches:
            - when: {open: ofice}
              next: b
            - when: {ewt_above: {queue: generl, seconds: 60}}
              next: c
          otherwise: c
        b: {type: enqueue, queue: sales, skills: {cooking: 3}}
        c: {type: transfer, to: {agent: op99}}
        """
    )
    found = findings(text, center)
    assert found[0] == "f.yaml:10: node 'a': unknown calendar 'ofice' — did you mean 'office'?"
    assert found[1] == "f.yaml:12: node 'a': unknown queue 'generl' — did you mean 'general'?"
    assert found[2].startswith(
        "f.yaml:15: node 'b': unknown queue 'sales' — known: general, orders"
    )
    assert found[3].startswith("f.yaml:15: node 'b': unknown skill 'cooking'")
    assert found[4].startswith("f.yaml:16: node 'c': unknown agent 'op99'")


def test_bad_pattern(flow_text: Text) -> None:
    text = flow_text(
        """
        a: {type: collect, prompt: {ja: 番号, en: No}, into: n, pattern: "[0-9",
            next: z, fallback: z}
        z: {type: disconnect}
        """
    )
    (found,) = findings(text)
    assert found.startswith("f.yaml:7: node 'a': bad pattern")


def test_queue_treatment_that_cannot_make_its_offers(flow_text: Text) -> None:
    text = flow_text(
        """
        a:
          type: enqueue
          queue: general
          treatment: {callback_if_wait_above: 180, offer_message: true}
        """
    )
    assert findings(text) == [
        "f.yaml:7: node 'a': treatment offers a callback but names no callback node "
        "— add callback: <callback node>",
        "f.yaml:7: node 'a': treatment offers a message but names no message node "
        "— add message: <voicemail node>",
        "f.yaml:7: node 'a': treatment: callback_if_wait_above is checked at announcements, "
        "none are set — add announce_every: <seconds>",
    ]


def test_an_unreachable_region_is_reported_once_on_its_entry(flow_text: Text) -> None:
    text = flow_text(
        """
        a: {type: disconnect}
        island: {type: say, prompt: {ja: あ, en: a}, next: beach}
        beach: {type: say, prompt: {ja: い, en: b}, next: island}
        lone: {type: disconnect}
        """
    )
    assert findings(text) == [
        "f.yaml:8: loop that never waits for input: island → beach → island — put a menu or "
        "collect node in the loop, or end it",
        "f.yaml:8: node 'island' is unreachable from start 'a', and so is 1 node reached only "
        "through it — link it from another node or delete it",
        "f.yaml:10: node 'lone' is unreachable from start 'a' — link it from another node or "
        "delete it",
    ]


def test_collect_whose_lengths_accept_nothing(flow_text: Text) -> None:
    text = flow_text(
        """
        a: {type: collect, prompt: {ja: 番号, en: No}, into: n, min_length: 8, max_length: 4,
            next: z, fallback: z}
        z: {type: disconnect}
        """
    )
    (found,) = findings(text)
    assert found == (
        "f.yaml:7: node 'a': min_length 8 is above max_length 4, so no answer is ever accepted"
        " — lower min_length or raise max_length"
    )
