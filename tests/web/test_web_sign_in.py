"""Signing in and out of the web workspace: the cookie, CSRF, idle timeout, disabled users."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, update

from store import users as store_users
from store.database import transaction
from store.tables import UserRow, WebSessionRow
from store.types import utcnow
from tests.web.conftest import Browser, add_person


async def test_sign_in_opens_my_work_and_wrong_password_is_refused(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey")
    refused = await browser.sign_in("casey", "not the password at all")
    assert refused.status_code == 401
    assert "user name or password is wrong" in refused.text
    assert 'value="casey"' in refused.text  # the user name is kept in the form
    assert "priorauth_session" not in refused.headers.get("set-cookie", "")

    accepted = await browser.sign_in("casey")
    assert accepted.status_code == 303
    cookie = accepted.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # test environment: plain http
    page = await browser.get("/")
    assert page.status_code == 200
    assert "<h1>My work</h1>" in page.text and "Casey" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_pages_need_a_session(browser: Browser) -> None:
    response = await browser.http.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    htmx = await browser.http.post("/work/rows", headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"] == "/login"


async def test_forms_without_the_csrf_token_are_refused(engine: Engine, browser: Browser) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    forged = await browser.http.post("/logout", data={})
    assert forged.status_code == 403
    assert "security token" in forged.text
    wrong = await browser.http.post("/logout", data={"csrf_token": "x" * 43})
    assert wrong.status_code == 403
    assert (await browser.get("/")).status_code == 200  # still signed in


async def test_sign_out_ends_the_session_for_a_copied_cookie(
    engine: Engine, browser: Browser, second_browser: Browser
) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    second_browser.http.cookies.update(browser.http.cookies)  # a copied cookie
    assert (await second_browser.get("/")).status_code == 200
    out = await browser.post("/logout")
    assert out.status_code == 303 and out.headers["location"] == "/login?signed_out=1"
    assert (await second_browser.http.get("/")).status_code == 303
    assert "You are signed out" in (await browser.http.get("/login?signed_out=1")).text


async def test_an_idle_session_ends(engine: Engine, browser: Browser) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    with transaction(engine) as session:
        session.execute(update(WebSessionRow).values(last_seen_at=utcnow() - timedelta(minutes=16)))
    response = await browser.http.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?expired=1"
    page = await browser.http.get(response.headers["location"])
    assert "period without activity" in page.text
    with transaction(engine) as session:  # and it stays ended, whatever the clock says
        session.execute(update(WebSessionRow).values(last_seen_at=utcnow()))
    assert (await browser.http.get("/")).status_code == 303


async def test_disabling_a_user_ends_their_session_and_sign_in(
    engine: Engine, browser: Browser
) -> None:
    add_person(engine, "casey")
    await browser.sign_in("casey")
    with transaction(engine) as session:
        store_users.disable_user(session, "casey", now=utcnow())
    assert (await browser.http.get("/")).status_code == 303
    assert (await browser.sign_in("casey")).status_code == 401


async def test_sign_in_never_redirects_off_the_site(engine: Engine, browser: Browser) -> None:
    add_person(engine, "casey")
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = await browser.http.post(
            "/login",
            data={"username": "casey", "password": "correct horse battery staple", "next": target},
        )
        assert response.headers["location"] == "/"


async def test_wrong_passwords_lock_sign_in_for_a_while(engine: Engine, browser: Browser) -> None:
    add_person(engine, "casey")
    for _ in range(5):
        assert (await browser.sign_in("casey", "guessing wrong again")).status_code == 401
    locked = await browser.sign_in("casey")  # the right password, but locked
    assert locked.status_code == 401
    assert "user name or password is wrong" in locked.text  # says no more than that
    with transaction(engine) as session:
        session.execute(update(UserRow).values(locked_until=utcnow() - timedelta(seconds=1)))
    assert (await browser.sign_in("casey")).status_code == 303


async def test_the_dev_users_sign_in_with_their_documented_passwords(
    engine: Engine, browser: Browser
) -> None:
    from api.web.dev_users import DEV_USERS, seed_dev_users

    assert [user.username for user in seed_dev_users(engine)] == [
        "dev-case-manager",
        "dev-ur-staff",
        "dev-admin",
    ]
    assert seed_dev_users(engine) == []  # a second start adds nobody
    for user in DEV_USERS:
        assert (await browser.sign_in(user.username, user.password)).status_code == 303
        await browser.post("/logout")
