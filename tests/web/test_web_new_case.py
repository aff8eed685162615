"""New case page without a Temporal server: the form, its errors, its guards.

Everything here is refused before a case could be opened, so the app runs without Temporal
(`tests/web/conftest.py`); the cases that do open are in test_web_new_case_opens.py.
"""

from __future__ import annotations

import json
import re
from typing import Any, get_args, get_origin

from lxml import html
from pydantic import BaseModel
from sqlalchemy import Engine

from domain.models import PriorAuthRequest
from store import payer_directory as directory
from store.database import read_session, transaction
from store.queries import list_cases
from store.types import utcnow
from tests.domain.payer_entries import entry as payer_entry
from tests.integrations.pas_helpers import FIXTURES
from tests.web.conftest import Browser, add_person

# A complete, valid request as the form sends it (synthetic; no real person).
VALID: dict[str, str] = {
    "member.member_id": "W123456789",
    "member.first_name": "Testa",
    "member.last_name": "Patientson",
    "member.birth_date": "1958-04-12",
    "coverage.regime": "medicare_advantage",
    "coverage.plan_name": "Example Advantage PPO",
    "coverage.payer.name": "Example Health Plan",
    "coverage.payer.payer_id": "EXH01",
    "coverage.payer.timezone": "America/Chicago",
    "requesting_provider.npi": "1234567893",
    "requesting_provider.name": "Dr. Ortho Example",
    "service_lines.0.code_system": "cpt_hcpcs",
    "service_lines.0.code": "27447",
    "service_lines.0.description": "Total knee arthroplasty",
    "service_lines.0.units": "1",
    "service_lines.0.start_date": "2026-12-01",
    "diagnoses.0.code": "M17.11",
    "diagnoses.primary": "0",
    "urgency": "standard",
    "service_timing": "pre_service",
    "item_type": "service",
    "request_type": "benefit",
    "subject_to_prior_authorization": "true",
    "clinical_summary": "Severe osteoarthritis of the right knee after failed therapy.",
    "team": "ortho",
    "idempotency_key": "form-key-1",
}


class Page:
    """A page as a person's tools read it: elements by id, inputs by name, labels, text."""

    def __init__(self, response: Any) -> None:
        self.root = html.fromstring(response.text)

    def by_id(self, element_id: str) -> Any:
        found = self.root.xpath(f'//*[@id="{element_id}"]')
        return found[0] if found else None

    def all(self, xpath: str) -> list[Any]:
        found: list[Any] = self.root.xpath(xpath)
        return found

    def named(self, name: str, value: str | None = None) -> Any:
        test = f'[@value="{value}"]' if value is not None else ""
        found = self.root.xpath(f'//form[@id="new-case-form"]//*[@name="{name}"]{test}')
        assert found, name
        return found[0]

    def text(self, element_id: str) -> str:
        element = self.by_id(element_id)
        assert element is not None, element_id
        return " ".join(element.text_content().split())

    def error_of(self, element_id: str) -> str:
        """The error shown for an input, checked to be tied to it as assistive tools see it."""
        field = self.by_id(element_id)
        assert field is not None, element_id
        assert field.get("aria-invalid") == "true", element_id
        described = (field.get("aria-describedby") or "").split()
        assert f"{element_id}-error" in described, described
        return self.text(f"{element_id}-error")

    def value_of(self, name: str) -> str:
        field = self.named(name)
        if field.tag == "textarea":
            return str(field.text or "")
        if field.tag == "select":
            chosen = field.xpath("./option[@selected]")
            return str(chosen[0].get("value")) if chosen else ""
        return str(field.get("value", ""))

    def checked(self, name: str, value: str) -> bool:
        return self.named(name, value).get("checked") is not None


def stored_cases(engine: Engine) -> int:
    with read_session(engine) as session:
        return list_cases(session=session, limit=10).total


def request_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every input the API's request body has, as the form names it (rows as row 0)."""
    paths: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = info.annotation
        nested = [a for a in (annotation, *get_args(annotation)) if _is_model(a)]
        if (
            get_origin(annotation) is list
            and get_args(annotation)
            and _is_model(get_args(annotation)[0])
        ):
            paths |= request_paths(get_args(annotation)[0], f"{path}.0.")
        elif nested:
            paths |= request_paths(nested[0], f"{path}.")
        else:
            paths.add(path)
    return paths


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


