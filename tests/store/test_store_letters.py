"""Letters: stored once per key, bytes intact, sign-off recorded once."""

from __future__ import annotations

import hashlib
from datetime import date, datetime

import pytest
from sqlalchemy import Engine, func, text
from sqlmodel import select

from store.cases import create_case
from store.database import transaction
from store.errors import StoreError
from store.letters import (
    get_letter,
    get_letter_content,
    list_letters,
    sign_off_letter,
    store_letter,
)
from store.tables import LetterRow
from tests.store import samples

DOCUMENT = b"PK\x03\x04 synthetic docx bytes \x00\xff" * 100


def test_letter_is_stored_once_and_comes_back_intact(engine: Engine) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-200",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
    context = {"case_number": "PA-2026-000001", "deadline": date(2026, 4, 1), "items": (1, 2)}
    records = []
    for content in (DOCUMENT, b"a retry rendered other bytes"):
        with transaction(engine) as session:
            records.append(
                store_letter(
                    session=session,
                    idempotency_key="case-200:appeal-1:letter",
                    case_id="case-200",
                    kind="appeal_letter",
                    template_version="appeal_letter@3",
                    content=content,
                    context=context,
                )
            )
    first, retry = records
    assert retry == first
    assert first.checksum_sha256 == hashlib.sha256(DOCUMENT).hexdigest()
    assert first.size_bytes == len(DOCUMENT)
    assert first.context == {
        "case_number": "PA-2026-000001",
        "deadline": "2026-04-01",
        "items": [1, 2],
    }
    with transaction(engine) as session:
        assert session.exec(select(func.count()).select_from(LetterRow)).one() == 1
        assert get_letter_content(session=session, letter_id=first.letter_id) == DOCUMENT
        assert list_letters(session=session, case_id="case-200") == [first]


def test_sign_off_is_recorded_once(engine: Engine) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-201",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
        letter = store_letter(
            session=session,
            idempotency_key="case-201:letter",
            case_id="case-201",
            kind="appeal_letter",
            template_version="appeal_letter@3",
            content=DOCUMENT,
            context={},
        )
    at = datetime(2026, 3, 21, 9, 0, tzinfo=samples.CHICAGO)
    with transaction(engine) as session:
        signed = sign_off_letter(
            session=session, letter_id=letter.letter_id, signed_off_by="dr.lee", at=at
        )
        again = sign_off_letter(session=session, letter_id=letter.letter_id, signed_off_by="x")
    assert signed.signed_off_by == again.signed_off_by == "dr.lee"
    assert again.signed_off_at == at
    with transaction(engine) as session:
        assert get_letter(session=session, letter_id=letter.letter_id) == signed


def test_tampered_content_is_refused(engine: Engine) -> None:
    with transaction(engine) as session:
        create_case(
            session=session,
            case_id="case-202",
            request=samples.request(),
            received_at=samples.RECEIVED,
        )
        letter = store_letter(
            session=session,
            idempotency_key="case-202:letter",
            case_id="case-202",
            kind="appeal_letter",
            template_version="appeal_letter@3",
            content=DOCUMENT,
            context={},
        )
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE letters SET content = :c WHERE letter_id = :i"),
            {"c": b"forged", "i": letter.letter_id},
        )
    with pytest.raises(StoreError, match="checksum"), transaction(engine) as session:
        get_letter_content(session=session, letter_id=letter.letter_id)
