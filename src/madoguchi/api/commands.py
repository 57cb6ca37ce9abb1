"""Submitting routing commands from the API: refusals become 404/409 with the engine's slug."""

from __future__ import annotations

from typing import Any

from madoguchi.api.context import ApiContext
from madoguchi.api.errors import Conflict, NotFound
from madoguchi.core.routing.errors import RoutingError, UnknownName


async def submit(ctx: ApiContext, command: object) -> list[tuple[int, Any]]:
    """Run ``command`` on the runtime; the events it caused, with their ids."""
    try:
        published: list[tuple[int, Any]] = await ctx.runtime.submit(command)
    except UnknownName as err:
        raise NotFound(str(err), error_id=err.error_id) from err
    except RoutingError as err:
        raise Conflict(str(err), error_id=err.error_id) from err
    return published
