"""The center server: runtime, store, contact flows, SIP telephony and the web, in one process.

:class:`CenterServer` assembles the parts that ``madoguchi serve`` and ``madoguchi demo`` run::

    server = CenterServer(ServerOptions(data_dir=Path("data")))
    await server.start()     # store migrated, state rebuilt from the log, SIP and HTTP listening
    ...
    await server.stop()      # drain: no new calls, live calls may finish, then everything closes
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from madoguchi.core.config import CenterConfig
from madoguchi.core.config_loader import parse_center
from madoguchi.core.flows.environment import RoutingFlowEnvironment
from madoguchi.core.flows.registry import FlowRegistry
from madoguchi.runtime import CenterRuntime, SystemClock
from madoguchi.runtime.campaign_file import load_campaign_file
from madoguchi.runtime.outbound import OutboundGateway, import_campaign_specs, start_gateways
from madoguchi.runtime.voice import VoiceGateway
from madoguchi.samples import load_sample_center
from madoguchi.store import EventStore, open_store
from madoguchi.telephony.media import PromptCache
from madoguchi.telephony.sip.digest import DigestAuthenticator
from madoguchi.telephony.sip.endpoint import SipEndpoint
from madoguchi.telephony.sip.registrar import Registrar
from madoguchi.telephony.webrtc import WebRtcSoftphones

log = logging.getLogger("madoguchi.server")

PHONE_REALM = "madoguchi"


@dataclass
class ServerOptions:
    """How to run a center (the ``madoguchi serve`` options)."""

    config_file: Path | None = None
    """The center's YAML; None: the sample center."""
    config: CenterConfig | None = None
    """An already loaded center (takes precedence over ``config_file``)."""
    flows_dir: Path | None = None
    """Flow files to load; None: ``flows/`` beside the config file, else the sample flows."""
    data_dir: Path = Path("data")
    database_url: str | None = None
    """Event store URL; None: a SQLite file in ``data_dir``."""
    sip_host: str = "127.0.0.1"
    sip_port: int = 5060
    http_host: str = "127.0.0.1"
    http_port: int = 8080
    web: bool = True
    drain_timeout_s: float = 30.0
    phone_passwords: dict[str, str] = field(default_factory=dict)
    """SIP extension → password for agents' phones; empty: ``phone_password_default``."""
    phone_password_default: str | None = None
    settings: Any = None
    """``madoguchi.settings.Settings`` for the web; None builds one from the environment."""
    campaigns_file: Path | None = None
    """Campaigns to dial over the tenants' trunks (``runtime.campaign_file``); None: none."""


def load_center(path: Path | None) -> CenterConfig:
    """The center at ``path`` (``ConfigError`` with ``FILE:LINE`` problems), or the sample."""
    if path is None:
        return load_sample_center()
    return parse_center(path.read_text(encoding="utf-8"), str(path))


