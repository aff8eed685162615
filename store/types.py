"""Column types and the clock: every instant is stored in UTC and comes back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """`value` in UTC; a naive datetime is a bug upstream, never guessed."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive {what}: every instant must carry its time zone")
    return value.astimezone(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime, stored as UTC.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones and SQLAlchemy would drop tzinfo
    silently, so the value is stored as naive UTC there and UTC is re-attached on the way out.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        utc = require_aware(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
