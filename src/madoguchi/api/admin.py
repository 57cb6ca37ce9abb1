"""Administration: users, the center's configuration (read), talk scripts, customer import and
export, and the audit log.

Users, scripts and imports need the admin role; export and the audit log need supervisor.
Everything is limited to the caller's tenant.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from madoguchi.api import audit
from madoguchi.api.agents import Supervisor
from madoguchi.api.audit import Purpose
from madoguchi.api.auth import Caller, client_address, require, revoke_sessions
from madoguchi.api.context import Ctx, Db, Principal, Role, RowId
from madoguchi.api.csv_import import check_rows, decode
from madoguchi.api.errors import (
    COMMON_RESPONSES,
    Conflict,
    CsvRejected,
    ErrorDetail,
    InvalidField,
    NotFound,
    PayloadTooLarge,
)
from madoguchi.api.security import hash_password
from madoguchi.store.crm import AuditEntry, Customer, TalkScript, User, aware

router = APIRouter(prefix="/api/v1", tags=["admin"], responses=COMMON_RESPONSES)

Admin = Annotated[Principal, require(Role.ADMIN)]
Username = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-]+$")]


class UserCreate(BaseModel):
    """A new user of the admin's tenant."""

    model_config = ConfigDict(extra="forbid")

    username: Username
    display_name: str = Field(min_length=1, max_length=200)
    role: Role
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    password: str = Field(min_length=10, max_length=256)


class UserUpdate(BaseModel):
    """Changes to a user."""

    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    role: Role | None = None
    agent_id: str | None = Field(default=None, min_length=1, max_length=64)
    password: str | None = Field(default=None, min_length=10, max_length=256)
    active: bool | None = None


class UserOut(BaseModel):
    """A user (never the password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    agent_id: str | None
    active: bool


class ScriptBranch(BaseModel):
    """ "If the customer says X, answer Y (and go to step ``next``)"."""

    model_config = ConfigDict(extra="forbid")

    when_ja: str = Field(min_length=1, max_length=500)
    when_en: str = Field(default="", max_length=500)
    answer_ja: str = Field(default="", max_length=2000)
    answer_en: str = Field(default="", max_length=2000)
    next: str | None = Field(default=None, max_length=64)
    escalate: bool = False
    """Off-script: hand the contact to the supervisor."""


class ScriptStep(BaseModel):
    """One step of a talk script: what to say, and answers to expected replies."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    say_ja: str = Field(max_length=2000)
    say_en: str = Field(default="", max_length=2000)
    branches: list[ScriptBranch] = Field(default_factory=list, max_length=20)


class Script(BaseModel):
    """The talk script (トークスクリプト) of a queue."""

    model_config = ConfigDict(extra="forbid")

    queue_id: str
    steps: list[ScriptStep] = Field(max_length=100)


class ImportReport(BaseModel):
    """The outcome of a CSV import: stored rows, or every problem and nothing stored."""

    imported: int
    dry_run: bool


class AuditOut(BaseModel):
    """One audit entry."""

    at: datetime
    username: str
    action: str
    target: str
    purpose: str
    client: str
    detail: dict[str, Any]


def _user_out(row: User) -> UserOut:
    return UserOut(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        agent_id=row.agent_id,
        active=row.active,
    )


def _check_agent(ctx: Ctx, caller: Principal, agent_id: str | None) -> None:
    if agent_id is None:
        return
    try:
        tenant = ctx.config.agent(agent_id).tenant
    except KeyError:
        tenant = None
    if tenant != caller.tenant:
        raise InvalidField("body.agent_id", "no such agent in this tenant")


@router.get("/admin/users", response_model=list[UserOut], summary="Users of my tenant")
def list_users(caller: Admin, db: Db) -> list[UserOut]:
    """Every user of the admin's tenant."""
    rows = db.scalars(select(User).where(User.tenant == caller.tenant).order_by(User.username))
    return [_user_out(r) for r in rows]


