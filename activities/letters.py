"""Render a letter for a case and keep it in the store, once per idempotency key.

The renderer is injected (`LettersPackageRenderer` over `letters/` in the worker, a plain-text
fake in workflow tests) and gets the case with its recorded deadlines (the clocks a letter
quotes) and appeals. Only the letter's reference (id, kind, template version, checksum)
goes back to the workflow: the document is PHI and never enters the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Protocol

import structlog
from pydantic import BaseModel, Field
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import errors
from activities.case_store import (
    CaseNotFoundError,
    CaseRecorder,
    StoreRejectedError,
    not_found,
    store_rejected,
)
from activities.models import LetterInput, LetterRef
from domain.case.read_model import Appeal, Case
from domain.models import CaseDeadline

log = structlog.stdlib.get_logger("priorauth.activities")


class RenderedDocument(BaseModel):
    kind: str
    template_version: str
    content: bytes
    context: dict[str, Any] = Field(default_factory=dict)


class LetterUnavailableError(Exception):
    """No template, or facts missing for this letter (a business failure; PHI-free message)."""


@dataclass(frozen=True)
class LetterFacts:
    """What the store knows that a letter states: the case (PHI), its deadlines as the engine
    recorded them (the clocks a letter quotes) and its appeals."""

    case: Case
    deadlines: list[CaseDeadline] = field(default_factory=list)
    appeals: list[Appeal] = field(default_factory=list)


class LetterRenderer(Protocol):
    def render(self, facts: LetterFacts, letter: LetterInput) -> RenderedDocument: ...


class PlainTextRenderer:
    """A minimal renderer for workflow tests (the real one is `LettersPackageRenderer`)."""

    def render(self, facts: LetterFacts, letter: LetterInput) -> RenderedDocument:
        case = facts.case
        body = f"{letter.kind} for case {case.case_id}: {case.request.member.full_name}"
        return RenderedDocument(kind=letter.kind, template_version="plain-1", content=body.encode())


def checksum(content: bytes) -> str:
    return sha256(content).hexdigest()


class LetterActivities:
    def __init__(self, renderer: LetterRenderer, recorder: CaseRecorder) -> None:
        self.renderer = renderer
        self.recorder = recorder

    @activity.defn(name="render_letter")
    def render_letter(self, letter: LetterInput) -> LetterRef:
        try:
            existing = self.recorder.find_letter(letter.case_id, letter.key)
            if existing is not None:
                log.info("letter_reused", case_id=letter.case_id, key=letter.key)
                return existing
            facts = LetterFacts(
                case=self.recorder.load_case(letter.case_id),
                deadlines=self.recorder.load_deadlines(letter.case_id),
                appeals=self.recorder.load_appeals(letter.case_id),
            )
            document = self.renderer.render(facts, letter)
            saved = self.recorder.save_letter(
                letter.case_id,
                letter.key,
                kind=document.kind,
                template_version=document.template_version,
                content=document.content,
                context=document.context,
            )
        except CaseNotFoundError:
            raise not_found(letter.case_id) from None
        except StoreRejectedError as exc:
            # The workflow takes it as "no letter" (a business failure) and asks for one by hand.
            raise store_rejected(letter.case_id, letter.key, exc) from None
        except LetterUnavailableError as exc:
            raise ApplicationError(
                str(exc), type=errors.LETTER_UNAVAILABLE, non_retryable=True
            ) from None
        log.info(
            "letter_rendered",
            case_id=letter.case_id,
            key=letter.key,
            kind=saved.kind,
            letter_id=saved.letter_id,
        )
        return saved
