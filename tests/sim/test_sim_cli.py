"""``madoguchi simulate``: reports, what-ifs and FILE:LINE errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from madoguchi.cli import app

SCENARIOS = Path(__file__).parents[2] / "src/madoguchi/samples/scenarios"
SMALL = """\
name: small
center: {center}
date: 2026-11-25
hours: {{open: "09:00", close: "11:00"}}
interval_minutes: 30
volume: 300
profile: flat
contacts:
  - {{queue: qa, share: 1, handle_time: 120, patience: {{distribution: exponential, mean: 60}}}}
agents:
  - {{name: a, count: 3, skills: {{a: 5}}, shift: "09:00-11:30", ring_delay: 0}}
"""


def small_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL.format(center=SCENARIOS / "bench_center.yaml"))
    return path


def test_given_a_scenario_when_simulated_then_table_json_csv_and_html_are_written(
    tmp_path: Path,
) -> None:
    scenario = small_scenario(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(scenario),
            "--json",
            str(out / "d.json"),
            "--csv",
            str(out / "d.csv"),
            "--html",
            str(out / "d.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "small by interval" in result.output
    document = json.loads((out / "d.json").read_text())
    assert document["total"]["offered"] > 200
    assert (out / "d.csv").read_text().startswith("start,offered")
    assert "<svg" in (out / "d.html").read_text()


def test_given_compare_and_agents_when_simulated_then_both_columns_appear(tmp_path: Path) -> None:
    scenario = small_scenario(tmp_path)
    json_path = tmp_path / "both.json"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(scenario),
            "--agents",
            "6",
            "--compare",
            str(scenario),
            "--json",
            str(json_path),
        ],
    )
    assert result.exit_code == 0, result.output
    first, second = json.loads(json_path.read_text())
    assert first["scenario"] == "small (6 agents)"
    assert second["scenario"] == "small"
    assert first["total"]["abandoned"] < second["total"]["abandoned"]


def test_given_a_bad_scenario_when_simulated_then_file_line_errors_and_exit_2(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        SMALL.format(center=SCENARIOS / "bench_center.yaml")
        .replace("queue: qa", "queue: nowhere")
        .replace("volume: 300", "volume: -1")
    )
    result = CliRunner().invoke(app, ["simulate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:6: 'volume' must be at least 0, not -1" in result.output
    assert f"{path}:9: unknown queue 'nowhere'" in result.output
