"""What the caller supplies for one letter beyond the case: sender, signer, details.

`Sender` is the sending organization (the settings' `Organization` fits it), `Letterhead` how
the letter prints it, `Signer` who signs, and `LetterDetails` what a person adds for one letter
(exhibits, arguments, the notice date, call windows, ...). `letters.context` builds the letter
from these and the case.
"""

from __future__ import annotations

import datetime as dt
from datetime import date
from enum import StrEnum
from typing import Protocol

from pydantic import AwareDatetime, Field

from letters.model import LetterModel


class SignerRole(StrEnum):
    TREATING_PHYSICIAN = "treating_physician"
    CASE_MANAGER = "case_manager"
    UTILIZATION_REVIEW = "utilization_review"
    AUTHORIZED_REPRESENTATIVE = "authorized_representative"
    MEMBER = "member"


class Signer(LetterModel):
    name: str = Field(min_length=1, max_length=120)
    credentials: str | None = None
    title: str | None = None
    role: SignerRole = SignerRole.CASE_MANAGER
    organization: str | None = None
    npi: str | None = Field(default=None, pattern=r"^\d{10}$")
    phone: str | None = None
    fax: str | None = None
    email: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.name}, {self.credentials}" if self.credentials else self.name


class Sender(Protocol):
    """The organization a letter is sent from (the settings' `Organization` is one); given by
    the caller, so the letters package reads no settings."""

    @property
    def name(self) -> str: ...
    @property
    def department(self) -> str | None: ...
    @property
    def address_lines(self) -> list[str]: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def fax(self) -> str | None: ...
    @property
    def email(self) -> str | None: ...
    @property
    def timezone(self) -> str: ...


class Letterhead(LetterModel):
    name: str
    department: str | None = None
    address_lines: list[str] = Field(default_factory=list)
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    timezone: str = "America/Chicago"

    @classmethod
    def from_organization(cls, organization: Sender) -> Letterhead:
        return cls(
            name=organization.name,
            department=organization.department,
            address_lines=list(organization.address_lines),
            phone=organization.phone,
            fax=organization.fax,
            email=organization.email,
            timezone=organization.timezone,
        )


class Addressee(LetterModel):
    name: str
    attention: str | None = None
    address_lines: list[str] = Field(default_factory=list)
    fax: str | None = None

    @property
    def delivery_lines(self) -> list[str]:
        """Where the letter goes: the postal address, else the fax number."""
        if self.address_lines:
            return list(self.address_lines)
        return [f"Via fax: {self.fax}"] if self.fax else []


class ExhibitInput(LetterModel):
    title: str = Field(min_length=1, max_length=500)  # as long as an attachment's title
    description: str | None = Field(default=None, max_length=2_000)
    date: dt.date | None = None
    reference: str | None = None


class ArgumentInput(LetterModel):
    """One point of the rebuttal: the criterion, the evidence that meets it, the exhibits."""

    criterion: str = Field(min_length=1, max_length=5_000)
    rebuttal: str | None = Field(default=None, max_length=10_000)
    exhibits: list[int] = Field(default_factory=list)


class PriorTreatment(LetterModel):
    therapy: str = Field(min_length=1, max_length=300)
    dose: str | None = None
    duration: str | None = None
    outcome: str | None = Field(default=None, max_length=2_000)


class PeerToPeerInput(LetterModel):
    availability: list[str] = Field(default_factory=list)
    callback_phone: str | None = None
    contact_name: str | None = None
    payer_line: str | None = None


class RequestFlags(LetterModel):
    peer_to_peer: bool = True
    claim_file: bool = True
    human_review: bool = True


class LetterDetails(LetterModel):
    """What a person adds to the case for one letter (the case file's own fields)."""

    notice_date: date | None = None
    all_information_received_at: AwareDatetime | None = None
    addressee: Addressee | None = None
    review_body: Addressee | None = None
    exhibits: list[ExhibitInput] | None = None
    arguments: list[ArgumentInput] = Field(default_factory=list)
    prior_treatments: list[PriorTreatment] = Field(default_factory=list)
    guideline_citations: list[str] = Field(default_factory=list)
    clinical_summary: str | None = Field(default=None, max_length=20_000)
    urgency_justification: str | None = Field(default=None, max_length=5_000)
    denial_criterion: str | None = None
    peer_to_peer: PeerToPeerInput | None = None
    requests: RequestFlags = Field(default_factory=RequestFlags)
    automated_review_suspected: bool = False
    claim_number: str | None = None
    on_behalf_of_member: bool = False
    requested_action: str | None = Field(default=None, max_length=2_000)
    cc: list[str] = Field(default_factory=list)
