"""``madoguchi serve --campaigns FILE`` refuses a campaign file it cannot use, naming the line."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from madoguchi.cli.serve import serve

runner = CliRunner()


def test_campaign_for_tenant_without_trunk_fails_with_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "list.csv").write_text("phone\n03-1234-5678\n", encoding="utf-8")
    campaigns = tmp_path / "campaigns.yaml"
    campaigns.write_text(
        "campaigns:\n  - id: renewal\n    tenant: midori\n    name: 更新\n"
        "    agents: [op04]\n    list: list.csv\n",
        encoding="utf-8",
    )
    app = typer.Typer()
    app.command()(serve)
    result = runner.invoke(
        app, ["--campaigns", str(campaigns), "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 1
    assert f"{campaigns}:2: tenant 'midori' has no trunk in the center" in result.output