def flow_files(options: ServerOptions) -> list[tuple[str, str]]:
    """(file name, text) of every flow to load."""
    directory = options.flows_dir
    if directory is None and options.config_file is not None:
        candidate = options.config_file.parent / "flows"
        directory = candidate if candidate.is_dir() else None
    if directory is not None:
        return [(str(p), p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml"))]
    samples = files("madoguchi.samples").joinpath("flows")
    found = []
    for entry in sorted(samples.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml") and entry.name != "customers.yaml":
            found.append((f"samples/flows/{entry.name}", entry.read_text(encoding="utf-8")))
    return found


class CenterServer:
    """Everything ``madoguchi serve`` runs; see the module docstring."""

    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.config = options.config or load_center(options.config_file)
        options.data_dir.mkdir(parents=True, exist_ok=True)
        url = options.database_url or f"sqlite:///{(options.data_dir / 'events.sqlite3').resolve()}"
        self.store: EventStore = open_store(url)
        self.runtime = CenterRuntime(self.config, self.store, clock=SystemClock())
        self.flows = FlowRegistry(self.config)
        for name, text in flow_files(options):
            self.flows.publish(text, name)
        self.prompts = PromptCache(options.data_dir / "prompts")
        self.registrar = Registrar()
        self.endpoint = SipEndpoint(
            host=options.sip_host,
            port=options.sip_port,
            registrar=self.registrar,
            authenticator=DigestAuthenticator(
                PHONE_REALM, self._phone_password, algorithms=("MD5", "SHA-256")
            ),
        )
        self.gateway = VoiceGateway(
            self.runtime,
            self.endpoint,
            self.flows,
            self.prompts,
            options.data_dir / "recordings",
        )
        self.softphones = WebRtcSoftphones()
        """Browser agents' audio (the WebRTC softphone), bridged to the SIP calls."""
        self.gateway.agent_media = self.softphones
        self.campaigns = (
            load_campaign_file(options.campaigns_file, self.config)
            if options.campaigns_file is not None
            else []
        )
        self.outbound: list[tuple[OutboundGateway, asyncio.Task[None]]] = []
        """Running outbound gateways (one per tenant with a trunk) and their pacing tasks."""
        self.crm_url = (
            options.settings.database_url
            if options.settings is not None
            else f"sqlite+pysqlite:///{(options.data_dir / 'crm.sqlite3').resolve()}"
        )
        self.crm_engine: Any = None
        self.app: Any = None
        self._web: Any = None
        self._web_task: asyncio.Task[None] | None = None

    def _phone_password(self, user: str) -> str | None:
        return self.options.phone_passwords.get(user, self.options.phone_password_default)

    async def start(self) -> None:
        """Rebuild state, then open SIP and (unless disabled) HTTP."""
        await self.runtime.start()
        self.gateway.attach()
        await self.endpoint.start()
        log.info("SIP listening on %s:%d", self.options.sip_host, self.endpoint.port)
        self._start_outbound()
        if self.options.web:
            await self._start_web()

    def _start_outbound(self) -> None:
        """The database (CRM and outbound tables) is what the outbound gateways dial: a
        campaign file is imported into it first."""
        from sqlalchemy.orm import Session, sessionmaker

        from madoguchi.store.campaigns import create_campaign_tables
        from madoguchi.store.crm import create_crm_engine, create_crm_tables

        self.crm_engine = create_crm_engine(self.crm_url)
        create_crm_tables(self.crm_engine)
        create_campaign_tables(self.crm_engine)
        sessions = sessionmaker(self.crm_engine, class_=Session, expire_on_commit=False)
        if self.campaigns:
            import_campaign_specs(sessions, self.campaigns, self.runtime.clock.now())
        self.outbound = start_gateways(self.runtime, self.endpoint, self.gateway, sessions)

    async def _start_web(self) -> None:
        import uvicorn

        from madoguchi.api import live_config
        from madoguchi.api.app import create_app
        from madoguchi.settings import Settings

        settings = self.options.settings or Settings(database_url=self.crm_url)
        self.app = create_app(
            settings,
            self.runtime,
            engine=self.crm_engine,
            create_tables=True,
            extras={
                "status_checks": {"sip": self._sip_status},
                "softphone": self.softphones,
                "recordings_dir": self.options.data_dir / "recordings",
                "center_file": self.options.config_file,
                "outbound": {g.tenant: g for g, _task in self.outbound},
            },
        )
        # an admin's edit swapped in live: new calls' flows read the new calendars
        live_config.add_listener(self.app.state.ctx.extras, self._config_swapped)
        config = uvicorn.Config(
            self.app,
            host=self.options.http_host,
            port=self.options.http_port,
            log_config=None,
            lifespan="on",
            # The live stream writes each event frame once per audience, straight to the
            # sockets (madoguchi.api.stream.DirectWriter); per-message compression would cost
            # one compressor per client and turn that off. Event frames are small anyway.
            ws="websockets-sansio",
            ws_per_message_deflate=False,
        )
        self._web = uvicorn.Server(config)
        self._web.install_signal_handlers = lambda: None  # the CLI owns the signals
        self._web_task = asyncio.get_running_loop().create_task(self._web.serve())
        while not self._web.started and not self._web_task.done():
            await asyncio.sleep(0.02)
        if self._web_task.done():
            self._web_task.result()  # raise the start-up failure (port taken…)

    def _config_swapped(self, config: CenterConfig) -> None:
        self.gateway.environment = RoutingFlowEnvironment(self.runtime.engine, config)

    def _sip_status(self) -> tuple[bool, str]:
        listening = self.endpoint._udp is not None
        detail = f"{self.options.sip_host}:{self.endpoint.port}, {len(self.gateway.calls)} calls"
        return listening, detail if listening else "not listening"

    async def stop(self) -> None:
        """Drain and close: refuse new calls, let live ones finish up to the drain time-out."""
        for gateway, task in self.outbound:  # campaigns stop dialling first
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await gateway.close()
        drain = asyncio.get_running_loop().create_task(
            self.runtime.stop(drain_timeout=self.options.drain_timeout_s)
        )
        await drain
        await self.gateway.close()
        await self.softphones.close_all()
        await self.endpoint.close()
        if self._web is not None and self._web_task is not None:
            self._web.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await self._web_task
        close = getattr(self.store, "close", None)
        if callable(close):
            close()
        if self.crm_engine is not None:
            self.crm_engine.dispose()
