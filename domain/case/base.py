"""The base model and field types of the case's state, facts and messages."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from domain import limits
from domain.models import CASE_ID_PATTERN

CaseId = Annotated[str, Field(pattern=CASE_ID_PATTERN)]


Actor = limits.ActorName


Text = Annotated[str, Field(min_length=1, max_length=5_000)]
# An enclosure named by its title (the document itself lives in the record or the EHR).
ExhibitTitle = Annotated[str, Field(min_length=1, max_length=500)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)
