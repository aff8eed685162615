"""The parties of a checked PAS request bundle → the case's member, providers and coverage.

`read_party` reads what the Claim points at (patient, insurer, requesting provider, Coverage)
as found. The member id comes from the Coverage (`subscriberId`, else a member identifier), else
from the Patient; the member needs a given and a family name, and a missing or partial birth
date is a warning. A provider is identified by its NPI, else (with a warning) by another
identifier; an NPI that fails the check is kept as that other identifier, never fixed. The
coverage's regime, plan and payer time zone come from the caller's `PlanMapping` for the
insurer: without one, the intake reports a gap.
"""

from __future__ import annotations

from pydantic import ValidationError

from domain.codes import normalize_npi
from domain.errors import field_problems
from domain.models import Address, Coverage, Member, Payer, Provider
from integrations.pas.errors import IssueCode
from integrations.pas.fhir import (
    JSON,
    NPI_SYSTEM,
    PROVIDER_TYPES,
    BundleIndex,
    Entry,
    child,
    children,
    codings,
    normalize_system,
    parse_date,
    reference_of,
    text,
    texts,
)
from integrations.pas.identifiers import PasIdentifier
from integrations.pas.intake_context import MappingContext, partial_date
from integrations.pas.intake_models import PasParty, PlanMapping


def identifiers_of(resource: JSON) -> list[PasIdentifier]:
    """The resource's identifiers that have a value."""
    found = []
    for node in children(resource, "identifier"):
        identifier = PasIdentifier.from_fhir(node)
        if identifier is not None:
            found.append(identifier)
    return found


def _npi(resource: JSON) -> str | None:
    for node in children(resource, "identifier"):
        if normalize_system(text(node, "system")) == NPI_SYSTEM:
            return text(node, "value")
    return None


def _human_name(resource: JSON) -> tuple[str | None, str | None, str | None]:
    """(given, family, display) of the first usable name (official first)."""
    names = children(resource, "name")
    names.sort(key=lambda n: 0 if text(n, "use") == "official" else 1)
    for name in names:
        given = texts(name, "given")
        family = text(name, "family")
        full = text(name, "text")
        display = full or " ".join([*given, family or ""]).strip() or None
        if given or family or full:
            return (given[0] if given else None), family, display
    return None, None, None


def read_party(entry: Entry, index: BundleIndex) -> PasParty:
    """A party as found: name and NPI (a PractitionerRole's from its practitioner or
    organization), the NPI checked but not fixed (`npi_problem`), and every identifier."""
    resource = entry.resource
    resource_type = entry.resource_type or "Resource"
    is_org = resource_type == "Organization"
    name = text(resource, "name") if is_org else _human_name(resource)[2]
    npi = _npi(resource)
    if resource_type == "PractitionerRole":
        # A role carries neither name nor (usually) NPI: take them from its practitioner,
        # else from its organization.
        for key in ("practitioner", "organization"):
            ref = reference_of(child(resource, key))
            target = index.resolve(ref, entry) if ref else None
            if target is not None:
                name = name or (
                    text(target.resource, "name")
                    if target.resource_type == "Organization"
                    else _human_name(target.resource)[2]
                )
                npi = npi or _npi(target.resource)
    problem = None
    if npi is not None:
        try:
            npi = normalize_npi(npi)
        except ValueError as exc:
            problem = str(exc)
    return PasParty(
        reference=entry.reference,
        resource_type=resource_type,
        full_url=entry.full_url,
        name=name,
        npi=npi,
        npi_problem=problem,
        identifiers=identifiers_of(resource),
        resource=resource,
    )


def _telecom(resource: JSON, system: str) -> str | None:
    for point in children(resource, "telecom"):
        if text(point, "system") == system:
            return text(point, "value")
    return None


def _address(resource: JSON) -> Address | None:
    for node in children(resource, "address"):
        lines = texts(node, "line")
        try:
            return Address(
                line1=lines[0] if lines else "",
                line2=lines[1] if len(lines) > 1 else None,
                city=text(node, "city") or "",
                state=text(node, "state") or "",
                postal_code=text(node, "postalCode") or "",
            )
        except ValidationError:
            return None
    return None