@router.post("/admin/users", response_model=UserOut, status_code=201, summary="Add a user")
def create_user(body: UserCreate, caller: Admin, ctx: Ctx, db: Db) -> UserOut:
    """A user of the admin's tenant; 409 when the user name is taken."""
    _check_agent(ctx, caller, body.agent_id)
    if db.scalar(select(User).where(User.username == body.username)) is not None:
        raise Conflict("user name taken", error_id="duplicate-username")
    row = User(
        username=body.username,
        tenant=caller.tenant,
        role=body.role.value,
        display_name=body.display_name,
        agent_id=body.agent_id,
        password_hash=hash_password(body.password),
        created_at=datetime.fromtimestamp(ctx.runtime.clock.now(), UTC),
    )
    db.add(row)
    try:
        db.flush()
    except IntegrityError as err:
        raise Conflict("user name taken", error_id="duplicate-username") from err
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="user.create",
        who=caller,
        target=f"user:{row.username}",
    )
    db.commit()
    return _user_out(row)


@router.patch("/admin/users/{user_id}", response_model=UserOut, summary="Change a user")
def update_user(user_id: RowId, body: UserUpdate, caller: Admin, ctx: Ctx, db: Db) -> UserOut:
    """Role, name, agent link, password or active flag; deactivation ends their sessions."""
    row = db.get(User, user_id)
    if row is None or row.tenant != caller.tenant:
        raise NotFound(f"no user {user_id}", error_id="no-such-user")
    _check_agent(ctx, caller, body.agent_id)
    if row.id == caller.user_id and (
        body.active is False or (body.role is not None and body.role is not Role.ADMIN)
    ):
        raise Conflict("an admin cannot lock themself out", error_id="cannot-demote-self")
    if body.display_name is not None:
        row.display_name = body.display_name
    if body.role is not None:
        row.role = body.role.value
    if "agent_id" in body.model_fields_set:
        row.agent_id = body.agent_id
    if body.password is not None:
        row.password_hash = hash_password(body.password)
        revoke_sessions(db, row.id)
    if body.active is not None:
        row.active = body.active
        if not body.active:
            revoke_sessions(db, row.id)
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="user.update",
        who=caller,
        target=f"user:{row.username}",
        detail={"fields": sorted(body.model_fields_set)},
    )
    db.commit()
    return _user_out(row)


@router.get(
    "/admin/config",
    response_model=dict[str, Any],
    summary="Skills, queues, hours, holidays, teams, codes",
)
def read_config(caller: Supervisor, ctx: Ctx) -> dict[str, Any]:
    """The center's configuration as it runs, limited to the caller's tenant."""
    from madoguchi.api.config_view import tenant_config

    return tenant_config(ctx.config, caller.tenant, ctx.runtime.clock.now())


@router.get("/scripts/{queue_id}", response_model=Script, summary="The talk script of a queue")
def read_script(queue_id: str, caller: Caller, ctx: Ctx, db: Db) -> Script:
    """Empty steps when the queue has no script yet."""
    _tenant_queue(ctx, caller, queue_id)
    row = db.scalar(
        select(TalkScript).where(
            TalkScript.tenant == caller.tenant, TalkScript.queue_id == queue_id
        )
    )
    steps = [ScriptStep.model_validate(s) for s in (row.steps if row is not None else [])]
    return Script(queue_id=queue_id, steps=steps)


@router.put("/admin/scripts/{queue_id}", response_model=Script, summary="Replace a talk script")
def write_script(queue_id: str, body: Script, caller: Admin, ctx: Ctx, db: Db) -> Script:
    """Store the queue's script; every ``next`` must name a step of the script."""
    _tenant_queue(ctx, caller, queue_id)
    ids = [s.id for s in body.steps]
    for i, step in enumerate(body.steps):
        if ids.count(step.id) > 1:
            raise InvalidField(f"body.steps.{i}.id", "step id used twice")
        for j, branch in enumerate(step.branches):
            if branch.next is not None and branch.next not in ids:
                raise InvalidField(f"body.steps.{i}.branches.{j}.next", "no such step")
    row = db.scalar(
        select(TalkScript).where(
            TalkScript.tenant == caller.tenant, TalkScript.queue_id == queue_id
        )
    )
    stamp = datetime.fromtimestamp(ctx.runtime.clock.now(), UTC)
    steps = [s.model_dump() for s in body.steps]
    if row is None:
        db.add(TalkScript(tenant=caller.tenant, queue_id=queue_id, steps=steps, updated_at=stamp))
    else:
        row.steps = steps
        row.updated_at = stamp
    db.commit()
    return Script(queue_id=queue_id, steps=body.steps)


