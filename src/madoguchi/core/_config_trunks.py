"""Reading a tenant's ``trunk`` mapping: the SIP trunk its campaigns dial out through."""

from __future__ import annotations

import re

import yaml

from madoguchi.core._config_nodes import NodeReader, label
from madoguchi.core.config import TrunkConfig

TRUNK_KEYS = ("uri", "username", "password", "password_env", "caller_id")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CALLER_ID = re.compile(r"^\+?[0-9]+$")


def read_trunk(reader: NodeReader, node: yaml.Node, what: str) -> TrunkConfig | None:
    """``{uri, username?, password? | password_env?, caller_id?}``; problems are reported."""
    fields = reader.mapping(node, label(node, f"{what} trunk"), TRUNK_KEYS, required=("uri",))
    if fields is None or "uri" not in fields:
        return None
    ok = True
    uri = reader.string(fields["uri"], f"{what} trunk uri")
    if uri is not None and (
        not uri.startswith(("sip:", "sips:")) or "{number}" not in uri or "@" not in uri
    ):
        reader.report(
            fields["uri"],
            f"{what} trunk uri '{uri}' must be a sip: URI with {{number}} for the callee, "
            "e.g. 'sip:{number}@carrier.example:5060'",
        )
        ok = False
    strings: dict[str, str | None] = {}
    for key in ("username", "password", "password_env", "caller_id"):
        strings[key] = reader.string(fields[key], f"{what} trunk {key}") if key in fields else None
    if strings["password"] is not None and strings["password_env"] is not None:
        reader.report(fields["password_env"], f"{what} trunk: give password or password_env")
        ok = False
    env = strings["password_env"]
    if env is not None and not _ENV_NAME.match(env):
        reader.report(fields["password_env"], f"{what} trunk password_env '{env}' is no name")
        ok = False
    caller_id = strings["caller_id"]
    if caller_id is not None and not _CALLER_ID.match(caller_id):
        reader.report(fields["caller_id"], f"{what} trunk caller_id '{caller_id}': digits, +")
        ok = False
    if (strings["password"] or env) and strings["username"] is None:
        reader.report(node, f"{what} trunk: a password needs a username")
        ok = False
    if uri is None or not ok:
        return None
    return TrunkConfig(
        uri,
        strings["username"],
        strings["password"],
        env,
        caller_id,
    )
