"""API-key authentication, role checks and case scope: who may call, and on which cases.

Each key has a role; a missing or unknown key is 401, a role without the right is 403. The key's
name is the actor recorded in the audit trail.

Least privilege is decided here and only here (`case_scope`): case managers see and act on the
cases of their teams, UR staff and admins on every case, integration keys on the cases of the
payer their key is bound to (and the intake routes, which open cases). Every route that names a
case gets it through `case_access` (role check first, then scope), and every listing passes the
actor's scope to the store, which filters in SQL. A case outside the caller's scope answers 404,
exactly like a case that does not exist. The rule reads only `Actor` (role, name, teams,
payer_id), so it applies unchanged to callers that are not API keys.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.security import APIKeyHeader
from sqlalchemy.engine import Engine

from config.settings import DEFAULT_TEAM, Role, Settings
from domain.enums import DecisionSource
from store.cases import case_summary
from store.database import read_session
from store.errors import NotFoundError
from store.records import CaseSummary
from store.scope import EVERY_CASE, CaseScope, require_case_in_scope

API_KEY_HEADER = "X-API-Key"
_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="priorauth API key")


@dataclass(frozen=True)
class Actor:
    """Who is calling: recorded as the actor of every audit event the call causes."""

    name: str
    role: Role
    teams: tuple[str, ...] = (DEFAULT_TEAM,)
    # The payer an integration key speaks for (None: intake only).
    payer_id: str | None = None

    @property
    def audit_name(self) -> str:
        return f"{self.role.value}:{self.name}"

    @property
    def staff_name(self) -> str:
        """The actor of a payer decision entered by a person: `staff:<role>:<name>`."""
        return f"staff:{self.audit_name}"

    @property
    def scope(self) -> CaseScope:
        return case_scope(self)

    @property
    def decision_credit(self) -> tuple[DecisionSource, str]:
        """The source and actor of a payer decision this caller enters: from the credential,
        never from the body (an integration key's is `api`; a person's `manual`)."""
        if self.role == Role.INTEGRATION:
            return DecisionSource.API, self.audit_name
        return DecisionSource.MANUAL, self.staff_name


def case_scope(actor: Actor) -> CaseScope:
    """The cases `actor` may see and act on (the least-privilege rule, in one place)."""
    if actor.role in (Role.UR_STAFF, Role.ADMIN):
        return EVERY_CASE
    if actor.role == Role.CASE_MANAGER:
        return CaseScope(teams=frozenset(actor.teams))
    if actor.role == Role.INTEGRATION and actor.payer_id:
        return CaseScope(payer_ids=frozenset({actor.payer_id}))
    return CaseScope(teams=frozenset(), payer_ids=frozenset())  # no case at all


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def authenticate(
    request: Request, api_key: Annotated[str | None, Depends(_header)] = None
) -> Actor:
    if not api_key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"missing API key: send it in the {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    for candidate in _settings(request).effective_api_keys:
        if hmac.compare_digest(candidate.key.get_secret_value().encode(), api_key.encode()):
            return Actor(
                name=candidate.name,
                role=candidate.role,
                teams=tuple(candidate.teams),
                payer_id=candidate.payer_id,
            )
    raise HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        detail="unknown API key",
        headers={"WWW-Authenticate": "ApiKey"},
    )


def require(*roles: Role) -> Callable[..., Coroutine[Any, Any, Actor]]:
    """Dependency: the caller must hold one of `roles` (admin always may)."""
    allowed = {*roles, Role.ADMIN}

    async def _check(actor: Annotated[Actor, Depends(authenticate)]) -> Actor:
        if actor.role not in allowed:
            names = ", ".join(sorted(role.value for role in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role {actor.role.value} may not do this (allowed: {names})",
            )
        return actor

    return _check


@dataclass(frozen=True)
class CaseAccess:
    """A case the caller may see (it exists and lies within their scope), and the caller."""

    actor: Actor
    case: CaseSummary

    @property
    def case_id(self) -> str:
        return self.case.case_id


def case_access(*roles: Role) -> Callable[..., Coroutine[Any, Any, CaseAccess]]:
    """Dependency for routes under `/cases/{case_id}`: the role check (401/403) first, then the
    scope check. Out of scope and nonexistent answer the same 404."""
    role_check = require(*roles)

    # A default, not Annotated: with postponed annotations FastAPI could not see `role_check`.
    async def _check(
        request: Request,
        case_id: Annotated[str, Path(max_length=64)],
        actor: Actor = Depends(role_check),  # noqa: B008
    ) -> CaseAccess:
        engine: Engine = request.app.state.engine
        try:
            summary = await asyncio.to_thread(_case_in_scope, engine, case_id, actor.scope)
        except NotFoundError:
            # The same 404 for out of scope and nonexistent (the API's store error handler
            # answers "case <id> not found").
            raise NotFoundError("case", case_id) from None
        return CaseAccess(actor=actor, case=summary)

    return _check


def _case_in_scope(engine: Engine, case_id: str, scope: CaseScope) -> CaseSummary:
    with read_session(engine) as session:
        return case_summary(require_case_in_scope(session, case_id, scope))


STAFF = (Role.CASE_MANAGER, Role.UR_STAFF)
AnyRole = Annotated[Actor, Depends(require(Role.CASE_MANAGER, Role.UR_STAFF, Role.INTEGRATION))]
Staff = Annotated[Actor, Depends(require(*STAFF))]
StaffOrIntegration = AnyRole
UrStaff = Annotated[Actor, Depends(require(Role.UR_STAFF))]
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]

AnyRoleCase = Annotated[
    CaseAccess, Depends(case_access(Role.CASE_MANAGER, Role.UR_STAFF, Role.INTEGRATION))
]
StaffCase = Annotated[CaseAccess, Depends(case_access(*STAFF))]
