"""Typed store errors. Messages carry ids and keys only, never PHI (they reach worker logs)."""

from __future__ import annotations


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class NotFoundError(StoreError):
    def __init__(self, kind: str, key: object) -> None:
        super().__init__(f"{kind} {key!s} not found")
        self.kind = kind
        self.key = key


class ConflictError(StoreError):
    """A unique value is already taken by another record."""

    def __init__(self, kind: str, key: str, detail: str) -> None:
        super().__init__(f"{kind} {key}: {detail}")
        self.kind = kind
        self.key = key


class IdempotencyConflictError(ConflictError):
    """The same idempotency key (or id) arrived again with different content."""


class InvalidTransitionError(StoreError):
    """A change the record's state does not allow (e.g. completing a cancelled task)."""

    def __init__(self, kind: str, key: object, detail: str) -> None:
        super().__init__(f"{kind} {key!s}: {detail}")
        self.kind = kind
        self.key = key
