"""The escalation ladder: which action fires at which point before or after a due moment.

Pure and configurable. A ladder is a list of rungs per kind of clock: the payer's clocks escalate
at fractions of the elapsed window (50 %: remind the assignee; 80 %: UR queue + call the payer;
due: supervisor + the missed-deadline letter), our own filing windows at fixed offsets before the
due moment (7, 3, 1 days, and at due). Workflows ask `plan_rungs` what is due now and when the
next rung is; every rung has a stable key, so firing it is idempotent and a moved deadline
(extension, new payer date) gets fresh rungs while the old ones can never fire.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.deadline_keys import CONTINUITY_OF_CARE, PEER_TO_PEER_WINDOW
from domain.models import CaseDeadline, Obligor


class EscalationAction(StrEnum):
    REMIND_ASSIGNEE = "remind_assignee"
    UR_QUEUE = "ur_queue"
    CALL_PAYER = "call_payer"
    NOTIFY_SUPERVISOR = "notify_supervisor"
    MISSED_DEADLINE_LETTER = "missed_deadline_letter"
    RENEWAL_REMINDER = "renewal_reminder"


class TaskQueue(StrEnum):
    """Whose work list a rung's task lands on."""

    ASSIGNEE = "assignee"
    UR = "ur"
    SUPERVISOR = "supervisor"


class Priority(StrEnum):
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Rung(BaseModel):
    """One step: at a fraction of the window (payer clocks) or at an offset from the due moment.

    `offset` is relative to the due moment: `-P7D` is seven days before, `0` is at due.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]
    elapsed_fraction: Annotated[float | None, Field(gt=0, le=2)] = None
    offset: timedelta | None = None
    actions: Annotated[tuple[EscalationAction, ...], Field(min_length=1)]
    queue: TaskQueue = TaskQueue.ASSIGNEE
    priority: Priority = Priority.NORMAL

    @model_validator(mode="after")
    def _one_anchor(self) -> Self:
        if (self.elapsed_fraction is None) == (self.offset is None):
            raise ValueError("a rung needs exactly one of elapsed_fraction or offset")
        return self

    def moment(self, deadline: CaseDeadline) -> datetime | None:
        """When this rung fires for `deadline`; None if it needs a start the deadline lacks."""
        if self.offset is not None:
            return deadline.due_at + self.offset
        if deadline.starts_at is None or self.elapsed_fraction is None:
            return None
        return deadline.starts_at + (deadline.due_at - deadline.starts_at) * self.elapsed_fraction


def _payer_default() -> tuple[Rung, ...]:
    return (
        Rung(name="half", elapsed_fraction=0.5, actions=(EscalationAction.REMIND_ASSIGNEE,)),
        Rung(
            name="eighty",
            elapsed_fraction=0.8,
            actions=(EscalationAction.UR_QUEUE, EscalationAction.CALL_PAYER),
            queue=TaskQueue.UR,
            priority=Priority.HIGH,
        ),
        Rung(
            name="missed",
            elapsed_fraction=1.0,
            actions=(
                EscalationAction.NOTIFY_SUPERVISOR,
                EscalationAction.MISSED_DEADLINE_LETTER,
            ),
            queue=TaskQueue.SUPERVISOR,
            priority=Priority.URGENT,
        ),
    )


def _provider_default() -> tuple[Rung, ...]:
    def before(days: int, priority: Priority) -> Rung:
        return Rung(
            name=f"d{days}",
            offset=timedelta(days=-days),
            actions=(EscalationAction.REMIND_ASSIGNEE,),
            priority=priority,
        )

    return (
        before(7, Priority.NORMAL),
        before(3, Priority.HIGH),
        before(1, Priority.URGENT),
        Rung(
            name="due",
            offset=timedelta(0),
            actions=(EscalationAction.NOTIFY_SUPERVISOR,),
            queue=TaskQueue.SUPERVISOR,
            priority=Priority.URGENT,
        ),
    )


def _expiry_default() -> tuple[Rung, ...]:
    return tuple(
        Rung(
            name=f"renew_d{days}",
            offset=timedelta(days=-days),
            actions=(EscalationAction.RENEWAL_REMINDER,),
            priority=Priority.HIGH if days <= 7 else Priority.NORMAL,
        )
        for days in (30, 14, 7)
    )


AUTHORIZATION_EXPIRY_KEY = "authorization_expiry"


def _continuity_default() -> tuple[Rung, ...]:
    """The end of a continuity-of-care transition is no payer decision: reminders to have the
    new plan's own authorization in place, 14 and 3 days before."""
    return tuple(
        Rung(
            name=f"transition_d{days}",
            offset=timedelta(days=-days),
            actions=(EscalationAction.RENEWAL_REMINDER,),
            priority=Priority.HIGH if days <= 3 else Priority.NORMAL,
        )
        for days in (14, 3)
    )


def _peer_to_peer_default() -> tuple[Rung, ...]:
    """The payer's peer-to-peer window is short (often days): a reminder the day before and
    four hours before; no supervisor at its end, since the written appeal remains."""
    return (
        Rung(
            name="p2p_d1",
            offset=timedelta(days=-1),
            actions=(EscalationAction.REMIND_ASSIGNEE,),
            priority=Priority.HIGH,
        ),
        Rung(
            name="p2p_h4",
            offset=timedelta(hours=-4),
            actions=(EscalationAction.REMIND_ASSIGNEE,),
            priority=Priority.URGENT,
        ),
    )


