"""What an appeal level's workflow hands back to its case: the level's final status and items.

Pure pydantic (the child workflow's result, so its JSON must stay as committed histories hold it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import Field, model_validator

from domain.appeals import AppealLevel
from domain.case.base import Model
from domain.case.vocabulary import AppealStatus
from domain.models import ItemDecision


class AppealResult(Model):
    level: AppealLevel
    number: int
    status: AppealStatus
    filed_at: datetime | None = None
    decided_at: datetime | None = None
    decision_id: str | None = None
    items: list[ItemDecision] = Field(default_factory=list)
    letter_id: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _decided_has_date(self) -> Self:
        decided = {AppealStatus.OVERTURNED, AppealStatus.PARTIALLY_OVERTURNED, AppealStatus.UPHELD}
        if self.status in decided and self.decided_at is None:
            raise ValueError("a decided appeal needs decided_at")
        return self
