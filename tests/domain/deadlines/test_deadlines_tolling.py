"""ERISA/ACA tolling: the extension asked for with an information request and the claimant's
answer give one due moment, whichever event the question names.

29 CFR 2560.503-1(f)(2)(iii) makes the notice of extension for missing information describe
that information, and (f)(4) tolls the period from that notice until the claimant responds.
The engine's convention (A6): initial period + the 15-day extension + the calendar days from
the request's local date to the answer's local date. Expected moments are counted by hand.
"""

from typing import Any

import pytest

from domain.deadlines import DeadlineError, DeadlineQuery, DeadlineResult, compute_deadline

# Every way a caller may name the same question.
FORMS: list[dict[str, Any]] = [
    {"event": "pending_information_decision"},
    {"event": "pending_information_decision", "extension_taken": True},
    {"event": "extension", "base_event": "pending_information_decision"},
    {"event": "extension", "base_event": "initial_request_decision"},
    {"event": "initial_request_decision", "extension_taken": True},
    {"event": "initial_request_decision"},
]
FORM_IDS = ["pending", "pending+taken", "ext(pending)", "ext(initial)", "initial+taken", "initial"]

CHICAGO_CLAIM = {
    "regime": "erisa_group",
    "timezone": "America/Chicago",
    "received_at": "2026-02-20T10:00:00-06:00",
    "info_request_sent_at": "2026-03-06T09:00:00-06:00",
}


def run(fields: dict[str, Any]) -> DeadlineResult:
    return compute_deadline(DeadlineQuery.model_validate(fields))


def answers(fields: dict[str, Any]) -> list[DeadlineResult]:
    return [run({**fields, **form}) for form in FORMS]


def assert_one_answer(results: list[DeadlineResult], due: str, rule_id: str) -> None:
    for form, result in zip(FORM_IDS, results, strict=True):
        assert result.due_at.isoformat() == due, form
        assert result.rule_id == rule_id, form
    assert len({(r.rule, r.convention, r.explanation) for r in results}) == 1


def test_every_form_tolls_across_the_spring_forward() -> None:
    # Received Fri 20 Feb; asked Fri 6 Mar; answered Mon 9 Mar (after the change to CDT):
    # tolled 3 days. 20 Feb + 15 + 15 + 3 = +33: Feb 28 is +8, Wed 25 Mar is +33.
    results = answers({**CHICAGO_CLAIM, "claimant_response_at": "2026-03-09T16:00:00-05:00"})
    assert_one_answer(results, "2026-03-25T23:59:59-05:00", "erisa.claim.pre_service.tolled")
    assert results[0].rule == "29 CFR 2560.503-1(f)(2)(iii)(A), (f)(4)"
    assert results[0].convention == "calendar_days_end_of_day_local_tolled"
    assert "tolled for 3 days" in results[0].explanation
    assert all(any("notice of extension" in f for f in r.flags) for r in results)


@pytest.mark.parametrize(
    ("answered", "due"),
    [
        # Same local day as the request (23:59 CST): nothing tolled, 20 Feb + 30 = 22 Mar.
        ("2026-03-06T23:59:00-06:00", "2026-03-22T23:59:59-05:00"),
        # The same instant written in UTC is still 6 Mar in Chicago.
        ("2026-03-07T05:59:00+00:00", "2026-03-22T23:59:59-05:00"),
        # Two minutes later it is 7 Mar in Chicago: one day tolled.
        ("2026-03-07T00:01:00-06:00", "2026-03-23T23:59:59-05:00"),
    ],
)
def test_tolling_counts_local_dates_at_midnight(answered: str, due: str) -> None:
    results = answers({**CHICAGO_CLAIM, "claimant_response_at": answered})
    assert_one_answer(results, due, "erisa.claim.pre_service.tolled")


