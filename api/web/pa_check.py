""" "Does this need prior authorization?" for the new-case form: the payer directory's answer
for each service line's code, asked with the form's payer, line of business and state.

Nothing is stored: the form comes back with its values and one answer per code (required, not
required, or unknown with the directory's reason). A code the directory cannot read, or a payer
it does not list, is an answer too ("ask the payer"), never an error that loses the form.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from api.web.case_request_form import CaseRequestForm
from domain.enums import Regime
from domain.payer_directory import PaAnswer
from store import payer_directory as directory
from store.errors import NotFoundError


@dataclass(frozen=True)
class PaCheck:
    """One service line's answer, as shown beside the form."""

    code: str
    answer: str  # required, not_required, unknown
    explanation: str

    @property
    def label(self) -> str:
        return {
            PaAnswer.REQUIRED.value: "Prior authorization required",
            PaAnswer.NOT_REQUIRED.value: "No prior authorization needed",
        }.get(self.answer, "Unknown: ask the payer")


@dataclass(frozen=True)
class PaChecks:
    payer_id: str
    answers: list[PaCheck]
    problem: str = ""  # why nothing could be asked (no payer id, no code, payer not listed)


def check_form(session: Session, form: CaseRequestForm) -> PaChecks:
    payer_id = form.value("coverage.payer.payer_id").strip()
    codes = [row.get("code", "").strip() for row in form.rows.get("service_lines", [])]
    codes = [code for code in codes if code]
    if not payer_id:
        return PaChecks(payer_id, [], "Enter the payer id first (Payer section).")
    if not codes:
        return PaChecks(payer_id, [], "Enter a service line's code first.")
    try:
        directory.require_payer(session, payer_id)
    except NotFoundError:
        problem = f"Payer {payer_id} is not in the payer directory: ask the payer."
        return PaChecks(payer_id, [], problem)
    regime_text = form.value("coverage.regime")
    regime = Regime(regime_text) if regime_text in Regime._value2member_map_ else None
    state = form.value("coverage.state").strip() or None
    answers = []
    for code in codes:
        try:
            found = directory.requires_pa(session, payer_id, code, regime, state)
        except ValueError as exc:
            answers.append(PaCheck(code, PaAnswer.UNKNOWN.value, str(exc)))
            continue
        answers.append(PaCheck(found.code, found.answer.value, found.explanation))
    return PaChecks(payer_id, answers)
