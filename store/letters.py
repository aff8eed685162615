"""Generated letters: metadata plus the document bytes, stored once per idempotency key."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy.orm import QueryableAttribute, defer
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from store._base import insert_once, require_case
from store._json import json_dict
from store.errors import NotFoundError, StoreError
from store.records import LetterRecord
from store.tables import LetterRow
from store.types import require_aware, utcnow

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def store_letter(
    *,
    session: Session,
    idempotency_key: str,
    case_id: str,
    kind: str,
    template_version: str,
    content: bytes,
    context: Mapping[str, Any],
    content_type: str = DOCX_CONTENT_TYPE,
) -> LetterRecord:
    """Keep a rendered letter; the same key again returns the letter stored first.

    `context` is what the template was rendered with (it may hold PHI; it stays in the store).
    """
    require_case(session, case_id)

    def insert() -> LetterRow:
        row = LetterRow(
            letter_id=uuid.uuid4().hex,
            idempotency_key=idempotency_key,
            case_id=case_id,
            kind=kind,
            template_version=template_version,
            content_type=content_type,
            size_bytes=len(content),
            checksum_sha256=hashlib.sha256(content).hexdigest(),
            content=content,
            context=json_dict(context),
            created_at=utcnow(),
        )
        session.add(row)
        return row

    def find() -> LetterRow | None:
        return session.exec(_metadata().where(LetterRow.idempotency_key == idempotency_key)).first()

    row, _ = insert_once(session, find=find, insert=insert)
    return _record(row)


def get_letter(*, session: Session, letter_id: str) -> LetterRecord:
    return _record(_require(session, letter_id))


def get_letter_content(*, session: Session, letter_id: str) -> bytes:
    """The document bytes, checked against the checksum taken when it was stored."""
    row = session.exec(select(LetterRow).where(LetterRow.letter_id == letter_id)).first()
    if row is None:
        raise NotFoundError("letter", letter_id)
    if hashlib.sha256(row.content).hexdigest() != row.checksum_sha256:
        raise StoreError(f"letter {letter_id}: content does not match its sha256 checksum")
    return row.content


def list_letters(*, session: Session, case_id: str) -> list[LetterRecord]:
    rows = session.exec(
        _metadata()
        .where(LetterRow.case_id == case_id)
        .order_by(col(LetterRow.created_at), col(LetterRow.letter_id))
    ).all()
    return [_record(row) for row in rows]


def sign_off_letter(
    *, session: Session, letter_id: str, signed_off_by: str, at: datetime | None = None
) -> LetterRecord:
    """Record who signed the letter off; signing again keeps the first sign-off."""
    row = _require(session, letter_id)
    if row.signed_off_at is None:
        row.signed_off_at = require_aware(at, "at") if at is not None else utcnow()
        row.signed_off_by = signed_off_by
        session.add(row)
        session.flush()
    return _record(row)


def _metadata() -> SelectOfScalar[LetterRow]:
    # The document bytes load only when asked for (get_letter_content).
    content = cast("QueryableAttribute[bytes]", LetterRow.content)
    return select(LetterRow).options(defer(content))


def _require(session: Session, letter_id: str) -> LetterRow:
    row = session.exec(_metadata().where(LetterRow.letter_id == letter_id)).first()
    if row is None:
        raise NotFoundError("letter", letter_id)
    return row


def _record(row: LetterRow) -> LetterRecord:
    return LetterRecord(
        letter_id=row.letter_id,
        idempotency_key=row.idempotency_key,
        case_id=row.case_id,
        kind=row.kind,
        template_version=row.template_version,
        content_type=row.content_type,
        size_bytes=row.size_bytes,
        checksum_sha256=row.checksum_sha256,
        context=row.context,
        created_at=row.created_at,
        signed_off_at=row.signed_off_at,
        signed_off_by=row.signed_off_by,
    )
