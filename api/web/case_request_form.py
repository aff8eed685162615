"""The new-case form and the API's request body (`PriorAuthRequest`): field names, parsing, errors.

Every input is named by its dotted path in the API's JSON body (`member.first_name`,
`coverage.payer.payer_id`, `service_lines.0.code`), so the API's own validation errors, whose
`loc` is that path, land on the input that caused them. Repeating rows (service lines,
diagnoses, enclosures) carry their row's index; rows a person left blank are dropped, the rest
are numbered in order (a service line's `sequence` is its position). The form keeps every value
as typed, so a page with errors comes back exactly as it was sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from api.errors import FieldError, pydantic_error_body
from domain.models import PriorAuthRequest

ADDRESS = ("line1", "line2", "city", "state", "postal_code")
PROVIDER = ("npi", "other_identifier", "name", "tin", "specialty", "phone", "fax")


def _under(prefix: str, names: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{prefix}.{name}" for name in names)


# Single inputs, by their path in the request body.
SCALARS: tuple[str, ...] = (
    *_under("member", ("member_id", "first_name", "last_name", "birth_date")),
    *_under("member", ("group_number", "phone")),
    *_under("member.address", ADDRESS),
    *_under("coverage", ("regime", "plan_name", "plan_id", "state", "rating_period_start")),
    "coverage.appeal_levels",
    "coverage.continuity_of_care_from",
    *_under("coverage.payer", ("name", "payer_id", "timezone", "phone", "fax", "appeals_fax")),
    *_under("coverage.payer.appeals_address", ADDRESS),
    *_under("requesting_provider", PROVIDER),
    *_under("requesting_provider.address", ADDRESS),
    *_under("servicing_provider", PROVIDER),
    *_under("servicing_provider.address", ADDRESS),
    "urgency",
    "urgency_justification",
    "service_timing",
    "item_type",
    "request_type",
    "hospitalized",
    "care_category",
    "subject_to_prior_authorization",
    "clinical_summary",
    "external_reference",
)
CHECKBOXES = ("hospitalized", "subject_to_prior_authorization")
# Sub-models that are optional as a whole: left out of the body when every input is empty.
OPTIONAL_GROUPS = (
    "member.address",
    "coverage.payer.appeals_address",
    "requesting_provider.address",
    "servicing_provider.address",
    "servicing_provider",
)
# Sub-models the request must have: sent even when empty, so each missing input is named.
REQUIRED_GROUPS = ("member", "coverage", "coverage.payer", "requesting_provider")
# Repeating rows: each list's inputs, and those that make a row more than blank.
ROWS: dict[str, tuple[str, ...]] = {
    "service_lines": (
        "code_system",
        "code",
        "description",
        "units",
        "place_of_service",
        "modifiers",
        "start_date",
        "end_date",
    ),
    "diagnoses": ("code", "description"),
    "attachments": ("reference", "title", "content_type", "loinc_code"),
}
ROW_CONTENT: dict[str, tuple[str, ...]] = {
    "service_lines": (
        "code",
        "description",
        "place_of_service",
        "modifiers",
        "start_date",
        "end_date",
    ),
    "diagnoses": ("code", "description"),
    "attachments": ("reference", "title", "loinc_code"),
}
REQUIRED_ROWS = ("service_lines", "diagnoses")  # a blank row of these stays, to name its gaps
PRIMARY = "diagnoses.primary"  # the radio group choosing the primary diagnosis (a row index)
# Fieldsets that can carry an error of their own (a rule over several of their inputs).
GROUPS: tuple[str, ...] = (
    "member",
    "member.address",
    "coverage",
    "coverage.payer",
    "coverage.payer.appeals_address",
    "requesting_provider",
    "requesting_provider.address",
    "servicing_provider",
    "servicing_provider.address",
    *ROWS,
)
ROUTING = ("team", "assignee")
ROW_DEFAULTS: dict[str, dict[str, str]] = {
    "service_lines": {"code_system": "cpt_hcpcs", "units": "1"},
    "diagnoses": {},
    "attachments": {"content_type": "application/pdf"},
}
DEFAULTS: dict[str, str] = {
    "coverage.payer.timezone": "America/New_York",
    "coverage.appeal_levels": "1",
    "urgency": "standard",
    "service_timing": "pre_service",
    "item_type": "service",
    "request_type": "benefit",
    "subject_to_prior_authorization": "true",
}
_ROW_NAME = re.compile(r"^(service_lines|diagnoses|attachments)\.(\d{1,3})\.([a-z_]+)$")
_MODIFIER_SPLIT = re.compile(r"[\s,;]+")
FORM_LEVEL = ""  # errors that belong to no input (shown above the form)


@dataclass
class CaseRequestForm:
    """The form as a person filled it in: every value as typed, rows in order."""

    values: dict[str, str] = field(default_factory=dict)
    rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    primary: int | None = 0  # position of the primary diagnosis among `rows["diagnoses"]`
    team: str = ""
    assignee: str = ""
    idempotency_key: str = ""

    @classmethod
    def blank(cls, *, team: str, assignee: str, idempotency_key: str) -> CaseRequestForm:
        form = cls(values=dict(DEFAULTS), team=team, assignee=assignee)
        form.idempotency_key = idempotency_key
        form.pad()
        return form

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def checked(self, name: str) -> bool:
        return bool(self.values.get(name))

    def filled(self, *prefixes: str) -> bool:
        """Whether any input under these paths has a value (a folded section opens then)."""
        return any(
            value and _within(name, prefix)
            for name, value in self.values.items()
            for prefix in prefixes
        )

    def pad(self) -> None:
        """At least one row of each list on screen (enough to fill in without JavaScript)."""
        for name in ROWS:
            rows = self.rows.setdefault(name, [])
            if not rows:
                rows.append(dict(ROW_DEFAULTS[name]))

    @classmethod
    def parse(cls, form: Mapping[str, Any]) -> CaseRequestForm:
        """The posted form: scalars by name, rows by index (blank ones dropped, order kept)."""
        values: dict[str, str] = {}
        indexed: dict[str, dict[int, dict[str, str]]] = {name: {} for name in ROWS}
        for name, raw in form.items():
            if not isinstance(raw, str):
                continue
            if name in SCALARS:
                values[name] = raw
                continue
            match = _ROW_NAME.match(name)
            if match and match.group(3) in ROWS[match.group(1)]:
                by_row = indexed[match.group(1)]
                by_row.setdefault(int(match.group(2)), {})[match.group(3)] = raw
        for name in CHECKBOXES:
            values[name] = "true" if values.get(name) else ""
        chosen = form.get(PRIMARY)
        primary_index = int(chosen) if isinstance(chosen, str) and chosen.isdigit() else None
        rows: dict[str, list[dict[str, str]]] = {}
        primary: int | None = None
        for name, by_index in indexed.items():
            order = sorted(by_index)
            filled = [i for i in order if _has_content(name, by_index[i])]
            if not filled and order and name in REQUIRED_ROWS:
                filled = order[:1]  # its errors then sit on its own inputs
            for position, index in enumerate(filled):
                if name == "diagnoses" and index == primary_index:
                    primary = position
            rows[name] = [by_index[i] for i in filled]
        return cls(
            values=values,
            rows=rows,
            primary=primary,
            team=_text(form.get("team")),
            assignee=_text(form.get("assignee")),
            idempotency_key=_text(form.get("idempotency_key")),
        )

    def body(self) -> dict[str, Any]:
        """The API's JSON body for this form: empty inputs left out (the model's defaults and
        "field required" errors apply), optional groups left out when wholly empty."""
        body: dict[str, Any] = {}
        for name in SCALARS:
            value = self.values.get(name, "").strip()
            if name in CHECKBOXES:
                _put(body, name, bool(value))
            elif value:
                _put(body, name, value)
        for group in OPTIONAL_GROUPS:
            node = _get(body, group)
            if isinstance(node, dict) and not node:
                _drop(body, group)
        for group in REQUIRED_GROUPS:
            if _get(body, group) is None:
                _put(body, group, {})  # "field required" on each of its inputs, not on it
        for name in ROWS:
            body[name] = [
                self._row_body(name, position, row)
                for position, row in enumerate(self.rows.get(name, []))
            ]
        return body

    def _row_body(self, name: str, position: int, row: Mapping[str, str]) -> dict[str, Any]:
        item: dict[str, Any] = {key: value.strip() for key, value in row.items() if value.strip()}
        if name == "service_lines":
            item["sequence"] = position + 1
            modifiers = item.pop("modifiers", "")
            item["modifiers"] = [m.upper() for m in _MODIFIER_SPLIT.split(modifiers) if m]
        if name == "diagnoses":
            item["primary"] = position == self.primary
        return item

    def request(self) -> tuple[PriorAuthRequest | None, dict[str, str]]:
        """The validated request, or the errors by input name (the API's own messages)."""
        try:
            return PriorAuthRequest.model_validate(self.body()), {}
        except ValidationError as exc:
            return None, errors_by_input(pydantic_error_body(exc).errors)


def _has_content(name: str, row: Mapping[str, str]) -> bool:
    return any(row.get(key, "").strip() for key in ROW_CONTENT[name])


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(f"{prefix}.")


def any_error_under(errors: Mapping[str, str], *prefixes: str) -> bool:
    """Whether an error sits on one of these inputs or inside one of these groups."""
    return any(_within(name, prefix) for name in errors for prefix in prefixes)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _put(body: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _get(body: dict[str, Any], path: str) -> Any:
    node: Any = body
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _drop(body: dict[str, Any], path: str) -> None:
    *parents, last = path.split(".")
    node = _get(body, ".".join(parents)) if parents else body
    if isinstance(node, dict):
        node.pop(last, None)


def _known(name: str) -> bool:
    """An input (or fieldset) of the form with this name."""
    if name in SCALARS or name in GROUPS or name in ROUTING:
        return True
    parts = name.split(".")
    if len(parts) in (2, 3) and parts[0] in ROWS and parts[1].isdigit():
        return len(parts) == 2 or parts[2] in ROWS[parts[0]]
    return False


def input_for(path: str, message: str) -> str:
    """The input (or fieldset) an API error belongs to, from its dotted `loc`.

    A rule over a whole model (its `loc` is the model) names its field first in the message
    ("urgency_justification is required ...", "state is required ..."): that field's input,
    if the form has one. Otherwise the deepest input or fieldset the path reaches, else the
    form itself."""
    parts = [] if path == "(request)" else path.split(".")
    first = re.split(r"[\s:]", message.strip(), maxsplit=1)[0]
    named = ".".join([*parts, first])
    if first and _known(named):
        return named
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if _known(candidate):
            return candidate
    return FORM_LEVEL


def errors_by_input(errors: Iterable[FieldError]) -> dict[str, str]:
    """API field errors as one message per input (several on one input joined), in the order
    the inputs appear on the page."""
    found: dict[str, list[str]] = {}
    for error in errors:
        messages = found.setdefault(input_for(error.field, error.message), [])
        if error.message not in messages:
            messages.append(error.message)
    return {name: "; ".join(found[name]) for name in sorted(found, key=page_order)}


_FIRST_AFTER_ROWS = SCALARS.index("urgency")
# The page's order: the parties, the rows, the request's details, then team and assignee.
_PAGE = (*SCALARS[:_FIRST_AFTER_ROWS], *ROWS, *SCALARS[_FIRST_AFTER_ROWS:], *ROUTING)


def page_order(name: str) -> tuple[int, int, int]:
    """Where an input (or fieldset) is on the page, for sorting its error into place."""
    if name == FORM_LEVEL:
        return (-1, 0, 0)
    parts = name.split(".")
    if parts[0] in ROWS:
        row = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        fields = ROWS[parts[0]]
        column = fields.index(parts[2]) if len(parts) > 2 and parts[2] in fields else -1
        return (_PAGE.index(parts[0]), row, column)
    for rank, entry in enumerate(_PAGE):
        if entry == name or entry.startswith(f"{name}."):
            return (rank, 0, 0)
    return (len(_PAGE), 0, 0)


def element_id(name: str) -> str:
    """The HTML id of an input or fieldset: its name with dots as dashes
    (`service_lines.0.code` -> `service_lines-0-code`)."""
    return name.replace(".", "-") if name else "new-case-form"


# Words for the error summary above the form (the inputs carry their own labels).
_WORDS = {
    "member": "Member",
    "coverage": "Coverage",
    "payer": "Payer",
    "address": "Address",
    "appeals_address": "Appeals address",
    "requesting_provider": "Requesting provider",
    "servicing_provider": "Servicing provider",
    "service_lines": "Service line",
    "diagnoses": "Diagnosis",
    "attachments": "Enclosure",
    "member_id": "Member id",
    "birth_date": "Birth date",
    "payer_id": "Payer id",
    "npi": "NPI",
    "tin": "Tax id (TIN)",
    "other_identifier": "Other identifier",
    "line1": "Street address",
    "line2": "Address line 2",
    "postal_code": "ZIP code",
    "regime": "Regime",
    "plan_name": "Plan name",
    "plan_id": "Plan id",
    "rating_period_start": "Rating period start",
    "appeal_levels": "Internal appeal levels",
    "continuity_of_care_from": "Joined this plan mid-treatment on",
    "appeals_fax": "Appeals fax",
    "timezone": "Time zone",
    "code_system": "Code system",
    "place_of_service": "Place of service",
    "start_date": "From date",
    "end_date": "To date",
    "loinc_code": "Kind (LOINC code)",
    "content_type": "File type",
    "reference": "Document reference",
    "urgency_justification": "Why expedited",
    "service_timing": "Service timing",
    "item_type": "Item type",
    "request_type": "Request type",
    "clinical_summary": "Clinical summary",
    "external_reference": "Your reference",
    "subject_to_prior_authorization": "Subject to prior authorization",
}


def error_label(name: str) -> str:
    """A readable name of an input for the error summary: `service_lines.1.code` ->
    "Service line 2, Code"."""
    if name == FORM_LEVEL:
        return "The request"
    words: list[str] = []
    for part in name.split("."):
        if part.isdigit() and words:
            words[-1] = f"{words[-1]} {int(part) + 1}"
        else:
            words.append(_WORDS.get(part, part.replace("_", " ").capitalize()))
    return ", ".join(words)
