"""The `limit` / `offset` query parameters every listing route takes, bounded like the store."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from store._base import MAX_OFFSET, MAX_PAGE

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (1 to {MAX_PAGE})")]
Offset = Annotated[
    int,
    Query(ge=0, le=MAX_OFFSET, description=f"Rows to skip (0 to {MAX_OFFSET:,})"),
]
