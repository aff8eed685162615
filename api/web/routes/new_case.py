"""New case: the full request as a form, or a PAS bundle uploaded, opened through the API's own
service (`service.open_case`, `payer_input.submit_pas_bundle`) under the API's rules.

The form is checked by the API's request model before anything else happens: with errors the
page comes back with every value (rows included), each error beside its input, status 422, and
nothing stored. A hidden idempotency key, made when the form is first shown and kept across
corrections, is the API's `Idempotency-Key`: a second submit of the same form finds the case
the first one opened instead of opening another. Who may open a case is the API's rule for
`POST /api/v1/cases`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session
from starlette.datastructures import UploadFile

from api import payer_input, service
from api.deps import EngineDep, get_temporal
from api.security import Actor
from api.web.case_request_form import (
    FORM_LEVEL,
    ROW_DEFAULTS,
    CaseRequestForm,
    any_error_under,
    element_id,
    error_label,
    errors_by_input,
)
from api.web.pa_check import check_form
from api.web.sessions import Checked, SignedIn, WebUser
from api.web.templating import render
from config.settings import Role
from domain.deadlines import CareCategory
from domain.enums import ItemType, Regime, RequestType, ServiceTiming, Urgency
from domain.models import CodeSystem, PriorAuthRequest
from store import cases as store_cases
from store import users as store_users
from store.errors import NotFoundError
from store.records import UserRecord
from store.scope import require_case_in_scope

router = APIRouter(include_in_schema=False)

# The roles `POST /api/v1/cases` admits (`api.security.StaffOrIntegration`; admin always may).
OPENS_CASES = (Role.CASE_MANAGER, Role.UR_STAFF, Role.INTEGRATION, Role.ADMIN)
REGIME_LABELS = {
    Regime.MEDICARE_ADVANTAGE: "Medicare Advantage",
    Regime.MEDICARE_PART_D: "Medicare Part D",
    Regime.MEDICAID_MANAGED_CARE: "Medicaid managed care",
    Regime.CHIP_MANAGED_CARE: "CHIP managed care",
    Regime.ERISA_GROUP: "Employer group plan (ERISA)",
    Regime.ACA_INDIVIDUAL: "Individual market (ACA)",
    Regime.STATE_INSURED: "State-regulated insured plan",
}
CHOICES: dict[str, list[tuple[str, str]]] = {
    "coverage.regime": [(regime.value, label) for regime, label in REGIME_LABELS.items()],
    "urgency": [
        (Urgency.STANDARD.value, "Standard"),
        (Urgency.EXPEDITED.value, "Expedited (urgent)"),
    ],
    "service_timing": [
        (ServiceTiming.PRE_SERVICE.value, "Before the service (pre-service)"),
        (ServiceTiming.CONCURRENT.value, "During an ongoing stay or course (concurrent)"),
        (ServiceTiming.POST_SERVICE.value, "After the service (post-service)"),
    ],
    "item_type": [
        (ItemType.SERVICE.value, "Medical service or procedure"),
        (ItemType.PART_B_DRUG.value, "Medicare Part B drug"),
        (ItemType.DRUG.value, "Drug"),
    ],
    "request_type": [
        (RequestType.BENEFIT.value, "Coverage of a benefit"),
        (RequestType.PAYMENT.value, "Payment"),
        (RequestType.EXCEPTION.value, "Exception (Medicare Part D)"),
    ],
    "care_category": [
        (CareCategory.POST_STABILIZATION.value, "Post-stabilization care"),
        (CareCategory.LIFE_THREATENING.value, "A life-threatening condition"),
        (CareCategory.DISCHARGE_SERVICES.value, "Services or equipment needed for discharge"),
    ],
    "code_system": [
        (CodeSystem.CPT_HCPCS.value, "CPT / HCPCS"),
        (CodeSystem.X12_SERVICE_TYPE.value, "X12 service type"),
    ],
    "coverage.appeal_levels": [("1", "One"), ("2", "Two (ERISA group plans only)")],
}
TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)
# Common LOINC document kinds of clinical attachments (suggestions; any LOINC code is taken).
DOCUMENT_KINDS = (
    ("11506-3", "Progress note"),
    ("11488-4", "Consult note"),
    ("34117-2", "History and physical note"),
    ("28570-0", "Procedure note"),
    ("18748-4", "Diagnostic imaging study"),
    ("11502-2", "Laboratory report"),
    ("18842-5", "Discharge summary"),
)


def may_open_cases(actor: Actor) -> bool:
    return actor.role in OPENS_CASES


def _require_opener(user: WebUser) -> None:
    if not may_open_cases(user.actor):
        raise HTTPException(403, detail=f"role {user.role.value} may not open cases")


@dataclass(frozen=True)
class Person:
    username: str
    label: str
    case_manager: bool
    teams: tuple[str, ...]


def _people(records: list[UserRecord], actor: Actor) -> list[Person]:
    """Who a new case may be assigned to: active people; a case manager is offered colleagues
    who share one of their teams, and UR staff and admins (who see every case)."""
    everyone = actor.role != Role.CASE_MANAGER
    people = []
    for record in records:
        case_manager = record.role == Role.CASE_MANAGER.value
        if case_manager and not everyone and not set(record.teams) & set(actor.teams):
            continue
        role = record.role.replace("_", " ")
        people.append(
            Person(
                username=record.username,
                label=f"{record.display_name} ({record.username}, {role})",
                case_manager=case_manager,
                teams=tuple(record.teams),
            )
        )
    return people


async def _load_people(engine: Any, actor: Actor) -> list[Person]:
    records = await service.read(
        engine, lambda s: store_users.list_users(s, include_disabled=False)
    )
    return _people(records, actor)


def _routing_errors(form: CaseRequestForm, actor: Actor, people: list[Person]) -> dict[str, str]:
    """The team must be one the API would accept; the assignee one of the people offered, who
    can see a case of that team."""
    errors: dict[str, str] = {}
    try:
        service.case_team(actor, form.team or None)
    except service.ServiceError as exc:
        errors["team"] = exc.errors[0].message if exc.errors else exc.detail
    if form.assignee:
        found = next((p for p in people if p.username == form.assignee), None)
        if found is None:
            errors["assignee"] = "not an active person you can assign cases to"
        elif found.case_manager and form.team and form.team not in found.teams:
            errors["assignee"] = (
                f"not in team {form.team}, so this case would be out of their reach"
            )
    return errors


def _context(
    user: WebUser,
    form: CaseRequestForm,
    errors: dict[str, str],
    people: list[Person],
    pas_errors: list[PasProblem] | None = None,
    pas_team: str = "",
) -> dict[str, Any]:
    return {
        "active": "new",
        "form": form,
        "errors": errors,
        "form_error": errors.get(FORM_LEVEL),
        "people_options": [(person.username, person.label) for person in people],
        "teams": user.actor.teams,
        "team_options": [(team, team) for team in user.actor.teams],
        "row_defaults": ROW_DEFAULTS,
        "error_label": error_label,
        "choices": CHOICES,
        "timezones": TIMEZONES,
        "document_kinds": DOCUMENT_KINDS,
        "element_id": element_id,
        "errors_under": lambda *prefixes: any_error_under(errors, *prefixes),
        "pas_errors": pas_errors or [],
        "pas_team": pas_team or user.actor.teams[0],
        "pa_checks": None,
    }


def _blank(user: WebUser) -> CaseRequestForm:
    mine = user.actor.name if user.role == Role.CASE_MANAGER else ""
    return CaseRequestForm.blank(
        team=user.actor.teams[0], assignee=mine, idempotency_key=uuid.uuid4().hex
    )


@router.get("/cases/new")
async def new_case_page(request: Request, engine: EngineDep, user: SignedIn) -> Response:
    _require_opener(user)
    people = await _load_people(engine, user.actor)
    return render(request, "new_case.html", user, **_context(user, _blank(user), {}, people))


@router.post("/cases/new")
async def open_new_case(request: Request, engine: EngineDep, user: Checked) -> Response:
    _require_opener(user)
    posted = await request.form()
    form = CaseRequestForm.parse(posted)
    if not form.idempotency_key or len(form.idempotency_key) > 200:
        form.idempotency_key = uuid.uuid4().hex
    people = await _load_people(engine, user.actor)

    def page(status_code: int, errors: dict[str, str]) -> Response:
        form.pad()
        context = _context(user, form, errors, people)
        return render(request, "new_case.html", user, status_code=status_code, **context)

    body, errors = form.request()
    errors |= _routing_errors(form, user.actor, people)
    if body is None or errors:
        return page(422, errors)
    return await _open(request, engine, user, form, body, page)


async def _open(
    request: Request,
    engine: Any,
    user: WebUser,
    form: CaseRequestForm,
    body: PriorAuthRequest,
    page: Callable[[int, dict[str, str]], Response],
) -> Response:
    actor = user.actor
    try:
        client = await get_temporal(request)
    except HTTPException as exc:
        return page(503, {FORM_LEVEL: f"{exc.detail}. Nothing was stored: try again shortly."})
    case_id = service.case_id_for(actor, form.idempotency_key)
    try:
        opened = await service.open_case(
            engine=engine,
            client=client,
            settings=request.app.state.settings,
            request=body,
            actor=actor,
            case_id=case_id,
            assignee=service.default_assignee(actor, form.assignee or None),
            source=service.WEB_SOURCE,
            team=form.team or None,
        )
    except service.ServiceError as exc:
        if exc.status == 409:
            return page(409, {FORM_LEVEL: await _already_used(engine, actor, case_id)})
        if exc.status == 503:
            # Stored, workflow not started: the same form (same key) finishes opening it.
            message = (
                "The case is stored but the case engine did not start it; press Open case "
                "again to finish opening this same case."
            )
            return page(503, {FORM_LEVEL: message})
        return page(exc.status, errors_by_input(exc.errors) or {FORM_LEVEL: exc.detail})
    return RedirectResponse(f"/cases/{opened.case_id}", status_code=303)


async def _already_used(engine: Any, actor: Actor, case_id: str) -> str:
    """This form opened a case already, with other values (a resubmit after editing)."""

    def number(session: Session) -> str | None:
        try:
            row = require_case_in_scope(session, case_id, actor.scope)
        except NotFoundError:
            return None
        return store_cases.case_summary(row).case_number

    found = await service.read(engine, number)
    which = f"case {found}" if found else "a case"
    return (
        f"This form already opened {which}; its values have changed since. "
        "To open another case, start a new form (New case in the menu)."
    )


# ---------------------------------------------------------------- PAS bundle upload


@dataclass(frozen=True)
class PasProblem:
    """One issue of a refused bundle: where (a FHIRPath expression) and why."""

    location: str
    message: str
    severity: str


def pas_problems(outcome: dict[str, Any]) -> list[PasProblem]:
    problems = []
    for issue in outcome.get("issue", []):
        expressions = issue.get("expression") or []
        problems.append(
            PasProblem(
                location=", ".join(expressions) if expressions else "the bundle",
                message=str(issue.get("diagnostics", "invalid")),
                severity=str(issue.get("severity", "error")),
            )
        )
    return problems


@router.post("/cases/new/requires-pa")
async def check_prior_authorization(request: Request, engine: EngineDep, user: Checked) -> Response:
    """The form back as typed, with the payer directory's answer for each service line."""
    _require_opener(user)
    form = CaseRequestForm.parse(await request.form())
    people = await _load_people(engine, user.actor)
    checks = await service.read(engine, lambda session: check_form(session, form))
    form.pad()
    context = _context(user, form, {}, people) | {"pa_checks": checks}
    return render(request, "new_case.html", user, **context)


