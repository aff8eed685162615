"""A payer's message finds only that payer's case, by indexed identifiers; a message id is
claimed once per payer and forgotten after the tolerance window."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, text
from sqlmodel import select

from store.cases import create_case
from store.database import make_engine, transaction
from store.migrate import upgrade
from store.payer_cases import find_case_by_number, find_payer_case
from store.payer_messages import (
    SeenMessage,
    claim_message,
    complete_message,
    release_message,
)
from store.tables import CaseRow, PayerMessageRow
from store.transitions import TransitionWrites
from store.types import utcnow
from tests.store import samples

TOLERANCE = 300


def _open(engine: Engine, case_id: str, payer_id: str, reference: str | None) -> str:
    request = samples.request(payer_id=payer_id, external_reference=reference)
    with transaction(engine) as session:
        case = create_case(
            session=session, case_id=case_id, request=request, received_at=samples.RECEIVED
        )
    return case.case_number


def test_each_identifier_kind_finds_the_payers_case(engine: Engine) -> None:
    number = _open(engine, "case-a", "PAYER-A", "TRN-111")
    _open(engine, "case-b", "PAYER-B", "TRN-222")
    with transaction(engine) as session:
        with TransitionWrites(session.connection()) as writes:
            writes.insert_decision(case_id="case-a", decision=samples.denial())
        row = session.get(CaseRow, "case-a")
        assert row is not None and row.external_reference == "TRN-111"

        def find(**identifiers: list[str]) -> str | None:
            return find_payer_case(session=session, payer_id="PAYER-A", **identifiers)

        assert find(case_ids=["case-a"]) == "case-a"
        assert find(references=[number]) == "case-a"
        assert find_case_by_number(session=session, payer_id="PAYER-A", case_number=number)
        assert find(references=["TRN-111"]) == "case-a"
        assert find(pre_auth_refs=["REF-778899"]) == "case-a"  # samples.denial's reference
        assert find(references=["unrelated", "TRN-111"]) == "case-a"


def test_another_payers_case_is_never_found(engine: Engine) -> None:
    number_b = _open(engine, "case-b", "PAYER-B", "TRN-222")
    with transaction(engine) as session:
        with TransitionWrites(session.connection()) as writes:
            writes.insert_decision(case_id="case-b", decision=samples.denial())
        for identifiers in (
            {"case_ids": ["case-b"]},
            {"references": ["case-b", number_b, "TRN-222"]},
            {"pre_auth_refs": ["REF-778899"]},
        ):
            assert find_payer_case(session=session, payer_id="PAYER-A", **identifiers) is None
        assert (
            find_case_by_number(session=session, payer_id="PAYER-A", case_number=number_b) is None
        )


def test_no_member_id_match(engine: Engine) -> None:
    _open(engine, "case-a", "PAYER-A", None)
    member_id = samples.request().member.member_id
    with transaction(engine) as session:
        assert find_payer_case(session=session, payer_id="PAYER-A", references=[member_id]) is None
        assert find_payer_case(session=session, payer_id="PAYER-A") is None


def test_an_identifier_shared_by_two_of_the_payers_cases_matches_neither(engine: Engine) -> None:
    _open(engine, "case-1", "PAYER-A", "TRN-SAME")
    _open(engine, "case-2", "PAYER-A", "TRN-SAME")
    with transaction(engine) as session:
        assert find_payer_case(session=session, payer_id="PAYER-A", references=["TRN-SAME"]) is None


def test_a_message_id_is_claimed_once_per_payer(engine: Engine) -> None:
    sent = utcnow()

    def claim(payer_id: str, message_id: str = "msg_1") -> SeenMessage | None:
        with transaction(engine) as session:
            return claim_message(
                session=session,
                payer_id=payer_id,
                message_id=message_id,
                sent_at=sent,
                tolerance_seconds=TOLERANCE,
            )

    assert claim("PAYER-A") is None
    in_progress = claim("PAYER-A")
    assert in_progress is not None and not in_progress.completed
    assert claim("PAYER-B") is None  # message ids are the sender's own namespace
    with transaction(engine) as session:
        complete_message(session=session, payer_id="PAYER-A", message_id="msg_1", case_id="c-1")
    done = claim("PAYER-A")
    assert done is not None and done.completed and done.case_id == "c-1"

    # A failed application gives the id back, so the payer's retry is applied.
    assert claim("PAYER-A", "msg_2") is None
    with transaction(engine) as session:
        release_message(session=session, payer_id="PAYER-A", message_id="msg_2")
    assert claim("PAYER-A", "msg_2") is None


def test_messages_older_than_the_window_are_pruned(engine: Engine) -> None:
    with transaction(engine) as session:
        claim_message(
            session=session,
            payer_id="PAYER-A",
            message_id="msg_old",
            sent_at=utcnow() - timedelta(seconds=TOLERANCE + 60),
            tolerance_seconds=TOLERANCE,
        )
    with transaction(engine) as session:
        claim_message(
            session=session,
            payer_id="PAYER-A",
            message_id="msg_new",
            sent_at=utcnow(),
            tolerance_seconds=TOLERANCE,
        )
        left = session.exec(select(PayerMessageRow.message_id)).all()
    assert left == ["msg_new"]


def test_backfill_on_upgrade(database_url: str) -> None:
    upgrade(database_url, "0002")
    engine = make_engine(database_url)
    try:
        request = samples.request(external_reference="TRN-OLD").model_dump_json()
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO cases (case_id, case_number, status, regime, payer_id, "
                    "payer_name, urgency, request, received_at, created_at, updated_at) "
                    "VALUES ('case-old', 'PA-2026-000001', 'opened', 'medicare_advantage', "
                    "'PAYER-A', 'Example', 'standard', :request, :at, :at, :at)"
                ),
                {"request": request, "at": samples.RECEIVED},
            )
        upgrade(database_url)
        with transaction(engine) as session:
            assert (
                find_payer_case(session=session, payer_id="PAYER-A", references=["TRN-OLD"])
                == "case-old"
            )
    finally:
        engine.dispose()
