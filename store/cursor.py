"""Opaque keyset cursors: where the next page of a listing starts.

A cursor is base64url(JSON) of the sort key of the last row served and a fingerprint of the
listing that served it (its view, filters and sort). Keyset paging reads only the rows of the
page, however deep it is, and a case that changes or appears between two pages neither repeats
a row nor skips one that had not been served yet.

`decode` refuses anything it did not make, and a cursor of another listing (other filters or
sort): `BadCursorError`, which the API answers with 422 naming the `cursor` field. The cursor
carries no PHI (due moments, receipt moments and ids only), and a forged one can only move the
start of a page within what the caller may see anyway: the scope is applied on every page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from datetime import UTC, datetime
from typing import Any

VERSION = 1
MAX_CURSOR = 512  # characters; a cursor of ours is about 150

KeyValue = datetime | str | int | None


class BadCursorError(ValueError):
    """The cursor is not one this listing handed out (malformed, edited or another listing's)."""


def fingerprint(view: str, settings: dict[str, Any]) -> str:
    """A short digest of the listing a cursor belongs to (not secret: it only catches mix-ups)."""
    text = json.dumps([view, settings], sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def encode(listing: str, key: list[KeyValue]) -> str:
    """The cursor after a row whose sort key is `key` (datetimes, strings, integers, None)."""
    values = [_dump(value) for value in key]
    raw = json.dumps({"v": VERSION, "l": listing, "k": values}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str, listing: str, kinds: tuple[type, ...]) -> list[KeyValue]:
    """The sort key in `token`, checked against the listing and the key's shape: each value
    of the type in `kinds` at its position (`datetime` positions may also be None)."""
    if not token or len(token) > MAX_CURSOR:
        raise BadCursorError("cursor: not a cursor of this listing")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise BadCursorError("cursor: not a cursor of this listing") from None
    if not isinstance(payload, dict) or payload.get("v") != VERSION:
        raise BadCursorError("cursor: not a cursor of this listing")
    if payload.get("l") != listing:
        raise BadCursorError(
            "cursor: it belongs to another listing (other filters or sort); start again "
            "without a cursor"
        )
    values = payload.get("k")
    if not isinstance(values, list) or len(values) != len(kinds):
        raise BadCursorError("cursor: not a cursor of this listing")
    return [_load(value, kind) for value, kind in zip(values, kinds, strict=True)]


def _dump(value: KeyValue) -> Any:
    if isinstance(value, datetime):
        return {"t": value.astimezone(UTC).isoformat()}
    return value


def _load(value: Any, kind: type) -> KeyValue:
    if kind is datetime:
        if value is None:
            return None
        if isinstance(value, dict) and isinstance(value.get("t"), str) and len(value) == 1:
            try:
                moment = datetime.fromisoformat(value["t"])
            except ValueError:
                raise BadCursorError("cursor: not a cursor of this listing") from None
            if moment.tzinfo is not None:
                return moment.astimezone(UTC)
        raise BadCursorError("cursor: not a cursor of this listing")
    if kind is int and type(value) is int and -(2**63) <= value < 2**63:
        return value
    if kind is str and isinstance(value, str) and len(value) <= 200:
        return value
    raise BadCursorError("cursor: not a cursor of this listing")
