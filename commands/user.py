"""`priorauth user`: the people who sign in to the web workspace (add, list, disable, password).

Works on the case store directly, as the administrator running it (like `priorauth db`); the
password is asked for at a prompt (or read from standard input with --password-stdin), never
taken as an argument, which would leave it in the shell's history and the process list.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

user_app = typer.Typer(help="Manage web workspace users.", no_args_is_help=True)


def _engine() -> Engine:
    from config.settings import get_settings
    from store.database import make_engine
    from store.migrate import prepare_schema

    settings = get_settings()
    url = settings.resolved_database_url
    prepare_schema(
        url,
        migrate=settings.effective_migrate_on_start,
        migration_url=settings.migration_database_url,
        runtime_role=settings.database_runtime_role,
    )
    return make_engine(url)


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


def _password(from_stdin: bool) -> str:
    from api.web.passwords import password_problem

    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    problem = password_problem(password)
    if problem:
        raise _fail(f"password: {problem}")
    return password


PasswordStdin = Annotated[
    bool, typer.Option("--password-stdin", help="Read the password from standard input.")
]


@user_app.command("add")
def add(
    username: Annotated[
        str, typer.Argument(help="Sign-in name: lower-case letters, digits, . _ -")
    ],
    role: Annotated[str, typer.Option(help="case_manager, ur_staff or admin.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    team: Annotated[
        list[str] | None, typer.Option("--team", help="A team (repeat for several).")
    ] = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Add a user who signs in to the web workspace."""
    from pydantic import ValidationError

    from api.web.accounts import NewUser
    from api.web.passwords import hash_password
    from store import users as store_users
    from store.database import transaction
    from store.errors import ConflictError
    from store.types import utcnow

    try:
        fields = {"username": username, "display_name": name, "role": role}
        user = NewUser.model_validate({**fields, "teams": team} if team else fields)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise _fail(f"{field}: {first['msg']}") from None
    password = _password(password_stdin)
    engine = _engine()
    try:
        with transaction(engine) as session:
            store_users.add_user(
                session,
                username=user.username,
                display_name=user.display_name,
                role=user.role.value,
                teams=list(dict.fromkeys(user.teams)),
                password_hash=hash_password(password),
                now=utcnow(),
            )
    except ConflictError:
        raise _fail(f"username: user {username} already exists") from None
    finally:
        engine.dispose()
    typer.echo(f"added {user.username} ({user.role.value}; teams {', '.join(user.teams)})")


@user_app.command("list")
def list_users() -> None:
    """List the users: name, role, teams, active or disabled."""
    from store import users as store_users
    from store.database import read_session

    engine = _engine()
    try:
        with read_session(engine) as session:
            users = store_users.list_users(session)
    finally:
        engine.dispose()
    for user in users:
        state = "active" if user.active else f"disabled {user.disabled_at:%Y-%m-%d}"
        typer.echo(
            f"{user.username:<20} {user.role:<13} {','.join(user.teams):<20} {state:<20} "
            f"{user.display_name}"
        )


def _change(username: str, change: str, password: str | None = None) -> None:
    from api.web.passwords import hash_password
    from store import users as store_users
    from store.database import transaction
    from store.errors import NotFoundError
    from store.types import utcnow

    engine = _engine()
    try:
        with transaction(engine) as session:
            if password is None:
                store_users.disable_user(session, username, now=utcnow())
            else:
                store_users.set_password_hash(
                    session, username, hash_password(password), now=utcnow()
                )
    except NotFoundError:
        raise _fail(f"username: no user {username}") from None
    finally:
        engine.dispose()
    typer.echo(f"{change} {username}")


@user_app.command("disable")
def disable(username: Annotated[str, typer.Argument(help="The user to disable.")]) -> None:
    """Disable a user: they cannot sign in, and their open sessions end now."""
    _change(username, "disabled")


@user_app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="The user.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Give a user a new password."""
    _change(username, "new password for", _password(password_stdin))