def test_post_service_claim_over_month_ends() -> None:
    # ACA post-service: received Sat 31 Jan, asked Tue 10 Feb, answered Sat 28 Feb: 18 days.
    # 31 Jan + 30 + 15 + 18 = +63: Feb 28 is +28, Mar 31 is +59, Sat 4 Apr is +63.
    results = answers(
        {
            "regime": "aca_individual",
            "timezone": "America/Chicago",
            "service_timing": "post_service",
            "received_at": "2026-01-31T12:00:00-06:00",
            "info_request_sent_at": "2026-02-10T12:00:00-06:00",
            "claimant_response_at": "2026-02-28T12:00:00-06:00",
        }
    )
    assert_one_answer(results, "2026-04-04T23:59:59-05:00", "aca.claim.post_service.tolled")
    assert "(f)(2)(iii)(B), (f)(4)" in results[0].rule


def test_an_answer_dated_before_the_request_tolls_nothing_and_says_so() -> None:
    results = answers({**CHICAGO_CLAIM, "claimant_response_at": "2026-03-05T09:00:00-06:00"})
    assert_one_answer(results, "2026-03-22T23:59:59-05:00", "erisa.claim.pre_service.tolled")
    assert all(any("before info_request_sent_at" in f for f in r.flags) for r in results)


def test_a_request_sent_after_the_initial_period_is_flagged_in_every_form() -> None:
    # Received 20 Feb: the 15 days end 7 Mar; asked 9 Mar, answered 12 Mar: 3 days tolled.
    results = answers(
        {
            **CHICAGO_CLAIM,
            "info_request_sent_at": "2026-03-09T09:00:00-05:00",
            "claimant_response_at": "2026-03-12T09:00:00-05:00",
        }
    )
    assert_one_answer(results, "2026-03-25T23:59:59-05:00", "erisa.claim.pre_service.tolled")
    assert all(any("after the initial period" in f for f in r.flags) for r in results)


@pytest.mark.parametrize("form", FORMS, ids=FORM_IDS)
def test_without_the_answer_every_form_names_claimant_response_at(form: dict[str, Any]) -> None:
    with pytest.raises(DeadlineError, match="missing input 'claimant_response_at'"):
        run({**CHICAGO_CLAIM, **form})


def test_urgent_claim_with_an_information_request_has_one_clock_and_no_extension() -> None:
    # Asked Fri 6 Mar 09:00 CST: 48 h minimum period ends Sun 8 Mar 10:00 CDT (DST), the
    # answer came Sat 7 Mar 12:00 CST, earlier: + 48 h = Mon 9 Mar 13:00 CDT.
    urgent = {
        **CHICAGO_CLAIM,
        "urgency": "expedited",
        "claimant_response_at": "2026-03-07T12:00:00-06:00",
    }
    named = [run({**urgent, **form}) for form in (FORMS[0], FORMS[5])]
    for result in named:
        assert result.due_at.isoformat() == "2026-03-09T13:00:00-05:00"
        assert result.rule_id == "erisa.claim.urgent.pending_information"
    for form in (FORMS[2], FORMS[3], FORMS[4]):
        with pytest.raises(DeadlineError, match="allows no extension"):
            run({**urgent, **form})


def test_texas_insured_forms_agree_and_leave_the_texas_clock_aside() -> None:
    results = answers(
        {
            **CHICAGO_CLAIM,
            "regime": "state_insured",
            "state": "TX",
            "claimant_response_at": "2026-03-09T16:00:00-05:00",
        }
    )
    assert_one_answer(results, "2026-03-25T23:59:59-05:00", "insured.claim.pre_service.tolled")
    assert all(
        any("Texas preauthorization clock not applied" in f for f in r.flags) for r in results
    )


def test_without_an_information_request_the_extension_is_not_tolled() -> None:
    # The plain 15 + 15 days: 20 Feb + 30 = Sun 22 Mar.
    result = run(
        {
            "regime": "erisa_group",
            "timezone": "America/Chicago",
            "received_at": "2026-02-20T10:00:00-06:00",
            "event": "extension",
            "base_event": "initial_request_decision",
        }
    )
    assert result.due_at.isoformat() == "2026-03-22T23:59:59-05:00"
    assert result.rule_id == "erisa.claim.pre_service.extended"
