"""The 278 a clearinghouse submission sends: the payer named by its X12 id from the payer
directory when it has one, else by the request's payer id."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.clearinghouse_ledger import TraceEntry, TraceState
from integrations.clearinghouse.request import Trading, build_submission_278
from integrations.x12.tokenizer import tokenize
from tests.integrations.clearinghouse.helpers import submission

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
ENTRY = TraceEntry(
    control_number=7,
    trace_number="T0000007",
    submission_key="case-ch-1:submit:1",
    case_id="case-ch-1",
    kind="initial",
    payer_id="EXH01",
    state=TraceState.SENDING,
    created_at=NOW,
    updated_at=NOW,
)
TRADING = Trading(sender_id="PRIORAUTH", receiver_id="SBXCLEARING", usage="T")


def umo_id(x12: str) -> str:
    (umo,) = [s for s in tokenize(x12) if s.id == "NM1" and s.element(1) == "X3"]
    return umo.element(9)


def test_the_directory_x12_payer_id_names_the_payer() -> None:
    sent = submission("GRP88812345")
    assert umo_id(build_submission_278(sent, ENTRY, TRADING, NOW)) == (
        sent.request.coverage.payer.payer_id
    )
    assert umo_id(build_submission_278(sent, ENTRY, TRADING, NOW, payer_id="60054")) == "60054"
