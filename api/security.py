"""API-key authentication and role checks.

Each key has a role; a missing or unknown key is 401, a role without the right is 403. The key's
name is the actor recorded in the audit trail.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader

from config.settings import Role, Settings

API_KEY_HEADER = "X-API-Key"
_header = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="priorauth API key")


@dataclass(frozen=True)
class Actor:
    """Who is calling: recorded as the actor of every audit event the call causes."""

    name: str
    role: Role

    @property
    def audit_name(self) -> str:
        return f"{self.role.value}:{self.name}"


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
            return Actor(name=candidate.name, role=candidate.role)
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


STAFF = (Role.CASE_MANAGER, Role.UR_STAFF)
AnyRole = Annotated[Actor, Depends(require(Role.CASE_MANAGER, Role.UR_STAFF, Role.INTEGRATION))]
Staff = Annotated[Actor, Depends(require(*STAFF))]
StaffOrIntegration = AnyRole
UrStaff = Annotated[Actor, Depends(require(Role.UR_STAFF))]
Admin = Annotated[Actor, Depends(require(Role.ADMIN))]
