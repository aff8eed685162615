"""The payer directory in the store: write and read entries, answer "does this need PA?",
compute a physician's gold-card standing, and give a case the directory's appeals contacts.

An entry (`domain.payer_directory.PayerEntry`) is three kinds of rows: the payer
(`directory_payers`), one row per line of business (`directory_lines`) and one per PA rule
(`directory_pa_rules`). `put_payer` replaces all of a payer's rows at once, so a reader never
sees half an entry. Like every store function these never commit: the caller's transaction
does.

For the web layer (the new-case form's "does this need PA?"): `requires_pa(session, payer_id,
code, regime, state) -> PaRequirement`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from domain.case.read_model import Case
from domain.case.vocabulary import AppealStatus
from domain.codes import normalize_npi, normalize_procedure_code, normalize_state
from domain.enums import ItemOutcome, Regime
from domain.payer_directory import (
    GOLD_CARD_REGIMES,
    GOLD_CARD_STATE,
    GoldCardDetermination,
    GoldCardStatus,
    LineOfBusiness,
    LineSummary,
    PaAnswer,
    PaRequirement,
    PaRule,
    PayerEntry,
    PayerRecord,
    PayerSummary,
    evaluate_pa,
    evaluation_period,
    gold_card_status,
    with_directory_contacts,
)
from domain.peer_to_peer import PeerToPeerWindow
from store.errors import NotFoundError
from store.tables import (
    AppealRow,
    CaseRow,
    DecisionItemRow,
    DecisionRow,
    DirectoryLineRow,
    DirectoryPaRuleRow,
    DirectoryPayerRow,
    ServiceLineRow,
)
from store.types import require_aware


def put_payer(
    session: Session, entry: PayerEntry, *, actor: str, now: datetime
) -> tuple[PayerRecord, bool]:
    """Create or replace the entry of `entry.payer_id` (lines and rules included); True if it
    was created. `actor` is who made the change (an audit name such as `admin:ada`)."""
    now = require_aware(now, "now")
    row = session.get(DirectoryPayerRow, entry.payer_id)
    created = row is None
    if row is None:
        row = DirectoryPayerRow(
            payer_id=entry.payer_id,
            name=entry.name,
            naic_code=entry.naic_code,
            timezone=entry.timezone,
            created_at=now,
            updated_at=now,
            updated_by=actor,
        )
    else:
        row.name, row.naic_code, row.timezone = entry.name, entry.naic_code, entry.timezone
        row.updated_at, row.updated_by = now, actor
        for table in (DirectoryLineRow, DirectoryPaRuleRow):
            session.execute(delete(table).where(col(table.payer_id) == entry.payer_id))
    session.add(row)
    session.flush()
    session.add_all(_line_row(entry.payer_id, line) for line in entry.lines)
    session.add_all(
        DirectoryPaRuleRow(
            payer_id=entry.payer_id,
            position=position,
            code=rule.code,
            requirement=rule.requirement.value,
            regime=rule.regime.value if rule.regime else None,
            state=rule.state,
            note=rule.note,
        )
        for position, rule in enumerate(entry.pa_rules)
    )
    session.flush()
    return PayerRecord(**entry.model_dump(), updated_at=now, updated_by=actor), created


def get_payer(session: Session, payer_id: str) -> PayerRecord:
    """The payer's entry; `NotFoundError` if the directory has no such payer."""
    found = find_payer(session, payer_id)
    if found is None:
        raise NotFoundError("payer", payer_id)
    return found


def require_payer(session: Session, payer_id: str) -> None:
    """`NotFoundError` unless the directory has the payer."""
    if session.get(DirectoryPayerRow, payer_id) is None:
        raise NotFoundError("payer", payer_id)


def find_payer(session: Session, payer_id: str) -> PayerRecord | None:
    row = session.get(DirectoryPayerRow, payer_id)
    if row is None:
        return None
    lines = session.exec(
        select(DirectoryLineRow)
        .where(DirectoryLineRow.payer_id == payer_id)
        .order_by(col(DirectoryLineRow.id))
    ).all()
    rules = session.exec(
        select(DirectoryPaRuleRow)
        .where(DirectoryPaRuleRow.payer_id == payer_id)
        .order_by(col(DirectoryPaRuleRow.position))
    ).all()
    return PayerRecord.model_validate(
        {
            "payer_id": row.payer_id,
            "name": row.name,
            "naic_code": row.naic_code,
            "timezone": row.timezone,
            "lines": [_line(line) for line in lines],
            "pa_rules": [_rule(rule) for rule in rules],
            "updated_at": row.updated_at,
            "updated_by": row.updated_by,
        }
    )


