"""Sign-in and sign-out pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import EngineDep
from api.web.sessions import COOKIE, Checked, clear_cookie, set_cookie, sign_in, sign_out
from api.web.templating import render
from config.logging import get_logger

router = APIRouter(include_in_schema=False)
log = get_logger("priorauth.web")

NOTICES = {
    "expired": "Your session ended after a period without activity. Please sign in again.",
    "signed_out": "You are signed out.",
}


def safe_next(target: str | None) -> str:
    """Only a path of this site (no scheme, no host, no `//`): never an open redirect."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:
    notice = next_notice(request)
    return render(
        request, "login.html", None, notice=notice, error=None, username="", next=safe_next(next)
    )


def next_notice(request: Request) -> str | None:
    for key, text in NOTICES.items():
        if key in request.query_params:
            return text
    return None


@router.post("/login")
async def login(
    request: Request,
    engine: EngineDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    token = await sign_in(engine, request.app.state.settings, username.strip(), password)
    if token is None:
        log.info("web sign-in refused", username=username.strip()[:64])
        return render(
            request,
            "login.html",
            None,
            status_code=401,
            notice=None,
            error="The user name or password is wrong, or the account is disabled.",
            username=username,
            next=safe_next(next),
        )
    log.info("web sign-in", username=username.strip())
    response = RedirectResponse(safe_next(next), status_code=303)
    set_cookie(response, request.app.state.settings, token)
    return response


@router.post("/logout")
async def logout(request: Request, engine: EngineDep, user: Checked) -> Response:
    await sign_out(engine, request.cookies.get(COOKIE))
    log.info("web sign-out", username=user.username)
    response = RedirectResponse("/login?signed_out=1", status_code=303)
    clear_cookie(response, request.app.state.settings)
    return response
