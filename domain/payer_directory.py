"""The payer directory: who a payer is, how to reach it per line of business, what needs PA.

Payers are data, not code. One `PayerEntry` per payer: its ids, name and time zone, one
`LineOfBusiness` per regime (the channel requests go by, the appeals address and fax, the
peer-to-peer phone and the payer's window to ask for one) and the payer's prior-authorization
list as `PaRule`s. The store keeps entries (`store.payer_directory`); everything here is pure.

"Does this service need prior authorization?" (`evaluate_pa`): the rules whose code pattern
covers the code and whose line of business and state fit are candidates; the most specific one
decides: the narrowest code pattern first (one code, then the smallest range or the longest
prefix, then `*`), then the rule naming more of line of business and state. Without a rule the
answer is `unknown`, never "not required". Rules of equal specificity that disagree answer
`required` (and name the conflict). An omitted line of business or state whose value would
change the answer makes the answer `unknown`, saying which input is missing.

Gold card (Texas, Tex. Ins. Code ch. 4201 subch. N, added by HB 3459 (2021), amended by
HB 3812 (2025)): an HMO or insurer may not require preauthorization of a particular service
from a physician for whom it approved at least 90 % of the eligible preauthorization requests
for that service in the most recent evaluation period (4201.653(a)). The period is one year
for evaluations on or after September 1, 2025 (HB 3812), six months before. An evaluation
needs at least five eligible requests (28 TAC 19.1731(b)); a request is eligible when finalized
in the period and not pending appeal (28 TAC 19.1730(3)); physicians are identified by the NPI
they request under (28 TAC 19.1731(a)). The subchapter applies to Texas HMO plans and
PPO/EPO plans of insurers, not to Medicaid or CHIP (4201.652), nor to Medicare or self-funded
ERISA plans, which Texas does not regulate: here, coverage of regime `state_insured` or
`aca_individual` in Texas. `gold_card_status` computes the ratio from our own cases.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from domain import limits
from domain.case.vocabulary import AppealStatus
from domain.codes import normalize_procedure_code
from domain.enums import ItemOutcome, Regime
from domain.models import Address, Payer, StateCode, TimeZoneName
from domain.peer_to_peer import PeerToPeerWindow

PAYER_ID_PATTERN = rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{limits.SHORT_TEXT - 1}}}$"
DirectoryPayerId = Annotated[
    str, Field(min_length=1, max_length=limits.SHORT_TEXT, pattern=PAYER_ID_PATTERN)
]
Phone = Annotated[
    str,
    Field(
        max_length=limits.PHONE,
        pattern=r"^\+?[0-9(][0-9 ().-]{5,30}[0-9]( *(x|ext\.?) *[0-9]{1,6})?$",
        description="A phone or fax number, e.g. (555) 010-0199 or +1 555 010 0199 ext. 12",
    ),
]
ElectronicPayerId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=limits.ELECTRONIC_PAYER_ID,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$",
    ),
]
# https, or http on loopback only (the sandbox payer under `make run`).
WebAddress = Annotated[
    str,
    Field(
        max_length=limits.LONG_TEXT,
        pattern=r"^(https://[^\s/?#]+|http://(localhost|127\.0\.0\.1)(:[0-9]{1,5})?)([/?#]\S*)?$",
        description="An https URL (http only on localhost / 127.0.0.1)",
    ),
]
DirectoryState = Annotated[StateCode, Field(max_length=2)]
DirectoryTimeZone = Annotated[TimeZoneName, Field(max_length=limits.TIMEZONE)]
Note = Annotated[str, Field(min_length=1, max_length=limits.LONG_TEXT)]


class DirectoryModel(BaseModel):
    """Base of the directory's models: unknown fields are errors, strings are trimmed."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)


# ---------------------------------------------------------------- channels


class ChannelKind(StrEnum):
    """How requests reach the payer on a line of business."""

    PAS = "pas"  # Da Vinci PAS (FHIR) endpoint
    CLEARINGHOUSE = "clearinghouse"  # X12 278 through a clearinghouse
    PORTAL = "portal"  # the payer's web portal, by hand
    FAX = "fax"  # fax only


