"""What makes a valid web workspace user (the rule `priorauth user add` applies)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from config.settings import DEFAULT_TEAM, Role, TeamName
from domain import limits

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
PERSON_ROLES = (Role.CASE_MANAGER, Role.UR_STAFF, Role.ADMIN)


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: Annotated[
        str, Field(min_length=1, max_length=limits.USERNAME, pattern=USERNAME_PATTERN)
    ]
    display_name: Annotated[str, Field(min_length=1, max_length=limits.SHORT_TEXT)]
    role: Role
    teams: Annotated[list[TeamName], Field(min_length=1, max_length=20)] = [DEFAULT_TEAM]

    @field_validator("role")
    @classmethod
    def _a_person(cls, role: Role) -> Role:
        if role not in PERSON_ROLES:
            allowed = ", ".join(r.value for r in PERSON_ROLES)
            raise ValueError(f"a person's role is one of {allowed} (integrations use API keys)")
        return role
