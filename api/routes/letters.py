"""Letters of a case: list them, download one (.docx), render a preview without storing it."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from api import service
from api.deps import EngineDep, SettingsDep
from api.errors import ERRORS_AUTH, ERRORS_NOT_FOUND, ErrorBody, FieldError
from api.schemas import LetterPreviewBody, LetterSummary
from api.security import AnyRoleCase, StaffCase
from domain.case.read_model import Case
from domain.models import CaseDeadline
from letters import (
    LetterInputError,
    LetterTemplateError,
    MissingLetterFields,
    Signer,
    build_letter_context,
    render_letter,
)
from store import cases as store_cases
from store import deadlines as store_deadlines
from store import letters as store_letters
from store import payer_directory as store_payer_directory
from store.letters import DOCX_CONTENT_TYPE
from store.records import LetterRecord

router = APIRouter(prefix="/api/v1/cases/{case_id}/letters", tags=["letters"])

DOCX_RESPONSE: dict[int | str, dict[str, object]] = {
    200: {
        "content": {DOCX_CONTENT_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        "description": "The letter as a Word document",
    }
}


@router.get("", response_model=list[LetterSummary], responses={**ERRORS_AUTH, **ERRORS_NOT_FOUND})
async def list_case_letters(access: AnyRoleCase, engine: EngineDep) -> list[LetterSummary]:
    """The case's stored letters, oldest first (metadata, no PHI; download each by its URL)."""
    case_id = access.case_id
    records = await service.read(
        engine, lambda s: store_letters.list_letters(session=s, case_id=case_id)
    )
    return [service.letter_summary(record) for record in records]


@router.get(
    "/{letter_id}",
    response_class=Response,
    responses={**DOCX_RESPONSE, **ERRORS_AUTH, **ERRORS_NOT_FOUND},
)
async def download_letter(
    access: StaffCase, letter_id: str, engine: EngineDep, request: Request
) -> Response:
    """Download the stored letter (.docx); the checksum is verified on the way out.

    Carries PHI: the read is recorded."""
    case_id = access.case_id

    def load(session: Session) -> tuple[LetterRecord, bytes]:
        record = store_letters.get_letter(session=session, letter_id=letter_id)
        if record.case_id != case_id:
            raise service.not_found("letter", letter_id)
        return record, store_letters.get_letter_content(session=session, letter_id=letter_id)

    record, content = await service.read(engine, load)
    await service.record_phi_read(engine, service.Reader.of(access.actor, request), case_id)
    number = access.case.case_number
    extension = "docx" if record.content_type == DOCX_CONTENT_TYPE else "bin"
    return _document(content, record.content_type, f"{number}-{record.kind}.{extension}")


@router.post(
    "/preview",
    response_class=Response,
    responses={
        **DOCX_RESPONSE,
        **ERRORS_AUTH,
        **ERRORS_NOT_FOUND,
        422: {"model": ErrorBody, "description": "The case lacks facts the letter needs (named)"},
    },
)
async def preview_letter(
    access: StaffCase,
    body: LetterPreviewBody,
    engine: EngineDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    """Render a letter of `kind` for the case as it stands now, without storing it.

    Carries PHI: the read is recorded."""
    case_id, actor = access.case_id, access.actor

    def load(session: Session) -> tuple[Case, list[CaseDeadline], str]:
        case = store_cases.get_case(session=session, case_id=case_id)
        # The payer's appeals address and fax from the directory where the request has none.
        case = store_payer_directory.case_with_directory(session, case)
        deadlines = store_deadlines.list_deadlines(session=session, case_id=case_id)
        return case, deadlines, case.case_number

    case, deadlines, number = await service.read(engine, load)

    def render() -> bytes:
        context = build_letter_context(
            case,
            kind=body.kind,
            now=service.utcnow(),
            deadlines=deadlines,
            organization=settings.organization,
            details=body.details,
            signer=body.signer or Signer(name=actor.name),
        )
        return render_letter(context, override_dir=settings.template_override_dir).docx

    try:
        content = await asyncio.to_thread(render)
    except MissingLetterFields as exc:
        errors = [FieldError(field=m.field, message=f"missing ({m.hint})") for m in exc.missing]
        raise service.ServiceError(
            422, f"the {body.kind.value} letter cannot be written yet: facts are missing", errors
        ) from None
    except LetterInputError as exc:
        raise service.ServiceError(422, f"inconsistent letter input: {exc}") from None
    except LetterTemplateError as exc:
        raise service.ServiceError(500, f"letter template error: {exc}") from None
    await service.record_phi_read(engine, service.Reader.of(actor, request), case_id)
    return _document(content, DOCX_CONTENT_TYPE, f"{number}-{body.kind.value}-preview.docx")


def _document(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
