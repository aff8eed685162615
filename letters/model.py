"""`LetterModel`: the base of every model a letter is built from (frozen, no extra fields)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class LetterModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True
    )