def _tenant_queue(ctx: Ctx, caller: Principal, queue_id: str) -> None:
    try:
        tenant = ctx.config.queue(queue_id).tenant
    except KeyError:
        tenant = None
    if tenant != caller.tenant:
        raise NotFound(f"no queue {queue_id}", error_id="no-such-queue")


@router.post(
    "/admin/customers/import",
    response_model=ImportReport,
    summary="Import customers from CSV (all rows or none)",
)
async def import_customers(
    file: UploadFile,
    request: Request,
    caller: Admin,
    ctx: Ctx,
    db: Db,
    dry_run: Annotated[bool, Query()] = False,
) -> ImportReport:
    """422 listing every bad row (line and column) and storing nothing; else stores all rows."""
    data = await file.read(ctx.settings.max_upload_bytes + 1)
    if len(data) > ctx.settings.max_upload_bytes:
        raise PayloadTooLarge(f"file larger than {ctx.settings.max_upload_bytes} bytes")
    try:
        text = decode(data)
    except ValueError as err:
        raise InvalidField("file", str(err)) from err
    checked = check_rows(text, db, caller.tenant)
    if checked.errors:
        details = [
            ErrorDetail(
                field=f"line {e.line}" + (f": {e.column}" if e.column else ""), message=e.message
            )
            for e in checked.errors[:1000]
        ]
        raise CsvRejected(
            f"{len(checked.errors)} problem(s); nothing was imported", details=details
        )
    if not dry_run:
        stamp = datetime.fromtimestamp(ctx.runtime.clock.now(), UTC)
        db.add_all(
            [
                Customer(tenant=caller.tenant, created_at=stamp, updated_at=stamp, **c.model_dump())
                for c in checked.customers
            ]
        )
        audit.record(
            db,
            now=ctx.runtime.clock.now(),
            action="customer.import",
            who=caller,
            client=client_address(request),
            detail={"rows": len(checked.customers), "file": file.filename or ""},
        )
        db.commit()
    return ImportReport(imported=len(checked.customers), dry_run=dry_run)


@router.get(
    "/admin/customers/export",
    summary="Export customers as CSV (audited)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_customers(
    request: Request, caller: Supervisor, ctx: Ctx, db: Db, purpose: Purpose
) -> Response:
    """Every customer of the tenant as UTF-8 CSV with BOM; the export is written to the audit
    log with its purpose (required)."""
    rows = db.scalars(
        select(Customer).where(Customer.tenant == caller.tenant).order_by(Customer.id)
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "customer_number",
            "name",
            "name_kana",
            "phone",
            "phone_alt",
            "email",
            "address",
            "language",
        ]
    )
    for r in rows:
        writer.writerow(
            [
                r.customer_number,
                r.name,
                r.name_kana,
                r.phone or "",
                r.phone_alt or "",
                r.email or "",
                r.address,
                r.language,
            ]
        )
    audit.record(
        db,
        now=ctx.runtime.clock.now(),
        action="customer.export",
        who=caller,
        purpose=purpose,
        client=client_address(request),
        detail={"rows": len(rows)},
    )
    db.commit()
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="customers.csv"'},
    )


@router.get("/admin/audit", response_model=list[AuditOut], summary="The audit log")
def read_audit(
    caller: Supervisor,
    db: Db,
    action: Annotated[str | None, Query(max_length=64)] = None,
    username: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    order: Annotated[Literal["newest", "oldest"], Query()] = "newest",
) -> list[AuditOut]:
    """Entries of the caller's tenant, newest first by default."""
    query = select(AuditEntry).where(AuditEntry.tenant == caller.tenant)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if username is not None:
        query = query.where(AuditEntry.username == username)
    query = query.order_by(AuditEntry.id.desc() if order == "newest" else AuditEntry.id)
    return [
        AuditOut(
            at=aware(e.at),
            username=e.username,
            action=e.action,
            target=e.target,
            purpose=e.purpose,
            client=e.client,
            detail=dict(e.detail or {}),
        )
        for e in db.scalars(query.limit(limit))
    ]
