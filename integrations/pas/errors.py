"""Errors of the PAS integration, each carrying a FHIR OperationOutcome a client can act on.

A `PasIssue` is one OperationOutcome issue: severity, an issue-type code, `diagnostics` naming the
element and the reason, and a FHIRPath `expression`. Diagnostics never carry PHI (no member ids,
names or birth dates): they end up in worker logs and HTTP error bodies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain.payer_gateway import PayerRejectedError

IssueSeverity = Literal["fatal", "error", "warning", "information"]
IssueCode = Literal[
    "structure",
    "required",
    "not-found",
    "invalid",
    "value",
    "business-rule",
    "code-invalid",
    "not-supported",
    "processing",
    "timeout",
    "transient",
    "exception",
]


class PasIssue(BaseModel):
    """One problem found in a PAS message (maps 1:1 to an OperationOutcome.issue)."""

    model_config = ConfigDict(frozen=True)

    severity: IssueSeverity = "error"
    code: IssueCode
    diagnostics: str
    expression: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity in ("fatal", "error")

    def to_fhir(self) -> dict[str, Any]:
        issue: dict[str, Any] = {
            "severity": self.severity,
            "code": self.code,
            "diagnostics": self.diagnostics,
        }
        if self.expression:
            issue["expression"] = [self.expression]
        return issue


def operation_outcome(issues: Iterable[PasIssue]) -> dict[str, Any]:
    """A FHIR R4 OperationOutcome with one issue per problem (an empty list reads 'all ok')."""
    rendered = [issue.to_fhir() for issue in issues]
    if not rendered:
        rendered = [{"severity": "information", "code": "informational", "diagnostics": "ok"}]
    return {"resourceType": "OperationOutcome", "issue": rendered}


def dedupe(issues: Iterable[PasIssue]) -> list[PasIssue]:
    """Issues in order, dropping a later one that points at an element already reported."""
    seen: set[tuple[str | None, str]] = set()
    kept: list[PasIssue] = []
    for issue in issues:
        key = (issue.expression, issue.code) if issue.expression else (None, issue.diagnostics)
        if key in seen:
            continue
        seen.add(key)
        kept.append(issue)
    return kept


class PasError(Exception):
    """Base of every error raised by `integrations.pas`."""


class PasValidationError(PasError, ValueError):
    """A PAS message that cannot be accepted; `issues` say where and why."""

    def __init__(self, issues: Iterable[PasIssue], summary: str | None = None) -> None:
        self.issues: list[PasIssue] = dedupe(issues)
        if not self.issues:
            self.issues = [PasIssue(code="processing", diagnostics=summary or "invalid")]
        self.summary = summary or "the message is not valid PAS"
        super().__init__(self._message())

    def _message(self) -> str:
        errors = [issue for issue in self.issues if issue.is_error] or self.issues
        shown = "; ".join(issue.diagnostics for issue in errors[:3])
        more = f" (+{len(errors) - 3} more)" if len(errors) > 3 else ""
        return f"{self.summary}: {shown}{more}"

    @property
    def errors(self) -> list[PasIssue]:
        return [issue for issue in self.issues if issue.is_error]

    def to_operation_outcome(self) -> dict[str, Any]:
        return operation_outcome(self.issues)


class PasGatewayError(PasError):
    """Talking to a PAS endpoint failed. `retryable` says whether trying again may help.

    Messages are PHI-free (they carry status codes and OperationOutcome diagnostics only).
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status_code: int | None = None,
        outcome: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.outcome = outcome


class PasRejectedError(PasGatewayError, PayerRejectedError):
    """The payer (or its intermediary) refused the request: resending the same bytes won't help."""

    def __init__(
        self, message: str, *, status_code: int | None = None, outcome: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message, retryable=False, status_code=status_code, outcome=outcome)


class PasUnsupportedError(PasRejectedError):
    """A submission kind PAS has no message for (e.g. appeals, which go by letter or portal)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
