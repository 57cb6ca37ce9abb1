"""What every request handler can reach: settings, the runtime, the database, the caller.

:class:`ApiContext` is built once by :func:`madoguchi.api.app.create_app` and kept on
``app.state.ctx``; handlers get it (and a database session, and the signed-in
:class:`Principal`) through FastAPI dependencies.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Depends, Path, Request, WebSocket
from sqlalchemy.orm import Session, sessionmaker

from madoguchi.core.config import CenterConfig
from madoguchi.settings import Settings


class Role(StrEnum):
    """What a user may do; each role includes the ones before it."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 agent, 1 supervisor, 2 admin."""
        return list(Role).index(self)

    def includes(self, other: Role) -> bool:
        """Whether this role may do what ``other`` may."""
        return self.rank >= other.rank


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user a request acts for."""

    user_id: int
    username: str
    tenant: str
    role: Role
    display_name: str
    agent_id: str | None
    via: str
    """``session`` (browser cookie) or ``token`` (integration)."""
    csrf_token: str | None = None


@dataclass(slots=True)
class ApiContext:
    """Long-lived things the API works with."""

    settings: Settings
    runtime: Any
    """A :class:`madoguchi.runtime.CenterRuntime` (typed loosely: the runtime imports the core)."""
    sessions: sessionmaker[Session]
    started_at: float
    extras: dict[str, Any] = field(default_factory=dict)
    """Hooks for other adapters (telephony status, softphone signalling…)."""

    @property
    def config(self) -> CenterConfig:
        """The center's configuration as the runtime runs it."""
        config: CenterConfig = self.runtime.config
        return config


def get_context(request: Request) -> ApiContext:
    """The app's :class:`ApiContext`."""
    ctx: ApiContext = request.app.state.ctx
    return ctx


def get_ws_context(websocket: WebSocket) -> ApiContext:
    """The app's :class:`ApiContext`, for WebSocket handlers."""
    ctx: ApiContext = websocket.app.state.ctx
    return ctx


def get_db(ctx: Annotated[ApiContext, Depends(get_context)]) -> Iterator[Session]:
    """A database session committed when the handler returns, rolled back when it raises."""
    with ctx.sessions() as db:
        try:
            yield db
            db.commit()
        except BaseException:
            db.rollback()
            raise


#: Largest row id (32-bit signed integer columns).
MAX_ROW_ID = 2_147_483_647

Ctx = Annotated[ApiContext, Depends(get_context)]
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]
Db = Annotated[Session, Depends(get_db)]
