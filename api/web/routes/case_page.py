"""The case page: header, clocks, items and the payer's decisions, appeal levels, tasks,
letters, the timeline, and a form for each action the case's state allows.

Everything comes through the API's own services: `service.case_detail` (the stored case and the
workflow's live view; the PHI read is recorded), the action table and `api.case_actions.take`
for actions, the task routes' functions for tasks. A case outside the person's reach is the
same 404 page as a case that does not exist.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from api import renewals, service
from api.case_actions import ROLES, ActionCall, take
from api.deps import EngineDep
from api.routes import queues
from api.schemas import CaseDetail, ReassignBody
from api.security import STAFF, CaseAccess
from api.web import letter_preview
from api.web.model_forms import FormField, errors_by_field, field_errors, form_fields, form_values
from api.web.sessions import Checked, SignedIn, WebUser
from api.web.templating import render
from config.settings import Role
from domain.case.actions import ACTIONS, CaseAction, Target
from domain.case.offers import Offer, offered
from domain.case.vocabulary import Phase
from store import audit as store_audit
from store import letters as store_letters
from store.cases import case_summary
from store.errors import NotFoundError
from store.scope import require_case_in_scope

router = APIRouter(include_in_schema=False)
BY_NAME = {action.name: action for action in ACTIONS}
CaseId = Annotated[str, Path(max_length=64)]
TITLES = {
    "record_payer_decision": "Record the payer's decision (received by phone, fax or letter)",
    "record_payer_extension": "Record the payer's extension",
    "supply_information": "Send the information the payer asked for",
    "file_appeal": "File an appeal",
    "request_peer_to_peer": "Request a peer-to-peer review",
    "record_peer_to_peer": "Record the peer-to-peer conversation",
    "accept_denial": "Accept the denial",
    "assign": "Assign the case",
    "add_note": "Add a note",
    "record_contact": "Log a contact with the payer",
    "withdraw": "Withdraw the case",
    "sign_off_appeal": "Sign the appeal letter off",
    "record_appeal_decision": "Record the payer's answer to the appeal",
    "record_units_used": "Record units used against the authorization",
}


class CaseNotFoundError(Exception):
    """The case does not exist or lies outside the person's reach (the same answer)."""


async def _access(engine: Any, user: WebUser, case_id: str) -> CaseAccess:
    def load(session: Session) -> Any:
        return case_summary(require_case_in_scope(session, case_id, user.actor.scope))

    try:
        summary = await service.read(engine, load)
    except (NotFoundError, service.ServiceError):
        raise CaseNotFoundError(case_id) from None
    return CaseAccess(actor=user.actor, case=summary)


def _may(user: WebUser, action: CaseAction[Any, Any]) -> bool:
    return user.role == Role.ADMIN or user.role in ROLES[action.performers]


def _form_of(offer: Offer, detail: CaseDetail) -> tuple[CaseAction[Any, Any], list[FormField]]:
    action = BY_NAME[offer.action]
    rows = len(detail.request.service_lines) if "items" in str(action.body.model_fields) else 1
    return action, form_fields(action.body, rows=max(1, min(rows, 10)))


