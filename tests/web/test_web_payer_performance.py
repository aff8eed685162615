"""Payer performance page: the figures of a hand-built history on the page and in the CSV, bad
filters refused beside their field, and a team's figures count only its own cases."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

from sqlalchemy import Engine

from tests.store.payer_history import ACME, BOLT, HISTORY, build
from tests.web.conftest import Browser, add_person

RANGE = {"period": "month", "from": "2026-03-01", "to": "2026-04-30"}


def row_cells(page: str, label: str) -> list[str]:
    """The text of the cells of the first table row headed `label`."""
    found = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', page, re.S)
    assert found, f"no row {label}"
    cells = re.findall(r"<td[^>]*>(.*?)</td>", found.group(1), re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", "", cell)).split()) for cell in cells]


def csv_rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    return {(r["payer_id"], r["period"]): r for r in csv.DictReader(io.StringIO(text))}


async def test_the_page_shows_the_figures_counted_by_hand(engine: Engine, browser: Browser) -> None:
    build(engine)
    add_person(engine, "casey", teams=("ortho",))
    await browser.sign_in("casey")
    page = await browser.get("/payers/performance", **RANGE)
    assert page.status_code == 200
    assert 'aria-current="page">Payer performance' in page.text
    march = [r for r in HISTORY if r.payer_id == ACME and r.received.month == 3]
    # Requests, decided, approved 2 of 5, denied 3 of 5, after appeal 1 of 5, median 72 h (the
    # third of 24, 48, 72, 96, 240), p90 240 h, one of five after the clock, 2 of 3 denied
    # appealed, 1 of 2 appeal levels decided overturned.
    assert row_cells(page.text, "2026-03") == [
        str(len(march)), "5", "40 % (2)", "60 % (3)", "20 % (1)", "3.0 d", "10.0 d",
        "20 % (1)", "67 % (2)", "50 % (1)",
    ]  # fmt: skip
    assert "CO-50" in page.text and "Not medically necessary per policy MP-123: 2" in page.text
    assert page.text.count("<svg") == 2 and "<title" in page.text
    assert len(page.content) < 200_000


async def test_the_csv_has_the_same_numbers(engine: Engine, browser: Browser) -> None:
    build(engine)
    add_person(engine, "casey", teams=("ortho",))
    await browser.sign_in("casey")
    response = await browser.get("/payers/performance.csv", **RANGE)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment;")
    rows = csv_rows(response.text)
    march = rows[(ACME, "2026-03")]
    assert (march["requests"], march["decided"], march["approved"]) == ("5", "5", "2")
    assert (march["approved_share"], march["denied"], march["approved_after_appeal"]) == (
        "0.4000", "3", "1",
    )  # fmt: skip
    assert (float(march["median_decision_hours"]), float(march["p90_decision_hours"])) == (72, 240)
    assert (march["decided_after_clock"], march["appeal_rate"], march["overturn_rate"]) == (
        "1", "0.6667", "0.5000",
    )  # fmt: skip
    assert rows[(ACME, "all")]["requests"] == "6"
    assert (
        "CO-50 Not medically necessary per policy MP-123: 2"
        in rows[(ACME, "all")]["top_denial_reasons"]
    )


async def test_a_bad_range_is_refused_beside_the_field(engine: Engine, browser: Browser) -> None:
    add_person(engine, "casey", teams=("ortho",))
    await browser.sign_in("casey")
    backwards = {**RANGE, "from": "2026-05-01", "to": "2026-03-01"}
    page = await browser.get("/payers/performance", **backwards)
    assert page.status_code == 422
    error = re.search(r'<p class="field-error" id="to-error">(.*?)</p>', page.text)
    assert error and "before its start" in error.group(1)
    assert 'id="to" name="to" type="date" value="2026-03-01" aria-invalid="true"' in page.text
    assert 'value="2026-05-01"' in page.text  # the person's own start kept
    not_a_date = await browser.get("/payers/performance", **{**RANGE, "from": "2026-13-01"})
    assert not_a_date.status_code == 422
    assert 'id="from-error">from: a date as YYYY-MM-DD' in not_a_date.text
    decade = await browser.get("/payers/performance.csv", **{**RANGE, "from": "2016-01-01"})
    assert decade.status_code == 422 and "more than 60 months" in decade.text


async def test_a_person_of_another_team_does_not_count_its_cases(
    engine: Engine, browser: Browser, second_browser: Browser
) -> None:
    build(engine)
    add_person(engine, "carla", teams=("cardio",))
    add_person(engine, "uri", role="ur_staff")
    await browser.sign_in("carla")
    cardio = csv_rows((await browser.get("/payers/performance.csv", **RANGE)).text)
    assert {payer for payer, _ in cardio} == {BOLT}
    page = await browser.get("/payers/performance", **RANGE)
    assert "ACME Plan" not in page.text and "BOLT Plan" in page.text
    await second_browser.sign_in("uri")
    every = csv_rows((await second_browser.get("/payers/performance.csv", **RANGE)).text)
    assert {payer for payer, _ in every} == {ACME, BOLT}


async def test_signed_in_only(browser: Browser) -> None:
    for path in ("/payers/performance", "/payers/performance.csv"):
        response = await browser.http.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
