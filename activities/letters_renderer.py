"""`LetterRenderer` over the `letters` package: case + letter request -> a .docx letter.

The letter quotes the case's deadlines as the engine recorded them (`letters.clocks`); the
worker's settings give the sending organization and the template overrides.

Kept out of `activities.letters` so workflow modules never import jinja2 or python-docx.
"""

from __future__ import annotations

from datetime import UTC, datetime

from activities.letters import LetterFacts, LetterUnavailableError, RenderedDocument
from activities.models import LetterInput
from config.settings import Organization, Settings
from domain.appeals import AppealLevel
from domain.case.read_model import Appeal, Case
from domain.deadline_keys import appeal_decision_key
from domain.models import CaseDeadline
from letters import (
    ArgumentInput,
    ExhibitInput,
    LetterDetails,
    LetterError,
    LetterKind,
    MissingLetterFields,
    Signer,
    SignerRole,
    build_letter_context,
    render_letter,
)


def letter_kind(letter: LetterInput, *, expedited: bool = False) -> LetterKind:
    if letter.kind == "missed_deadline":
        return LetterKind.MISSED_DEADLINE
    if letter.appeal_level == AppealLevel.EXTERNAL_REVIEW:
        return LetterKind.EXTERNAL_REVIEW_REQUEST
    return LetterKind.APPEAL_EXPEDITED if expedited else LetterKind.APPEAL_LEVEL1


def letter_details(case: Case, letter: LetterInput) -> LetterDetails:
    """What the worker knows beyond the case: the case manager's arguments, the exhibits.

    The arguments filed with the appeal (`FileAppealInput.arguments`) are the rebuttal; the
    request's attachments, then the documents filed with the appeal (`FileAppealInput.exhibits`),
    are the numbered enclosures (none is allowed: the letter then says so). The arguments cite
    no exhibit numbers, since nothing ties a sentence to a document.
    """
    return LetterDetails(
        arguments=[ArgumentInput(criterion=text) for text in letter.arguments if text.strip()],
        exhibits=[
            ExhibitInput(title=attachment.title, reference=attachment.reference)
            for attachment in case.request.attachments
        ]
        + [ExhibitInput(title=title) for title in letter.exhibits if title.strip()],
    )


class LettersPackageRenderer:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @property
    def organization(self) -> Organization:
        return self.settings.organization

    def render(self, facts: LetterFacts, letter: LetterInput) -> RenderedDocument:
        case = facts.case
        kind = letter_kind(letter)
        missed_key = (
            letter.deadline.key if kind is LetterKind.MISSED_DEADLINE and letter.deadline else None
        )
        appeal = None
        if letter.appeal_level is not None and letter.sequences:
            appeal = Appeal(
                level=letter.appeal_level,
                number=letter.appeal_number or 1,
                sequences=letter.sequences,
                arguments=letter.arguments,
            )
        elif missed_key is not None:
            # A missed appeal clock: the letter names the appeal and when it was filed.
            appeal = next(
                (a for a in facts.appeals if appeal_decision_key(a.number) == missed_key), None
            )
        try:
            context = build_letter_context(
                case,
                kind=kind,
                now=datetime.now(UTC),
                appeal=appeal,
                deadlines=_with_handed_over(facts.deadlines, letter.deadline),
                organization=self.organization,
                # Appeals go out over the treating physician's signature (the ordering
                # physician appeals a medical-necessity denial); staff edit before signing off.
                signer=_treating_physician(case, self.organization),
                details=letter_details(case, letter),
                missed_key=missed_key,
            )
            rendered = render_letter(context, override_dir=self.settings.template_override_dir)
        except MissingLetterFields as exc:
            # Field names only (never values): the task tells staff what the case lacks.
            missing = ", ".join(exc.fields)
            raise LetterUnavailableError(f"{kind.value}: MissingLetterFields: {missing}") from None
        except LetterError as exc:
            # Field names only: the letters package keeps PHI out of its messages.
            raise LetterUnavailableError(f"{kind.value}: {type(exc).__name__}") from None
        return RenderedDocument(
            kind=rendered.kind.value,
            template_version=rendered.template_version,
            content=rendered.docx,
            context={"context_json": rendered.context_json},
        )


def _with_handed_over(
    recorded: list[CaseDeadline], handed_over: CaseDeadline | None
) -> list[CaseDeadline]:
    """The case's recorded deadlines, with the one the workflow handed over for this letter
    (the filing window, the missed clock) in its place: the same engine row, current even if
    the store's copy of it is being written in the same step."""
    if handed_over is None:
        return recorded
    return [d for d in recorded if d.key != handed_over.key] + [handed_over]


def _treating_physician(case: Case, organization: Organization) -> Signer:
    provider = case.request.requesting_provider
    return Signer(
        name=provider.name,
        title=provider.specialty,
        role=SignerRole.TREATING_PHYSICIAN,
        organization=organization.name,
        npi=provider.npi,
        phone=provider.phone,
        fax=provider.fax,
    )