async def _page(
    request: Request,
    engine: Any,
    user: WebUser,
    case_id: str,
    *,
    failed: tuple[Offer, dict[str, str], dict[str, str]] | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    access = await _access(engine, user, case_id)
    client = request.app.state.temporal
    detail, events = await asyncio.gather(
        service.case_detail(
            engine=engine,
            client=client,
            case_id=case_id,
            reader=service.Reader.of(user.actor, request),
        ),
        service.read(engine, lambda s: store_audit.timeline(session=s, case_id=case_id)),
    )
    stored = {appeal.number: appeal.status for appeal in detail.appeals}
    offers = offered(detail.live, stored) if detail.live is not None else []
    if failed is not None and failed[0] not in offers:  # the form the person just sent
        offers.append(failed[0])
    forms = []
    for offer in offers:
        action, fields = _form_of(offer, detail)
        if not _may(user, action):
            continue
        values, errors = ({}, {})
        if failed is not None and failed[0] == offer:
            values, errors = failed[1], failed[2]
        forms.append(
            {
                "offer": offer,
                "action": action,
                "title": TITLES.get(action.name, action.name.replace("_", " ")),
                "doc": action.doc.split("\n")[0],
                "fields": fields,
                "values": values,
                "errors": errors,
                "open": bool(errors),
                "key": uuid.uuid4().hex,
            }
        )
    return render(
        request,
        "case.html",
        user,
        status_code=status_code,
        active="",
        case=access.case,
        detail=detail,
        events=events,
        forms=forms,
        renewable=user.role in STAFF
        and detail.live is not None
        and detail.live.phase == Phase.AUTHORIZED,
        notice=notice,
        case_zone=detail.request.coverage.payer.timezone,
        units_used={
            item.sequence: (item.units_used, item.approved_units)
            for item in (detail.live.items if detail.live is not None else [])
            if item.units_used or item.approved_units is not None
        },
    )


@router.get("/cases/{case_id}")
async def case_page(
    request: Request, case_id: CaseId, engine: EngineDep, user: SignedIn
) -> Response:
    try:
        return await _page(request, engine, user, case_id, notice=request.query_params.get("done"))
    except CaseNotFoundError:
        return render(request, "case_missing.html", user, status_code=404)


@router.post("/cases/{case_id}/actions/{name}")
async def case_action(
    request: Request,
    case_id: CaseId,
    name: Annotated[str, Path(max_length=64)],
    engine: EngineDep,
    user: Checked,
) -> Response:
    """One action's form: validated by the action's body model, taken like the API takes it;
    errors come back next to the fields, with the person's values, and nothing is changed."""
    action = BY_NAME.get(name)
    try:
        access = await _access(engine, user, case_id)
    except CaseNotFoundError:
        return render(request, "case_missing.html", user, status_code=404)
    if action is None or not _may(user, action):
        return render(request, "case_missing.html", user, status_code=404)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    number = form.get("appeal_number", "")
    offer = Offer(name, int(number) if number.isdigit() else None)
    if action.target is Target.APPEAL and offer.appeal_number is None:
        return render(request, "case_missing.html", user, status_code=404)
    fields = form_fields(action.body, rows=10)
    zone = request.app.state.settings.organization.timezone
    kept = {k: v for k, v in form.items() if k not in ("csrf_token", "key", "appeal_number")}
    try:
        body = action.body.model_validate(form_values(fields, form, zone))
        call = ActionCall(
            engine, request.app.state.temporal, access, form.get("key") or None, offer.appeal_number
        )
        await take(action, call, body)
    except ValidationError as exc:
        return await _again(
            request, engine, user, case_id, offer, kept, errors_by_field(exc, fields)
        )
    except service.ServiceError as exc:
        errors = field_errors([(e.field, e.message) for e in exc.errors], fields)
        errors.setdefault("_form", exc.detail)
        status_code = exc.status if 400 <= exc.status < 500 else 503
        return await _again(
            request, engine, user, case_id, offer, kept, errors, status_code=status_code
        )
    done = TITLES.get(name, name).split(" (")[0]
    return RedirectResponse(f"/cases/{case_id}?done={done}: done", status_code=303)


async def _again(
    request: Request,
    engine: Any,
    user: WebUser,
    case_id: str,
    offer: Offer,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 422,
) -> Response:
    return await _page(
        request, engine, user, case_id, failed=(offer, values, errors), status_code=status_code
    )


@router.post("/cases/{case_id}/renew")
async def renew_authorization(
    request: Request, case_id: CaseId, engine: EngineDep, user: Checked
) -> Response:
    """Open the renewal (a linked concurrent-review case) and go to it."""
    access = await _access(engine, user, case_id)
    if user.role not in STAFF:
        return await _page(
            request,
            engine,
            user,
            case_id,
            notice="Only staff renew authorizations.",
            status_code=403,
        )
    try:
        opened = await renewals.renew(
            engine=engine,
            client=request.app.state.temporal,
            settings=request.app.state.settings,
            access=access,
        )
    except service.ServiceError as exc:
        notice = f"Not renewed: {exc.detail}"
        return await _page(request, engine, user, case_id, notice=notice, status_code=exc.status)
    return RedirectResponse(f"/cases/{opened.case_id}", status_code=303)


@router.post("/cases/{case_id}/tasks/{task_id}/complete")
async def complete_task(
    request: Request,
    case_id: CaseId,
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    engine: EngineDep,
    user: Checked,
) -> Response:
    try:
        await queues.complete_task(task_id=task_id, engine=engine, actor=user.actor)
    except service.ServiceError as exc:
        return await _page(
            request,
            engine,
            user,
            case_id,
            notice=f"Task not completed: {exc.detail}",
            status_code=exc.status,
        )
    return RedirectResponse(f"/cases/{case_id}?done=Task completed", status_code=303)


@router.post("/cases/{case_id}/tasks/{task_id}/reassign")
async def reassign_task(
    request: Request,
    case_id: CaseId,
    task_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    engine: EngineDep,
    user: Checked,
    assignee: Annotated[str, Form(max_length=120)] = "",
) -> Response:
    try:
        body = ReassignBody(assignee=assignee.strip() or None)
        await queues.reassign_task(task_id=task_id, body=body, engine=engine, actor=user.actor)
    except (service.ServiceError, ValidationError) as exc:
        reason = (
            exc.detail if isinstance(exc, service.ServiceError) else str(exc.errors()[0]["msg"])
        )
        status_code = exc.status if isinstance(exc, service.ServiceError) else 422
        return await _page(
            request,
            engine,
            user,
            case_id,
            notice=f"Task not reassigned: {reason}",
            status_code=status_code,
        )
    return RedirectResponse(f"/cases/{case_id}?done=Task reassigned", status_code=303)


async def _letter(engine: Any, user: WebUser, case_id: str, letter_id: str) -> tuple[Any, bytes]:
    await _access(engine, user, case_id)

    def load(session: Session) -> tuple[Any, bytes]:
        record = store_letters.get_letter(session=session, letter_id=letter_id)
        if record.case_id != case_id:
            raise NotFoundError("letter", letter_id)
        return record, store_letters.get_letter_content(session=session, letter_id=letter_id)

    return await service.read(engine, load)


@router.get("/cases/{case_id}/letters/{letter_id}")
async def letter_page(
    request: Request,
    case_id: CaseId,
    letter_id: Annotated[str, Path(max_length=120)],
    engine: EngineDep,
    user: SignedIn,
) -> Response:
    """The letter as HTML (its paragraphs and tables), to read before signing it off."""
    try:
        record, content = await _letter(engine, user, case_id, letter_id)
    except (CaseNotFoundError, service.ServiceError, NotFoundError):
        return render(request, "case_missing.html", user, status_code=404)
    await service.record_phi_read(engine, service.Reader.of(user.actor, request), case_id)
    blocks = await asyncio.to_thread(letter_preview.blocks, content)
    return render(
        request, "letter.html", user, case_id=case_id, letter=record, blocks=blocks, active=""
    )


@router.get("/cases/{case_id}/letters/{letter_id}/download")
async def letter_download(
    request: Request,
    case_id: CaseId,
    letter_id: Annotated[str, Path(max_length=120)],
    engine: EngineDep,
    user: SignedIn,
) -> Response:
    try:
        record, content = await _letter(engine, user, case_id, letter_id)
    except (CaseNotFoundError, service.ServiceError, NotFoundError):
        return render(request, "case_missing.html", user, status_code=404)
    await service.record_phi_read(engine, service.Reader.of(user.actor, request), case_id)
    extension = "docx" if "wordprocessingml" in record.content_type else "bin"
    return Response(
        content=content,
        media_type=record.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{record.kind}-{letter_id}.{extension}"',
            "Cache-Control": "no-store",
        },
    )
