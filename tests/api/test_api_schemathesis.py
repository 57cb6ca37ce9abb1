"""Schemathesis against the OpenAPI document: no 5xx, responses match the schema.

The app runs on a real server in a thread of its own (with its runtime), and the generated
requests are sent as an admin user who is also an agent, through an API token (so they reach
every operation; a session cookie would be revoked by the generated sign-out calls).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
import uvicorn
from argon2 import PasswordHasher
from hypothesis import HealthCheck, given, settings
from pydantic import SecretStr
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from madoguchi.api.app import create_app
from madoguchi.api.security import new_token, token_digest
from madoguchi.api.seed import seed_sample_customers, seed_sample_users
from madoguchi.bus import InProcessBus
from madoguchi.runtime import CenterRuntime, ManualClock
from madoguchi.samples import load_sample_center
from madoguchi.settings import Settings
from madoguchi.store import InMemoryEventStore
from madoguchi.store.crm import ApiToken, User

#: No 5xx, responses as documented, bad input refused. (Not "positive data acceptance": a
#: well-formed body can still name an unknown code or another tenant's record, a 4xx by design.)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC).timestamp()
#: Cheap argon2 parameters for test users (verification reads them from the hash).
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class ServerThread:
    """The app with its runtime, served by uvicorn on an event loop in a thread."""

    def __init__(self, data_dir: Path) -> None:
        config = load_sample_center()
        self.runtime = CenterRuntime(
            config, store=InMemoryEventStore(), bus=InProcessBus(), clock=ManualClock(START)
        )
        settings = Settings(
            environment="test",
            secret_key=SecretStr("s" * 48),
            database_url="sqlite+pysqlite:///:memory:",
            data_dir=data_dir,  # the admin's config edits and recordings stay in the test's dir
            log_json=False,
            _env_file=None,
        )  # type: ignore[call-arg]
        self.app = create_app(
            settings,
            self.runtime,
            create_tables=True,
            manage_runtime=True,
            extras={"webhook_transport": httpx.MockTransport(lambda _: httpx.Response(204))},
        )
        self.token = new_token("mdg_")
        with self.app.state.ctx.sessions() as db:
            seed_sample_users(db, config, "fuzz-password-123", START, FAST_HASHER)
            seed_sample_customers(db, "midori", START)
            user = User(
                username="fuzz",
                tenant="midori",
                role="admin",
                display_name="fuzz",
                agent_id="op06",
                password_hash=FAST_HASHER.hash("fuzz-password-123"),
                created_at=datetime.fromtimestamp(START, UTC),
            )
            db.add(user)
            db.flush()
            db.add(
                ApiToken(
                    user_id=user.id,
                    name="schemathesis",
                    token_hash=token_digest(self.token),
                    created_at=datetime.fromtimestamp(START, UTC),
                )
            )
            db.commit()
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=0, log_config=None, ws="websockets-sansio"
            )
        )
        self.thread = threading.Thread(target=lambda: asyncio.run(self.server.serve()), daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            self.thread.join(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerThread]:
    server = ServerThread(tmp_path_factory.mktemp("fuzz-data"))
    with server as base_url:
        server.base_url = base_url  # type: ignore[attr-defined]
        yield server


def test_no_server_errors_and_responses_match_the_schema(live_server: ServerThread) -> None:
    base_url: str = live_server.base_url  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    headers = {"Authorization": f"Bearer {live_server.token}"}
    checked = 0
    for loaded in schema.get_all_operations():
        assert isinstance(loaded, Ok), loaded  # the document itself is valid
        operation = loaded.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=20,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case: Case[Any]) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        call()
        checked += 1
    assert checked >= 40
