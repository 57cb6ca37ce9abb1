"""Sign-in and access: session cookies with CSRF protection, API tokens, roles and tenants.

A browser signs in with user name and password and gets an HttpOnly session cookie (signed
with the secret key) plus a CSRF token it must echo in ``X-CSRF-Token`` on every write.
Integrations send ``Authorization: Bearer mdg_...`` instead (no cookie, so no CSRF risk).
Every sign-in, failed sign-in and sign-out is written to the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from itsdangerous import BadSignature, Signer
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from madoguchi.api import audit
from madoguchi.api.context import ApiContext, Ctx, Db, Principal, Role
from madoguchi.api.errors import (
    COMMON_RESPONSES,
    Forbidden,
    NotAuthenticated,
    TooManyAttempts,
)
from madoguchi.api.security import (
    API_TOKEN_PREFIX,
    SignInLimiter,
    new_token,
    same_secret,
    token_digest,
    verify_password,
)
from madoguchi.store.crm import ApiToken, User, UserSession

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], responses=COMMON_RESPONSES)


class SignIn(BaseModel):
    """User name and password."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    """The signed-in user."""

    username: str
    display_name: str
    tenant: str
    role: Role
    agent_id: str | None
    csrf_token: str | None
    """Echo this in the X-CSRF-Token header on every write (browser sessions only)."""


class TokenRequest(BaseModel):
    """A name for the new API token (which integration uses it)."""

    name: str = Field(min_length=1, max_length=100)


class TokenCreated(BaseModel):
    """A new API token; the secret is shown this once."""

    id: int
    name: str
    token: str


def _signer(ctx: ApiContext) -> Signer:
    return Signer(ctx.settings.secret_key.get_secret_value(), salt="madoguchi.session")


def _now(ctx: ApiContext) -> float:
    now: float = ctx.runtime.clock.now()
    return now


def client_address(request: Request) -> str:
    """The peer's address as the server sees it."""
    return request.client.host if request.client is not None else ""


def _principal(user: User, via: str, csrf: str | None) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        tenant=user.tenant,
        role=Role(user.role),
        display_name=user.display_name,
        agent_id=user.agent_id,
        via=via,
        csrf_token=csrf,
    )


def principal_from_cookie(ctx: ApiContext, db: Session, cookie: str | None) -> Principal | None:
    """The user a session cookie stands for, or None (missing, forged, expired, revoked)."""
    if not cookie:
        return None
    try:
        token = _signer(ctx).unsign(cookie).decode()
    except (BadSignature, UnicodeDecodeError):
        return None
    row = db.get(UserSession, token_digest(token))
    if row is None or row.revoked:
        return None
    if row.expires_at.replace(tzinfo=UTC) <= datetime.fromtimestamp(_now(ctx), UTC):
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return _principal(user, "session", row.csrf_token)


def principal_from_token(db: Session, token: str) -> Principal | None:
    """The user an API token acts for, or None."""
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    return _principal(user, "token", None)


def current_principal(request: Request, ctx: Ctx, db: Db) -> Principal:
    """The signed-in caller; 401 without credentials, 403 on a write without the CSRF token."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = principal_from_token(db, header[7:].strip())
        if found is None:
            raise NotAuthenticated("invalid API token")
        return found
    found = principal_from_cookie(ctx, db, request.cookies.get(ctx.settings.session_cookie))
    if found is None:
        raise NotAuthenticated("sign in first")
    if request.method not in SAFE_METHODS and not same_secret(
        request.headers.get(CSRF_HEADER), found.csrf_token or ""
    ):
        raise Forbidden("missing or wrong CSRF token", error_id="csrf-failed")
    return found


Caller = Annotated[Principal, Depends(current_principal)]


def require(role: Role) -> object:
    """A dependency admitting callers whose role includes ``role``."""

    def check(caller: Caller) -> Principal:
        if not caller.role.includes(role):
            raise Forbidden(f"needs the {role.value} role")
        return caller

    return Depends(check)


def limiter(ctx: ApiContext) -> SignInLimiter:
    """The app's sign-in limiter."""
    found = ctx.extras.get("sign_in_limiter")
    if not isinstance(found, SignInLimiter):
        found = SignInLimiter(
            ctx.settings.sign_in_max_failures, ctx.settings.sign_in_failure_window_s
        )
        ctx.extras["sign_in_limiter"] = found
    return found


