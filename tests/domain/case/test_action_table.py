"""The table of case actions: each body is its message without the sender, each action builds
its message from a body and the caller, and the contact rule holds in one place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.case.actions import ACTIONS, BY_NAME, Caller
from domain.case.messages import (
    AppealDecisionInput,
    ContactInput,
    NoteBody,
    NoteInput,
    PeerToPeerOutcomeBody,
    SupplyInformationBody,
    contact_problems,
)
from domain.case.vocabulary import AppealOutcome
from domain.enums import ContactChannel
from domain.models import Attachment, ContactLogEntry

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def test_names_commands_and_routes_are_unique() -> None:
    for key in ("name", "cli"):
        values = [getattr(action, key) for action in ACTIONS]
        assert len(set(values)) == len(values), key
    routes = [(action.method, action.path) for action in ACTIONS]
    assert len(set(routes)) == len(routes)


def test_a_body_is_its_message_without_the_sender() -> None:
    """Where the message extends the body, every body field travels into the message; the
    others (a contact, a peer-to-peer call) become a contact-log entry."""
    for action in ACTIONS:
        if issubclass(action.message, action.body):
            extra = set(action.message.model_fields) - set(action.body.model_fields)
            assert extra <= {"actor", "submission_id"}, action.name
        else:
            assert action.message is ContactInput, action.name
        assert "actor" not in action.body.model_fields, action.name


def test_each_action_builds_its_message_from_a_body_and_the_caller() -> None:
    note = BY_NAME["add_note"].build(NoteBody(text="Called"), Caller("staff:cm:ann"))
    assert note == NoteInput(text="Called", actor="staff:cm:ann")
    body = SupplyInformationBody(attachments=[Attachment(reference="D-1", title="Notes")])
    supplied = BY_NAME["supply_information"].build(body, Caller("staff:cm:ann", key="k-1"))
    assert supplied.submission_id == "k-1" and supplied.attachments == body.attachments
    call = PeerToPeerOutcomeBody(occurred_at=NOW, summary="Upheld")
    logged = BY_NAME["record_peer_to_peer"].build(call, Caller("staff:ur:bo"))
    assert logged.contact.channel == ContactChannel.PEER_TO_PEER
    assert logged.contact.occurred_at == NOW


def test_a_contact_cannot_lie_in_the_future() -> None:
    def entry(at: datetime) -> ContactLogEntry:
        return ContactLogEntry(channel=ContactChannel.PORTAL, occurred_at=at, summary="Checked")

    assert contact_problems(entry(NOW + timedelta(minutes=4)), NOW) == {}
    late = {"occurred_at": "is in the future"}
    assert contact_problems(entry(NOW + timedelta(minutes=6)), NOW) == late
    # The same rule guards both routes that log a contact.
    for name in ("record_contact", "record_peer_to_peer"):
        action = BY_NAME[name]
        body = (
            entry(NOW + timedelta(hours=1))
            if action.body is ContactLogEntry
            else PeerToPeerOutcomeBody(occurred_at=NOW + timedelta(hours=1), summary="x")
        )
        assert action.problems(body, NOW) == late
    assert BY_NAME["add_note"].problems(NoteBody(text="x"), NOW) == {}


def test_a_payer_decision_names_its_own_update_id() -> None:
    decision = AppealDecisionInput(decision_id="AD-1", outcome=AppealOutcome.UPHELD, decided_at=NOW)
    assert decision.update_id() == "appeal-decision-AD-1"