def list_payers(session: Session) -> list[PayerSummary]:
    """Every payer of the directory by id, with its lines of business and its rule count."""
    payers = session.exec(select(DirectoryPayerRow).order_by(col(DirectoryPayerRow.payer_id)))
    lines: defaultdict[str, list[LineSummary]] = defaultdict(list)
    for payer_id, regime, kind in session.exec(
        select(
            DirectoryLineRow.payer_id, DirectoryLineRow.regime, DirectoryLineRow.channel_kind
        ).order_by(col(DirectoryLineRow.id))
    ):
        lines[payer_id].append(LineSummary.model_validate({"regime": regime, "channel": kind}))
    counts = dict(
        session.exec(
            select(DirectoryPaRuleRow.payer_id, func.count()).group_by(
                col(DirectoryPaRuleRow.payer_id)
            )
        ).all()
    )
    return [
        PayerSummary(
            payer_id=row.payer_id,
            name=row.name,
            naic_code=row.naic_code,
            timezone=row.timezone,
            lines=lines[row.payer_id],
            rule_count=counts.get(row.payer_id, 0),
            updated_at=row.updated_at,
        )
        for row in payers
    ]


def line_of_business(session: Session, payer_id: str, regime: Regime) -> LineOfBusiness | None:
    """The payer's line of business for `regime` (channel, contacts), or None."""
    row = session.exec(
        select(DirectoryLineRow).where(
            DirectoryLineRow.payer_id == payer_id, DirectoryLineRow.regime == regime.value
        )
    ).first()
    return None if row is None else LineOfBusiness.model_validate(_line(row))


def peer_to_peer_window(session: Session, payer_id: str, regime: Regime) -> PeerToPeerWindow | None:
    """The payer's peer-to-peer window on `regime` (what a new case of that payer carries)."""
    line = line_of_business(session, payer_id, regime)
    return None if line is None else line.peer_to_peer_window


def requires_pa(
    session: Session,
    payer_id: str,
    code: str,
    regime: Regime | None = None,
    state: str | None = None,
) -> PaRequirement:
    """Does `code` need prior authorization at `payer_id` (for `regime` in `state`)?

    `required` / `not_required` with the deciding rule, or `unknown` (no rule, the payer is not
    in the directory, or an omitted regime or state would decide: `depends_on` says which).
    A `code` that is not a CPT or HCPCS code, or a `state` that is not a US state code, is a
    ValueError saying so."""
    code = normalize_procedure_code(code)
    state = normalize_state(state) if state else None
    if session.get(DirectoryPayerRow, payer_id) is None:
        return PaRequirement(
            payer_id=payer_id,
            code=code,
            regime=regime,
            state=state,
            answer=PaAnswer.UNKNOWN,
            explanation=f"{payer_id} is not in the payer directory: ask the payer.",
        )
    rules = [
        PaRule.model_validate(_rule(row))
        for row in session.exec(
            select(DirectoryPaRuleRow)
            .where(DirectoryPaRuleRow.payer_id == payer_id)
            .order_by(col(DirectoryPaRuleRow.position))
        )
    ]
    return evaluate_pa(rules, payer_id=payer_id, code=code, regime=regime, state=state)


def gold_card(
    session: Session,
    *,
    payer_id: str,
    npi: str,
    code: str,
    now: datetime,
    as_of: date | None = None,
) -> GoldCardStatus:
    """The physician's Texas gold-card standing for `code` at `payer_id`, from our cases.

    The evaluation is on `as_of` (default: today in the payer's time zone) and looks at the
    period before it (`domain.payer_directory.evaluation_period`). `NotFoundError` if the payer
    is not in the directory; ValueError for a malformed NPI or code."""
    npi = normalize_npi(npi)
    code = normalize_procedure_code(code)
    row = session.get(DirectoryPayerRow, payer_id)
    if row is None:
        raise NotFoundError("payer", payer_id)
    zone = ZoneInfo(row.timezone)
    day = as_of or require_aware(now, "now").astimezone(zone).date()
    return gold_card_status(
        _determinations(session, payer_id=payer_id, npi=npi, code=code),
        payer_id=payer_id,
        npi=npi,
        code=code,
        period=evaluation_period(day),
        timezone=row.timezone,
    )


def case_with_directory(session: Session, case: Case) -> Case:
    """`case` with its payer's appeals address and fax taken from the directory where the
    request names none (the payer and regime of the request's coverage); otherwise `case`."""
    coverage = case.request.coverage
    line = line_of_business(session, coverage.payer.payer_id, coverage.regime)
    if line is None:
        return case
    payer = with_directory_contacts(coverage.payer, line)
    if payer is coverage.payer:
        return case
    request = case.request.model_copy(
        update={"coverage": coverage.model_copy(update={"payer": payer})}
    )
    return case.model_copy(update={"request": request})


