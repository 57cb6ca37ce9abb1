"""A tenant's outbound SIP trunk in the center file: read, checked, reported by line."""

from __future__ import annotations

import pytest

from madoguchi.core.config import TrunkConfig
from madoguchi.core.config_loader import ConfigError, parse_center

CENTER = """\
tenants:
  - id: acme
    name: エーシーエム
    numbers: ["+81120000100"]
    trunk:
{trunk}
skills:
  - {{id: general}}
queues:
  - {{id: general, name: 一般, skills: {{general: 1}}}}
"""


def center_with(trunk: str) -> str:
    return CENTER.format(trunk="\n".join("      " + line for line in trunk.splitlines()))


def test_tenant_trunk_is_read_with_credentials_and_caller_id() -> None:
    config = parse_center(
        center_with(
            "uri: 'sip:{number}@carrier.example:5060'\n"
            "username: acme01\npassword_env: ACME_TRUNK_PASSWORD\ncaller_id: '+81312345678'"
        ),
        "c.yaml",
    )
    assert config.tenants[0].trunk == TrunkConfig(
        "sip:{number}@carrier.example:5060", "acme01", None, "ACME_TRUNK_PASSWORD", "+81312345678"
    )


def test_trunk_needs_only_a_uri() -> None:
    config = parse_center(center_with("uri: 'sip:{number}@10.0.0.1'"), "c.yaml")
    assert config.tenants[0].trunk == TrunkConfig("sip:{number}@10.0.0.1")


@pytest.mark.parametrize(
    ("trunk", "message", "line"),
    [
        ("uri: 'sip:carrier.example'", "with {number}", 6),
        ("uri: 'sip:{number}@c.example'\npassword: x", "needs a username", 6),
        ("uri: 'sip:{number}@c.example'\nusername: u\npassword: x\npassword_env: P", "or", 9),
        ("uri: 'sip:{number}@c.example'\ncaller_id: ACME", "caller_id", 7),
        ("uri: 'sip:{number}@c.example'\nport: 5060", "port", 7),
    ],
)
def test_bad_trunk_is_reported_at_its_line(trunk: str, message: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_center(center_with(trunk), "c.yaml")
    (problem,) = caught.value.problems
    assert message in problem.message
    assert problem.line == line
