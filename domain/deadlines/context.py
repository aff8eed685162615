"""What one rule function sees of a query, and the errors it raises when it cannot answer.

`Ask` resolves the parts every rule needs once: the local zone, the event actually being
computed (the base event when the query asks for an extension), whether the extension is taken,
and the urgency after an expedite refusal. Error messages name the missing input field exactly,
or the regime and event that have no rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.deadlines.calendars import HolidayCalendar
from domain.deadlines.query import DeadlineError, DeadlineEvent, DeadlineQuery
from domain.enums import RequestType, ServiceTiming, Urgency

EXPEDITE_REFUSED = "expedite refused: standard clock applied from receipt of the expedited request"


@dataclass(slots=True)
class Ask:
    query: DeadlineQuery
    event: DeadlineEvent
    tz: ZoneInfo
    extended: bool
    expedited: bool

    @property
    def federal_calendar(self) -> HolidayCalendar:
        if self.query.count_observed_holidays:
            return HolidayCalendar.FEDERAL_OBSERVED
        return HolidayCalendar.FEDERAL

    @property
    def payment(self) -> bool:
        """A payment request: asked as such, or about a service already received (post-service
        requests are payment requests in Medicare and post-service claims under ERISA)."""
        query = self.query
        return (
            query.request_type is RequestType.PAYMENT
            or query.service_timing is ServiceTiming.POST_SERVICE
        )

    @property
    def refused(self) -> bool:
        """The plan refused a request to expedite (the query asked expedited, the clock is not)."""
        return self.query.expedite_refused and self.query.urgency is Urgency.EXPEDITED

    def received(self, why: str) -> datetime:
        if self.query.received_at is None:
            raise missing("received_at", why)
        return self.query.received_at

    def notice_date(self, why: str) -> date:
        if self.query.notice_date is None:
            raise missing("notice_date", why)
        return self.query.notice_date


class MissingInputError(DeadlineError):
    """A rule needs an input the query does not carry; `field` names it."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"missing input '{field}': {why}")
        self.field = field


def missing(field: str, why: str) -> MissingInputError:
    return MissingInputError(field, why)


class NoRuleError(DeadlineError):
    """No rule of this regime answers the event (a state overlay may still answer it)."""


def no_rule(ask: Ask, why: str) -> NoRuleError:
    return NoRuleError(
        f"no rule for regime '{ask.query.regime.value}' and event '{ask.event.value}': {why}"
    )


def no_extension(ask: Ask, why: str) -> DeadlineError:
    return DeadlineError(
        f"the rule allows no extension (regime '{ask.query.regime.value}', "
        f"event '{ask.event.value}'): {why}"
    )
