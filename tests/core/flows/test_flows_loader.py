"""Flow files: every mistake reported as FILE:LINE with nothing half-loaded."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from madoguchi.core.flows import FlowFileError, parse_flow
from madoguchi.core.flows import model as m
from madoguchi.samples.flows import SAMPLE_FLOWS, load_sample_flow


def problems_of(text: str) -> list[str]:
    with pytest.raises(FlowFileError) as caught:
        parse_flow(text, "bad.yaml")
    return str(caught.value).splitlines()


def test_every_node_type_is_read_from_yaml(flow_text: Callable[..., str]) -> None:
    text = flow_text(
        """
        a: {type: say, prompt: {ja: こんにちは, en: Hello, audio: hello.wav},
            barge_in: false, next: b}
        b:
          type: menu
          prompt: {ja: 選択, en: Choose}
          options:
            - {key: 1, label: {ja: 注文, en: Order}, next: c, keywords: [注文, yes]}
          timeout: 4
          attempts: 2
          no_input: {ja: 無入力, en: No input}
          fallback: n
        c: {type: collect, prompt: {ja: 番号, en: Number}, into: no, min_length: 3, max_length: 4,
            pattern: "[0-9]+", format: any, next: d, fallback: n, sensitive: true}
        d: {type: identify, by: no, fields: [tier], found: e, not_found: n}
        e: {type: verify, prompt: {ja: 生年月日, en: Birth date}, secret: customer.tier,
            format: date, verified: f, failed: n}
        f: {type: set, attributes: {topic: "{no}"}, priority: 3, skills: {orders: 2},
            language: en, next: g}
        g:
          type: condition
          branches:
            - when: {all: [{open: office}, {not: {holiday: office}},
                          {attribute: topic, one_of: [a, b]}]}
              next: h
            - when: {ewt_above: {queue: general, seconds: 180}}
              next: i
            - when: {agents_available_below: {queue: general, count: 1}}
              next: j
          otherwise: k
        h: {type: enqueue, queue: general, priority: 2,
            treatment: {music: m.wav, announce_every: 60, callback_after: 90, callback: i}}
        i: {type: callback, queue: general, prompt: {ja: "番号 {number}", en: "Number {number}"},
            ask_number: {ja: 入力, en: Enter}, fallback: n}
        j: {type: voicemail, prompt: {ja: 録音, en: Record}, max_seconds: 60}
        k: {type: transfer, to: {number: "0312345678"}}
        l: {type: http, url: "https://x.example/{no}", method: post, body: "{}", timeout: 2,
            retries: 2, map: {v: a.b}, next: n, error: n}
        s: {type: survey, prompt: {ja: 評価, en: Rate}, comment_prompt: {ja: ご意見, en: Comments},
            next: n}
        n: {type: disconnect, outcome: closed}
        """
    )
    flow = parse_flow(text, "all.yaml")
    kinds = {m.node_kind(node) for node in flow.nodes.values()}
    assert kinds == set(m.NODE_TYPES)
    menu = flow.nodes["b"]
    assert isinstance(menu, m.MenuNode)
    assert menu.options[0].key == "1"
    assert menu.options[0].keywords == ("注文", "yes")
    assert menu.retries.timeout_s == 4
    assert menu.retries.max_attempts == 2
    http = flow.nodes["l"]
    assert isinstance(http, m.HttpNode)
    assert http.method == "POST"
    assert http.map == (("v", "a.b"),)
    transfer = flow.nodes["k"]
    assert isinstance(transfer, m.TransferNode)
    assert transfer.kind is m.TransferKind.NUMBER
    assert flow.nodes["a"].line == 7


def test_malformed_yaml_is_reported_with_its_line() -> None:
    text = "flow: t\nversion: 1\nstart: a\nnodes:\n  a: {type: say, next: [b\n"
    (problem,) = problems_of(text)
    assert problem.startswith("bad.yaml:6: malformed YAML")


def test_unknown_node_type_names_the_known_ones(flow_text: Callable[..., str]) -> None:
    text = flow_text("a: {type: sya, next: b}\n")
    (problem,) = problems_of(text)
    assert problem.startswith("bad.yaml:6: node 'a': unknown node type 'sya'")
    assert "say" in problem


def test_wrong_field_type_and_missing_field_are_reported_together(
    flow_text: Callable[..., str],
) -> None:
    text = flow_text(
        """
        a:
          type: menu
          prompt: {ja: x, en: x}
          options: [{key: 1, next: b}]
          timeout: soon
          fallback: b
        b:
          type: collect
          prompt: {ja: x, en: x}
          next: a
          fallback: a
        """
    )
    found = problems_of(text)
    assert found[0].startswith("bad.yaml:11: node 'a': field 'timeout' must be a number")
    assert found[1].startswith("bad.yaml:13: node 'b': missing field 'into'")


def test_duplicate_keys_and_unknown_fields_are_reported(flow_text: Callable[..., str]) -> None:
    found = problems_of(flow_text("a: {type: say, prompt: x, next: a, nxt: b}\n"))
    assert found == [
        "bad.yaml:6: node 'a': unknown field 'nxt' — "
        "known: barge_in, description, next, prompt, type"
    ]
    found = problems_of(flow_text("a: {type: disconnect}\na: {type: disconnect}\n"))
    assert found == ["bad.yaml:7: flow.nodes: duplicate key 'a' — keep one of them"]


def test_a_file_that_is_not_a_mapping_is_refused() -> None:
    assert problems_of("- just\n- a list\n")[0].startswith("bad.yaml:1: a flow file is a mapping")
    assert problems_of("")[0].startswith("bad.yaml:1: empty flow file")


def test_top_level_fields_are_required() -> None:
    found = problems_of("name: x\n")
    assert {p.split(": ", 1)[1].split(" —")[0] for p in found} >= {
        "flow: missing field 'flow'",
        "flow: missing field 'version'",
        "flow: missing field 'nodes'",
    }


def test_variables_may_carry_defaults(flow_text: Callable[..., str]) -> None:
    text = flow_text(
        "a: {type: disconnect}\n",
        header="flow: t\nversion: 2\nstart: a\nvariables: {api: 'https://x'}\n",
    )
    flow = parse_flow(text, "v.yaml")
    assert flow.variables == ("api",)
    assert flow.defaults == (("api", "https://x"),)


@pytest.mark.parametrize("name", SAMPLE_FLOWS)
def test_sample_flows_load(name: str) -> None:
    flow = load_sample_flow(name)
    assert flow.start in flow.nodes


def test_numbers_out_of_range_or_not_finite_are_refused(flow_text: Callable[..., str]) -> None:
    text = flow_text(
        """
        a:
          type: menu
          prompt: {ja: x, en: x}
          options: [{key: 1, next: b}]
          timeout: .nan
          attempts: 0
          fallback: b
        b:
          type: collect
          prompt: {ja: x, en: x}
          into: n
          max_length: 0
          timeout: -2
          attempts: 1:30
          next: a
          fallback: a
        c:
          type: http
          url: https://x.example/
          timeout: .inf
          retries: -1
          next: a
          error: a
        """
    )
    found = problems_of(text)
    assert found == [
        "bad.yaml:11: node 'a': field 'timeout' must be a finite number, not '.nan'"
        " — write timeout: <a finite number>",
        "bad.yaml:12: node 'a': field 'attempts' must be at least 1, not 0"
        " — write attempts: <a number at least 1>",
        "bad.yaml:18: node 'b': field 'max_length' must be at least 1, not 0"
        " — write max_length: <a number at least 1>",
        "bad.yaml:19: node 'b': field 'timeout' must be at least 0, not -2"
        " — write timeout: <a number at least 0>",
        "bad.yaml:20: node 'b': field 'attempts' must be an integer, not '1:30'"
        " — write attempts: <an integer>",
        "bad.yaml:26: node 'c': field 'timeout' must be a finite number, not '.inf'"
        " — write timeout: <a finite number>",
        "bad.yaml:27: node 'c': field 'retries' must be at least 0, not -1"
        " — write retries: <a number at least 0>",
    ]


def test_a_version_below_one_is_refused() -> None:
    text = "flow: t\nversion: 0\nstart: a\nnodes:\n  a: {type: disconnect}\n"
    (problem,) = problems_of(text)
    assert problem.startswith("bad.yaml:2: flow: field 'version' must be at least 1, not 0")
