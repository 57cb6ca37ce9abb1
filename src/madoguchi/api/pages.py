"""The browser pages: sign-in, agent desktop, supervisor wallboard, admin, WFM calculators.

Pages are static HTML shells loading native ES modules from ``/static`` (no build step, nothing
from the internet); the modules fetch data from the API with the session cookie and pick
Japanese or English from the browser's preference (a switch overrides it).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

import madoguchi.web

WEB_ROOT = Path(madoguchi.web.__file__).parent
STATIC_ROOT = WEB_ROOT / "static"
PAGES_ROOT = WEB_ROOT / "pages"

router = APIRouter(include_in_schema=False)

PAGES = ("login", "agent", "supervisor", "admin", "wfm")


def _page(name: str) -> FileResponse:
    return FileResponse(
        PAGES_ROOT / f"{name}.html",
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


@router.get("/")
def home() -> RedirectResponse:
    """Start at the sign-in page (it sends a signed-in user on to their page)."""
    return RedirectResponse("/login", status_code=303)


@router.get("/login")
def login_page() -> FileResponse:
    """Sign in."""
    return _page("login")


@router.get("/agent")
def agent_page() -> FileResponse:
    """The agent desktop."""
    return _page("agent")


@router.get("/supervisor")
def supervisor_page() -> FileResponse:
    """The supervisor wallboard."""
    return _page("supervisor")


@router.get("/admin")
def admin_page() -> FileResponse:
    """Administration."""
    return _page("admin")


@router.get("/wfm")
def wfm_page() -> FileResponse:
    """Staffing and cost calculators (supervisors and admins)."""
    return _page("wfm")


def mount_static(app: FastAPI) -> None:
    """Serve ``madoguchi/web/static`` under ``/static``."""
    app.mount("/static", StaticFiles(directory=STATIC_ROOT), name="static")