def find_member_id(patient: Entry, coverage: Entry | None) -> tuple[str | None, str | None]:
    """(member id, the element it came from): the Coverage first, then the Patient."""
    if coverage is not None:
        subscriber_id = text(coverage.resource, "subscriberId")
        if subscriber_id:
            return subscriber_id, "Coverage.subscriberId"
        identifiers = children(coverage.resource, "identifier")
        for node in identifiers:
            if any(c.code == "MB" for c in codings(child(node, "type"))) and text(node, "value"):
                return text(node, "value"), "Coverage.identifier (MB)"
        for node in identifiers:
            if text(node, "value"):
                return text(node, "value"), "Coverage.identifier"
    identifiers = children(patient.resource, "identifier")
    for node in identifiers:
        system = (text(node, "system") or "").rstrip("/")
        is_member = any(c.code == "MB" for c in codings(child(node, "type")))
        if (is_member or system.upper().endswith("/MIN")) and text(node, "value"):
            return text(node, "value"), f"Patient.identifier ({text(node, 'system') or 'MB'})"
    for node in identifiers:
        if text(node, "value"):
            return text(node, "value"), "Patient.identifier"
    return None, None


def _coverage_class(coverage: Entry | None, kind: str) -> tuple[str | None, str | None]:
    if coverage is None:
        return None, None
    for node in children(coverage.resource, "class"):
        if any(c.code == kind for c in codings(child(node, "type"))):
            return text(node, "value"), text(node, "name")
    return None, None


def member_model(ctx: MappingContext, member_id: str | None) -> Member | None:
    """The case's member; a gap without a member id or a given and family name."""
    patient = ctx.patient.resource
    path = ctx.patient.path
    given, family, display = _human_name(patient)
    if (given is None or family is None) and display and len(display.split()) >= 2:
        given, family = display.split()[0], display.split()[-1]
    birth_raw = patient.get("birthDate")
    birth = parse_date(birth_raw)
    missing = False
    if member_id is None:
        missing = True
        ctx.gap(
            "required",
            "no member id: neither Coverage.subscriberId, Coverage.identifier nor a member "
            "identifier on the Patient",
            f"{ctx.coverage.path if ctx.coverage else path}.subscriberId",
        )
    if given is None or family is None:
        missing = True
        ctx.gap(
            "required",
            "Patient.name needs a given and a family name for the case",
            f"{path}.name",
        )
    if birth is None:
        what = (
            "is only a partial date (a year or month, not YYYY-MM-DD)"
            if partial_date(birth_raw)
            else "is missing"
        )
        ctx.warn(
            "required",
            f"Patient.birthDate {what}; the case is opened without the member's date of "
            "birth (confirm it with the member or the payer before a letter needs it)",
            f"{path}.birthDate",
        )
    if missing:
        return None
    group_id, _ = _coverage_class(ctx.coverage, "group")
    try:
        return Member(
            member_id=member_id or "",
            first_name=given or "",
            last_name=family or "",
            birth_date=birth,
            group_number=group_id,
            phone=_telecom(patient, "phone"),
            address=_address(patient),
        )
    except ValidationError as exc:
        ctx.domain_problems(exc, "Patient", path)
        return None


