"""``madoguchi config check`` and ``madoguchi config show`` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from typer.testing import CliRunner

from madoguchi.cli.config import app
from madoguchi.core.config_loader import parse_center
from madoguchi.samples import load_sample_center, sample_center_path

runner = CliRunner()

BAD = """\
timezone: Asia/Tokio
tenants:
  - {id: acme, name: エーシーエム}
calendars:
  - id: office
    weekly: {mon-fri: "18:00-09:00"}
skills:
  - {id: general}
queues:
  - id: general
    name: 一般
    skills: {genral: 1}
    hours: office
agents:
  - {id: a1, name: 佐藤, skills: {general: 11}}
  - {id: a1, name: 田中}
"""


def test_check_of_the_sample_prints_a_summary_and_exits_zero() -> None:
    result = runner.invoke(app, ["check", str(sample_center_path()), "--at", "2026-11-23T10:00"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
    for word in ("Tenants", "midori", "aozora", "Calendars", "Queues", "Teams", "35 agents"):
        assert word in result.stdout


def test_check_tells_which_queues_are_open_at_the_given_time() -> None:
    # 勤労感謝の日 10:00: the office queues are closed, VIP (holiday hours) and chat are open.
    result = runner.invoke(
        app,
        ["check", str(sample_center_path()), "--at", "2026-11-23T10:00", "--lang", "en"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    assert "closed" in rows["general"]
    assert "open" in rows["vip"]
    assert "closed" not in rows["vip"]
    assert "open" in rows["chat"]
    assert "General inquiries" in rows["general"]


def test_check_prints_every_problem_as_file_line_message_and_exits_one(tmp_path: Path) -> None:
    path = tmp_path / "center.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"{path}:1",
        f"{path}:6",
        f"{path}:12",
        f"{path}:15",
        f"{path}:16",
    ]
    assert "unknown time zone 'Asia/Tokio' (did you mean 'Asia/Tokyo'?)" in lines[0]
    assert "ends before it starts" in lines[1]
    assert "unknown skill 'genral' (did you mean 'general'?)" in lines[2]
    assert "outside 1–10" in lines[3]
    assert "duplicate agent id 'a1' (first defined at line 15)" in lines[4]
    assert "OK" not in result.stdout
    assert "5 problems; nothing loaded." in result.stderr


def test_check_of_a_missing_file_names_it_and_exits_one(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = runner.invoke(app, ["check", str(missing)])
    assert result.exit_code == 1
    assert f"{missing}: no such file" in result.stderr


def test_check_of_broken_yaml_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("tenants:\n  - {id: a, name: b\nqueues: []\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:3: YAML syntax error")


def test_check_rejects_a_bad_at_time() -> None:
    result = runner.invoke(app, ["check", str(sample_center_path()), "--at", "noon"])
    assert result.exit_code == 2
    assert "--at: 'noon'" in result.stderr


def test_show_prints_yaml_that_loads_back_to_the_same_center() -> None:
    result = runner.invoke(app, ["show", str(sample_center_path())])
    assert result.exit_code == 0, result.output
    assert parse_center(result.stdout, "shown.yaml") == load_sample_center()


def test_show_as_json_is_the_same_document() -> None:
    as_json = runner.invoke(app, ["show", str(sample_center_path()), "--format", "json"])
    as_yaml = runner.invoke(app, ["show", str(sample_center_path())])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.stdout) == yaml.safe_load(as_yaml.stdout)


def test_show_of_a_bad_file_reports_problems_like_check(tmp_path: Path) -> None:
    path = tmp_path / "center.yaml"
    path.write_text(BAD, encoding="utf-8")
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 1
    assert result.stdout.startswith(f"{path}:1: ")


def test_sample_prints_the_packaged_center_and_its_path() -> None:
    text = runner.invoke(app, ["sample"])
    path = runner.invoke(app, ["sample", "--path"])
    assert text.exit_code == 0
    assert path.exit_code == 0
    assert parse_center(text.stdout, "sample.yaml") == load_sample_center()
    assert path.stdout.strip() == str(sample_center_path())


def test_config_group_is_registered_in_the_madoguchi_command() -> None:
    from madoguchi.cli import app as madoguchi

    result = runner.invoke(madoguchi, ["config", "check", str(sample_center_path())])
    assert result.exit_code == 0, result.output
    assert "OK" in result.stdout
