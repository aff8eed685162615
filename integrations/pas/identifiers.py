"""FHIR Identifiers as PAS messages carry them, and the system of priorauth's own case ids.

`PasIdentifier` is read from and written back to `Identifier` elements by the intake, the
response parser and the request builder. `CASE_IDENTIFIER_SYSTEM` is the system of the
`urn:priorauth:case|<case id>` identifier priorauth puts on the Claims it submits and on the
ClaimResponses it answers with, so later messages find their case.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from integrations.pas.fhir import JSON, text

CASE_IDENTIFIER_SYSTEM = "urn:priorauth:case"


class PasIdentifier(BaseModel):
    """One FHIR `Identifier` with a value (the system is optional)."""

    model_config = ConfigDict(frozen=True, hide_input_in_errors=True)

    system: str | None = None
    value: str

    @classmethod
    def from_fhir(cls, node: JSON | None) -> PasIdentifier | None:
        value = text(node, "value")
        return cls(system=text(node, "system"), value=value) if value else None

    def to_fhir(self) -> JSON:
        return (
            {"system": self.system, "value": self.value} if self.system else {"value": self.value}
        )
