"""`priorauth user`: add, list, disable and set a password, as an administrator would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from api.web.passwords import verify_password
from store import users as store_users
from store.database import make_engine, read_session

REPO = Path(__file__).resolve().parents[2]


def priorauth(
    database_url: str, *args: str, password: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRIORAUTH_")}
    env.update({"PRIORAUTH_ENVIRONMENT": "test", "PRIORAUTH_DATABASE_URL": database_url})
    return subprocess.run(
        [sys.executable, "-m", "cli", "user", *args],
        input=None if password is None else password + "\n",
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )


def stored(database_url: str) -> dict[str, tuple[str, str]]:
    """user name -> (role, password hash), as the store has them."""
    engine = make_engine(database_url)
    found = {}
    try:
        with read_session(engine) as session:
            for user in store_users.list_users(session):
                pair = store_users.credentials(session, user.username)
                assert pair is not None
                found[user.username] = (user.role, pair[1])
    finally:
        engine.dispose()
    return found


def test_add_list_disable_and_new_password(database_url: str) -> None:
    added = priorauth(
        database_url,
        "add",
        "casey",
        "--role",
        "case_manager",
        "--name",
        "Casey Morgan",
        "--team",
        "ortho",
        "--team",
        "spine",
        "--password-stdin",
        password="casey long password",
    )
    assert added.returncode == 0, added.stderr
    assert "added casey (case_manager; teams ortho, spine)" in added.stdout
    role, hashed = stored(database_url)["casey"]
    assert role == "case_manager"
    assert hashed.startswith("$argon2id$") and verify_password("casey long password", hashed)

    listed = priorauth(database_url, "list")
    assert listed.returncode == 0
    assert "casey" in listed.stdout and "ortho,spine" in listed.stdout and "active" in listed.stdout

    changed = priorauth(
        database_url, "set-password", "casey", "--password-stdin", password="another long password"
    )
    assert changed.returncode == 0, changed.stderr
    assert verify_password("another long password", stored(database_url)["casey"][1])

    assert priorauth(database_url, "disable", "casey").returncode == 0
    assert "disabled" in priorauth(database_url, "list").stdout


def test_bad_input_exits_2_naming_the_field_and_adds_nobody(database_url: str) -> None:
    cases = [
        (["add", "Casey!", "--role", "case_manager", "--name", "C"], "username"),
        (["add", "casey", "--role", "integration", "--name", "C"], "role"),
        (["add", "casey", "--role", "boss", "--name", "C"], "role"),
        (["add", "casey", "--role", "admin", "--name", "C", "--team", "a b"], "teams"),
    ]
    for args, field in cases:
        result = priorauth(database_url, *args, "--password-stdin", password="long enough password")
        assert result.returncode == 2, (args, result.stderr)
        assert result.stderr.startswith(field), (args, result.stderr)
    short = priorauth(
        database_url,
        "add",
        "casey",
        "--role",
        "admin",
        "--name",
        "C",
        "--password-stdin",
        password="short",
    )
    assert short.returncode == 2 and "password: must be at least 12 characters" in short.stderr
    assert "casey" not in priorauth(database_url, "list").stdout
    twice = [
        priorauth(
            database_url,
            "add",
            "ada",
            "--role",
            "admin",
            "--name",
            "Ada",
            "--password-stdin",
            password="long enough password",
        )
        for _ in range(2)
    ]
    assert twice[0].returncode == 0 and twice[1].returncode == 2
    assert "username: user ada already exists" in twice[1].stderr
    missing = priorauth(database_url, "disable", "nobody")
    assert missing.returncode == 2 and "username: no user nobody" in missing.stderr
