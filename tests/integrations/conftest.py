"""Fixtures for the integration tests (PAS, sandbox payer, webhook signatures)."""

from __future__ import annotations

import pytest

from tests.integrations.pas_helpers import FIXTURES


@pytest.fixture(scope="session", autouse=True)
def _pas_fixtures_present() -> None:
    if not FIXTURES.is_dir():
        pytest.fail(f"PAS fixtures not found at {FIXTURES.resolve()}")