class PasChannel(DirectoryModel):
    kind: Literal["pas"] = "pas"
    endpoint_url: WebAddress = Field(description="The payer's PAS base URL (Claim/$submit)")


class ClearinghouseChannel(DirectoryModel):
    kind: Literal["clearinghouse"] = "clearinghouse"
    clearinghouse: limits.ShortText = Field(description="The clearinghouse's name")
    payer_id: ElectronicPayerId = Field(description="The payer's id at that clearinghouse")


class PortalChannel(DirectoryModel):
    kind: Literal["portal"] = "portal"
    url: WebAddress


class FaxChannel(DirectoryModel):
    kind: Literal["fax"] = "fax"
    fax: Phone


Channel = Annotated[
    PasChannel | ClearinghouseChannel | PortalChannel | FaxChannel, Field(discriminator="kind")
]


# ---------------------------------------------------------------- peer to peer


# ---------------------------------------------------------------- lines of business


class LineOfBusiness(DirectoryModel):
    """The payer on one regime: channel, electronic id, appeals and peer-to-peer contacts."""

    regime: Regime
    channel: Channel
    x12_payer_id: ElectronicPayerId | None = Field(
        default=None, description="The payer's id in an X12 278 (NM1*PR), when it has one"
    )
    appeals_address: Address | None = None
    appeals_fax: Phone | None = None
    peer_to_peer_phone: Phone | None = None
    peer_to_peer_window: PeerToPeerWindow | None = None


# ---------------------------------------------------------------- PA rules


class PaRequirementKind(StrEnum):
    """What a rule says."""

    REQUIRED = "required"
    NOT_REQUIRED = "not_required"


class PaAnswer(StrEnum):
    """What the directory answers: a rule's requirement, or unknown."""

    REQUIRED = "required"
    NOT_REQUIRED = "not_required"
    UNKNOWN = "unknown"


ANY_CODE = "*"
ANY_CODE_BREADTH = 10**6  # wider than any pattern naming a code


def _shape(code: str) -> tuple[str, str]:
    """Codes compare within one shape: 5 digits, a HCPCS letter + 4 digits, 4 digits + F/T/U."""
    return (code[0] if code[0].isalpha() else "#", code[-1] if code[-1].isalpha() else "#")


def _number(code: str) -> int:
    return int("".join(ch for ch in code if ch.isdigit()))


@dataclass(frozen=True)
class CodePattern:
    """A rule's codes: one code (`E0601`), an inclusive range (`70551-70553`), a prefix
    (`J*`, `J07*`) or every code (`*`). `text` is the canonical spelling."""

    text: str
    kind: Literal["code", "range", "prefix", "any"]
    low: str = ""
    high: str = ""

    @property
    def breadth(self) -> int:
        """How many codes the pattern can cover (the smaller, the more specific)."""
        if self.kind == "code":
            return 1
        if self.kind == "range":
            return _number(self.high) - _number(self.low) + 1
        if self.kind == "prefix":
            return int(10 ** (5 - len(self.low)))
        return ANY_CODE_BREADTH

    def matches(self, code: str) -> bool:
        if self.kind == "code":
            return code == self.low
        if self.kind == "range":
            return _shape(code) == _shape(self.low) and self.low <= code <= self.high
        if self.kind == "prefix":
            return code.startswith(self.low)
        return True


@lru_cache(maxsize=16_384)
def code_pattern(value: str) -> CodePattern:
    """Parse a rule's code pattern; a ValueError says what is wrong with it."""
    text = "".join(value.split()).upper()
    if text == ANY_CODE:
        return CodePattern(ANY_CODE, "any")
    if text.endswith("*"):
        prefix = text[:-1]
        if not (1 <= len(prefix) <= 4 and prefix.isalnum() and prefix.isascii()):
            raise ValueError(
                f"'{value}': a prefix is 1 to 4 letters or digits followed by * (J*, J07*, 705*)"
            )
        return CodePattern(f"{prefix}*", "prefix", prefix)
    if "-" in text:
        low_text, _, high_text = text.partition("-")
        low = normalize_procedure_code(low_text)
        high = normalize_procedure_code(high_text)
        if _shape(low) != _shape(high):
            raise ValueError(
                f"'{value}': a range's ends must be codes of the same kind "
                "(70551-70553, J0120-J0180)"
            )
        if high < low:
            raise ValueError(f"'{value}': the range ends before it starts")
        if low == high:
            return CodePattern(low, "code", low, low)
        return CodePattern(f"{low}-{high}", "range", low, high)
    code = normalize_procedure_code(text)
    return CodePattern(code, "code", code, code)


