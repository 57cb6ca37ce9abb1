"""``madoguchi campaign import-list|dnc|report|simulate`` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from madoguchi.cli import app

runner = CliRunner()

GOOD = (
    "電話番号,氏名,plan\n03-1234-5678,山田太郎,gold\n090-1111-2222,佐藤花子,\n"
    "+81312345678,,silver\n"
)
BAD = "phone,name\n03-1234-5678,a\n12,b\n090-1111-2222,c\nabc,d\n"


def invoke(data: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["campaign", *args, "--data", str(data)])
    return result.exit_code, result.stdout, result.stderr


def test_import_list_normalizes_and_merges_duplicates(tmp_path: Path) -> None:
    csv = tmp_path / "list.csv"
    csv.write_text(GOOD, encoding="utf-8")
    code, out, _ = invoke(tmp_path / "d", "import-list", str(csv), "--campaign", "renewal")
    assert code == 0, out
    assert "imported 2 records" in out
    stored = json.loads((tmp_path / "d/campaigns/renewal/list.json").read_text("utf-8"))
    assert [r["number"] for r in stored] == ["+81312345678", "+819011112222"]
    assert stored[0]["attributes"] == {"plan": "gold"}
    # importing again adds nothing: the numbers are already on the list
    code, out, _ = invoke(tmp_path / "d", "import-list", str(csv), "--campaign", "renewal")
    assert "imported 0 records (2 already on the list), 2 in all" in out


def test_given_bad_rows_then_each_is_reported_with_its_line_and_nothing_is_imported(
    tmp_path: Path,
) -> None:
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    invoke(tmp_path / "d", "import-list", str(good), "--campaign", "renewal")
    before = (tmp_path / "d/campaigns/renewal/list.json").read_text("utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    code, _, err = invoke(tmp_path / "d", "import-list", str(bad), "--campaign", "renewal")
    assert code == 1
    assert f"{bad}:3: " in err
    assert f"{bad}:5: " in err
    assert f"{bad}:2:" not in err
    assert "nothing imported" in err
    assert (tmp_path / "d/campaigns/renewal/list.json").read_text("utf-8") == before


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, "import-list", str(tmp_path / "nope.csv"), "--campaign", "x")
    assert code == 1
    assert "nope.csv" in err


def test_dnc_add_then_check_blocks_tenant_wide_and_per_campaign(tmp_path: Path) -> None:
    code, out, _ = invoke(tmp_path, "dnc", "add", "03-1234-5678", "--reason", "refused")
    assert code == 0
    assert "+81312345678" in out
    code, out, _ = invoke(tmp_path, "dnc", "check", "+81312345678", "--campaign", "any")
    assert code == 1
    assert "do not call (tenant default, reason: refused)" in out
    invoke(tmp_path, "dnc", "add", "090-1111-2222", "--campaign", "renewal")
    assert invoke(tmp_path, "dnc", "check", "09011112222", "--campaign", "renewal")[0] == 1
    code, out, _ = invoke(tmp_path, "dnc", "check", "09011112222", "--campaign", "survey")
    assert code == 0
    assert "may be dialled" in out


def test_dnc_add_rejects_an_invalid_number_naming_it(tmp_path: Path) -> None:
    code, _, err = invoke(tmp_path, "dnc", "add", "12")
    assert code != 0
    assert "NUMBER" in err


def test_dnc_import_is_all_or_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(BAD, encoding="utf-8")
    code, _, err = invoke(tmp_path, "dnc", "import", str(bad))
    assert code == 1
    assert f"{bad}:3:" in err
    assert not (tmp_path / "dnc.json").exists()
    good = tmp_path / "good.csv"
    good.write_text(GOOD, encoding="utf-8")
    code, out, _ = invoke(tmp_path, "dnc", "import", str(good))
    assert code == 0
    assert "2 numbers added" in out


def test_simulate_dials_the_imported_list_skips_dnc_and_report_refolds_events(
    tmp_path: Path,
) -> None:
    rows = "\n".join(f"090{1000_0000 + i:08d}" for i in range(400))
    csv = tmp_path / "list.csv"
    csv.write_text("phone\n" + rows + "\n", encoding="utf-8")
    data = tmp_path / "d"
    invoke(data, "import-list", str(csv), "--campaign", "renewal")
    invoke(data, "dnc", "add", "090-1000-0000")
    events = tmp_path / "events.jsonl"
    out_json = tmp_path / "report.json"
    code, out, err = invoke(
        data, "simulate", "--campaign", "renewal", "--agents", "4", "--hours", "1",
        "--pacing", "progressive", "--events", str(events), "--json", str(out_json),
    )  # fmt: skip
    assert code == 0, err
    assert "Campaign renewal: per hour" in out
    assert "list penetration" in out
    report = json.loads(out_json.read_text("utf-8"))["renewal"]
    assert report["list_size"] == 400
    assert report["total"]["attempts"] > 0
    assert report["total"]["outcomes"].get("blocked:do_not_call", 0) <= 1
    code, out2, err = invoke(data, "report", str(events))
    assert code == 0, err
    assert "per agent" in out2


def test_report_names_the_line_of_a_bad_record(tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "DialPlaced"}\nnot json\n', encoding="utf-8")
    code, _, err = invoke(tmp_path, "report", str(events))
    assert code == 1
    assert f"{events}:1:" in err


def test_simulate_agentless_reminders_prints_the_keypad_results(tmp_path: Path) -> None:
    code, out, err = invoke(
        tmp_path, "simulate", "--agentless", "--agents", "3", "--hours", "0.5",
        "--campaign", "remind",
    )  # fmt: skip
    assert code == 0, err
    assert "agentless on 3 lines" in out
    assert "confirmed" in out
