"""Fuzz: random JSON-ish mutations of real PAS messages never raise anything unexpected.

Each parser either returns its result or raises `PasValidationError`; no KeyError, TypeError,
pydantic ValidationError or RecursionError escapes, whatever the mutation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.pas.errors import PasValidationError
from integrations.pas.intake import parse_pas_request_bundle
from integrations.pas.responses import parse_claim_response_details, parse_subscription_notification
from tests.integrations.pas_helpers import PLAN, completed_fixture, load

Path = tuple[str | int, ...]

LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(
        [
            "Patient/SubscriberExample",
            "urn:uuid:75832284-6c15-488c-8237-0290624d5b94",
            "#missing",
            "Claim",
            "ClaimResponse",
            "preauthorization",
            "collection",
            "history",
            "2026-13-45",
            "2005-05-02T11:01:00+05:00",
            "A4",
            "PENDEDCODE",
            "",
        ]
    ),
)
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, dict):
                continue  # narrative: large and irrelevant
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for position, value in enumerate(node):
            yield from _paths(value, (*prefix, position))


def _get(doc: Any, path: Path) -> Any:
    for part in path:
        doc = doc[part]
    return doc


@st.composite
def mutations(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _get(doc, path[:-1])
        key = path[-1]
        operation = draw(st.sampled_from(["replace", "delete", "swap", "duplicate", "wrap"]))
        if operation == "replace":
            parent[key] = draw(JSON_VALUES)
        elif operation == "delete":
            del parent[key]
        elif operation == "swap":
            parent[key] = copy.deepcopy(_get(doc, draw(st.sampled_from(paths))))
        elif operation == "duplicate" and isinstance(parent, list) and isinstance(key, int):
            parent.insert(key, copy.deepcopy(parent[key]))
        else:
            parent[key] = [copy.deepcopy(parent[key])]
    return doc


FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _never_crashes(parse: Callable[[Any], object], data: dict[str, Any]) -> None:
    try:
        parse(data)
    except PasValidationError as exc:
        outcome = exc.to_operation_outcome()
        assert outcome["issue"] and all(i["diagnostics"] for i in outcome["issue"])


@FUZZ
@given(mutations(load("conformant_pas_bundle_v110.json")))
def test_request_bundle_mutations(data: dict[str, Any]) -> None:
    _never_crashes(lambda d: parse_pas_request_bundle(d, PLAN), data)


@FUZZ
@given(mutations(completed_fixture("conformant_pas_bundle_v110_multiple_items.json")))
def test_complete_request_bundle_mutations(data: dict[str, Any]) -> None:
    def parse(d: Any) -> object:
        intake = parse_pas_request_bundle(d, PLAN)
        intake.to_operation_outcome()
        return intake

    _never_crashes(parse, data)


@FUZZ
@given(mutations(load("valid_pa_response_bundle.json")))
def test_response_bundle_mutations(data: dict[str, Any]) -> None:
    _never_crashes(parse_claim_response_details, data)


@FUZZ
@given(mutations(load("PAS_notification_example_full_resource.json")))
def test_notification_mutations(data: dict[str, Any]) -> None:
    _never_crashes(parse_subscription_notification, data)
