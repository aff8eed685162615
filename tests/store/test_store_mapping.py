"""The store maps domain models field by field: a field added to one must get a column."""

from __future__ import annotations

import pytest
from pydantic import BaseModel
from sqlalchemy import Engine
from sqlmodel import SQLModel

from domain.case.read_model import Appeal, Case
from domain.models import (
    CaseDeadline,
    CodeSystem,
    ContactLogEntry,
    ItemDecision,
    PayerDecision,
    ServiceLine,
)
from store.cases import create_case, get_case
from store.database import transaction
from store.queries import list_cases
from store.records import CaseFilter
from store.tables import (
    AppealRow,
    CaseRow,
    ContactRow,
    DeadlineRow,
    DecisionItemRow,
    DecisionRow,
    ServiceLineRow,
)
from tests.store import samples


@pytest.mark.parametrize(
    ("model", "table", "elsewhere"),
    [
        (Case, CaseRow, {"decisions", "contacts"}),
        (PayerDecision, DecisionRow, {"items"}),
        (ItemDecision, DecisionItemRow, set()),
        (ContactLogEntry, ContactRow, set()),
        (CaseDeadline, DeadlineRow, set()),
        (Appeal, AppealRow, set()),
        # The full line lives in the request JSON; the table keeps what search needs.
        (ServiceLine, ServiceLineRow, {"place_of_service", "modifiers"}),
    ],
)
def test_every_domain_field_has_a_column(
    model: type[BaseModel], table: type[SQLModel], elsewhere: set[str]
) -> None:
    missing = set(model.model_fields) - set(table.model_fields) - elsewhere
    assert not missing, f"{table.__name__} has no column for {model.__name__}.{sorted(missing)}"


def test_undated_service_type_lines_round_trip(engine: Engine) -> None:
    request = samples.request().model_copy(
        update={
            "service_lines": [
                ServiceLine(
                    sequence=1,
                    code_system=CodeSystem.X12_SERVICE_TYPE,
                    code="3",
                    description="Consultation",
                )
            ]
        }
    )
    with transaction(engine) as session:
        create_case(
            session=session, case_id="case-600", request=request, received_at=samples.RECEIVED
        )
    with transaction(engine) as session:
        assert get_case(session=session, case_id="case-600").request == request
        page = list_cases(session=session, filters=CaseFilter(service_code="3"))
    assert [c.case_id for c in page.items] == ["case-600"]
