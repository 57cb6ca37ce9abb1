"""``madoguchi db upgrade``, ``current`` and ``derive-records`` (the group's typer app)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from madoguchi.cli.db import app
from madoguchi.store.migrate import head_revision

runner = CliRunner()


def test_db_upgrade_creates_the_schema_then_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'center.sqlite3'}"
    first = runner.invoke(app, ["upgrade", "--url", url])
    assert first.exit_code == 0, first.output
    assert f"migrated from empty to revision {head_revision()}" in first.output
    again = runner.invoke(app, ["upgrade", "--url", url])
    assert again.exit_code == 0
    assert "already at revision" in again.output
    current = runner.invoke(app, ["current", "--url", url])
    assert current.exit_code == 0
    assert "up to date" in current.output


def test_db_current_on_a_missing_sqlite_file_fails_without_creating_it(tmp_path: Path) -> None:
    path = tmp_path / "missing.sqlite3"
    result = runner.invoke(app, ["current", "--url", f"sqlite:///{path}"])
    assert result.exit_code == 1
    assert "no such database file" in result.output
    assert not path.exists()


def test_db_url_comes_from_the_environment_when_no_flag_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "from_env.sqlite3"
    monkeypatch.setenv("MADOGUCHI_DATABASE_URL", f"sqlite:///{path}")
    assert runner.invoke(app, ["upgrade"]).exit_code == 0
    assert path.exists()


def test_db_upgrade_with_an_unsupported_url_names_the_flag_and_fails() -> None:
    result = runner.invoke(app, ["upgrade", "--url", "mysql://root@db/center"])
    assert result.exit_code == 2
    assert "--url mysql://root@db/center: unsupported database 'mysql'" in result.output


def test_db_upgrade_with_an_unreachable_server_fails_and_hides_the_password() -> None:
    url = "postgresql://postgres:hunter2@127.0.0.1:1/test?connect_timeout=2"
    result = runner.invoke(app, ["upgrade", "--url", url])
    assert result.exit_code == 1
    assert "cannot" in result.output
    assert "hunter2" not in result.output


def test_db_derive_records_folds_the_log_into_contact_records(tmp_path: Path) -> None:
    from madoguchi.core.model import Channel, Direction, EndReason
    from madoguchi.core.routing.events import ContactEnded, ContactQueued
    from madoguchi.store import open_store

    url = f"sqlite:///{tmp_path / 'center.sqlite3'}"
    with open_store(url) as store:
        store.append(
            [
                ContactQueued(
                    at=10.0,
                    contact_id="c1",
                    queue_id="general",
                    tenant="midori",
                    channel=Channel.VOICE,
                    direction=Direction.INBOUND,
                    created_at=9.0,
                    priority=0,
                    skills=(),
                    wait_started_at=10.0,
                    attributes={},
                ),
                ContactEnded(
                    at=15.0, contact_id="c1", reason=EndReason.ABANDONED, queue_id="general"
                ),
            ]
        )
        store.append_records([{"type": "FromANewerVersion", "v": 1, "at": 16.0}])
    result = runner.invoke(app, ["derive-records", "--url", url])
    assert result.exit_code == 0, result.output
    assert "1 contact records written" in result.output
    assert "1 undecodable events skipped (ids 3)" in result.output
    with open_store(url) as store:
        found = store.get_contact_record("c1")
    assert found is not None
    assert found.end_reason == "abandoned"
