"""Which actions a case's state offers a person now (the web workspace shows these).

The same phase sets the Update validators use (`prior_auth_rules`), read the other way round:
not "is this message welcome" but "what could one do". The workflow still has the last word
(an action offered here and refused there answers with the workflow's reason).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.case.prior_auth_rules import APPEALABLE, AWAITING, OPEN_FOR_DECISIONS
from domain.case.views import CaseView
from domain.case.vocabulary import AppealStatus, Phase

ALWAYS_WHILE_OPEN = ("assign", "add_note", "record_contact", "withdraw")


@dataclass(frozen=True)
class Offer:
    action: str
    appeal_number: int | None = None


def offered(view: CaseView, appeals: dict[int, AppealStatus] | None = None) -> list[Offer]:
    """The actions `view`'s state allows, case actions first, then each appeal level's.

    `appeals` (number -> status) are the appeal levels' own states when the caller knows them
    (each level is a workflow of its own: the case's view of it can lag a step behind)."""
    if view.phase == Phase.DONE:
        return [Offer("add_note")]
    names: list[str] = []
    if view.phase in OPEN_FOR_DECISIONS:
        names += ["record_payer_decision", "record_payer_extension"]
    if view.phase == Phase.PENDED or (view.phase in AWAITING and view.information_request):
        names.append("supply_information")
    if view.phase == Phase.AUTHORIZED:
        names.append("record_units_used")
    if view.phase in APPEALABLE:
        names += ["file_appeal", "request_peer_to_peer", "record_peer_to_peer", "accept_denial"]
    offers = [Offer(name) for name in [*names, *ALWAYS_WHILE_OPEN]]
    statuses = {appeal.number: appeal.status for appeal in view.appeals} | (appeals or {})
    for number, status in sorted(statuses.items()):
        if status == AppealStatus.AWAITING_SIGNOFF:
            offers.append(Offer("sign_off_appeal", number))
        if status == AppealStatus.SUBMITTED:
            offers.append(Offer("record_appeal_decision", number))
    return offers
