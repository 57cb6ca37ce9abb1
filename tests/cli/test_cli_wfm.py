"""``madoguchi wfm staff|forecast|schedule|cost`` through the real command."""

from __future__ import annotations

import csv
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from madoguchi.cli import app

runner = CliRunner()
JST = timezone(timedelta(hours=9))


def test_staff_prints_the_issue_json_for_the_textbook_case() -> None:
    result = runner.invoke(
        app,
        [
            "wfm",
            "staff",
            "--calls",
            "100",
            "--interval",
            "30m",
            "--aht",
            "180",
            "--sl",
            "80/20",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert list(document) == ["agents", "service_level", "asa_s", "occupancy"]
    assert document["agents"] == 14
    assert round(document["service_level"], 3) == 0.888
    assert round(document["asa_s"], 1) == 7.8
    assert round(document["occupancy"], 4) == 0.7143


def test_staff_adds_scheduled_agents_and_abandonment_when_their_flags_are_given() -> None:
    result = runner.invoke(
        app,
        [
            "wfm",
            "staff",
            "--calls",
            "100",
            "--aht",
            "3m",
            "--shrinkage",
            "30%",
            "--patience",
            "120",
            "--max-abandon",
            "5%",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["agents"] == 13
    assert document["scheduled_agents"] == 19
    assert 0 < document["abandonment"] <= 0.05


def test_staff_errors_name_the_flag() -> None:
    for args, flag in [
        (["--sl", "80"], "--sl"),
        (["--interval", "3x"], "--interval"),
        (["--shrinkage", "120%"], "--shrinkage"),
        (["--max-abandon", "5%"], "--max-abandon"),
        (["--aht", "-5"], "--aht"),
    ]:
        base = ["wfm", "staff", "--calls", "100", "--aht", "180"]
        result = runner.invoke(app, base + args)
        assert result.exit_code == 2, args
        assert flag in result.output, result.output


def _records_csv(path: Path, days: int) -> None:
    rng = np.random.default_rng(5)
    start = datetime(2026, 3, 2, tzinfo=JST)  # a Monday
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "handle_s"])
        for d in range(days):
            day = start + timedelta(days=d)
            volume = rng.poisson(80 if day.weekday() < 5 else 25)
            for offset in np.sort(rng.uniform(9 * 3600, 18 * 3600, volume)):
                writer.writerow(
                    [
                        (day + timedelta(seconds=float(offset))).isoformat(),
                        round(rng.exponential(240)),
                    ]
                )


def test_forecast_backtests_and_writes_a_csv_with_agents(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    _records_csv(records, 28)
    out = tmp_path / "forecast.csv"
    result = runner.invoke(
        app,
        [
            "wfm",
            "forecast",
            str(records),
            "--interval",
            "30m",
            "--days",
            "7",
            "--holdout-weeks",
            "1",
            "--sl",
            "80/20",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["history_days"] == 28
    assert 0 <= document["backtest"]["daily_wape"] < 0.5
    assert [d["kind"] for d in document["days"]][:2] == ["mon", "tue"]
    # 2026-03-30 … 04-05: no holiday; a weekday forecast beats a Sunday one
    assert document["days"][0]["calls"] > document["days"][6]["calls"]
    rows = list(csv.DictReader(out.read_text().splitlines()))
    assert len(rows) == 7 * 48
    assert set(rows[0]) == {"date", "interval_start", "kind", "calls", "aht_s", "agents"}


def test_forecast_names_the_file_line_of_a_bad_row(tmp_path: Path) -> None:
    records = tmp_path / "records.csv"
    records.write_text(
        "timestamp,handle_s\n2026-03-02T09:00:00+09:00,120\n2026-03-02T09:01:00,abc\n"
    )
    result = runner.invoke(app, ["wfm", "forecast", str(records)])
    assert result.exit_code != 0
    assert f"{records}:3: handle_s: not a number" in result.stderr


def _requirement_csv(path: Path, needed: list[int], start_hour: int = 9) -> None:
    lines = ["interval_start,agents"]
    for i, n in enumerate(needed):
        minutes = start_hour * 60 + 30 * i
        lines.append(f"{minutes // 60:02d}:{minutes % 60:02d},{n}")
    path.write_text("\n".join(lines) + "\n")


def test_schedule_covers_the_requirement_and_exports_csv_and_a_simulator_plan(
    tmp_path: Path,
) -> None:
    requirement = tmp_path / "req.csv"
    needed = [2, 3, 4, 5, 5, 4, 3, 3, 4, 5, 5, 4, 3, 3, 2, 2, 2, 1]
    _requirement_csv(requirement, needed)
    shifts, coverage, plan = tmp_path / "shifts.csv", tmp_path / "cover.csv", tmp_path / "plan.json"
    result = runner.invoke(
        app,
        [
            "wfm",
            "schedule",
            str(requirement),
            "--out-shifts",
            str(shifts),
            "--out-coverage",
            str(coverage),
            "--plan-json",
            str(plan),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["under_agent_intervals"] == 0
    assert document["paid_hours"] >= sum(needed) / 2
    cover_rows = list(csv.DictReader(coverage.read_text().splitlines()))
    assert [int(r["required"]) for r in cover_rows] == needed
    assert all(int(r["scheduled"]) >= int(r["required"]) for r in cover_rows)
    shift_rows = list(csv.DictReader(shifts.read_text().splitlines()))
    assert sum(int(r["agents"]) for r in shift_rows) == document["headcount"]
    simulator_plan = json.loads(plan.read_text())
    assert simulator_plan["interval_min"] == 30
    assert simulator_plan["open"] == "09:00"
    assert simulator_plan["staffing_plan"] == [int(r["scheduled"]) for r in cover_rows]


def test_schedule_reads_patterns_from_yaml(tmp_path: Path) -> None:
    requirement = tmp_path / "req.csv"
    _requirement_csv(requirement, [3] * 8)
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text(
        "patterns:\n"
        "  - name: half day\n"
        "    length: 4h\n"
        '    starts: "09:00-09:00"\n'
        "rules:\n"
        "  max_headcount: 5\n"
    )
    result = runner.invoke(
        app, ["wfm", "schedule", str(requirement), "--patterns", str(patterns), "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["headcount"] == 3
    assert document["paid_hours"] == 12


def test_schedule_errors_name_the_file_line(tmp_path: Path) -> None:
    requirement = tmp_path / "req.csv"
    requirement.write_text("interval_start,agents\n09:00,2\n09:30,x\n")
    result = runner.invoke(app, ["wfm", "schedule", str(requirement)])
    assert result.exit_code != 0
    assert f"{requirement}:3: agents: not a whole number" in result.stderr
    requirement.write_text("interval_start,agents\n09:00,2\n09:30,2\n10:30,2\n")
    result = runner.invoke(app, ["wfm", "schedule", str(requirement)])
    assert f"{requirement}:4: interval_start: expected 10:00" in result.stderr
    _requirement_csv(requirement, [1] * 8)
    patterns = tmp_path / "p.yaml"
    patterns.write_text(
        "patterns:\n  - name: long\n    length: 10h\n    starts: '09:00'\n"
        "  - length: 7q\n    starts: '09:00'\n"
    )
    result = runner.invoke(app, ["wfm", "schedule", str(requirement), "--patterns", str(patterns)])
    assert f"{patterns}:5: length: not a duration" in result.stderr


def test_cost_reports_break_even_volumes_and_writes_an_svg_chart(tmp_path: Path) -> None:
    svg = tmp_path / "cost.svg"
    result = runner.invoke(
        app,
        [
            "wfm",
            "cost",
            "--wage",
            "1200",
            "--price",
            "300",
            "--price",
            "600",
            "--volume",
            "20000",
            "--svg",
            str(svg),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert (
        document["break_even_calls_per_month"]["600"]
        < document["break_even_calls_per_month"]["300"]
    )
    assert document["at_volume"]["per_contact"] > 0
    assert svg.read_text().startswith("<svg")
    text = runner.invoke(app, ["wfm", "cost"])
    assert text.exit_code == 0
    assert "Break-even" in text.stdout


def test_cost_errors_name_the_flag() -> None:
    result = runner.invoke(app, ["wfm", "cost", "--price", "0"])
    assert result.exit_code == 2
    assert "--price" in result.output


def test_the_pattern_file_in_the_docs_schedules_a_day(tmp_path: Path) -> None:
    import re

    docs = Path(__file__).resolve().parents[2] / "docs" / "wfm.md"
    example = re.search(r"```yaml\n(.*?)```", docs.read_text(), re.S)
    assert example is not None
    patterns = tmp_path / "patterns.yaml"
    patterns.write_text(example.group(1))
    requirement = tmp_path / "req.csv"
    lines = ["interval_start,agents"]
    for i in range(44):  # 08:00–19:00 in 15-min intervals
        minutes = 8 * 60 + 15 * i
        lines.append(f"{minutes // 60:02d}:{minutes % 60:02d},{[2, 5, 8, 9, 7, 4][i * 6 // 44]}")
    requirement.write_text("\n".join(lines) + "\n")
    result = runner.invoke(
        app, ["wfm", "schedule", str(requirement), "--patterns", str(patterns), "--json"]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # under_penalty 2.0: one missing agent-interval is cheaper than another 4-hour shift
    assert document["under_agent_intervals"] <= 1
    assert document["headcount"] <= 40
    assert {s["pattern"] for s in document["shifts"]} <= {"full-time", "part-time"}