class PaRule(DirectoryModel):
    """One line of a payer's prior-authorization list: codes, where it applies, what it says.

    `regime` and `state` left out mean "every line of business" and "every state"."""

    code: Annotated[
        str,
        Field(
            min_length=1,
            max_length=limits.CODE_PATTERN,
            description="One code (E0601), a range (70551-70553), a prefix (J*) or * (any code)",
        ),
    ]
    requirement: PaRequirementKind
    regime: Regime | None = None
    state: DirectoryState | None = None
    note: Note | None = Field(default=None, description="Where the rule comes from, conditions")

    @field_validator("code")
    @classmethod
    def _canonical_code(cls, value: str) -> str:
        return code_pattern(value).text

    @property
    def pattern(self) -> CodePattern:
        return code_pattern(self.code)

    @property
    def scope_size(self) -> int:
        return (self.regime is not None) + (self.state is not None)

    @property
    def specificity(self) -> tuple[int, int]:
        """Sort key: the smaller, the more specific (narrow codes first, then scope)."""
        return (self.pattern.breadth, -self.scope_size)

    def applies(self, code: str, regime: Regime | None, state: str | None) -> bool:
        return (
            (self.regime is None or self.regime == regime)
            and (self.state is None or self.state == state)
            and self.pattern.matches(code)
        )

    @property
    def label(self) -> str:
        scope = ", ".join(
            part for part in (self.regime.value if self.regime else None, self.state) if part
        )
        return f"{self.code} ({scope or 'every line of business and state'})"


class PaRequirement(BaseModel):
    """The directory's answer to "does this service need prior authorization?"."""

    model_config = ConfigDict(frozen=True)

    payer_id: str
    code: str
    regime: Regime | None
    state: str | None
    answer: PaAnswer
    rule: PaRule | None = Field(default=None, description="The rule that decides, if any")
    conflicting_rules: list[PaRule] = Field(
        default_factory=list, description="Rules as specific as `rule` that say otherwise"
    )
    depends_on: list[Literal["regime", "state"]] = Field(
        default_factory=list, description="Inputs that were not given and would decide"
    )
    explanation: str


# ---------------------------------------------------------------- the payer


class PayerEntryBody(DirectoryModel):
    """A payer's directory entry as an administrator writes it (the payer id is the URL's)."""

    name: limits.ShortText
    naic_code: Annotated[str | None, Field(max_length=limits.NAIC_CODE, pattern=r"^\d{5}$")] = None
    timezone: DirectoryTimeZone = "America/New_York"
    lines: Annotated[list[LineOfBusiness], Field(min_length=1, max_length=len(Regime))]
    pa_rules: Annotated[list[PaRule], Field(max_length=5_000)] = Field(default_factory=list)

    @field_validator("lines")
    @classmethod
    def _one_line_per_regime(cls, lines: list[LineOfBusiness]) -> list[LineOfBusiness]:
        seen: dict[Regime, int] = {}
        for index, line in enumerate(lines):
            if line.regime in seen:
                raise ValueError(
                    f"line {index} repeats line {seen[line.regime]}'s regime {line.regime.value} "
                    "(one line of business per regime)"
                )
            seen[line.regime] = index
        return lines

    @field_validator("pa_rules")
    @classmethod
    def _rules_consistent(cls, rules: list[PaRule], info: ValidationInfo) -> list[PaRule]:
        lines = info.data.get("lines") or []
        regimes = {line.regime for line in lines}
        seen: dict[tuple[str, Regime | None, str | None], int] = {}
        for index, rule in enumerate(rules):
            if lines and rule.regime is not None and rule.regime not in regimes:
                raise ValueError(
                    f"rule {index} ({rule.label}) names regime {rule.regime.value}, "
                    "which is none of the payer's lines of business"
                )
            key = (rule.code, rule.regime, rule.state)
            if key in seen:
                raise ValueError(f"rule {index} ({rule.label}) repeats rule {seen[key]}")
            seen[key] = index
        return rules

    def line(self, regime: Regime) -> LineOfBusiness | None:
        return next((line for line in self.lines if line.regime == regime), None)


