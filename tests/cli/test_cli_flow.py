"""``madoguchi flow check|run|report`` through the real command."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console
from typer.testing import CliRunner

from madoguchi.cli import app
from madoguchi.core.events import Event
from madoguchi.samples import load_sample_center
from madoguchi.samples.flows import SAMPLE_FLOWS, sample_flow_path, sample_flow_text

runner = CliRunner()
MAIN = str(sample_flow_path("main-number"))
CHAT = str(sample_flow_path("chat-bot"))


class OrderApi(BaseHTTPRequestHandler):
    """A stand-in for the shop's order system, answering over real HTTP."""

    def do_GET(self) -> None:
        if self.path == "/v1/orders/12345678":
            body = json.dumps({"status_text": "発送済み", "delivery_date": "2026-11-26"}).encode()
            self.send_response(200)
        else:
            body = b"<html>not found</html>"
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def order_api() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), OrderApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_check_accepts_the_sample_flows() -> None:
    paths = [str(sample_flow_path(name)) for name in SAMPLE_FLOWS]
    result = runner.invoke(app, ["flow", "check", *paths])
    assert result.exit_code == 0, result.output
    assert "flow midori-main v1" in result.output


def test_check_reports_file_line_and_hint_and_exits_non_zero(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = sample_flow_text("after-hours").replace("queue: general", "queue: generl")
    bad.write_text(text.replace("next: after_hours_menu", "next: after_hours_meun"))
    result = runner.invoke(app, ["flow", "check", str(bad)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(
        line.startswith(f"{bad}:")
        and "goes to unknown node 'after_hours_meun' — did you mean 'after_hours_menu'?" in line
        for line in lines
    )
    assert any("unknown queue 'generl' — did you mean 'general'?" in line for line in lines)


def test_check_reports_malformed_yaml_and_missing_files(tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("flow: x\nversion: 1\nstart: a\nnodes:\n  a: {type: say\n")
    result = runner.invoke(app, ["flow", "check", str(bad), str(tmp_path / "none.yaml")])
    assert result.exit_code == 1
    assert f"{bad}:6: malformed YAML" in result.output
    assert "none.yaml: no such file" in result.output


def test_run_voice_walks_to_self_service_with_a_real_http_lookup(
    order_api: str, tmp_path: Path
) -> None:
    log = tmp_path / "events.jsonl"
    args = ["flow", "run", MAIN, "--at", "2026-11-24T10:00", "--caller", "0312345678"]
    args += ["--set", f"api_base={order_api}", "--log", str(log)]
    result = runner.invoke(app, args, input="1\n19721103\n12345678\n9\n5\n")
    assert result.exit_code == 0, result.output
    assert "customer found: C000456" in result.output
    assert "「発送済み」" in result.output
    assert "flow ended: self_service" in result.output
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[0]["type"] == "FlowEntered"
    assert records[-1]["type"] == "FlowExited"


def test_run_voice_lookup_failure_takes_the_error_branch_to_an_agent(order_api: str) -> None:
    args = ["flow", "run", MAIN, "--at", "2026-11-24T10:00", "--caller", "0312345678"]
    args += ["--set", f"api_base={order_api}", "--ahead", "40"]
    result = runner.invoke(app, args, input="1\n19721103\n99999999\n/wait\n/hangup\n")
    assert result.exit_code == 0, result.output
    assert "ただいまご注文情報を確認できません" in result.output
    assert "queued in orders: position" in result.output
    assert "estimated wait" in result.output
    assert "flow ended: abandoned" in result.output


def test_run_chat_uses_numbered_buttons_and_hands_the_transcript_to_an_agent() -> None:
    args = ["flow", "run", CHAT, "--channel", "chat", "--at", "2026-11-24T10:00"]
    result = runner.invoke(app, args, input="2\n2\n")
    assert result.exit_code == 0, result.output
    assert "[1] 注文状況を調べる" in result.output
    assert "transcript handed to the agent:" in result.output
    assert "customer: 営業時間" in result.output
    assert "connected to agent" in result.output


def test_run_refuses_bad_options(tmp_path: Path) -> None:
    result = runner.invoke(app, ["flow", "run", MAIN, "--channel", "fax"])
    assert result.exit_code == 2
    assert "--channel: 'fax' is not voice or chat" in result.output
    unwritable = tmp_path / "no-such-dir" / "events.jsonl"
    result = runner.invoke(app, ["flow", "run", MAIN, "--log", str(unwritable)], input="/hangup\n")
    assert result.exit_code == 1
    assert f"{unwritable}: cannot write:" in result.output
    assert "flow ended" not in result.output  # refused before the walk, not after it
    result = runner.invoke(app, ["flow", "run", MAIN, "--set", "novalue"])
    assert result.exit_code == 2


def test_report_over_an_event_log(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    base = ["flow", "run", CHAT, "--channel", "chat", "--at", "2026-11-24T10:00", "--log", str(log)]
    runner.invoke(app, base, input="2\n3\n5\nよかった\n")
    runner.invoke(app, base, input="/hangup\n")
    runner.invoke(app, base, input="2\n2\n")
    out = tmp_path / "report.json"
    result = runner.invoke(app, ["flow", "report", "--log", str(log), "--json", str(out)])
    assert result.exit_code == 0, result.output
    assert "self-service containment 33.3%" in result.output
    (figures,) = json.loads(out.read_text())
    assert figures["outcomes"] == {"self_service": 1, "abandoned": 1, "queued": 1}
    assert figures["drop_off"] == {"topics": 1}
    assert figures["survey"] == {"answers": 1, "mean_rating": 5.0}


ENTERED = '{"type": "FlowEntered", "v": 1, "at": 1, "contact_id": "c", "flow_id": "f", '


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b"[" * 100_000, "2: not a JSON record"),
        (b"\xff\xfe{}", "2: not UTF-8 text"),
        (
            (ENTERED + '"flow_version": 1, "channel": ["voice"]}').encode(),
            "2: bad FlowEntered record: field 'channel' is ['voice']",
        ),
        (
            (ENTERED + '"flow_version": true, "channel": "voice"}').encode(),
            "2: bad FlowEntered record: field 'flow_version' is True",
        ),
        (
            (
                ENTERED.replace('"at": 1', '"at": NaN') + '"flow_version": 1, "channel": "v"}'
            ).encode(),
            "2: bad FlowEntered record: field 'at' is nan",
        ),
    ],
)
def test_report_refuses_garbage_lines_by_number(tmp_path: Path, line: bytes, message: str) -> None:
    log = tmp_path / "events.jsonl"
    good = (ENTERED + '"flow_version": 1, "channel": "voice"}').encode()
    log.write_bytes(good + b"\n" + line + b"\n")
    result = runner.invoke(app, ["flow", "report", "--log", str(log)])
    assert result.exit_code == 1
    assert f"{log}:{message}" in result.output


def test_report_names_the_bad_line(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text('{"type": "FlowEntered", "v": 1}\nnot json\n')
    result = runner.invoke(app, ["flow", "report", "--log", str(log)])
    assert result.exit_code == 1
    assert f"{log}:1: bad FlowEntered record" in result.output


def test_run_unreachable_order_system_takes_the_error_branch() -> None:
    args = ["flow", "run", CHAT, "--channel", "chat", "--at", "2026-11-24T10:00"]
    args += ["--set", "api_base=http://127.0.0.1:9/v1"]
    result = runner.invoke(app, args, input="1\n12345678\n/hangup\n")
    assert result.exit_code == 0, result.output
    assert "… failed: ConnectError" in result.output
    assert "ただいまご注文情報を確認できません" in result.output


def test_run_a_url_httpx_cannot_parse_takes_the_error_branch() -> None:
    args = ["flow", "run", CHAT, "--channel", "chat", "--at", "2026-11-24T10:00"]
    args += ["--set", "api_base=http://[::1"]
    result = runner.invoke(app, args, input="1\n12345678\n/hangup\n")
    assert result.exit_code == 0, result.output
    assert "… failed: InvalidURL" in result.output
    assert "ただいまご注文情報を確認できません" in result.output


def test_run_after_hours_callback_says_what_routing_did() -> None:
    path = str(sample_flow_path("after-hours"))
    args = ["flow", "run", path, "--at", "2026-11-24T21:00", "--caller", "09011112222"]
    result = runner.invoke(app, args, input="2\n1\n")
    assert result.exit_code == 0, result.output
    assert "routing: general applied its closed treatment (message)" in result.output
    assert "not kept in line" in result.output
    assert "flow ended: callback" in result.output


def test_report_reads_the_event_store(tmp_path: Path) -> None:
    from madoguchi.core.events import from_record
    from madoguchi.store import open_store

    log = tmp_path / "events.jsonl"
    base = ["flow", "run", CHAT, "--channel", "chat", "--at", "2026-11-24T10:00", "--log", str(log)]
    runner.invoke(app, base, input="2\n3\n4\n\n")
    runner.invoke(app, base, input="/hangup\n")
    url = f"sqlite:///{tmp_path / 'center.sqlite3'}"
    with open_store(url) as store:
        store.append(from_record(json.loads(line)) for line in log.read_text().splitlines())
    result = runner.invoke(app, ["flow", "report", "--db", url])
    assert result.exit_code == 0, result.output
    assert "midori-chat: 2 entered, 2 exited, self-service containment 50.0%" in result.output
    result = runner.invoke(app, ["flow", "report", "--db", "mysql://nowhere"])
    assert result.exit_code == 1
    assert result.output.startswith("--db: ")
    result = runner.invoke(app, ["flow", "report"])
    assert result.exit_code == 2


# -- the paced voice terminal: spoken prompts, barge-in, key-by-key answers --------------------


class ScriptedKeyboard:
    """Keys typed at given seconds on a virtual clock (the runner's own input abstraction)."""

    def __init__(self, *keys: tuple[float, str]) -> None:
        self.keys = list(keys)
        self.clock = 0.0
        self.first_read_at: float | None = None

    def wait_key(self, seconds: float) -> str | None:
        if self.keys and self.keys[0][0] <= self.clock + seconds:
            at, key = self.keys.pop(0)
            self.clock = max(self.clock, at)
            return key
        self.clock += seconds
        return None

    def read_key(self) -> str:
        if self.first_read_at is None:
            self.first_read_at = self.clock
        if not self.keys:
            raise EOFError
        at, key = self.keys.pop(0)
        self.clock = max(self.clock, at)
        return key


def _paced_run(
    flow_text: str, keyboard: ScriptedKeyboard, pace: float = 10.0
) -> tuple[str, list[Event]]:
    from madoguchi.cli._flow_terminal import TerminalRun
    from madoguchi.core.flows import parse_flow

    out = io.StringIO()
    run = TerminalRun(
        parse_flow(flow_text, "flow.yaml"),
        load_sample_center(),
        Console(file=out, width=300, highlight=False, color_system=None),
        channel="voice",
        caller="",
        language="ja",
        attributes={},
        customers=[],
        now=datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Tokyo")).timestamp(),
        ahead=0,
        keyboard=keyboard,
        pace=pace,
    )
    run.run(input_line=lambda: pytest.fail("a paced run reads keys, not lines"))
    return out.getvalue(), run.events


WELCOME = "お電話ありがとうございます。みどり通販お客様センターです。"
MENU_START = "ご注文状況の確認は1を"


def test_a_key_during_a_barge_in_prompt_cuts_it_and_answers_the_menu() -> None:
    from madoguchi.cli._flow_terminal import BARGE_IN_MARK
    from madoguchi.core.flows.events import InputReceived

    # 10 characters a second: a key at 0.45 s lands while the fifth character is spoken
    keyboard = ScriptedKeyboard((0.45, "1"), (9.0, "/"), (9.1, "h"), (9.2, "\r"))
    output, events = _paced_run(sample_flow_text("main-number"), keyboard)
    assert f"🔊 {WELCOME[:5]}{BARGE_IN_MARK}\n" in output
    assert WELCOME[5:] not in output
    # the menu prompt was queued behind the welcome: cleared with it, never spoken
    assert f"🔇 (unheard) {MENU_START}" in output
    assert f"🔊 {MENU_START}" not in output
    # the key went to the menu as the caller's choice, at once (a one-digit gather)
    answers = [e for e in events if isinstance(e, InputReceived)]
    assert (answers[0].node, answers[0].kind, answers[0].value) == ("main_menu", "option", "1")
    assert "> 1\n🔊 8桁のご注文番号を入力してください。\n" in output
    assert "flow ended: abandoned" in output


def test_without_a_key_the_prompt_is_spoken_whole_at_the_pace() -> None:
    from madoguchi.core.flows import parse_flow
    from madoguchi.core.flows.model import MenuNode

    keyboard = ScriptedKeyboard((100.0, "\x04"))
    output, _ = _paced_run(sample_flow_text("main-number"), keyboard)
    menu = parse_flow(sample_flow_text("main-number"), "main.yaml").nodes["main_menu"]
    assert isinstance(menu, MenuNode)
    assert menu.prompt.text is not None
    assert f"🔊 {WELCOME}\n🔊 {menu.prompt.text.ja}\n" in output
    # the caller was first asked for a key once both were spoken, a tenth of a second a character
    assert keyboard.first_read_at == pytest.approx((len(WELCOME) + len(menu.prompt.text.ja)) / 10)


NO_BARGE_FLOW = """\
flow: no-barge
version: 1
languages: [ja]
start: notice
nodes:
  notice:
    type: say
    barge_in: false
    prompt: この通話は録音されます。
    next: menu
  menu:
    type: menu
    prompt: 注文は1を、その他は2を押してください。
    options:
      - {key: "1", label: 注文, next: bye}
      - {key: "2", label: その他, next: bye}
    fallback: bye
  bye:
    type: disconnect
    prompt: ありがとうございました。
"""


def test_keys_during_a_prompt_without_barge_in_wait_for_its_end() -> None:
    from madoguchi.cli._flow_terminal import BARGE_IN_MARK
    from madoguchi.core.flows.events import InputReceived

    keyboard = ScriptedKeyboard((0.25, "2"))
    output, events = _paced_run(NO_BARGE_FLOW, keyboard)
    assert "🔊 この通話は録音されます。\n" in output  # spoken to the end
    # the key typed ahead cuts the menu prompt (barge-in allowed) at once and answers it
    assert f"🔊 {BARGE_IN_MARK}\n" in output
    assert "> 2\n🔊 ありがとうございました。\n" in output
    answers = [e for e in events if isinstance(e, InputReceived)]
    assert [(a.node, a.value) for a in answers] == [("menu", "2")]
    assert "flow ended: self_service" in output


def test_a_digit_gather_ends_on_hash_or_enter_and_keys_can_be_erased() -> None:
    from madoguchi.core.flows.events import InputReceived

    answers_typed = ["1", "129\x7f34#", "56\r"]  # each well after the prompts before it
    keys = [
        (100.0 * (n + 1) + k / 10, key)
        for n, a in enumerate(answers_typed)
        for k, key in enumerate(a)
    ]
    output, events = _paced_run(sample_flow_text("main-number"), ScriptedKeyboard(*keys))
    answers = [(e.node, e.value, e.valid) for e in events if isinstance(e, InputReceived)]
    assert answers == [
        ("main_menu", "1", True),
        ("collect_order_no", "1234", False),  # '#' ended it; too short for an order number
        ("collect_order_no", "56", False),  # Enter ended it
    ]
    assert "> 129\b \b34#\n" in output  # the erased key wiped from the line
    assert "> \nflow ended: abandoned" in output  # the keys ran out: the caller hung up


def test_pace_is_checked_and_no_pace_reads_lines() -> None:
    result = runner.invoke(app, ["flow", "run", MAIN, "--pace", "0"])
    assert result.exit_code == 2
    assert "--pace: '0' is not a positive number" in result.output
    args = ["flow", "run", MAIN, "--at", "2026-11-24T10:00", "--no-pace", "--pace", "5"]
    result = runner.invoke(app, args, input="1\n/hangup\n")
    assert result.exit_code == 0, result.output
    assert f"🔊 {WELCOME}" in result.output
    assert "flow ended: abandoned" in result.output


def test_barge_in_in_a_real_terminal() -> None:
    """The real command on a pseudo-terminal: a key typed mid-prompt cuts it and answers."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the command, on the pty
        args = ["madoguchi", "flow", "run", MAIN, "--at", "2026-11-24T10:00", "--pace", "4"]
        try:
            os.execv(str(Path(sys.executable).with_name("madoguchi")), args)
        finally:
            os._exit(127)  # never go on running the tests in the child
    seen = b""

    def until(token: str, seconds: float = 30.0) -> bool:
        nonlocal seen
        deadline = time.monotonic() + seconds
        while token.encode() not in seen and time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        return token.encode() in seen

    try:
        assert until("🔊 お電話"), seen.decode(errors="replace")
        os.write(fd, b"1")  # at 4 characters a second the welcome has 7 s to go
        assert until("(barge-in)"), seen.decode(errors="replace")
        assert until("8桁のご注文番号"), seen.decode(errors="replace")
        os.write(fd, b"/hangup\r")
        assert until("flow ended: abandoned"), seen.decode(errors="replace")
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    text = seen.decode(errors="replace")
    assert "ありがとうございます。みどり通販お客様センターです。" not in text
    assert os.waitstatus_to_exitcode(status) == 0
