"""The sign-in users `priorauth dev` (`make run`) creates: one per role, with documented
passwords. Dev only: nothing else calls `seed_dev_users`, and production has no default user.

Each has the name of the dev API key of its role, so a case the CLI opens with the dev case
manager's key (`priorauth case open`, `priorauth demo`) is on the same person's My work."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from api.web.passwords import hash_password
from config.settings import DEFAULT_TEAM, Role
from store import users as store_users
from store.database import transaction
from store.types import utcnow


@dataclass(frozen=True)
class DevUser:
    username: str
    display_name: str
    role: Role
    password: str


DEV_USERS = (
    DevUser("dev-case-manager", "Casey Morgan", Role.CASE_MANAGER, "dev-case-manager-password"),
    DevUser("dev-ur-staff", "Uri Patel", Role.UR_STAFF, "dev-ur-staff-password"),
    DevUser("dev-admin", "Ada Brooks", Role.ADMIN, "dev-admin-password"),
)


def seed_dev_users(engine: Engine) -> list[DevUser]:
    """Add the dev users that are missing (a user already there keeps their password)."""
    added = []
    with transaction(engine) as session:
        existing = {user.username for user in store_users.list_users(session)}
        for user in DEV_USERS:
            if user.username in existing:
                continue
            store_users.add_user(
                session,
                username=user.username,
                display_name=user.display_name,
                role=user.role.value,
                teams=[DEFAULT_TEAM],
                password_hash=hash_password(user.password),
                now=utcnow(),
            )
            added.append(user)
    return added