async def signed_in(browser: Browser, engine: Engine, teams: tuple[str, ...] = ("ortho",)) -> None:
    add_person(engine, "casey", "case_manager", teams)
    assert (await browser.sign_in("casey")).status_code == 303


async def test_the_form_asks_for_the_whole_api_request(browser: Browser, engine: Engine) -> None:
    await signed_in(browser, engine)
    response = await browser.get("/cases/new")
    assert response.status_code == 200
    soup = Page(response)
    assert [h.text_content() for h in soup.all("//h1")] == ["New case"]
    # Every field of POST /api/v1/cases' body has a labelled input, but the two the form sets
    # itself: a line's sequence (its position) and the primary flag (one radio group).
    wanted = request_paths(PriorAuthRequest) - {"service_lines.0.sequence", "diagnoses.0.primary"}
    names = {str(tag.get("name")) for tag in soup.all('//form[@id="new-case-form"]//*[@name]')}
    assert wanted - names == set()
    for name in wanted:
        field = soup.named(name)
        assert soup.all(f'//label[@for="{field.get("id")}"]'), name
    assert soup.checked("diagnoses.primary", "0")
    # Rows: a template to add more, and the keyboard buttons that JavaScript shows.
    for rows in ("service_lines", "diagnoses", "attachments"):
        assert soup.all(f'//template[@data-row-template="{rows}"]')
        assert soup.all(f'//button[@data-add-row="{rows}"]')
    # Fieldsets with legends; the case manager's own team and queue by default.
    legends = [" ".join(legend.text_content().split()) for legend in soup.all("//legend")]
    for legend in ("Member (patient)", "Coverage", "Payer", "Requesting provider"):
        assert legend in legends
    assert soup.value_of("team") == "ortho"
    assert soup.value_of("assignee") == "casey"
    key = soup.value_of("idempotency_key")
    assert len(key) >= 16
    assert Page(await browser.get("/cases/new")).value_of("idempotency_key") != key


async def test_an_invalid_request_comes_back_with_errors_beside_its_inputs(
    browser: Browser, engine: Engine
) -> None:
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    form = {
        **VALID,
        "requesting_provider.npi": "1234567890",  # fails the NPI check digit
        "service_lines.0.description": "",
        # A second line and a second diagnosis (the primary one), as the rows helper adds them.
        "service_lines.3.code": "97110",
        "service_lines.3.description": "Therapeutic exercise",
        "service_lines.3.units": "many",
        "service_lines.3.modifiers": "gp, kx",
        "diagnoses.2.code": "M25.561",
        "diagnoses.2.description": "Pain in right knee",
        "diagnoses.primary": "2",
        "clinical_summary": 'Knee <worse> & "locking"',
    }
    response = await browser.post("/cases/new", form)
    assert response.status_code == 422
    soup = Page(response)
    assert "was not opened" in soup.text("error-summary")
    assert "NPI" in soup.error_of("requesting_provider-npi")
    assert "required" in soup.error_of("service_lines-0-description").lower()
    assert "integer" in soup.error_of("service_lines-1-units")
    # The summary links to each input, in the page's order.
    links = [a.get("href") for a in soup.all('//*[@id="error-summary"]//a')]
    assert links == [
        "#requesting_provider-npi",
        "#service_lines-0-description",
        "#service_lines-1-units",
    ]
    # Every value comes back as typed, rows renumbered in order.
    assert soup.value_of("member.first_name") == "Testa"
    assert soup.value_of("requesting_provider.npi") == "1234567890"
    assert soup.value_of("coverage.regime") == "medicare_advantage"
    assert soup.value_of("service_lines.1.code") == "97110"
    assert soup.value_of("service_lines.1.units") == "many"
    assert soup.value_of("service_lines.1.modifiers") == "gp, kx"
    assert soup.value_of("diagnoses.1.code") == "M25.561"
    assert soup.value_of("clinical_summary") == 'Knee <worse> & "locking"'
    assert soup.checked("diagnoses.primary", "1")
    assert not soup.checked("diagnoses.primary", "0")
    assert soup.value_of("idempotency_key") == "form-key-1"
    assert stored_cases(engine) == 0


