"""The state shared while a checked PAS request bundle is mapped to a case request.

`MappingContext` holds the entries the PAS rule check resolved (Claim, Patient, insurer,
requesting provider, Coverage), the caller's plan mappings, and the gaps (what a case cannot
hold) and warnings (what was doubtful) found so far. The mapping modules (`intake_parties`,
`intake_items`, `intake_diagnoses`, `intake_case`) read from it and add to it, so nothing fails
half-way: every problem of a bundle is reported at once. Also the two small readers they share.
"""

from __future__ import annotations

from pydantic import ValidationError

from domain.errors import field_problems
from integrations.pas.errors import IssueCode, PasIssue
from integrations.pas.fhir import JSON, first_coding, parse_date, text
from integrations.pas.intake_models import PayerPlanMappings
from integrations.pas.intake_rules import CheckedBundle


class MappingContext:
    """A checked PAS bundle being mapped to a `PasIntake`, collecting gaps instead of failing."""

    def __init__(self, bundle: JSON, checked: CheckedBundle, plans: PayerPlanMappings) -> None:
        assert checked.index is not None and checked.claim is not None
        assert checked.patient is not None and checked.insurer is not None
        assert checked.provider is not None
        self.bundle = bundle
        self.index = checked.index
        self.claim = checked.claim
        self.patient = checked.patient
        self.insurer = checked.insurer
        self.provider_entry = checked.provider
        self.coverage = checked.coverage
        self.kind = checked.kind
        self.plans = plans
        self.gaps: list[PasIssue] = []
        self.warnings: list[PasIssue] = [i for i in checked.issues if not i.is_error]
        # Claim.item positions whose only service date is partial (a year or a month).
        self.partial_dates: set[int] = set()

    def gap(self, code: IssueCode, diagnostics: str, expression: str | None) -> None:
        self.gaps.append(PasIssue(code=code, diagnostics=diagnostics, expression=expression))

    def warn(self, code: IssueCode, diagnostics: str, expression: str | None) -> None:
        self.warnings.append(
            PasIssue(severity="warning", code=code, diagnostics=diagnostics, expression=expression)
        )

    def domain_problems(self, exc: ValidationError, where: str, expression: str) -> None:
        """A domain model refused what the bundle said: one gap per field problem."""
        for problem in field_problems(exc):
            self.gap("business-rule", f"{where}: {problem.field}: {problem.message}", expression)


def concept_label(concept: JSON | None) -> str | None:
    """A CodeableConcept's text, else the display of its first coding."""
    coding = first_coding(concept)
    return text(concept, "text") or (coding.display if coding else None)


def partial_date(*values: object) -> bool:
    """Whether a date (or a period's start/end) is present but not a full YYYY-MM-DD date."""
    for value in values:
        if isinstance(value, dict):
            if partial_date(value.get("start"), value.get("end")):
                return True
        elif isinstance(value, str) and value.strip() and parse_date(value) is None:
            return True
    return False
