"""Campaigns given to the server (``madoguchi serve --campaigns FILE``) dial over the tenant's
trunk from the center file: sipp answers as the callee after early media (183 + audio), the
reserved agent's phone is bridged;
a bad list row refuses the campaign file with its row number."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from telephony_support import free_port, run_sipp
from voice_support import AgentPhone

from madoguchi.core.config import CenterConfig, TrunkConfig
from madoguchi.core.dialer import DialOutcome
from madoguchi.core.dialer.events import DialBlocked, DialResulted, OutboundConnected
from madoguchi.core.events import Event
from madoguchi.core.model import WorkMode
from madoguchi.core.routing import commands as rc
from madoguchi.demo import open_around_the_clock
from madoguchi.runtime.campaign_file import CampaignFileError, load_campaign_file
from madoguchi.runtime.outbound import Trunk
from madoguchi.samples import load_sample_center
from madoguchi.server import CenterServer, ServerOptions

PASSWORD = "phone-secret-3"
SCENARIOS = Path(__file__).parent / "scenarios"
CAMPAIGN = """\
campaigns:
  - id: renewal
    tenant: midori
    name: 更新のご案内
    type: reminder
    mode: progressive
    queue: orders
    agents: [op04]
    list: renewal.csv
    do_not_call: refused.csv
    calling_hours: "00:00-24:00"
    every_day: true
    holidays_closed: false
    ring_timeout: 5
    max_attempts: 1
"""


def center_with_trunk(port: int) -> CenterConfig:
    config = open_around_the_clock(load_sample_center())
    trunk = TrunkConfig(f"sip:{{number}}@127.0.0.1:{port}", caller_id="0120000100")
    tenants = tuple(
        dataclasses.replace(t, trunk=trunk) if t.id == "midori" else t for t in config.tenants
    )
    return dataclasses.replace(config, tenants=tenants, _index={})


def write_campaign(tmp_path: Path, rows: str) -> Path:
    (tmp_path / "renewal.csv").write_text("phone,name\n" + rows, encoding="utf-8")
    (tmp_path / "refused.csv").write_text("phone\n090-1111-2222\n", encoding="utf-8")
    path = tmp_path / "campaigns.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path


def test_trunk_from_center_config_builds_uri_and_caller_id() -> None:
    (midori, *_others) = center_with_trunk(5099).tenants
    trunk = Trunk.from_config(midori)
    assert trunk.uri("+81312345678") == "sip:81312345678@127.0.0.1:5099"
    assert trunk.caller_id == "0120000100"
    assert trunk.credentials is None


def test_campaign_file_with_a_bad_number_is_refused_with_its_row(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, "03-1234-5678,佐藤\n12345,鈴木\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_file(path, center_with_trunk(5099))
    (problem,) = caught.value.problems
    assert problem.startswith(f"{tmp_path / 'renewal.csv'}:3:")


def test_campaign_for_a_tenant_without_trunk_is_refused(tmp_path: Path) -> None:
    path = write_campaign(tmp_path, "03-1234-5678,佐藤\n")
    with pytest.raises(CampaignFileError) as caught:
        load_campaign_file(path, open_around_the_clock(load_sample_center()))
    assert "has no trunk" in caught.value.problems[0]
    assert caught.value.problems[0].startswith(f"{path}:2:")


@pytest.mark.peer
async def test_server_dials_campaign_over_tenant_trunk_notes_early_media_and_bridges_agent(
    tmp_path: Path,
) -> None:
    callee_port = free_port()
    callee = asyncio.create_task(
        run_sipp("-sf", str(SCENARIOS / "callee_early_media.xml"), "-p", str(callee_port),
                 "-mp", str(free_port()), "-m", "1", cwd=tmp_path, timeout=40)
    )  # fmt: skip
    await asyncio.sleep(1.0)  # let sipp bind
    server = CenterServer(
        ServerOptions(
            config=center_with_trunk(callee_port),
            data_dir=tmp_path / "data",
            sip_port=free_port(),
            web=False,
            phone_password_default=PASSWORD,
            drain_timeout_s=1.0,
            # the first callee refused before: on the do-not-call list, never dialled
            campaigns_file=write_campaign(tmp_path, "090-1111-2222,鈴木\n03-1234-5678,佐藤\n"),
        )
    )
    events: list[Event] = []
    server.runtime.listen(lambda _i, e: events.append(e))
    phone = AgentPhone(talk_s=2.0, ring_s=0.1, greeting_s=1.0)
    await server.start()
    try:
        extension = server.config.agent("op04").extension
        assert extension is not None
        await phone.endpoint.start()
        status = await phone.endpoint.register(
            f"sip:{extension}@127.0.0.1",
            ("127.0.0.1", server.endpoint.port),
            (extension, PASSWORD),
            expires=600,
        )
        assert status == 200
        await server.runtime.submit(
            rc.AgentLogin("op04", work_mode=WorkMode.OUTBOUND, available=True)
        )
        result = await asyncio.wait_for(callee, 50)
    finally:
        await phone.close()
        await server.stop()
    assert result.returncode == 0, result.output
    (blocked,) = [e for e in events if isinstance(e, DialBlocked)]
    assert blocked.number == "+819011112222"
    (resulted,) = [e for e in events if isinstance(e, DialResulted)]
    assert resulted.outcome is DialOutcome.ANSWERED
    (connected,) = [e for e in events if isinstance(e, OutboundConnected)]
    assert connected.agent_id == "op04"
    assert connected.wait_s < 2.0
    assert len(phone.answered) == 1
    (gateway, _task) = server.outbound[0]
    assert gateway.stats["dials"] == 1
    assert gateway.stats["early_media"] == 1  # the announcement before the 200 OK
