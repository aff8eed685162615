"""The people who sign in to the web workspace: add, read, list, disable, change password.

The store keeps the password's hash only (hashing is the caller's: `api.web.passwords`). Users
are never deleted; disabling one also ends every browser session they have.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from store.errors import ConflictError, NotFoundError
from store.records import UserRecord
from store.tables import UserRow, WebSessionRow


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    role: str,
    teams: list[str],
    password_hash: str,
    now: datetime,
) -> UserRecord:
    """Add a user; a user of that name already there is a `ConflictError` (nothing changes)."""
    if session.get(UserRow, username) is not None:
        raise ConflictError("user", username, "already exists")
    row = UserRow(
        username=username,
        display_name=display_name,
        role=role,
        teams=list(teams),
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return user_record(row)


def get_user(session: Session, username: str) -> UserRecord:
    return user_record(_require(session, username))


def credentials(session: Session, username: str) -> tuple[UserRecord, str] | None:
    """The user and their password hash, or None for a user name nobody has."""
    row = session.get(UserRow, username)
    return None if row is None else (user_record(row), row.password_hash)


def locked_until(session: Session, username: str) -> datetime | None:
    """Until when sign-in is refused after too many wrong passwords (None: not locked)."""
    row = session.get(UserRow, username)
    return None if row is None else row.locked_until


def record_failed_sign_in(
    session: Session, username: str, *, now: datetime, limit: int, lock_for: timedelta
) -> bool:
    """Count a wrong password; the `limit`-th in a row locks sign-in for `lock_for` (and the
    count starts again). True if this failure locked the account."""
    row = session.get(UserRow, username)
    if row is None:
        return False
    row.failed_sign_ins += 1
    locked = row.failed_sign_ins >= limit
    if locked:
        row.locked_until = now + lock_for
        row.failed_sign_ins = 0
    session.add(row)
    session.flush()
    return locked


def record_sign_in(session: Session, username: str) -> None:
    """A right password: the count of wrong ones starts again."""
    row = _require(session, username)
    if row.failed_sign_ins or row.locked_until is not None:
        row.failed_sign_ins = 0
        row.locked_until = None
        session.add(row)
        session.flush()


def list_users(session: Session, *, include_disabled: bool = True) -> list[UserRecord]:
    query = select(UserRow).order_by(col(UserRow.username))
    if not include_disabled:
        query = query.where(col(UserRow.disabled_at).is_(None))
    return [user_record(row) for row in session.exec(query)]


def disable_user(session: Session, username: str, *, now: datetime) -> UserRecord:
    """Disable a user and end their sessions (disabling again changes nothing)."""
    row = _require(session, username)
    if row.disabled_at is None:
        row.disabled_at = now
        row.updated_at = now
        session.add(row)
        session.execute(
            update(WebSessionRow)
            .where(col(WebSessionRow.username) == username, col(WebSessionRow.ended_at).is_(None))
            .values(ended_at=now)
        )
        session.flush()
    return user_record(row)


def set_password_hash(
    session: Session, username: str, password_hash: str, *, now: datetime
) -> None:
    """A new password (also lifts a sign-in lock)."""
    row = _require(session, username)
    row.password_hash = password_hash
    row.failed_sign_ins = 0
    row.locked_until = None
    row.updated_at = now
    session.add(row)
    session.flush()


def user_record(row: UserRow) -> UserRecord:
    return UserRecord(
        username=row.username,
        display_name=row.display_name,
        role=row.role,
        teams=list(row.teams),
        created_at=row.created_at,
        disabled_at=row.disabled_at,
    )


def _require(session: Session, username: str) -> UserRow:
    row = session.get(UserRow, username)
    if row is None:
        raise NotFoundError("user", username)
    return row