async def test_rules_over_several_fields_land_on_the_field_they_name(
    browser: Browser, engine: Engine
) -> None:
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    form = {
        **VALID,
        "coverage.regime": "medicaid_managed_care",  # needs a state
        "requesting_provider.npi": "",  # and no other identifier
        "service_lines.0.end_date": "2026-11-01",  # before the start date
        "member.address.city": "Austin",  # an address begun, not finished
    }
    soup = Page(await browser.post("/cases/new", form))
    assert "state is required" in soup.error_of("coverage-state")
    assert "npi is required" in soup.error_of("requesting_provider-npi")
    assert "before start_date" in soup.error_of("service_lines-0-end_date")
    assert "required" in soup.error_of("member-address-line1").lower()
    assert soup.all('//details[.//*[@id="member-address-line1"]]')[0].get("open") is not None
    # A servicing provider left empty is no servicing provider: no error for it.
    assert soup.by_id("servicing_provider-name-error") is None
    # The request's own rules come once its parts are valid (as in the API).
    expedited = Page(await browser.post("/cases/new", {**VALID, "urgency": "expedited"}))
    assert "required for an expedited request" in expedited.error_of("urgency_justification")
    assert expedited.value_of("urgency") == "expedited"
    assert stored_cases(engine) == 0


async def test_blank_rows_are_dropped_but_a_request_needs_a_line(
    browser: Browser, engine: Engine
) -> None:
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    # A second service line and an enclosure added and left empty are no rows at all.
    form = {
        **VALID,
        "member.last_name": "",
        "service_lines.1.code_system": "cpt_hcpcs",
        "service_lines.1.units": "1",
        "attachments.0.content_type": "application/pdf",
    }
    soup = Page(await browser.post("/cases/new", form))
    assert "required" in soup.error_of("member-last_name").lower()
    assert len(soup.all('//*[@data-rows="service_lines"]/*[@data-row]')) == 1
    assert not soup.all('//*[@class="field-error"][starts-with(@id, "attachments")]')
    # With no line filled in, the empty line stays and says what it lacks.
    no_lines = {key: value for key, value in VALID.items() if not key.startswith("service_")}
    no_lines["service_lines.0.units"] = "1"
    response = await browser.post("/cases/new", no_lines)
    assert response.status_code == 422
    soup = Page(response)
    assert "required" in soup.error_of("service_lines-0-code").lower()
    assert "required" in soup.error_of("service_lines-0-description").lower()
    # A form with no member at all names each of the member's required inputs.
    soup = Page(await browser.post("/cases/new", {"idempotency_key": "k", "team": "ortho"}))
    for element_id in ("member-member_id", "member-first_name", "coverage-payer-payer_id"):
        assert "required" in soup.error_of(element_id).lower()
    assert stored_cases(engine) == 0


async def test_team_and_assignee_follow_the_api_rules(browser: Browser, engine: Engine) -> None:
    add_person(engine, "olga", "case_manager", ("cardio",))
    add_person(engine, "nico", "case_manager", ("ortho", "spine"))
    await signed_in(browser, engine)
    soup = Page(await browser.get("/cases/new"))
    offered = {option.get("value") for option in soup.all('//*[@id="assignee"]/option')}
    assert {"casey", "nico"} <= offered and "olga" not in offered
    form = {**VALID, "team": "cardio", "assignee": "olga"}
    response = await browser.post("/cases/new", form)
    assert response.status_code == 422
    soup = Page(response)
    assert "not one of your teams" in soup.error_of("team")
    assert "not an active person" in soup.error_of("assignee")
    assert stored_cases(engine) == 0


async def test_every_post_needs_the_form_token(browser: Browser, engine: Engine) -> None:
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    refused = await browser.http.post("/cases/new", data=VALID)
    assert refused.status_code == 403
    forged = await browser.http.post("/cases/new", data={**VALID, "csrf_token": "forged"})
    assert forged.status_code == 403
    bundle = (FIXTURES / "conformant_pas_bundle_v110.json").read_bytes()
    upload = await browser.http.post(
        "/cases/new/pas", files={"bundle": ("bundle.json", bundle, "application/json")}
    )
    assert upload.status_code == 403
    assert stored_cases(engine) == 0


