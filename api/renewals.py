"""Renew an authorization: open the linked concurrent-review case that continues an approved
one (`domain.case.renewal` builds its request), once per case.

The renewal's id is derived from the case it renews, so asking again returns the same renewal
(HTTP 200) instead of a second one. Both cases' timelines name the other.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.client import Client

from api import service
from api.schemas import CaseOpened
from api.security import CaseAccess
from config.settings import Settings
from domain.case.read_model import Case
from domain.case.renewal import NothingToRenewError, renewal_request
from store import cases as store_cases
from store.records import CaseSummary
from store.transitions import TransitionWrites


def renewal_case_id(case_id: str) -> str:
    return "c" + hashlib.sha256(f"renewal\n{case_id}".encode()).hexdigest()[:24]


async def renew(
    *, engine: Engine, client: Client, settings: Settings, access: CaseAccess
) -> CaseOpened:
    def load(session: Session) -> tuple[Case, CaseSummary]:
        return (
            store_cases.get_case(session=session, case_id=access.case_id),
            store_cases.get_case_summary(session=session, case_id=access.case_id),
        )

    case, summary = await service.read(engine, load)
    try:
        request = renewal_request(case.request, case.latest_item_decisions(), case.case_number)
    except NothingToRenewError as exc:
        raise service.ServiceError(409, str(exc)) from None
    opened = await service.open_case(
        engine=engine,
        client=client,
        settings=settings,
        request=request,
        actor=access.actor,
        case_id=renewal_case_id(case.case_id),
        assignee=summary.assignee,
        source=service.CaseSource(
            "renewal", f"Case opened as the renewal of {case.case_number} (concurrent review)"
        ),
        team=summary.team,
    )

    def link(session: Session) -> None:
        with TransitionWrites(session.connection()) as writes:
            writes.append_event_once(
                idempotency_key=f"case-{case.case_id}:renewal:{opened.case_id}",
                action="renewal_opened",
                actor=access.actor.audit_name,
                summary=f"Authorization renewal opened: {opened.case_number}",
                case_id=case.case_id,
                details={"renewal_case_id": opened.case_id, "renewal": opened.case_number},
            )

    await service.write(engine, link)
    return opened
