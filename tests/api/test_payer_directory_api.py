"""The payer directory over HTTP: staff read, admins write; bad input is a 422 naming each field
and writes nothing; "does this need PA?" and the gold card answer from the store; a letter
preview takes the payer's appeals address from the directory when the request has none.

No Temporal: these routes read and write the store only."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import docx
import httpx
import pytest
from sqlalchemy import Engine

from api.app import create_app
from config.settings import Settings
from store import cases as store_cases
from store.database import transaction
from tests.api.conftest import KEYS, api_keys
from tests.domain.payer_entries import APPEALS_ADDRESS, body
from tests.store import samples
from tests.store.writes import writing

pytestmark = pytest.mark.postgres

PAYERS = "/api/v1/payers"


@pytest.fixture
async def http(
    engine: Engine, database_url: str, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        environment="test",
        data_dir=tmp_path,
        database_url=database_url,
        api_keys=api_keys(),
        temporal_address="127.0.0.1:1",  # no Temporal: the directory is the store's
    )
    app = create_app(settings, engine=engine, temporal_client=None)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://priorauth") as client:
            yield client


def as_role(role: str | None) -> dict[str, str]:
    return {"X-API-Key": KEYS[role]} if role else {}


async def put(http: httpx.AsyncClient, payer_id: str, data: Any, role: str = "admin") -> Any:
    return await http.put(f"{PAYERS}/{payer_id}", json=data, headers=as_role(role))


async def get(http: httpx.AsyncClient, path: str, role: str = "case_manager", **params: Any) -> Any:
    return await http.get(f"{PAYERS}{path}", params=params, headers=as_role(role))


def fields(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {error["field"]: error["message"] for error in response.json()["errors"]}


async def test_admins_write_staff_read_others_are_refused(http: httpx.AsyncClient) -> None:
    assert (await put(http, "BBH", body(), role="case_manager")).status_code == 403
    assert (await put(http, "BBH", body(), role="ur_staff")).status_code == 403
    assert (await put(http, "BBH", body(), role="integration")).status_code == 403
    assert (await http.put(f"{PAYERS}/BBH", json=body())).status_code == 401
    assert (await get(http, "/BBH", role="admin")).status_code == 404  # nothing was written

    created = await put(http, "BBH", body())
    assert created.status_code == 201, created.text
    assert created.json()["updated_by"] == "admin:dev-admin"
    replaced = await put(http, "BBH", body(name="Bluebonnet Health Plan of Texas"))
    assert replaced.status_code == 200
    for role in ("case_manager", "ur_staff", "admin"):
        read = await get(http, "/BBH", role=role)
        assert read.status_code == 200
        assert read.json()["name"] == "Bluebonnet Health Plan of Texas"
    assert (await get(http, "/BBH", role="integration")).status_code == 403
    assert (await get(http, "/BBH", role=None)).status_code == 401
    assert (
        await get(http, "/BBH/requires-pa", role="integration", code="70551")
    ).status_code == 403


async def test_the_entry_reads_back_and_the_listing_shows_lines(http: httpx.AsyncClient) -> None:
    await put(http, "BBH", body())
    await put(http, "ACME", body(name="Acme Health", pa_rules=[]))
    entry = (await get(http, "/BBH")).json()
    assert entry["payer_id"] == "BBH"
    assert entry["lines"][0]["channel"] == {
        "kind": "clearinghouse",
        "clearinghouse": "Example Clearinghouse",
        "payer_id": "BBH01",
    }
    assert entry["lines"][0]["appeals_address"]["line1"] == APPEALS_ADDRESS["line1"]
    assert [rule["code"] for rule in entry["pa_rules"]] == [r["code"] for r in body()["pa_rules"]]
    listed = (await get(http, "")).json()
    assert [(p["payer_id"], p["rule_count"]) for p in listed] == [
        ("ACME", 0),
        ("BBH", len(body()["pa_rules"])),
    ]
    assert [line["channel"] for line in listed[1]["lines"]] == ["clearinghouse", "fax", "pas"]


async def test_invalid_entries_name_each_field_and_write_nothing(http: httpx.AsyncClient) -> None:
    lines = body()["lines"]
    bad = body(
        timezone="Mars/Olympus",
        lines=[{**lines[0], "appeals_fax": "call us"}],
        pa_rules=[{"code": "70553-70551", "requirement": "required"}],
    )
    problems = fields(await put(http, "BBH", bad))
    assert set(problems) == {"timezone", "lines.0.appeals_fax", "pa_rules.0.code"}
    assert "ends before it starts" in problems["pa_rules.0.code"]
    assert (await get(http, "/BBH")).status_code == 404

    assert "payer_id" in fields(await put(http, "BB H", body()))
    unknown_field = fields(await put(http, "BBH", {**body(), "colour": "blue"}))
    assert unknown_field == {"colour": "Extra inputs are not permitted"}

    # A bad replacement leaves the stored entry as it was.
    await put(http, "BBH", body())
    wrong = body(pa_rules=[{"code": "E0601", "requirement": "required", "regime": "erisa_group"}])
    assert "pa_rules" in fields(await put(http, "BBH", wrong))
    assert len((await get(http, "/BBH")).json()["pa_rules"]) == len(body()["pa_rules"])


async def test_requires_pa_answers_with_the_deciding_rule(http: httpx.AsyncClient) -> None:
    await put(http, "BBH", body())

    async def ask(**params: Any) -> dict[str, Any]:
        response = await get(http, "/BBH/requires-pa", **params)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    mri = await ask(code="70552", regime="state_insured", state="tx")
    assert (mri["answer"], mri["rule"]["code"], mri["state"]) == ("required", "70551-70553", "TX")
    texas_medicaid = await ask(code="70552", regime="medicaid_managed_care", state="TX")
    assert texas_medicaid["answer"] == "not_required"
    assert texas_medicaid["rule"]["note"].startswith("Texas Medicaid")
    depends = await ask(code="70552")
    assert (depends["answer"], depends["depends_on"]) == ("unknown", ["regime", "state"])
    none = await ask(code="99213", regime="state_insured")
    assert (none["answer"], none["rule"]) == ("unknown", None)
    drug = await ask(code="j1100", regime="state_insured", state="TX")
    assert (drug["answer"], drug["code"]) == ("not_required", "J1100")

    assert set(fields(await get(http, "/BBH/requires-pa", code="7055"))) == {"code"}
    assert set(fields(await get(http, "/BBH/requires-pa"))) == {"code"}
    assert set(fields(await get(http, "/BBH/requires-pa", code="70552", state="Texas"))) == {
        "state"
    }
    assert set(fields(await get(http, "/BBH/requires-pa", code="70552", regime="hmo"))) == {
        "regime"
    }
    missing = await get(http, "/NOPE/requires-pa", code="70552")
    assert missing.status_code == 404 and missing.json()["detail"] == "payer NOPE not found"


NPI = "1234567893"


async def test_the_gold_card_counts_our_decisions(http: httpx.AsyncClient, engine: Engine) -> None:
    await put(http, "BBH", body())
    june = datetime(2026, 6, 15, 15, tzinfo=UTC)
    for n, code in enumerate(["A1"] * 9 + ["A3"]):
        request = samples.request(payer_id="BBH", regime="state_insured", codes=("70551",))
        data = request.model_dump(mode="json")
        data["coverage"]["state"] = "TX"
        item: dict[str, Any] = {"sequence": 1, "review_action_code": code}
        if code == "A3":
            item.update(reason_code="MN", reason_text="Criteria not met")
        with transaction(engine) as session:
            store_cases.create_case(
                session=session,
                case_id=f"case-{n}",
                request=request.model_validate(data),
                received_at=june,
            )
        with writing(engine) as writes:
            writes.insert_decision(
                case_id=f"case-{n}",
                decision=samples.PayerDecision.model_validate(
                    {"decision_id": f"d-{n}", "decided_at": june, "items": [item]}
                ),
            )
    response = await get(http, "/BBH/gold-card", npi=NPI, code="70551", as_of="2026-12-01")
    assert response.status_code == 200, response.text
    found = response.json()
    assert (found["approved"], found["eligible"], found["qualifies"]) == (9, 10, True)
    assert found["period"] == {"start": "2025-12-01", "end": "2026-11-30", "months": 12}
    later = await get(http, "/BBH/gold-card", npi=NPI, code="70551", as_of="2027-07-01")
    assert (later.json()["eligible"], later.json()["qualifies"]) == (0, False)

    assert set(fields(await get(http, "/BBH/gold-card", npi="1234567890", code="70551"))) == {"npi"}
    assert (await get(http, "/NOPE/gold-card", npi=NPI, code="70551")).status_code == 404


async def test_a_letter_preview_takes_the_directorys_appeals_address(
    http: httpx.AsyncClient, engine: Engine
) -> None:
    await put(http, "BBH", body())
    data = samples.request(payer_id="BBH", regime="state_insured").model_dump(mode="json")
    data["coverage"]["state"] = "TX"
    data["coverage"]["payer"].pop("appeals_address")
    with transaction(engine) as session:
        store_cases.create_case(
            session=session,
            case_id="case-letter",
            request=samples.PriorAuthRequest.model_validate(data),
            received_at=samples.RECEIVED,
        )
    with writing(engine) as writes:
        writes.insert_decision(case_id="case-letter", decision=samples.denial())
    response = await http.post(
        "/api/v1/cases/case-letter/letters/preview",
        json={"kind": "appeal_level1"},
        headers=as_role("case_manager"),
    )
    assert response.status_code == 200, response.text
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)
    assert APPEALS_ADDRESS["line1"] in text
    assert "Austin, TX 78711" in text
