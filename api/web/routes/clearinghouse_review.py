"""Clearinghouse review (UR staff and supervisors): the messages from the clearinghouse that
matched no submission or no case, waiting for a person, and "Handled" to take one off the queue.

The same queue and rules as `GET /api/v1/clearinghouse/unmatched`: the X12 text is not shown
(it may carry PHI of a case we cannot name); a person who finds the case records the decision
on the case's own page. Nothing here applies a message to a case.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from api import service
from api.deps import EngineDep
from api.web.escalation_list import may_use
from api.web.sessions import Checked, SignedIn, WebUser
from api.web.templating import render
from domain import limits
from store import clearinghouse
from store.errors import NotFoundError

router = APIRouter(include_in_schema=False)
SHOWN = 200


async def _page(
    request: Request,
    engine: Any,
    user: WebUser,
    *,
    resolved: bool,
    notice: str = "",
    status_code: int = 200,
) -> Response:
    if not may_use(user.actor):
        return render(request, "clearinghouse_refused.html", user, status_code=403, active="")
    messages = await service.read(
        engine,
        lambda s: clearinghouse.list_unmatched(session=s, include_resolved=resolved, limit=SHOWN),
    )
    return render(
        request,
        "clearinghouse_review.html",
        user,
        status_code=status_code,
        active="review",
        messages=messages,
        resolved=resolved,
        notice=notice,
    )


@router.get("/clearinghouse/review")
async def review_page(
    request: Request, engine: EngineDep, user: SignedIn, resolved: bool = False
) -> Response:
    return await _page(request, engine, user, resolved=resolved)


@router.post("/clearinghouse/review/{message_id}/resolve")
async def resolve(
    request: Request,
    message_id: Annotated[int, Path(ge=1, le=limits.STORED_INT)],
    engine: EngineDep,
    user: Checked,
) -> Response:
    if not may_use(user.actor):
        return await _page(request, engine, user, resolved=False)
    try:
        await service.write(
            engine,
            lambda s: clearinghouse.resolve_unmatched(
                session=s,
                message_id=message_id,
                actor=user.actor.audit_name,
                now=service.utcnow(),
            ),
        )
    except (NotFoundError, service.ServiceError):
        notice = f"Message {message_id} is not in the review queue."
        return await _page(request, engine, user, resolved=False, notice=notice, status_code=404)
    return RedirectResponse(f"/clearinghouse/review?handled={message_id}", status_code=303)