def provider_model(
    ctx: MappingContext, entry: Entry, party: PasParty, element: str, *, required: bool
) -> Provider | None:
    """The provider, identified by its NPI, else (with a warning) by another identifier.

    An NPI-system identifier that fails the NPI check is not fixed: it becomes the
    provider's `other_identifier`. Without a name or any identifier there is no provider
    (a gap when required; the optional servicing provider is left out with a warning).
    """
    expression = f"{entry.path}.identifier"
    label = f"{element} ({party.label})"
    npi: str | None = None
    other: str | None = None
    problem: str | None = None
    note: tuple[IssueCode, str] | None = None
    if party.name is None:
        problem = f"{label} has no name"
        expression = f"{entry.path}.name"
    elif party.npi is not None and party.npi_problem is None:
        npi = party.npi
    elif party.npi is not None:
        other = party.npi
        note = (
            "invalid",
            f"{label}: identifier '{party.npi}' (system {NPI_SYSTEM}) fails the NPI check "
            f"({party.npi_problem}); it is kept as the provider's other identifier, not "
            "as an NPI",
        )
    elif party.identifiers:
        fallback = party.identifiers[0]
        other = fallback.value
        note = (
            "required",
            f"{label} has no NPI identifier (system {NPI_SYSTEM}); it is identified by its "
            f"identifier '{fallback.value}' (system {fallback.system or 'not given'}) "
            "instead",
        )
    else:
        problem = f"{label} has no identifier: neither an NPI (system {NPI_SYSTEM}) nor another"
    if problem is not None:
        if required:
            ctx.gap("required", problem, expression)
        else:
            ctx.warn("required", f"{problem}; the servicing provider is left out", expression)
        return None
    try:
        provider = Provider(
            npi=npi,
            other_identifier=other,
            name=(party.name or "")[:120],
            phone=_telecom(entry.resource, "phone"),
            fax=_telecom(entry.resource, "fax"),
            address=_address(entry.resource),
        )
    except ValidationError as exc:
        if required:
            ctx.domain_problems(exc, element, expression)
        else:
            for found in field_problems(exc):
                ctx.warn(
                    "value",
                    f"{label}: {found.field}: {found.message}; the servicing provider is left out",
                    expression,
                )
        return None
    if note is not None:
        ctx.warn(note[0], note[1], expression)
    return provider


def servicing_provider(ctx: MappingContext, requester: PasParty) -> Provider | None:
    """The first care-team provider that is not the requesting provider, if any."""
    for position, team in enumerate(children(ctx.claim.resource, "careTeam")):
        ref = reference_of(child(team, "provider"))
        target = ctx.index.resolve(ref, ctx.claim) if ref else None
        if target is None or target.resource_type not in PROVIDER_TYPES:
            continue
        if target is ctx.provider_entry:
            continue
        party = read_party(target, ctx.index)
        if party.npi is not None and party.npi == requester.npi:
            continue
        return provider_model(
            ctx, target, party, f"Claim.careTeam[{position}].provider", required=False
        )
    return None


def coverage_model(
    ctx: MappingContext, insurer: PasParty
) -> tuple[Coverage | None, PlanMapping | None]:
    """The case's coverage from the insurer and the plan mapping that matches it (a gap
    without one); the Coverage's plan class, when present, names the plan."""
    plan = ctx.plans.lookup(insurer.identifiers, insurer.name)
    expression = f"{ctx.claim.path}.insurer"
    if plan is None:
        known = ", ".join(i.value for i in insurer.identifiers) or "none"
        ctx.gap(
            "business-rule",
            f"the PAS bundle does not say which regulatory regime governs this coverage and "
            f"no plan mapping matches the insurer {insurer.label} (identifiers: {known}); "
            "configure a PlanMapping for this payer",
            expression,
        )
        return None, None
    payer_id = plan.payer_id or (insurer.identifiers[0].value if insurer.identifiers else None)
    name = insurer.name
    if payer_id is None or name is None:
        ctx.gap(
            "required",
            f"Claim.insurer ({insurer.label}) needs a name and an identifier (or a "
            "payer_id in its plan mapping)",
            expression,
        )
        return None, plan
    plan_id, plan_name = _coverage_class(ctx.coverage, "plan")
    if plan_id is not None and plan_id == plan_name:
        plan_id = None  # a class that only names the plan (value is required in FHIR)
    try:
        payer = Payer(name=name[:120], payer_id=payer_id, timezone=plan.payer_timezone)
        coverage = Coverage(
            regime=plan.regime,
            payer=payer,
            plan_name=plan_name or plan.plan_name,
            plan_id=plan_id or plan.plan_id,
            state=plan.state,
            appeal_levels=plan.appeal_levels,
        )
    except ValidationError as exc:
        ctx.domain_problems(exc, "coverage (from the plan mapping)", expression)
        return None, plan
    return coverage, plan