class PayerEntry(PayerEntryBody):
    payer_id: DirectoryPayerId


class PayerRecord(PayerEntry):
    """A stored entry: who changed it last, and when."""

    updated_at: AwareDatetime
    updated_by: str


class PayerFile(DirectoryModel):
    """An import file (`priorauth payer import`, deploy/payers.seed.yaml): `payers: [...]`."""

    payers: list[PayerEntry]

    @field_validator("payers")
    @classmethod
    def _one_entry_per_payer(cls, payers: list[PayerEntry]) -> list[PayerEntry]:
        seen: dict[str, int] = {}
        for index, entry in enumerate(payers):
            if entry.payer_id in seen:
                raise ValueError(
                    f"entry {index} repeats entry {seen[entry.payer_id]}'s payer_id "
                    f"{entry.payer_id}"
                )
            seen[entry.payer_id] = index
        return payers


class LineSummary(BaseModel):
    regime: Regime
    channel: ChannelKind


class PayerSummary(BaseModel):
    """One payer of the directory listing."""

    payer_id: str
    name: str
    naic_code: str | None
    timezone: str
    lines: list[LineSummary]
    rule_count: int
    updated_at: AwareDatetime


# ---------------------------------------------------------------- the answer


def evaluate_pa(
    rules: Sequence[PaRule],
    *,
    payer_id: str,
    code: str,
    regime: Regime | None = None,
    state: str | None = None,
) -> PaRequirement:
    """Whether `code` needs prior authorization under `rules` (see the module docstring).

    `code` must be a CPT or HCPCS code (a ValueError says why not)."""
    code = normalize_procedure_code(code)
    candidates = [rule for rule in rules if rule.pattern.matches(code)]
    # A missing input is tried with every value a candidate rule names, and with "another".
    regimes: list[Regime | None] = (
        [regime] if regime else [None, *sorted({r.regime for r in candidates if r.regime})]
    )
    states: list[str | None] = (
        [state] if state else [None, *sorted({r.state for r in candidates if r.state})]
    )
    outcomes = {
        (each_regime, each_state): _decide(candidates, code, each_regime, each_state)
        for each_regime in regimes
        for each_state in states
    }
    answers = {answer for answer, _, _ in outcomes.values()}
    facts = dict(payer_id=payer_id, code=code, regime=regime, state=state)
    where = _where(regime, state)
    if len(answers) > 1:
        # Some input varies the answer while the other stays put (one of the two always does).
        depends: list[Literal["regime", "state"]] = []
        if any(len({outcomes[r, s][0] for r in regimes}) > 1 for s in states):
            depends.append("regime")
        if any(len({outcomes[r, s][0] for s in states}) > 1 for r in regimes):
            depends.append("state")
        named = " and ".join("line of business (regime)" if d == "regime" else d for d in depends)
        return PaRequirement(
            **facts,
            answer=PaAnswer.UNKNOWN,
            depends_on=depends,
            explanation=(
                f"{payer_id}'s rules for {code}{where} differ by {named}: give the {named} to "
                "get an answer."
            ),
        )
    answer = answers.pop()
    _, rule, conflicts = outcomes[regimes[0], states[0]]
    if answer is PaAnswer.UNKNOWN or rule is None:
        return PaRequirement(
            **facts,
            answer=PaAnswer.UNKNOWN,
            explanation=(
                f"The directory has no rule of {payer_id} for {code}{where}: ask the payer. "
                "A missing rule does not mean that no prior authorization is needed."
            ),
        )
    said = "requires" if answer is PaAnswer.REQUIRED else "does not require"
    explanation = f"{payer_id} {said} prior authorization for {code}{where}: rule {rule.label}"
    explanation += f', "{rule.note}".' if rule.note else "."
    if conflicts:
        others = "; ".join(other.label for other in conflicts)
        explanation += (
            f" Rules as specific disagree ({others}): answered 'required' to be safe; correct "
            "the directory."
        )
    return PaRequirement(
        **facts, answer=answer, rule=rule, conflicting_rules=conflicts, explanation=explanation
    )


