"""The payer directory's rules: code patterns, the most specific rule, "unknown", the entry's
validation, the peer-to-peer window, the letters' contacts and the Texas gold card."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from domain.case.vocabulary import AppealStatus
from domain.enums import ItemOutcome, Regime
from domain.errors import field_problems
from domain.models import Payer
from domain.payer_directory import (
    GoldCardDetermination,
    PaAnswer,
    PaRule,
    PayerEntry,
    PeerToPeerWindow,
    code_pattern,
    evaluate_pa,
    evaluation_period,
    gold_card_status,
    with_directory_contacts,
)
from tests.domain.payer_entries import APPEALS_ADDRESS, body, entry

MA = Regime.MEDICARE_ADVANTAGE
MEDICAID = Regime.MEDICAID_MANAGED_CARE
INSURED = Regime.STATE_INSURED


def rule(code: str, requirement: str = "required", **scope: Any) -> PaRule:
    return PaRule.model_validate({"code": code, "requirement": requirement, **scope})


def answer(rules: list[PaRule], code: str, regime: Regime | None = None, state: str | None = None):
    return evaluate_pa(rules, payer_id="BBH", code=code, regime=regime, state=state)


# ---------------------------------------------------------------- code patterns


@pytest.mark.parametrize(
    ("pattern", "inside", "outside"),
    [
        ("70551-70553", ["70551", "70552", "70553"], ["70550", "70554", "7055", "J0551"]),
        ("J0120-J0180", ["J0120", "J0150", "J0180"], ["J0119", "J0181", "K0150", "00150"]),
        ("0001F-0015F", ["0001F", "0015F"], ["0016F", "0001T", "00010"]),
        ("E0601", ["E0601"], ["E0600", "E06010"]),
        ("J*", ["J0120", "J9999"], ["K0120", "A4253"]),
        ("705*", ["70500", "70599"], ["70600", "17050"]),
        ("*", ["99213", "J1100", "0001F"], []),
    ],
)
def test_a_pattern_covers_exactly_its_codes(
    pattern: str, inside: list[str], outside: list[str]
) -> None:
    parsed = code_pattern(pattern)
    assert [code for code in inside if parsed.matches(code)] == inside
    assert [code for code in outside if parsed.matches(code)] == []


def test_patterns_are_spelled_one_way() -> None:
    assert rule(" 70551 - 70553 ").code == "70551-70553"
    assert rule("j*").code == "J*"
    assert rule("e0601").code == "E0601"
    assert rule("70551-70551").code == "70551"  # a range of one code is that code


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("70553-70551", "ends before it starts"),
        ("70551-J0553", "same kind"),
        ("12345*", "1 to 4 letters or digits"),
        ("J-*", "1 to 4 letters or digits"),
        ("7055", "is not a CPT code"),
        ("", "at least 1 character"),
    ],
)
def test_a_malformed_pattern_is_refused_naming_the_field(pattern: str, says: str) -> None:
    with pytest.raises(ValidationError) as raised:
        rule(pattern)
    [problem] = field_problems(raised.value)
    assert problem.field == "code"
    assert says in problem.message


# ---------------------------------------------------------------- the answer


def test_the_narrowest_code_pattern_wins() -> None:
    rules = [
        rule("J*", "required"),
        rule("J1000-J1200", "not_required"),
        rule("J1100", "required"),
        rule("*", "not_required"),
    ]
    assert answer(rules, "J1100").rule == rules[2]
    assert answer(rules, "J1150").rule == rules[1]
    assert answer(rules, "J1150").answer is PaAnswer.NOT_REQUIRED
    assert answer(rules, "J2000").rule == rules[0]
    assert answer(rules, "J2000").answer is PaAnswer.REQUIRED
    assert answer(rules, "99213").rule == rules[3]


def test_a_smaller_range_beats_a_larger_one_and_a_long_prefix_a_short_one() -> None:
    rules = [
        rule("70000-70999", "not_required"),
        rule("70551-70553", "required"),
        rule("7*", "not_required"),
        rule("705*", "required"),
    ]
    assert answer(rules, "70552").rule == rules[1]
    assert answer(rules, "70510").rule == rules[3]  # 705* (100 codes) is narrower than 1,000
    assert answer(rules, "70100").rule == rules[0]
    assert answer(rules, "71000").rule == rules[2]


def test_with_equal_codes_the_rule_naming_line_of_business_and_state_wins() -> None:
    rules = [
        rule("70551-70553", "required"),
        rule("70551-70553", "not_required", regime="medicaid_managed_care"),
        rule("70551-70553", "required", regime="medicaid_managed_care", state="TX"),
    ]
    assert answer(rules, "70552", INSURED, "TX").rule == rules[0]
    assert answer(rules, "70552", MEDICAID, "OK").rule == rules[1]
    assert answer(rules, "70552", MEDICAID, "OK").answer is PaAnswer.NOT_REQUIRED
    assert answer(rules, "70552", MEDICAID, "TX").rule == rules[2]
    assert answer(rules, "70552", MEDICAID, "TX").answer is PaAnswer.REQUIRED


def test_without_a_rule_the_answer_is_unknown_never_not_required() -> None:
    rules = [rule("70551-70553", "required"), rule("E0601", "not_required", regime="erisa_group")]
    for found in (answer(rules, "99213"), answer(rules, "E0601", MA), answer([], "70551")):
        assert found.answer is PaAnswer.UNKNOWN
        assert found.rule is None
        assert "does not mean that no prior authorization is needed" in found.explanation


def test_an_omitted_regime_or_state_that_would_decide_makes_it_unknown() -> None:
    rules = [
        rule("70551-70553", "required"),
        rule("70551-70553", "not_required", regime="medicaid_managed_care", state="TX"),
    ]
    no_regime = answer(rules, "70551", state="TX")
    assert (no_regime.answer, no_regime.depends_on) == (PaAnswer.UNKNOWN, ["regime"])
    no_state = answer(rules, "70551", MEDICAID)
    assert (no_state.answer, no_state.depends_on) == (PaAnswer.UNKNOWN, ["state"])
    neither = answer(rules, "70551")
    assert (neither.answer, neither.depends_on) == (PaAnswer.UNKNOWN, ["regime", "state"])
    assert "give the line of business (regime) and state" in neither.explanation
    # Omitted inputs that cannot change the answer do not matter.
    assert answer(rules, "70551", INSURED).answer is PaAnswer.REQUIRED
    assert answer(rules, "70551", INSURED).depends_on == []


def test_an_omitted_input_matters_also_between_a_rule_and_no_rule() -> None:
    rules = [rule("E0601", "required", regime="medicare_advantage")]
    found = answer(rules, "E0601")
    assert found.answer is PaAnswer.UNKNOWN and found.depends_on == ["regime"]
    assert answer(rules, "E0601", MA).answer is PaAnswer.REQUIRED


def test_equally_specific_rules_that_disagree_answer_required_and_name_the_conflict() -> None:
    rules = [
        rule("70551-70553", "not_required", regime="medicaid_managed_care"),
        rule("70551-70553", "required", state="TX"),
    ]
    found = answer(rules, "70552", MEDICAID, "TX")
    assert found.answer is PaAnswer.REQUIRED
    assert found.rule == rules[1]
    assert found.conflicting_rules == [rules[0]]
    assert "correct the directory" in found.explanation


def test_the_explanation_names_payer_code_scope_rule_and_note() -> None:
    found = evaluate_pa(entry().pa_rules, payer_id="BBH", code="j1100", regime=INSURED)
    assert found.code == "J1100"
    assert found.answer is PaAnswer.NOT_REQUIRED
    assert found.explanation.startswith(
        "BBH does not require prior authorization for J1100 under state_insured: rule J1100"
    )
    mri = evaluate_pa(entry().pa_rules, payer_id="BBH", code="70552", regime=INSURED, state="TX")
    assert '"MRI brain"' in mri.explanation


def test_a_code_that_is_not_cpt_or_hcpcs_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not a CPT code"):
        answer([rule("*")], "7055")


# ---------------------------------------------------------------- the entry


def entry_problems(**overrides: Any) -> list[tuple[str, str]]:
    with pytest.raises(ValidationError) as raised:
        PayerEntry.model_validate({"payer_id": "BBH", **body(**overrides)})
    return [(p.field, p.message) for p in field_problems(raised.value)]


def test_a_valid_entry_keeps_its_lines_and_rules_in_order() -> None:
    payer = entry()
    assert [line.regime for line in payer.lines] == [INSURED, MEDICAID, MA]
    line = payer.line(INSURED)
    assert line is not None and line.channel.kind == "clearinghouse"
    assert payer.line(Regime.ERISA_GROUP) is None
    assert [r.code for r in payer.pa_rules][:3] == ["70551-70553", "J*", "J1100"]


def test_entry_errors_name_the_field() -> None:
    lines = body()["lines"]
    assert entry_problems(lines=[lines[0], {**lines[1], "regime": "state_insured"}]) == [
        ("lines", "line 1 repeats line 0's regime state_insured (one line of business per regime)")
    ]
    [(field, message)] = entry_problems(
        pa_rules=[{"code": "E0601", "requirement": "required", "regime": "erisa_group"}]
    )
    assert field == "pa_rules" and "none of the payer's lines of business" in message
    twice = [{"code": "E0601", "requirement": "required"}] * 2
    assert entry_problems(pa_rules=twice) == [
        ("pa_rules", "rule 1 (E0601 (every line of business and state)) repeats rule 0")
    ]
    assert entry_problems(lines=[]) == [
        ("lines", "List should have at least 1 item after validation, not 0")
    ]
    fields = {
        field
        for field, _ in entry_problems(
            timezone="Mars/Olympus",
            naic_code="12",
            lines=[
                {
                    **lines[0],
                    "appeals_fax": "call us",
                    "channel": {"kind": "pas", "endpoint_url": "http://pas.example"},
                }
            ],
        )
    }
    assert fields == {
        "timezone",
        "naic_code",
        "lines.0.channel.pas.endpoint_url",
        "lines.0.appeals_fax",
    }


def test_a_channel_must_be_one_of_the_four_kinds() -> None:
    lines = body()["lines"]
    [(field, message)] = entry_problems(lines=[{**lines[0], "channel": {"kind": "pigeon"}}])
    assert field == "lines.0.channel"
    assert message.endswith("expected tags: 'pas', 'clearinghouse', 'portal', 'fax'")


# ---------------------------------------------------------------- peer to peer, letters


def test_the_peer_to_peer_window_reads_as_the_payer_states_it() -> None:
    window = PeerToPeerWindow.model_validate(
        {"amount": 14, "unit": "calendar_days", "counted_from": "denial_decision"}
    )
    assert window.description == "within 14 calendar days of the denial decision"
    one = PeerToPeerWindow(amount=1, unit="business_days", counted_from="denial_notice")
    assert one.description == "within 1 business day of the denial notice"


def test_letters_take_the_directory_contacts_only_where_the_request_has_none() -> None:
    line = entry().line(INSURED)
    assert line is not None
    bare = Payer(name="Bluebonnet Health Plan", payer_id="BBH", fax="(555) 010-0999")
    filled = with_directory_contacts(bare, line)
    assert filled.appeals_address == line.appeals_address
    assert (
        filled.appeals_address is not None
        and filled.appeals_address.line1 == APPEALS_ADDRESS["line1"]
    )
    assert filled.appeals_fax == "(555) 010-0151"
    assert filled.fax == bare.fax
    own = bare.model_copy(update={"appeals_fax": "(555) 010-0777"})
    assert with_directory_contacts(own, line).appeals_fax == "(555) 010-0777"
    assert with_directory_contacts(own, line).appeals_address == line.appeals_address


# ---------------------------------------------------------------- gold card

CHICAGO = "America/Chicago"
PERIOD = evaluation_period(date(2026, 12, 1))


def decided(
    outcome: ItemOutcome,
    day: date = date(2026, 6, 1),
    *,
    appeal: AppealStatus | None = None,
    appeal_day: date | None = None,
    n: int = 0,
) -> GoldCardDetermination:
    def noon(on: date) -> datetime:
        return datetime(on.year, on.month, on.day, 18, tzinfo=UTC)

    return GoldCardDetermination(
        case_id=f"case-{n}",
        sequence=1,
        outcome=outcome,
        decided_at=noon(day),
        appeal_status=appeal,
        appeal_decided_at=noon(appeal_day) if appeal_day else None,
    )


def status(items: list[GoldCardDetermination]):
    return gold_card_status(
        items, payer_id="BBH", npi="1234567893", code="70551", period=PERIOD, timezone=CHICAGO
    )


def test_the_evaluation_period_is_a_year_since_hb_3812_and_six_months_before() -> None:
    year = evaluation_period(date(2026, 12, 1))
    assert (year.start, year.end, year.months) == (date(2025, 12, 1), date(2026, 11, 30), 12)
    half = evaluation_period(date(2025, 7, 1))
    assert (half.start, half.end, half.months) == (date(2025, 1, 1), date(2025, 6, 30), 6)
    leap = evaluation_period(date(2025, 8, 31))
    assert leap.start == date(2025, 2, 28)  # no 31st in February


def test_ninety_percent_of_at_least_five_qualifies() -> None:
    nine_of_ten = [decided(ItemOutcome.APPROVED, n=i) for i in range(9)] + [
        decided(ItemOutcome.DENIED, n=9)
    ]
    found = status(nine_of_ten)
    assert (found.approved, found.eligible, found.ratio, found.qualifies) == (9, 10, 0.9, True)
    assert "qualifies" in found.explanation and "9 of 10 approved (90.0 %)" in found.explanation
    eight_of_ten = [*nine_of_ten[:8], decided(ItemOutcome.DENIED, n=8), nine_of_ten[9]]
    assert status(eight_of_ten).qualifies is False
    four = [decided(ItemOutcome.APPROVED, n=i) for i in range(4)]
    few = status(four)
    assert (few.eligible, few.ratio, few.qualifies) == (4, 1.0, False)
    assert "needs at least 5" in few.explanation


def test_only_an_approval_as_requested_counts_as_approved() -> None:
    items = [decided(ItemOutcome.APPROVED, n=0)] + [
        decided(outcome, n=i)
        for i, outcome in enumerate(
            [ItemOutcome.PARTIALLY_APPROVED, ItemOutcome.APPROVED_MODIFIED, ItemOutcome.DENIED],
            start=1,
        )
    ]
    assert (status(items).approved, status(items).eligible) == (1, 4)


def test_unfinished_and_non_determinations_are_not_eligible() -> None:
    items = [
        decided(outcome, n=i)
        for i, outcome in enumerate(
            [
                ItemOutcome.PENDED,
                ItemOutcome.NEEDS_HUMAN_REVIEW,
                ItemOutcome.NEEDS_MANUAL_FOLLOWUP,
                ItemOutcome.CANCELLED,
                ItemOutcome.NOT_REQUIRED,
            ]
        )
    ]
    assert status(items).eligible == 0


def test_the_period_is_counted_in_the_payers_days() -> None:
    first = PERIOD.start
    late_evening_before = datetime(first.year, first.month, first.day, 5, tzinfo=UTC)  # 23:00 CST
    inside = datetime(first.year, first.month, first.day, 7, tzinfo=UTC)  # 01:00 CST
    items = [
        GoldCardDetermination(
            case_id="a", sequence=1, outcome=ItemOutcome.APPROVED, decided_at=late_evening_before
        ),
        GoldCardDetermination(
            case_id="b", sequence=1, outcome=ItemOutcome.APPROVED, decided_at=inside
        ),
        decided(ItemOutcome.APPROVED, PERIOD.end, n=3),
        decided(ItemOutcome.APPROVED, PERIOD.end + timedelta(days=1), n=4),
    ]
    assert status(items).eligible == 2


def test_appeals_decide_the_final_outcome_and_pending_ones_are_left_out() -> None:
    denied = ItemOutcome.DENIED
    items = [
        decided(denied, n=1, appeal=AppealStatus.OVERTURNED, appeal_day=date(2026, 7, 1)),
        decided(denied, n=2, appeal=AppealStatus.PARTIALLY_OVERTURNED, appeal_day=date(2026, 7, 1)),
        decided(denied, n=3, appeal=AppealStatus.UPHELD, appeal_day=date(2026, 7, 1)),
        decided(denied, n=4, appeal=AppealStatus.SUBMITTED),
        decided(denied, n=5, appeal=AppealStatus.DRAFTING),
        decided(denied, n=6, appeal=AppealStatus.WITHDRAWN),
        # Denied before the period, overturned inside it: finalized inside.
        decided(
            denied,
            date(2025, 6, 1),
            n=7,
            appeal=AppealStatus.OVERTURNED,
            appeal_day=date(2026, 1, 5),
        ),
    ]
    found = status(items)
    assert (found.approved, found.eligible, found.pending_appeal) == (2, 5, 2)
