"""Mount the web workspace on the API application: static files, pages, the sign-in redirect."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.web.routes import (
    case_page,
    clearinghouse_review,
    deadline_tool,
    escalations,
    new_case,
    payer_performance,
    sign_in,
    work,
)
from api.web.sessions import SignInNeededError
from api.web.templating import STATIC_DIR, templates
from config.settings import Settings

STATIC_PATH = "/static/web"
# /cases/new before /cases/{case_id}: registration order is matching order.
PAGES = (
    sign_in,
    work,
    new_case,
    case_page,
    escalations,
    deadline_tool,
    payer_performance,
    clearinghouse_review,
)


def install_web(app: FastAPI, settings: Settings) -> None:
    # Macros imported without context (the usual way) still see the organization's zone.
    templates.env.globals["zone"] = settings.organization.timezone
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="web-static")
    for module in PAGES:
        app.include_router(module.router)
    app.add_exception_handler(SignInNeededError, _to_sign_in)  # type: ignore[arg-type]


async def _to_sign_in(request: Request, exc: SignInNeededError) -> Response:
    """No live session: back to the sign-in page, then to where the person was going (a page's
    own path: case ids, never PHI). An htmx request is told to navigate the whole page."""
    target = "/login?expired=1" if exc.expired else "/login"
    if request.method == "GET" and request.url.path != "/":
        joiner = "&" if "?" in target else "?"
        target += f"{joiner}next={quote(request.url.path)}"
    if request.headers.get("HX-Request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