def _decide(
    candidates: Iterable[PaRule], code: str, regime: Regime | None, state: str | None
) -> tuple[PaAnswer, PaRule | None, list[PaRule]]:
    applicable = [rule for rule in candidates if rule.applies(code, regime, state)]
    if not applicable:
        return PaAnswer.UNKNOWN, None, []
    best = min(rule.specificity for rule in applicable)
    tied = [rule for rule in applicable if rule.specificity == best]
    required = [rule for rule in tied if rule.requirement is PaRequirementKind.REQUIRED]
    if required and len(required) < len(tied):
        conflicts = [rule for rule in tied if rule.requirement is not PaRequirementKind.REQUIRED]
        return PaAnswer.REQUIRED, required[0], conflicts
    return PaAnswer(tied[0].requirement.value), tied[0], []


def _where(regime: Regime | None, state: str | None) -> str:
    parts = [f"under {regime.value}" if regime else "", f"in {state}" if state else ""]
    text = " ".join(part for part in parts if part)
    return f" {text}" if text else ""


# ---------------------------------------------------------------- letters


def with_directory_contacts(payer: Payer, line: LineOfBusiness) -> Payer:
    """The case's payer with the directory's appeals address and fax where the request has
    none (what the request names always wins)."""
    update: dict[str, object] = {}
    if payer.appeals_address is None and line.appeals_address is not None:
        update["appeals_address"] = line.appeals_address
    if not payer.appeals_fax and line.appeals_fax:
        update["appeals_fax"] = line.appeals_fax
    return payer.model_copy(update=update) if update else payer


# ---------------------------------------------------------------- gold card

GOLD_CARD_STATE = "TX"
GOLD_CARD_REGIMES = frozenset({Regime.STATE_INSURED, Regime.ACA_INDIVIDUAL})
GOLD_CARD_PERCENT = 90
GOLD_CARD_MINIMUM_REQUESTS = 5  # 28 TAC 19.1731(b)
HB_3812_EVALUATIONS_FROM = date(2025, 9, 1)  # one-year periods from then on, six months before
GOLD_CARD_RULE = (
    "Tex. Ins. Code 4201.653 (HB 3459, 2021; HB 3812, 2025): at least 90 % of the eligible "
    "preauthorization requests for the service approved in the most recent evaluation period; "
    "28 TAC 19.1730-19.1731 (eligible requests, at least five, physician by NPI)"
)
FINAL_DETERMINATIONS = frozenset(
    {
        ItemOutcome.APPROVED,
        ItemOutcome.PARTIALLY_APPROVED,
        ItemOutcome.APPROVED_MODIFIED,
        ItemOutcome.DENIED,
    }
)
PENDING_APPEAL = frozenset(
    {AppealStatus.DRAFTING, AppealStatus.AWAITING_SIGNOFF, AppealStatus.SUBMITTED}
)
DECIDED_APPEAL = frozenset(
    {AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED, AppealStatus.UPHELD}
)


class EvaluationPeriod(BaseModel):
    """The evaluation period, first and last day inclusive (in the payer's time zone)."""

    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    months: int


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def evaluation_period(as_of: date) -> EvaluationPeriod:
    """The period an evaluation on `as_of` looks at: the year (six months before September 1,
    2025) that ends the day before."""
    months = 12 if as_of >= HB_3812_EVALUATIONS_FROM else 6
    return EvaluationPeriod(
        start=_months_before(as_of, months), end=as_of - timedelta(days=1), months=months
    )


