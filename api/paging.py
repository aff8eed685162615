"""The paging query parameters every listing route takes, bounded like the store.

`cursor` is the previous page's `next_cursor` (keyset paging: any depth at the cost of one
page); `offset` stays for small skips only (at most `MAX_OFFSET`, and not with a cursor).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from store._base import MAX_OFFSET, MAX_PAGE
from store.cursor import MAX_CURSOR

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (1 to {MAX_PAGE})")]
Offset = Annotated[
    int,
    Query(
        ge=0,
        le=MAX_OFFSET,
        description=f"Rows to skip (0 to {MAX_OFFSET:,}); page deeper with `cursor`",
    ),
]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR,
        description="The previous page's `next_cursor` (opaque); not with `offset`",
    ),
]