async def test_signed_out_people_are_sent_to_sign_in(browser: Browser) -> None:
    response = await browser.get("/cases/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/cases/new"


async def upload(browser: Browser, content: bytes, name: str = "bundle.json") -> Any:
    return await browser.post(
        "/cases/new/pas",
        {"team": "ortho"},
        files={"bundle": (name, content, "application/fhir+json")},
    )


async def test_a_malformed_bundle_is_refused_naming_where(browser: Browser, engine: Engine) -> None:
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    not_json = await upload(browser, b'{"resourceType": "Bundle",')
    assert not_json.status_code == 400
    assert "not JSON" in Page(not_json).text("pas-errors")
    not_pas = await upload(browser, (FIXTURES / "nonconformant_pas_bundle_v110.json").read_bytes())
    assert not_pas.status_code == 400
    assert "Bundle.entry" in Page(not_pas).text("pas-errors")
    assert Page(not_pas).by_id("pas-bundle").get("aria-invalid") == "true"
    inquiry = (FIXTURES / "conformant_pas_inquire_bundle_v110.json").read_bytes()
    refused = Page(await upload(browser, inquiry)).text("pas-errors")
    assert "inquiry" in refused and "Bundle.entry[0].resource" in refused
    empty = await upload(browser, b"")
    assert empty.status_code == 422
    assert stored_cases(engine) == 0


async def test_a_bundle_that_names_no_member_is_refused_with_the_rule(
    browser: Browser, engine: Engine
) -> None:
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    bundle = json.loads((FIXTURES / "conformant_pas_bundle_v110.json").read_text())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Coverage":
            entry["resource"].pop("subscriberId", None)
            entry["resource"].pop("identifier", None)
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"].pop("identifier", None)
    response = await upload(browser, json.dumps(bundle).encode())
    assert response.status_code == 422
    shown = Page(response).text("pas-errors")
    assert re.search(r"Bundle\.entry|Patient|Coverage", shown), shown
    assert stored_cases(engine) == 0


async def test_without_the_case_engine_nothing_is_stored(browser: Browser, engine: Engine) -> None:
    """Temporal unreachable (this app has none): a valid form is not lost, nor half-opened."""
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    response = await browser.post("/cases/new", VALID)
    assert response.status_code == 503
    soup = Page(response)
    assert "Temporal is unreachable" in soup.text("error-summary")
    assert soup.value_of("member.member_id") == VALID["member.member_id"]
    assert stored_cases(engine) == 0


async def test_the_form_asks_the_payer_directory_whether_pa_is_needed(
    browser: Browser, engine: Engine
) -> None:
    with transaction(engine) as session:
        directory.put_payer(session, payer_entry("BBH"), actor="admin:ada", now=utcnow())
    await signed_in(browser, engine)
    await browser.get("/cases/new")
    form = {
        **VALID,
        "coverage.payer.payer_id": "BBH",
        "coverage.regime": "medicaid_managed_care",
        "coverage.state": "TX",
        "service_lines.0.code": "70552",
        "service_lines.1.code": "J1100",
        "service_lines.1.units": "1",
    }
    response = await browser.post("/cases/new/requires-pa", form)
    assert response.status_code == 200
    soup = Page(response)
    answers = [" ".join(li.text_content().split()) for li in soup.all('//*[@id="pa-answers"]//li')]
    # The Texas Medicaid rule is more specific than the payer-wide MRI rule; J1100 is exempt
    # from the J-code rule.
    assert answers[0].startswith("70552: No prior authorization needed.")
    assert "vendor" in answers[0]
    assert answers[1].startswith("J1100: No prior authorization needed.")
    assert soup.value_of("service_lines.0.code") == "70552"  # the form comes back as typed
    assert stored_cases(engine) == 0  # nothing stored

    form["coverage.regime"] = "state_insured"
    answers = [
        " ".join(li.text_content().split())
        for li in Page(await browser.post("/cases/new/requires-pa", form)).all(
            '//*[@id="pa-answers"]//li'
        )
    ]
    assert answers[0].startswith("70552: Prior authorization required.")

    form["coverage.payer.payer_id"] = "NOPE1"
    text = (await browser.post("/cases/new/requires-pa", form)).text
    assert "Payer NOPE1 is not in the payer directory: ask the payer." in text
    missing_token = await browser.http.post("/cases/new/requires-pa", data=form)
    assert missing_token.status_code == 403