# ---------------------------------------------------------------- helpers


def _line_row(payer_id: str, line: LineOfBusiness) -> DirectoryLineRow:
    def dumped(value: Any) -> dict[str, Any] | None:
        return None if value is None else dict(value.model_dump(mode="json"))

    return DirectoryLineRow(
        payer_id=payer_id,
        regime=line.regime.value,
        channel_kind=line.channel.kind,
        channel=line.channel.model_dump(mode="json"),
        x12_payer_id=line.x12_payer_id,
        appeals_address=dumped(line.appeals_address),
        appeals_fax=line.appeals_fax,
        peer_to_peer_phone=line.peer_to_peer_phone,
        peer_to_peer_window=dumped(line.peer_to_peer_window),
    )


def _line(row: DirectoryLineRow) -> dict[str, Any]:
    return {
        "regime": row.regime,
        "channel": row.channel,
        "x12_payer_id": row.x12_payer_id,
        "appeals_address": row.appeals_address,
        "appeals_fax": row.appeals_fax,
        "peer_to_peer_phone": row.peer_to_peer_phone,
        "peer_to_peer_window": row.peer_to_peer_window,
    }


def _rule(row: DirectoryPaRuleRow) -> dict[str, Any]:
    return {
        "code": row.code,
        "requirement": row.requirement,
        "regime": row.regime,
        "state": row.state,
        "note": row.note,
    }


def _determinations(
    session: Session, *, payer_id: str, npi: str, code: str
) -> list[GoldCardDetermination]:
    """One per service line with `code` of the payer's Texas insured cases requested under
    `npi`: its latest item decision and the latest decided-or-pending appeal covering it."""
    request = col(CaseRow.request)
    lines = (
        select(ServiceLineRow.case_id, ServiceLineRow.sequence)
        .join(CaseRow, col(CaseRow.case_id) == col(ServiceLineRow.case_id))
        .where(
            col(ServiceLineRow.code) == code,
            col(CaseRow.payer_id) == payer_id,
            col(CaseRow.regime).in_(sorted(r.value for r in GOLD_CARD_REGIMES)),
            request[("coverage", "state")].as_string() == GOLD_CARD_STATE,
            request[("requesting_provider", "npi")].as_string() == npi,
        )
        .subquery()
    )
    latest: dict[tuple[str, int], tuple[datetime, int, str]] = {}
    for case_id, sequence, outcome, decided_at, decision_pk in session.execute(
        core_select(
            col(DecisionItemRow.case_id),
            col(DecisionItemRow.sequence),
            col(DecisionItemRow.outcome),
            col(DecisionRow.decided_at),
            col(DecisionRow.id),
        )
        .join(DecisionRow, col(DecisionRow.id) == col(DecisionItemRow.decision_pk))
        .join(
            lines,
            (lines.c.case_id == col(DecisionItemRow.case_id))
            & (lines.c.sequence == col(DecisionItemRow.sequence)),
        )
    ):
        key = (case_id, sequence)
        order = (decided_at, decision_pk or 0)
        if key not in latest or order > latest[key][:2]:
            latest[key] = (decided_at, decision_pk or 0, outcome)
    appeals = _appeals(session, {case_id for case_id, _ in latest})
    found = []
    for (case_id, sequence), (decided_at, _, outcome) in sorted(latest.items()):
        status, appeal_decided_at = appeals.get((case_id, sequence), (None, None))
        found.append(
            GoldCardDetermination(
                case_id=case_id,
                sequence=sequence,
                outcome=ItemOutcome(outcome),
                decided_at=decided_at,
                appeal_status=status,
                appeal_decided_at=appeal_decided_at,
            )
        )
    return found


def _appeals(
    session: Session, case_ids: Iterable[str]
) -> dict[tuple[str, int], tuple[AppealStatus, datetime | None]]:
    """The latest appeal (by number) covering each (case, sequence)."""
    wanted = sorted(case_ids)
    found: dict[tuple[str, int], tuple[int, AppealStatus, datetime | None]] = {}
    for start in range(0, len(wanted), 500):
        rows = session.exec(
            select(AppealRow).where(col(AppealRow.case_id).in_(wanted[start : start + 500]))
        )
        for row in rows:
            for sequence in row.sequences:
                key = (row.case_id, int(sequence))
                if key not in found or row.number > found[key][0]:
                    found[key] = (row.number, AppealStatus(row.status), row.decided_at)
    return {key: (status, decided) for key, (_, status, decided) in found.items()}
