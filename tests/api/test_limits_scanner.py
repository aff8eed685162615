"""The JSON depth scanner of api/limits.py agrees with a parser on any JSON, and stays fast on
the worst bodies the size limits let through."""

from __future__ import annotations

import json
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from api.limits import has_nul_escape, json_depth, outside_strings

TRICKY_TEXT = st.text(alphabet=st.sampled_from('[]{}"\\ax\u00e9'), max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TRICKY_TEXT,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(TRICKY_TEXT, children, max_size=3)
    ),
    max_leaves=60,
)


def depth_of(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def scanned(body: bytes) -> int:
    return json_depth(outside_strings(body))


@settings(max_examples=400, deadline=None)
@given(value=JSON_VALUES, ensure_ascii=st.booleans(), indent=st.sampled_from([None, 0, 2]))
def test_depth_matches_the_parsed_value(value: Any, ensure_ascii: bool, indent: int | None) -> None:
    body = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent).encode()
    assert scanned(body) == depth_of(value)


def test_depth_of_unbalanced_and_scalar_bodies() -> None:
    assert scanned(b"[" * 40) == 40
    assert scanned(b"]]]]") == 0
    assert scanned(b'"[[[["') == 0
    assert scanned(b'["\\\\", [["\\"["]]]') == 3
    assert scanned(b"") == 0


def test_worst_bodies_within_the_fhir_limit_scan_fast() -> None:
    five_mib = 5 * 1024 * 1024
    bodies = [
        b"[" * five_mib,
        b"[]" * (five_mib // 2),
        (b"[" * 32 + b"]" * 32) * (five_mib // 64),
        (b"[[[[[" + b"]]]]]") * (five_mib // 10),
        b'"",' * (five_mib // 3),
        b'"' + b'\\"' * (five_mib // 2) + b'"',
    ]
    for body in bodies:
        began = time.perf_counter()
        scanned(body)
        elapsed = time.perf_counter() - began
        assert elapsed < 2.5, f"{body[:12]!r}...: {elapsed:.2f} s"


def test_nul_escape_is_told_from_an_escaped_backslash() -> None:
    assert has_nul_escape(b'"a\\u0000"')
    assert has_nul_escape(b'"a\\\\\\u0000"')  # an escaped backslash, then a NUL
    assert not has_nul_escape(b'"a\\\\u0000"')  # an escaped backslash, then text
