"""``madoguchi flow check|run|report`` through the real command."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from madoguchi.cli import app
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


def test_run_refuses_bad_options() -> None:
    result = runner.invoke(app, ["flow", "run", MAIN, "--channel", "fax"])
    assert result.exit_code == 2
    assert "--channel: 'fax' is not voice or chat" in result.output
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
