"""Rendering pages: the jinja2 environment, its filters, and the headers every page carries.

Every page is `no-store` (PHI must not stay in a browser cache), may not be framed, sends no
referrer, and runs only the app's own scripts and styles (Content-Security-Policy).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.web import clock_display
from api.web.sessions import BACKGROUND_HEADER, CSRF_FIELD, CSRF_HEADER, WebUser
from store.types import utcnow

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}

templates = Jinja2Templates(directory=TEMPLATE_DIR)
templates.env.filters["countdown"] = clock_display.countdown
templates.env.filters["local"] = clock_display.local
templates.env.globals.update(
    CSRF_FIELD=CSRF_FIELD,
    CSRF_HEADER=CSRF_HEADER,
    BACKGROUND_HEADER=BACKGROUND_HEADER,
    STAGE_LABELS=clock_display.STAGE_LABELS,
    stage_of=clock_display.stage,
)


def render(
    request: Request,
    name: str,
    user: WebUser | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings = request.app.state.settings
    values = {
        "user": user,
        "now": utcnow(),
        "zone": settings.organization.timezone,
        "organization": settings.organization.name,
        "idle_seconds": settings.web_idle_timeout_minutes * 60,
        **context,
    }
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response
