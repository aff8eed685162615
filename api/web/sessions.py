"""Sign-in sessions of the web workspace: the cookie, the idle timeout, CSRF.

The cookie holds a random token (HttpOnly, SameSite=Lax, Secure outside dev and test); the
store keeps only its SHA-256 (`store.web_sessions`). A session ends on sign-out, after
`web_idle_timeout_minutes` without a request the person made (the list's own background refresh
does not count), after `web_session_hours`, or when its user is disabled. Every form and every
htmx request that changes or searches carries the session's CSRF token (a hidden field or the
`X-CSRF-Token` header), compared in constant time.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response, status
from sqlalchemy.engine import Engine

from api.security import Actor
from config.logging import get_logger
from config.settings import Role, Settings
from store import users as store_users
from store import web_sessions as store_sessions
from store.database import read_session, transaction
from store.records import UserRecord, WebSessionRecord
from store.types import utcnow

COOKIE = "priorauth_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Sent by the page's own background refresh: it proves a screen is open, not a person at it.
BACKGROUND_HEADER = "X-Background-Refresh"
TOUCH_EVERY = timedelta(seconds=30)
log = get_logger("priorauth.web")


class SignInNeededError(Exception):
    """No live session: the page answers with a redirect to the sign-in page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.expired = expired


@dataclass(frozen=True)
class WebUser:
    """The signed-in person: the `Actor` every API rule reads, and their session."""

    actor: Actor
    display_name: str
    csrf_token: str

    @property
    def username(self) -> str:
        return self.actor.name

    @property
    def role(self) -> Role:
        return self.actor.role


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def actor_of(user: UserRecord) -> Actor:
    return Actor(name=user.username, role=Role(user.role), teams=tuple(user.teams))


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


async def sign_in(engine: Engine, settings: Settings, username: str, password: str) -> str | None:
    """A new session's cookie token for the right user name and password, else None. After
    `web_sign_in_attempts` wrong passwords in a row, the user's sign-in is refused for
    `web_lockout_minutes`, whatever the password (the answer does not say which)."""
    from api.web.passwords import verify_password

    now = utcnow()

    def load() -> tuple[tuple[UserRecord, str] | None, datetime | None]:
        with read_session(engine) as session:
            return (
                store_users.credentials(session, username),
                store_users.locked_until(session, username),
            )

    found, locked_until = await asyncio.to_thread(load)
    hashed = found[1] if found is not None else None
    valid = await asyncio.to_thread(verify_password, password, hashed)
    if found is None:
        return None
    user = found[0]
    if locked_until is not None and locked_until > now:
        log.warning("web sign-in refused: locked", username=user.username)
        return None
    if not valid or not user.active:
        await asyncio.to_thread(_failed, engine, settings, user.username, now)
        return None
    token = secrets.token_urlsafe(32)

    def store() -> None:
        with transaction(engine) as session:
            store_users.record_sign_in(session, user.username)
            store_sessions.open_session(
                session,
                username=user.username,
                token_hash=token_hash(token),
                csrf_token=secrets.token_urlsafe(32),
                now=now,
            )

    await asyncio.to_thread(store)
    return token


def _failed(engine: Engine, settings: Settings, username: str, now: datetime) -> None:
    with transaction(engine) as session:
        locked = store_users.record_failed_sign_in(
            session,
            username,
            now=now,
            limit=settings.web_sign_in_attempts,
            lock_for=timedelta(minutes=settings.web_lockout_minutes),
        )
    if locked:
        log.warning("web sign-in locked after wrong passwords", username=username)


async def sign_out(engine: Engine, token: str | None) -> None:
    if token:
        await asyncio.to_thread(_end, engine, token_hash(token), utcnow())


def set_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.web_session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.effective_web_cookie_secure,
        path="/",
    )


def clear_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, httponly=True, samesite="lax", secure=settings.effective_web_cookie_secure
    )


def _alive(record: WebSessionRecord, user: UserRecord, settings: Settings, now: datetime) -> bool:
    idle = timedelta(minutes=settings.web_idle_timeout_minutes)
    longest = timedelta(hours=settings.web_session_hours)
    return (
        record.ended_at is None
        and user.active
        and now - record.last_seen_at <= idle
        and now - record.created_at <= longest
    )


async def current_user(request: Request) -> WebUser:
    """Dependency of every page: the signed-in person, or `SignInNeededError`."""
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInNeededError()
    engine, settings, hashed, now = (
        _engine(request),
        _settings(request),
        token_hash(token),
        utcnow(),
    )

    def load() -> tuple[WebSessionRecord, UserRecord] | None:
        with read_session(engine) as session:
            return store_sessions.find_session(session, hashed)

    found = await asyncio.to_thread(load)
    if found is None:
        raise SignInNeededError()
    record, user = found
    if not _alive(record, user, settings, now):
        if record.ended_at is None:
            await asyncio.to_thread(_end, engine, hashed, now)
        raise SignInNeededError(expired=True)
    person_active = request.headers.get(BACKGROUND_HEADER) is None
    if person_active and now - record.last_seen_at >= TOUCH_EVERY:
        await asyncio.to_thread(_touch, engine, hashed, now)
    return WebUser(
        actor=actor_of(user), display_name=user.display_name, csrf_token=record.csrf_token
    )


def _end(engine: Engine, hashed: str, now: datetime) -> None:
    with transaction(engine) as session:
        store_sessions.end_session(session, token_hash=hashed, now=now)


def _touch(engine: Engine, hashed: str, now: datetime) -> None:
    with transaction(engine) as session:
        store_sessions.touch_session(session, token_hash=hashed, now=now)


async def checked_user(
    request: Request, user: Annotated[WebUser, Depends(current_user)]
) -> WebUser:
    """Dependency of every form post: the signed-in person, whose CSRF token came with it."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        field = form.get(CSRF_FIELD)
        sent = field if isinstance(field, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), user.csrf_token.encode()):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            detail="the form's security token is missing or out of date: reload the page",
        )
    return user


SignedIn = Annotated[WebUser, Depends(current_user)]
Checked = Annotated[WebUser, Depends(checked_user)]
