"""``madoguchi campaign ... --db URL``: campaigns, lists and do-not-call in the database."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from madoguchi.cli import app
from madoguchi.store.campaigns import CampaignRow, DncEntryRow, ListRecordRow
from madoguchi.store.engine import create_store_engine

runner = CliRunner()
Row = TypeVar("Row")
GOOD = "電話番号,氏名\n03-1234-5678,山田太郎\n090-1111-2222,佐藤花子\n+81312345678,\n"
BAD = "phone\n03-1234-5678\n12\n"


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["campaign", *args])
    return result.exit_code, result.stdout, result.stderr


def stored(url: str, model: type[Row]) -> list[Row]:
    engine = create_store_engine(url)
    try:
        with Session(engine) as db:
            return list(db.scalars(select(model)))
    finally:
        engine.dispose()


def test_given_a_database_when_importing_then_records_are_stored_and_bad_files_store_nothing(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(BAD, encoding="utf-8")
    assert invoke("create", "renewal", "--db", url)[0] == 0
    code, out, _ = invoke("import-list", str(good), "--campaign", "renewal", "--db", url)
    assert code == 0, out
    assert "imported 2 records" in out
    code, _, err = invoke("import-list", str(bad), "--campaign", "renewal", "--db", url)
    assert code == 1
    assert f"{bad}:3: " in err
    assert len(stored(url, ListRecordRow)) == 2
    assert "renewal\tdraft\tpreview\t2 records" in invoke("list", "--db", url)[1]


def test_given_a_database_when_a_number_is_added_then_check_refuses_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    code, _, _ = invoke("dnc", "add", "090-1111-2222", "--by", "op01", "--reason", "refused",
                        "--db", url)  # fmt: skip
    assert code == 0
    code, out, _ = invoke("dnc", "check", "+819011112222", "--db", url)
    assert code == 1
    assert "reason: refused" in out
    assert invoke("dnc", "check", "03-1234-5678", "--db", url)[0] == 0
    entries = stored(url, DncEntryRow)
    assert [(e.number, e.added_by) for e in entries] == [("+819011112222", "op01")]


def test_given_no_events_file_and_no_database_when_reporting_then_the_flag_is_named() -> None:
    code, _, err = invoke("report")
    assert code != 0
    assert "EVENTS" in err


def test_given_a_stored_campaign_when_started_paused_and_stopped_then_the_status_moves(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    created = invoke("create", "renewal", "--db", url, "--mode", "progressive", "--queue",
                     "orders", "--agents", "op04, op05", "--daily-cap", "300")  # fmt: skip
    assert created[0] == 0
    (row,) = stored(url, CampaignRow)
    assert (row.queue, row.rules) == ("orders", {"agents": ["op04", "op05"], "daily_cap": 300})
    code, out, _ = invoke("start", "renewal", "--db", url)
    assert (code, out.split("\n")[0].split(" (")[0]) == (0, "renewal: running")
    assert invoke("pause", "renewal", "--db", url)[0] == 0
    assert invoke("stop", "renewal", "--db", url)[0] == 0
    code, _, err = invoke("start", "renewal", "--db", url)
    assert (code, err.strip()) == (1, "renewal: cannot start a stopped campaign")
    code, _, err = invoke("pause", "nothing", "--db", url)
    assert (code, err.strip()) == (1, "nothing: no such campaign of tenant default")
    assert [row.status for row in stored(url, CampaignRow)] == ["stopped"]


def test_given_an_agentless_campaign_when_created_then_its_message_and_lines_are_stored(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    code, _, err = invoke("create", "remind", "--db", url, "--mode", "agentless")
    assert (code, err.strip()) == (1, "remind: an agentless campaign needs --message")
    assert not (tmp_path / "c.db").exists()  # refused before the database is opened
    created = invoke("create", "remind", "--db", url, "--mode", "agentless", "--type", "reminder",
                     "--message", "みどり歯科です。ご予約の確認です。", "--lines", "4",
                     "--detect-machine")  # fmt: skip
    assert created[0] == 0, created
    (row,) = stored(url, CampaignRow)
    assert (row.mode, row.rules) == (
        "agentless",
        {"message": "みどり歯科です。ご予約の確認です。", "detect_machine": True, "lines": 4},
    )
