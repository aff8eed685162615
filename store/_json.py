"""JSON values as the database gives them back, and the canonical form that gets hashed."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic_core import to_jsonable_python


def json_dict(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """`value` as plain JSON data (dates as ISO strings, tuples as lists, keys as strings),
    exactly what a JSON column returns, so what is stored equals what is read back."""
    result = json.loads(canonical_json(to_jsonable_python(dict(value or {}))))
    if not isinstance(result, dict):  # pragma: no cover - a dict stays a dict
        raise TypeError("expected a JSON object")
    return result


def canonical_json(value: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text, no NaN: the same bytes for the same data."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