@router.post("/cases/new/pas")
async def open_case_from_pas(request: Request, engine: EngineDep, user: Checked) -> Response:
    _require_opener(user)
    actor = user.actor
    posted = await request.form()
    team = posted.get("team")
    team = team.strip() if isinstance(team, str) and team.strip() else None
    people = await _load_people(engine, actor)

    def page(status_code: int, problems: list[PasProblem]) -> Response:
        context = _context(user, _blank(user), {}, people, problems, team or "")
        return render(request, "new_case.html", user, status_code=status_code, **context)

    upload = posted.get("bundle")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return page(
            422, [PasProblem("file", "choose a PAS request bundle (a .json file)", "error")]
        )
    content = await upload.read()
    if not content.strip():
        return page(422, [PasProblem("file", "the file is empty", "error")])
    settings = request.app.state.settings
    try:
        intake, body = payer_input.read_pas_submit(content, settings)
    except payer_input.FhirError as exc:
        return page(exc.status, pas_problems(exc.outcome))
    try:
        service.case_team(actor, team)
    except service.ServiceError as exc:
        message = exc.errors[0].message if exc.errors else exc.detail
        return page(403, [PasProblem("team", message, "error")])
    try:
        client = await get_temporal(request)
    except HTTPException as exc:
        return page(503, [PasProblem("the case engine", str(exc.detail), "error")])
    try:
        opened = await payer_input.open_pas_case(
            intake=intake,
            request=body,
            engine=engine,
            client=client,
            settings=settings,
            actor=actor,
            assignee=service.default_assignee(actor, None),
            team=team,
        )
    except payer_input.FhirError as exc:
        return page(exc.status, pas_problems(exc.outcome))
    return RedirectResponse(f"/cases/{opened.case_id}", status_code=303)
