"""Call recordings (通話録音), streamed to the people allowed to hear them.

The voice gateway writes a two-channel WAV per answered call to ``DATA_DIR/recordings/
{contact_id}.wav``. ``GET /api/v1/contacts/{id}/recording`` streams it (with HTTP range
requests, so a player can seek) to supervisors and admins of the contact's tenant and to the
agents who handled it; anyone else gets 404, as for a contact they cannot see. A recording is
personal data: every play or download is written to the audit log with the purpose given.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from madoguchi.api import audit
from madoguchi.api.audit import Purpose
from madoguchi.api.auth import Caller, client_address
from madoguchi.api.contacts import contact_record
from madoguchi.api.context import ApiContext, Ctx, Db, Principal, Role
from madoguchi.api.errors import COMMON_RESPONSES, NotFound

router = APIRouter(prefix="/api/v1/contacts", tags=["recordings"], responses=COMMON_RESPONSES)

#: The purpose recorded when a listener gives none.
DEFAULT_LISTEN_PURPOSE = "quality_review"


def recordings_dir(ctx: ApiContext) -> Path:
    """Where recordings are: the server's ``recordings_dir`` hook, else ``data_dir/recordings``."""
    hooked = ctx.extras.get("recordings_dir")
    return Path(hooked) if hooked is not None else ctx.settings.data_dir / "recordings"


def may_hear(caller: Principal, tenant: str, agents: tuple[str, ...] | list[str]) -> bool:
    """Supervisors and admins of the tenant, and the agents who handled the contact."""
    if caller.tenant != tenant:
        return False
    if caller.role.includes(Role.SUPERVISOR):
        return True
    return caller.agent_id is not None and caller.agent_id in agents


def recording_path(ctx: ApiContext, caller: Principal, contact_id: str) -> Path:
    """The recording's file when it exists and ``caller`` may hear it, else :class:`NotFound`."""
    missing = NotFound(f"no recording of contact {contact_id}", error_id="no-such-recording")
    record = contact_record(ctx, contact_id)
    if record is None or not may_hear(caller, record.tenant, tuple(record.agents)):
        raise missing
    directory = recordings_dir(ctx).resolve()
    path = (directory / f"{contact_id}.wav").resolve()
    if path.parent != directory or not path.is_file():
        raise missing
    return path


@router.get(
    "/{contact_id}/recording",
    summary="Stream a call recording",
    response_class=FileResponse,
    responses={200: {"content": {"audio/wav": {}}, "description": "The WAV file"}},
)
async def stream_recording(
    contact_id: str,
    request: Request,
    caller: Caller,
    ctx: Ctx,
    db: Db,
    purpose: Purpose = DEFAULT_LISTEN_PURPOSE,
) -> FileResponse:
    """The call's WAV (caller and agent channels), audited as a personal-data access."""
    path = recording_path(ctx, caller, contact_id)
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="recording.listen",
        who=caller,
        target=f"contact:{contact_id}",
        purpose=purpose,
        client=client_address(request),
    )
    db.commit()
    return FileResponse(
        path,
        media_type="audio/wav",
        filename=f"{contact_id}.wav",
        headers={"Cache-Control": "no-store"},
        content_disposition_type="inline",
    )