class GoldCardDetermination(BaseModel):
    """What the store knows of one request (a service line of a case) for the gold card: the
    payer's latest item decision and the latest appeal that covers the line."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    sequence: int
    outcome: ItemOutcome
    decided_at: AwareDatetime
    appeal_status: AppealStatus | None = None
    appeal_decided_at: AwareDatetime | None = None


class GoldCardStatus(BaseModel):
    """A physician's standing for one service at one payer, from our own cases."""

    payer_id: str
    npi: str
    code: str
    period: EvaluationPeriod
    approved: int = Field(description="Eligible requests approved as requested")
    eligible: int = Field(description="Requests finalized in the period and not pending appeal")
    pending_appeal: int = Field(description="Requests left out: an appeal is pending")
    ratio: float | None = Field(description="approved / eligible; null without eligible requests")
    qualifies: bool
    threshold_percent: int = GOLD_CARD_PERCENT
    minimum_requests: int = GOLD_CARD_MINIMUM_REQUESTS
    counted: str = Field(
        description="Which of our cases are counted (the plans the Texas law covers)"
    )
    rule: str = GOLD_CARD_RULE
    explanation: str


def gold_card_status(
    determinations: Iterable[GoldCardDetermination],
    *,
    payer_id: str,
    npi: str,
    code: str,
    period: EvaluationPeriod,
    timezone: str,
) -> GoldCardStatus:
    """Count the eligible requests of the period and whether the physician qualifies.

    A request is finalized by the payer's latest decision on the line when it is approved,
    partially approved, approved with modification or denied, or by the appeal decided on it
    (overturned: approved; partially overturned or upheld: not). Only "approved" as requested
    (X12 A1, or a full overturn) counts as approved; cancelled, pended and "not required"
    lines are not preauthorization determinations. Days are the payer's (`timezone`).
    """
    zone = ZoneInfo(timezone)
    approved = eligible = pending = 0
    for item in determinations:
        appeal = item.appeal_status
        if appeal in PENDING_APPEAL:
            if _within(item.decided_at, period, zone):
                pending += 1
            continue
        if appeal in DECIDED_APPEAL and item.appeal_decided_at is not None:
            finalized_at = item.appeal_decided_at
            ok = appeal is AppealStatus.OVERTURNED
        elif item.outcome in FINAL_DETERMINATIONS:
            finalized_at, ok = item.decided_at, item.outcome is ItemOutcome.APPROVED
        else:
            continue
        if _within(finalized_at, period, zone):
            eligible += 1
            approved += ok
    ratio = approved / eligible if eligible else None
    enough = eligible >= GOLD_CARD_MINIMUM_REQUESTS
    qualifies = enough and approved * 100 >= GOLD_CARD_PERCENT * eligible
    span = f"{period.start.isoformat()} to {period.end.isoformat()}"
    if not enough:
        why = (
            f"{eligible} eligible request(s) from {span}; an evaluation needs at least "
            f"{GOLD_CARD_MINIMUM_REQUESTS}"
        )
    else:
        share = f"{approved} of {eligible} approved ({100 * approved / eligible:.1f} %)"
        verdict = "at least" if qualifies else "below"
        why = f"{share} from {span}: {verdict} {GOLD_CARD_PERCENT} %"
    who = f"NPI {npi} for {code} at {payer_id}"
    explanation = (
        f"{who} {'qualifies' if qualifies else 'does not qualify'} for a preauthorization "
        f"exemption: {why}."
    )
    return GoldCardStatus(
        payer_id=payer_id,
        npi=npi,
        code=code,
        period=period,
        approved=approved,
        eligible=eligible,
        pending_appeal=pending,
        ratio=ratio,
        qualifies=qualifies,
        counted=(
            f"cases at {payer_id} of regime "
            + " or ".join(sorted(r.value for r in GOLD_CARD_REGIMES))
            + f" in {GOLD_CARD_STATE} (Texas HMO and insurer plans; 4201.652), requested under "
            "this NPI, one request per service line with this code"
        ),
        explanation=explanation,
    )


def _within(moment: datetime, period: EvaluationPeriod, zone: ZoneInfo) -> bool:
    return period.start <= moment.astimezone(zone).date() <= period.end
