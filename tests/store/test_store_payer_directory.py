"""The payer directory in the store (SQLite and PostgreSQL): entries written whole and replaced
whole, "does this need PA?" from stored rules, the letters' appeals contacts, and the gold card
counted from stored cases, decisions and appeals."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine

from activities.store_recorder import StoreRecorder
from domain.appeals import AppealLevel
from domain.case.read_model import Appeal
from domain.case.vocabulary import AppealStatus
from domain.enums import Regime
from domain.models import PayerDecision, PriorAuthRequest
from domain.payer_directory import PaAnswer
from store import cases as store_cases
from store import payer_directory as directory
from store.database import read_session, transaction
from store.errors import NotFoundError
from tests.domain.payer_entries import entry
from tests.store import samples
from tests.store.writes import writing

pytestmark = pytest.mark.postgres

ADMIN = "admin:ada"
NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
NPI = "1234567893"
OTHER_NPI = "1982345609"


def put(engine: Engine, payer_id: str = "BBH", **overrides: Any) -> bool:
    with transaction(engine) as session:
        _, created = directory.put_payer(
            session, entry(payer_id, **overrides), actor=ADMIN, now=NOW
        )
    return created


def test_an_entry_reads_back_as_written(engine: Engine) -> None:
    assert put(engine) is True
    with read_session(engine) as session:
        record = directory.get_payer(session, "BBH")
    written = entry("BBH")
    assert record.model_dump(exclude={"updated_at", "updated_by"}) == written.model_dump()
    assert (record.updated_at, record.updated_by) == (NOW, ADMIN)


def test_a_second_put_replaces_lines_and_rules_whole(engine: Engine) -> None:
    put(engine)
    lines = entry().model_dump(mode="json")["lines"]
    later = datetime(2026, 12, 2, tzinfo=UTC)
    with transaction(engine) as session:
        _, created = directory.put_payer(
            session,
            entry(
                name="Bluebonnet Health Plan of Texas",
                lines=[lines[1]],
                pa_rules=[{"code": "E0601", "requirement": "required"}],
            ),
            actor="admin:bo",
            now=later,
        )
    assert created is False
    with read_session(engine) as session:
        record = directory.get_payer(session, "BBH")
        summaries = directory.list_payers(session)
    assert record.name == "Bluebonnet Health Plan of Texas"
    assert [line.regime for line in record.lines] == [Regime.MEDICAID_MANAGED_CARE]
    assert [rule.code for rule in record.pa_rules] == ["E0601"]
    assert (record.updated_at, record.updated_by) == (later, "admin:bo")
    assert [(s.payer_id, s.rule_count, len(s.lines)) for s in summaries] == [("BBH", 1, 1)]


def test_the_listing_shows_each_payer_with_its_lines_and_rule_count(engine: Engine) -> None:
    put(engine, "ZED")
    put(engine, "ACME", pa_rules=[])
    with read_session(engine) as session:
        listed = directory.list_payers(session)
    assert [payer.payer_id for payer in listed] == ["ACME", "ZED"]
    assert [payer.rule_count for payer in listed] == [0, len(entry().pa_rules)]
    assert [(line.regime.value, line.channel.value) for line in listed[1].lines] == [
        ("state_insured", "clearinghouse"),
        ("medicaid_managed_care", "fax"),
        ("medicare_advantage", "pas"),
    ]


def test_an_unknown_payer_is_not_found_and_needs_pa_unknown(engine: Engine) -> None:
    with read_session(engine) as session:
        with pytest.raises(NotFoundError):
            directory.get_payer(session, "NOPE")
        assert directory.find_payer(session, "NOPE") is None
        found = directory.requires_pa(session, "NOPE", "70551", Regime.STATE_INSURED, "TX")
    assert found.answer is PaAnswer.UNKNOWN
    assert "NOPE is not in the payer directory" in found.explanation


def test_requires_pa_answers_from_the_stored_rules(engine: Engine) -> None:
    put(engine)
    with read_session(engine) as session:
        mri = directory.requires_pa(session, "BBH", "70552", Regime.STATE_INSURED, "tx")
        texas_medicaid = directory.requires_pa(
            session, "BBH", "70552", Regime.MEDICAID_MANAGED_CARE, "TX"
        )
        drug = directory.requires_pa(session, "BBH", "J1100", Regime.STATE_INSURED)
        visit = directory.requires_pa(session, "BBH", "99213", Regime.STATE_INSURED)
        with pytest.raises(ValueError, match="not a two-letter US state"):
            directory.requires_pa(session, "BBH", "70552", Regime.STATE_INSURED, "Texas")
    assert (mri.answer, mri.state, mri.rule and mri.rule.code) == (
        PaAnswer.REQUIRED,
        "TX",
        "70551-70553",
    )
    assert texas_medicaid.answer is PaAnswer.NOT_REQUIRED
    assert drug.answer is PaAnswer.NOT_REQUIRED and drug.rule and drug.rule.code == "J1100"
    assert visit.answer is PaAnswer.UNKNOWN


def test_the_line_of_business_gives_channel_and_contacts(engine: Engine) -> None:
    put(engine)
    with read_session(engine) as session:
        insured = directory.line_of_business(session, "BBH", Regime.STATE_INSURED)
        missing = directory.line_of_business(session, "BBH", Regime.ERISA_GROUP)
    assert insured is not None and missing is None
    assert insured.channel.kind == "clearinghouse"
    assert insured.channel.payer_id == "BBH01"  # type: ignore[union-attr]
    assert insured.peer_to_peer_window is not None
    assert insured.peer_to_peer_window.description == (
        "within 2 business days of the denial decision"
    )


# ---------------------------------------------------------------- letters


def texas_request(
    *,
    payer_id: str = "BBH",
    npi: str = NPI,
    state: str = "TX",
    regime: str = "state_insured",
    codes: tuple[str, ...] = ("70551",),
    appeals: bool = False,
) -> PriorAuthRequest:
    data = samples.request(payer_id=payer_id, regime=regime, codes=codes).model_dump(mode="json")
    payer = data["coverage"]["payer"]
    if not appeals:
        payer.pop("appeals_address")
        payer.pop("appeals_fax", None)
    if regime in {"state_insured", "medicaid_managed_care", "chip_managed_care", "aca_individual"}:
        data["coverage"]["state"] = state
    data["requesting_provider"]["npi"] = npi
    return PriorAuthRequest.model_validate(data)


def test_a_case_without_appeals_contacts_takes_the_directorys(engine: Engine) -> None:
    put(engine)
    with transaction(engine) as session:
        bare = store_cases.create_case(
            session=session, case_id="case-bare", request=texas_request(), received_at=NOW
        )
        own = store_cases.create_case(
            session=session,
            case_id="case-own",
            request=texas_request(appeals=True),
            received_at=NOW,
        )
        elsewhere = store_cases.create_case(
            session=session,
            case_id="case-other-payer",
            request=texas_request(payer_id="OTHER"),
            received_at=NOW,
        )
    line = entry().line(Regime.STATE_INSURED)
    assert line is not None
    with read_session(engine) as session:
        filled = directory.case_with_directory(session, bare).request.coverage.payer
        kept = directory.case_with_directory(session, own).request.coverage.payer
        untouched = directory.case_with_directory(session, elsewhere)
        # The stored request itself is not changed.
        stored = store_cases.get_case(session=session, case_id="case-bare")
    assert (filled.appeals_address, filled.appeals_fax) == (line.appeals_address, line.appeals_fax)
    own_payer = own.request.coverage.payer
    assert (kept.appeals_address, kept.appeals_fax) == (
        own_payer.appeals_address,
        line.appeals_fax,  # the request had an address but no appeals fax
    )
    assert untouched == elsewhere
    assert stored.request.coverage.payer.appeals_address is None


# ---------------------------------------------------------------- gold card


def decision(decision_id: str, code: str, at: datetime, *, sequence: int = 1) -> PayerDecision:
    item: dict[str, Any] = {"sequence": sequence, "review_action_code": code}
    if code == "A3":
        item.update(reason_code="MN", reason_text="Criteria not met (policy IMG-7)")
    return PayerDecision.model_validate(
        {"decision_id": decision_id, "decided_at": at, "items": [item]}
    )


def open_case(engine: Engine, case_id: str, *decisions: PayerDecision, **request: Any) -> None:
    with transaction(engine) as session:
        store_cases.create_case(
            session=session, case_id=case_id, request=texas_request(**request), received_at=NOW
        )
    with writing(engine) as writes:
        for each in decisions:
            writes.insert_decision(case_id=case_id, decision=each)


def gold_card(engine: Engine, npi: str = NPI, code: str = "70551", **kw: Any):
    with read_session(engine) as session:
        return directory.gold_card(session, payer_id="BBH", npi=npi, code=code, now=NOW, **kw)


JUNE = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)


def test_gold_card_counts_the_physicians_final_decisions_for_the_service(engine: Engine) -> None:
    put(engine)
    for n in range(9):
        open_case(engine, f"case-ok-{n}", decision(f"ok-{n}", "A1", JUNE))
    open_case(engine, "case-denied", decision("no-1", "A3", JUNE))
    # Pended then approved: the latest decision counts.
    open_case(
        engine,
        "case-later",
        decision("pend", "A4", JUNE),
        decision("ok", "A1", JUNE.replace(day=20)),
    )
    # Approved then denied on resubmission review: the latest decision counts.
    open_case(
        engine,
        "case-turned",
        decision("first", "A1", JUNE),
        decision("then", "A3", JUNE.replace(day=18)),
    )
    # Not counted: another physician, code, payer, state or plan type; undecided; out of period.
    open_case(engine, "case-npi", decision("x1", "A3", JUNE), npi=OTHER_NPI)
    open_case(engine, "case-code", decision("x2", "A3", JUNE), codes=("70553",))
    open_case(engine, "case-payer", decision("x3", "A3", JUNE), payer_id="OTHER")
    open_case(engine, "case-state", decision("x4", "A3", JUNE), state="OK")
    open_case(engine, "case-medicaid", decision("x5", "A3", JUNE), regime="medicaid_managed_care")
    open_case(engine, "case-erisa", decision("x6", "A3", JUNE), regime="erisa_group")
    open_case(engine, "case-pended", decision("x7", "A4", JUNE))
    open_case(engine, "case-old", decision("x8", "A3", datetime(2025, 11, 1, tzinfo=UTC)))

    found = gold_card(engine)
    assert (found.approved, found.eligible) == (10, 12)
    assert found.qualifies is False  # 83.3 %
    assert (found.period.start, found.period.end) == (date(2025, 12, 1), date(2026, 11, 30))
    other = gold_card(engine, npi=OTHER_NPI)
    assert (other.approved, other.eligible, other.qualifies) == (0, 1, False)


def test_a_physician_at_ninety_percent_qualifies_and_pending_appeals_are_left_out(
    engine: Engine,
) -> None:
    put(engine)
    for n in range(9):
        open_case(engine, f"case-ok-{n}", decision(f"ok-{n}", "A1", JUNE))
    open_case(engine, "case-denied", decision("no-1", "A3", JUNE))
    open_case(engine, "case-appealed", decision("no-2", "A3", JUNE))
    with writing(engine) as writes:
        writes.upsert_appeal(
            case_id="case-appealed",
            appeal=Appeal(
                level=AppealLevel.INTERNAL_APPEAL,
                number=1,
                status=AppealStatus.SUBMITTED,
                sequences=[1],
                filed_at=JUNE.replace(day=20),
            ),
        )
    found = gold_card(engine)
    assert (found.approved, found.eligible, found.pending_appeal) == (9, 10, 1)
    assert found.qualifies is True
    assert found.ratio == pytest.approx(0.9)

    # The appeal is upheld: the denial is final, and the physician falls below 90 %.
    with writing(engine) as writes:
        writes.upsert_appeal(
            case_id="case-appealed",
            appeal=Appeal(
                level=AppealLevel.INTERNAL_APPEAL,
                number=1,
                status=AppealStatus.UPHELD,
                sequences=[1],
                filed_at=JUNE.replace(day=20),
                decided_at=JUNE.replace(day=30),
            ),
        )
    upheld = gold_card(engine)
    assert (upheld.approved, upheld.eligible, upheld.qualifies) == (9, 11, False)


def test_gold_card_of_an_unknown_payer_is_not_found(engine: Engine) -> None:
    with read_session(engine) as session, pytest.raises(NotFoundError):
        directory.gold_card(session, payer_id="NOPE", npi=NPI, code="70551", now=NOW)


def test_the_workers_letters_load_the_case_with_the_directorys_contacts(engine: Engine) -> None:
    put(engine)
    with transaction(engine) as session:
        store_cases.create_case(
            session=session, case_id="case-worker", request=texas_request(), received_at=NOW
        )
    payer = StoreRecorder(engine).load_case("case-worker").request.coverage.payer
    line = entry().line(Regime.STATE_INSURED)
    assert line is not None
    assert (payer.appeals_address, payer.appeals_fax) == (line.appeals_address, line.appeals_fax)
