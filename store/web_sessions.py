"""Browser sessions of the web workspace: open on sign-in, read on every page, touch, end.

A session is found by the SHA-256 of its cookie token, never by the token. Whether it is still
alive (idle timeout, longest session, disabled user) is the caller's rule (`api.web.sessions`);
the store reads in a read session and writes only when something changes, so most page views
cost no write.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.records import UserRecord, WebSessionRecord
from store.tables import UserRow, WebSessionRow
from store.users import user_record


def open_session(
    session: Session, *, username: str, token_hash: str, csrf_token: str, now: datetime
) -> None:
    session.add(
        WebSessionRow(
            token_hash=token_hash,
            username=username,
            csrf_token=csrf_token,
            created_at=now,
            last_seen_at=now,
        )
    )
    session.flush()


def find_session(session: Session, token_hash: str) -> tuple[WebSessionRecord, UserRecord] | None:
    """The session with this token hash and its user, ended or not; None if there is none."""
    found = session.exec(
        select(WebSessionRow, UserRow)
        .join(UserRow, col(UserRow.username) == col(WebSessionRow.username))
        .where(col(WebSessionRow.token_hash) == token_hash)
    ).first()
    if found is None:
        return None
    row, user = found
    record = WebSessionRecord(
        username=row.username,
        csrf_token=row.csrf_token,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        ended_at=row.ended_at,
    )
    return record, user_record(user)


def touch_session(session: Session, *, token_hash: str, now: datetime) -> None:
    session.execute(
        update(WebSessionRow)
        .where(col(WebSessionRow.token_hash) == token_hash, col(WebSessionRow.ended_at).is_(None))
        .values(last_seen_at=now)
    )


def end_session(session: Session, *, token_hash: str, now: datetime) -> None:
    session.execute(
        update(WebSessionRow)
        .where(col(WebSessionRow.token_hash) == token_hash, col(WebSessionRow.ended_at).is_(None))
        .values(ended_at=now)
    )
