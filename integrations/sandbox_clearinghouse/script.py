"""How the sandbox clearinghouse answers: a behaviour per member id (or per test header).

```yaml
default_behaviour: approve
pend_seconds: 5
rules:
  - member_contains: PENDDENY
    behaviour: pend_then_deny
    reason: Not medically necessary per policy MP-123
```

Member rules are tried in file order; the first match wins. A request carrying the header
`X-Sandbox-Behaviour: <behaviour>` gets that behaviour whatever its member (tests, drills).
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

BEHAVIOUR_HEADER = "X-Sandbox-Behaviour"


class ClearinghouseBehaviour(StrEnum):
    APPROVE = "approve"  # 278 response, HCR A1 with a certification number
    PEND_THEN_APPROVE = "pend_then_approve"  # A4 now; 999 A and the final A1 in the mailbox
    PEND_THEN_DENY = "pend_then_deny"  # A4 now; 999 A and the final A3 in the mailbox
    DENY = "deny"  # A3 with the reason code and the payer's words (MSG)
    AAA_REJECT = "aaa_reject"  # AAA at 2010C: subscriber not found, correct and resubmit
    REJECT_999 = "reject_999"  # a 999 rejecting the 278 (IK3/IK4 naming segment and element)
    TIMEOUT = "timeout"  # hold the POST for timeout_seconds (past the caller's limit)


PENDING = frozenset(
    {ClearinghouseBehaviour.PEND_THEN_APPROVE, ClearinghouseBehaviour.PEND_THEN_DENY}
)


class ClearinghouseRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_contains: str = Field(min_length=1)
    behaviour: ClearinghouseBehaviour
    reason_code: str = "0V"
    reason: str = "Not medically necessary under the plan's criteria"
    aaa_reason_code: str = "75"

    def matches(self, member_id: str | None) -> bool:
        return member_id is not None and self.member_contains.upper() in member_id.upper()


class ClearinghouseScript(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[ClearinghouseRule] = Field(default_factory=list)
    default_behaviour: ClearinghouseBehaviour = ClearinghouseBehaviour.APPROVE
    pend_seconds: float = Field(default=5.0, ge=0)
    timeout_seconds: float = Field(default=60.0, ge=0)
    authorized_days: int = Field(default=90, ge=1)
    # The CORE UsernameToken the sandbox accepts (priorauth dev sets the worker's to match).
    username: str = "priorauth"
    password: str = "sandbox"

    def rule_for(self, member_id: str | None) -> ClearinghouseRule:
        for rule in self.rules:
            if rule.matches(member_id):
                return rule
        return ClearinghouseRule(member_contains="*", behaviour=self.default_behaviour)

    @classmethod
    def default(cls) -> ClearinghouseScript:
        """Member ids containing PENDDENY pend then are denied, PEND pend then are approved,
        DENY are denied, AAA get an AAA rejection, REJECT999 a rejecting 999, TIMEOUT no
        answer in time; the demo members behave as `priorauth demo` expects; others approve."""
        deny = "Not medically necessary: conservative therapy not documented"
        return cls(
            rules=[
                ClearinghouseRule(
                    member_contains="PENDDENY",
                    behaviour=ClearinghouseBehaviour.PEND_THEN_DENY,
                    reason=deny,
                ),
                ClearinghouseRule(
                    member_contains="PEND", behaviour=ClearinghouseBehaviour.PEND_THEN_APPROVE
                ),
                ClearinghouseRule(
                    member_contains="DENY", behaviour=ClearinghouseBehaviour.DENY, reason=deny
                ),
                ClearinghouseRule(
                    member_contains="AAA", behaviour=ClearinghouseBehaviour.AAA_REJECT
                ),
                ClearinghouseRule(
                    member_contains="REJECT999", behaviour=ClearinghouseBehaviour.REJECT_999
                ),
                ClearinghouseRule(
                    member_contains="TIMEOUT", behaviour=ClearinghouseBehaviour.TIMEOUT
                ),
                ClearinghouseRule(
                    member_contains="DEMO-SILENT", behaviour=ClearinghouseBehaviour.TIMEOUT
                ),
            ]
        )

    @classmethod
    def from_file(cls, path: Path | str) -> ClearinghouseScript:
        """A `.json`, `.yaml` or `.yml` script."""
        file = Path(path)
        content = file.read_text(encoding="utf-8")
        data: Any
        if file.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(content)
        else:
            data = json.loads(content)
        return cls.model_validate(data or {})
