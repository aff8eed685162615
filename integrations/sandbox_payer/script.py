"""How the sandbox payer answers: rules per service code prefix or member id, from JSON/YAML.

```yaml
default_behaviour: approve
pend_seconds: 5
rules:
  - member_contains: NEVER       # member ids containing NEVER: A4 and never a notification
    behaviour: never_answer
  - code_prefix: "97110"
    behaviour: pend_then_approve
  - code_prefix: E0601
    behaviour: deny
    reason: Not medically necessary per policy MP-123
```

Member rules are tried before code rules, each group in file order; the first match wins.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

# The payer id the sandbox's webhook secret is registered under (`priorauth dev`). In dev and
# test only, a message signed by it may reach any payer's case: the sandbox plays every payer.
SANDBOX_PAYER_ID = "SANDBOX"


class SandboxBehaviour(StrEnum):
    APPROVE = "approve"  # A1, authorization number and period
    DENY = "deny"  # A3, reason code and processNote
    PARTIAL = "partial"  # A2, fewer units
    MODIFIED = "modified"  # A6 and an addItem with what was authorized
    PEND_THEN_APPROVE = "pend_then_approve"  # A4 now, A1 by notification later
    PEND_THEN_DENY = "pend_then_deny"  # A4 now, A3 by notification later
    NEVER_ANSWER = "never_answer"  # A4 now, no notification ever
    HOLD = "hold"  # keep the HTTP request open for hold_seconds, then A4


PENDING_BEHAVIOURS = frozenset(
    {SandboxBehaviour.PEND_THEN_APPROVE, SandboxBehaviour.PEND_THEN_DENY}
)


class SandboxRule(BaseModel):
    """One rule: which requests it matches and how the payer answers them."""

    model_config = ConfigDict(extra="forbid")

    code_prefix: str | None = None
    member_contains: str | None = None
    behaviour: SandboxBehaviour
    reason_code: str = "MN"
    reason: str = "Not medically necessary under the plan's criteria"
    partial_units: int | None = Field(default=None, ge=1)
    modified_code: str | None = None
    modified_units: int | None = Field(default=None, ge=1)
    modified_days: int | None = Field(default=None, ge=1)
    modification_note: str = "Approved with changes: a shorter authorization window"
    pend_seconds: float | None = Field(default=None, ge=0)
    information_requested: list[str] = Field(
        default_factory=lambda: ["Recent clinical notes (LOINC 11506-3)"]
    )
    # Fault drills: the payer decides a pended request but its notification never leaves
    # (a lost rest-hook message); only `$inquire` can tell the decision.
    drop_notification: bool = False

    @model_validator(mode="after")
    def _one_match(self) -> Self:
        if (self.code_prefix is None) == (self.member_contains is None):
            raise ValueError("a rule matches either code_prefix or member_contains (exactly one)")
        return self

    def matches(self, member_id: str | None, code: str) -> bool:
        if self.member_contains is not None:
            return member_id is not None and self.member_contains.upper() in member_id.upper()
        assert self.code_prefix is not None
        return code.strip().upper().startswith(self.code_prefix.strip().upper())


class SandboxScript(BaseModel):
    """The sandbox payer's whole script."""

    model_config = ConfigDict(extra="forbid")

    rules: list[SandboxRule] = Field(default_factory=list)
    default_behaviour: SandboxBehaviour = SandboxBehaviour.APPROVE
    pend_seconds: float = Field(default=5.0, ge=0)
    hold_seconds: float = Field(default=60.0, ge=0)
    authorized_days: int = Field(default=90, ge=1)
    subscription_url: str = "http://sandbox-payer.local/fhir/Subscription/priorauth"
    webhook_secret: str | None = None

    def rule_for(self, member_id: str | None, code: str) -> SandboxRule:
        member_rules = [r for r in self.rules if r.member_contains is not None]
        code_rules = [r for r in self.rules if r.code_prefix is not None]
        for rule in [*member_rules, *code_rules]:
            if rule.matches(member_id, code):
                return rule
        return SandboxRule(code_prefix="", behaviour=self.default_behaviour)

    @classmethod
    def default(cls) -> SandboxScript:
        """Codes 2744* approve, 97110 pends then approves, E0601 is denied, J-codes are
        partially approved, 7214* are modified, member ids containing NEVER never hear back;
        the demo members behave as `priorauth demo` expects."""
        return cls(
            rules=[
                SandboxRule(member_contains="NEVER", behaviour=SandboxBehaviour.NEVER_ANSWER),
                # The members of `priorauth demo` (integrations.simulated_payer.DEMO_SCRIPTS).
                SandboxRule(member_contains="DEMO-APPROVE", behaviour=SandboxBehaviour.APPROVE),
                SandboxRule(
                    member_contains="DEMO-PEND", behaviour=SandboxBehaviour.PEND_THEN_APPROVE
                ),
                SandboxRule(
                    member_contains="DEMO-DENY",
                    behaviour=SandboxBehaviour.DENY,
                    reason="Not medically necessary: conservative therapy not documented",
                ),
                SandboxRule(member_contains="DEMO-SILENT", behaviour=SandboxBehaviour.NEVER_ANSWER),
                SandboxRule(code_prefix="2744", behaviour=SandboxBehaviour.APPROVE),
                SandboxRule(code_prefix="97110", behaviour=SandboxBehaviour.PEND_THEN_APPROVE),
                SandboxRule(
                    code_prefix="E0601",
                    behaviour=SandboxBehaviour.DENY,
                    reason="Not medically necessary per policy MP-123",
                ),
                SandboxRule(code_prefix="J", behaviour=SandboxBehaviour.PARTIAL),
                SandboxRule(
                    code_prefix="7214",
                    behaviour=SandboxBehaviour.MODIFIED,
                    modified_days=30,
                    modification_note="Approved for 30 days at a freestanding imaging center",
                ),
            ]
        )

    @classmethod
    def from_text(cls, content: str, *, yaml: bool = False) -> SandboxScript:
        data: Any
        if yaml:
            try:
                import yaml as pyyaml
            except ImportError as exc:  # pyyaml is a dev extra, not a runtime dependency
                raise RuntimeError(
                    "reading a YAML sandbox script needs PyYAML (pip install pyyaml); "
                    "or write the script as JSON"
                ) from exc
            data = pyyaml.safe_load(content)
        else:
            data = json.loads(content)
        return cls.model_validate(data or {})

    @classmethod
    def from_file(cls, path: Path | str) -> SandboxScript:
        """Load a script from a `.json`, `.yaml` or `.yml` file."""
        file = Path(path)
        return cls.from_text(
            file.read_text(encoding="utf-8"), yaml=file.suffix.lower() in (".yaml", ".yml")
        )