class EscalationLadder(BaseModel):
    """The rungs per kind of clock; `by_key` overrides them for one deadline key."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    payer: tuple[Rung, ...] = Field(default_factory=_payer_default)
    provider: tuple[Rung, ...] = Field(default_factory=_provider_default)
    by_key: dict[str, tuple[Rung, ...]] = Field(
        default_factory=lambda: {
            AUTHORIZATION_EXPIRY_KEY: _expiry_default(),
            PEER_TO_PEER_WINDOW: _peer_to_peer_default(),
            CONTINUITY_OF_CARE: _continuity_default(),
        }
    )

    def rungs_for(self, deadline: CaseDeadline) -> tuple[Rung, ...]:
        if deadline.key in self.by_key:
            return self.by_key[deadline.key]
        return self.payer if deadline.obligor == Obligor.PAYER else self.provider


class ScheduledRung(BaseModel):
    """A rung placed on the calendar for one version (due moment) of one deadline."""

    model_config = ConfigDict(frozen=True)

    key: str
    deadline_key: str
    due_at: datetime
    at: datetime
    rung: Rung


def rung_key(deadline: CaseDeadline, rung: Rung) -> str:
    """Stable and PHI-free: deadline key, due moment (UTC) and rung name."""
    due = deadline.due_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{deadline.key}@{due}#{rung.name}"


def schedule(deadline: CaseDeadline, ladder: EscalationLadder) -> list[ScheduledRung]:
    """Every rung of `deadline` with its moment, earliest first (met/superseded: none)."""
    if deadline.met_at is not None or deadline.superseded:
        return []
    placed = []
    for rung in ladder.rungs_for(deadline):
        at = rung.moment(deadline)
        if at is not None:
            placed.append(
                ScheduledRung(
                    key=rung_key(deadline, rung),
                    deadline_key=deadline.key,
                    due_at=deadline.due_at,
                    at=at,
                    rung=rung,
                )
            )
    return sorted(placed, key=lambda s: s.at)


class RungPlan(BaseModel):
    """What to do now: rungs to fire, rungs to skip silently, and when to look again."""

    model_config = ConfigDict(frozen=True)

    fire: list[ScheduledRung] = Field(default_factory=list)
    skip: list[ScheduledRung] = Field(default_factory=list)
    next_at: datetime | None = None
    next_rung: ScheduledRung | None = None


def plan_rungs(
    deadlines: list[CaseDeadline],
    ladder: EscalationLadder,
    done: set[str] | frozenset[str],
    now: datetime,
) -> RungPlan:
    """Rungs whose moment has come and that were neither fired nor skipped.

    Per deadline only the latest due rung fires; earlier ones it overtook are skipped, so a case
    that starts late (or a worker that was down) raises the most severe alert once instead of a
    burst of stale reminders.
    """
    fire: list[ScheduledRung] = []
    skip: list[ScheduledRung] = []
    upcoming: list[ScheduledRung] = []
    for deadline in deadlines:
        due_now: list[ScheduledRung] = []
        for placed in schedule(deadline, ladder):
            if placed.key in done:
                continue
            (due_now if placed.at <= now else upcoming).append(placed)
        if due_now:
            fire.append(due_now[-1])
            skip.extend(due_now[:-1])
    nxt = min(upcoming, key=lambda s: s.at) if upcoming else None
    return RungPlan(
        fire=sorted(fire, key=lambda s: s.at),
        skip=skip,
        next_at=nxt.at if nxt else None,
        next_rung=nxt,
    )


_ACTION_TEXT = {
    EscalationAction.REMIND_ASSIGNEE: "reminder",
    EscalationAction.UR_QUEUE: "UR queue",
    EscalationAction.CALL_PAYER: "call the payer",
    EscalationAction.NOTIFY_SUPERVISOR: "supervisor review",
    EscalationAction.MISSED_DEADLINE_LETTER: "missed-deadline letter",
    EscalationAction.RENEWAL_REMINDER: "renew the authorization",
}


def describe(placed: ScheduledRung, deadline: CaseDeadline) -> str:
    """A PHI-free task title: what to do, which clock, and the rule behind it."""
    actions = ", ".join(_ACTION_TEXT[a] for a in placed.rung.actions)
    when = "passed" if placed.at >= deadline.due_at else "approaching"
    whose = "payer" if deadline.obligor == Obligor.PAYER else "our"
    return (
        f"{actions}: {whose} deadline '{deadline.label}' {when} "
        f"(due {deadline.due_at.isoformat()}; {deadline.rule})"
    )


def describe_rung(rung: Rung) -> str:
    """A rung in words, for a heading: when it fires and what it does."""
    actions = ", ".join(_ACTION_TEXT[a] for a in rung.actions)
    if rung.elapsed_fraction is not None:
        when = (
            "payer's deadline passed"
            if rung.elapsed_fraction >= 1
            else f"{rung.elapsed_fraction:.0%} of the payer's window gone"
        )
    else:
        days = -(rung.offset or timedelta(0)).days
        when = (
            f"{days} day{'s' if days != 1 else ''} before the deadline"
            if days > 0
            else "deadline reached"
        )
    return f"{when}: {actions}"