@router.post("/sign-in", response_model=Me, summary="Sign in with user name and password")
def sign_in(body: SignIn, request: Request, response: Response, ctx: Ctx, db: Db) -> Me:
    """Start a browser session (cookie) and return the user with its CSRF token."""
    now = _now(ctx)
    client = client_address(request)
    keys = [f"user:{body.username.lower()}", f"client:{client}"]
    wait = limiter(ctx).retry_after(keys, now)
    if wait is not None:
        audit.record(db, now=now, action="sign_in_refused", username=body.username, client=client)
        db.commit()
        raise TooManyAttempts(
            "too many failed sign-ins; try again later",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    user = db.scalar(select(User).where(User.username == body.username))
    if user is None or not user.active or not verify_password(user.password_hash, body.password):
        limiter(ctx).failed(keys, now)
        audit.record(
            db,
            now=now,
            action="sign_in_failed",
            username=body.username,
            tenant=user.tenant if user is not None else None,
            client=client,
        )
        db.commit()
        raise NotAuthenticated("wrong user name or password", error_id="sign-in-failed")
    limiter(ctx).succeeded(keys[0])
    token = new_token()
    csrf = new_token()
    started = datetime.fromtimestamp(now, UTC)
    db.add(
        UserSession(
            id=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=started,
            expires_at=started + timedelta(seconds=ctx.settings.session_max_age_s),
        )
    )
    audit.record(
        db, now=now, action="sign_in", username=user.username, tenant=user.tenant, client=client
    )
    db.commit()
    response.set_cookie(
        ctx.settings.session_cookie,
        _signer(ctx).sign(token).decode(),
        max_age=ctx.settings.session_max_age_s,
        httponly=True,
        samesite="strict",
        secure=ctx.settings.cookie_secure,
        path="/",
    )
    return _me(_principal(user, "session", csrf))


@router.post("/sign-out", status_code=204, summary="End this browser session")
def sign_out(request: Request, response: Response, caller: Caller, ctx: Ctx, db: Db) -> None:
    """Revoke the session the cookie holds."""
    cookie = request.cookies.get(ctx.settings.session_cookie)
    if cookie is not None:
        try:
            token = _signer(ctx).unsign(cookie).decode()
        except BadSignature:
            token = ""
        row = db.get(UserSession, token_digest(token))
        if row is not None:
            row.revoked = True
    audit.record(db, now=_now(ctx), action="sign_out", who=caller, client=client_address(request))
    db.commit()
    response.delete_cookie(ctx.settings.session_cookie, path="/")


@router.get("/me", response_model=Me, summary="Who is signed in")
def me(caller: Caller) -> Me:
    """The caller, with the CSRF token for browser sessions."""
    return _me(caller)


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=201,
    summary="Create an API token for an integration",
)
def create_token(body: TokenRequest, caller: Caller, ctx: Ctx, db: Db) -> TokenCreated:
    """A bearer token acting as the caller; only its hash is stored."""
    token = new_token(API_TOKEN_PREFIX)
    row = ApiToken(
        user_id=caller.user_id,
        name=body.name,
        token_hash=token_digest(token),
        created_at=datetime.fromtimestamp(_now(ctx), UTC),
    )
    db.add(row)
    audit.record(db, now=_now(ctx), action="api_token.create", who=caller, target=body.name)
    db.commit()
    return TokenCreated(id=row.id, name=row.name, token=token)


def revoke_sessions(db: Session, user_id: int) -> int:
    """Revoke every open session of a user (forced sign-out); how many were open."""
    rows = db.scalars(
        select(UserSession).where(UserSession.user_id == user_id, UserSession.revoked.is_(False))
    ).all()
    for row in rows:
        row.revoked = True
    return len(rows)


def _me(principal: Principal) -> Me:
    return Me(
        username=principal.username,
        display_name=principal.display_name,
        tenant=principal.tenant,
        role=principal.role,
        agent_id=principal.agent_id,
        csrf_token=principal.csrf_token,
    )
