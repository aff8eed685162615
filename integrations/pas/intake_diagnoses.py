"""`Claim.diagnosis` of a checked PAS request bundle → `PasDiagnosis`es and the case's diagnoses.

A diagnosis is its `diagnosisCodeableConcept`, else the code of the Condition its
`diagnosisReference` points at. As in the X12 278 HI segment, the first diagnosis is the
principal one unless a type (`principal`, `ABK`) says otherwise. priorauth needs ICD-10-CM: any
other system, or a code that fails the ICD-10-CM check, is a gap.
"""

from __future__ import annotations

from domain.codes import normalize_icd10cm
from domain.models import Diagnosis
from integrations.pas.fhir import (
    ICD10CM_SYSTEM,
    child,
    children,
    codings,
    first_coding,
    integer,
    reference_of,
)
from integrations.pas.intake_context import MappingContext
from integrations.pas.intake_models import PasCode, PasDiagnosis


def read_diagnoses(ctx: MappingContext) -> list[PasDiagnosis]:
    """`Claim.diagnosis` codes as sent (a gap for one without a code), principal first."""
    found: list[PasDiagnosis] = []
    for position, node in enumerate(children(ctx.claim.resource, "diagnosis")):
        concept = child(node, "diagnosisCodeableConcept")
        if concept is None:
            ref = reference_of(child(node, "diagnosisReference"))
            target = ctx.index.resolve(ref, ctx.claim) if ref else None
            concept = child(target.resource, "code") if target else None
        coding = first_coding(concept, ICD10CM_SYSTEM)
        if coding is None:
            ctx.gap(
                "required",
                f"Claim.diagnosis[{position}] carries no diagnosis code",
                f"{ctx.claim.path}.diagnosis[{position}]",
            )
            continue
        primary = any(
            c.code in ("principal", "ABK") for t in children(node, "type") for c in codings(t)
        )
        found.append(
            PasDiagnosis(
                sequence=integer(node, "sequence"),
                code=PasCode(system=coding.system, code=coding.code, display=coding.display),
                primary=primary,
            )
        )
    found.sort(key=lambda d: d.sequence if d.sequence is not None else 1000)
    if found and not any(d.primary for d in found):
        # As in the X12 278 HI segment, the first diagnosis is the principal one.
        found[0] = found[0].model_copy(update={"primary": True})
    return found


def diagnosis_models(ctx: MappingContext, diagnoses: list[PasDiagnosis]) -> list[Diagnosis]:
    """The case's ICD-10-CM diagnoses, one primary; a code of another system is a gap."""
    result = []
    primary_taken = False
    for position, diagnosis in enumerate(diagnoses):
        expression = f"{ctx.claim.path}.diagnosis[{position}]"
        code = diagnosis.code
        if code.system not in (ICD10CM_SYSTEM, None):
            ctx.gap(
                "code-invalid",
                f"Claim.diagnosis[{position}]: '{code.code}' is from {code.system}; "
                "priorauth needs ICD-10-CM diagnoses",
                expression,
            )
            continue
        try:
            normalized = normalize_icd10cm(code.code)
        except ValueError as exc:
            ctx.gap("code-invalid", f"Claim.diagnosis[{position}]: {exc}", expression)
            continue
        primary = diagnosis.primary and not primary_taken
        primary_taken = primary_taken or primary
        result.append(Diagnosis(code=normalized, description=code.display, primary=primary))
    return result


# -- parties ----------------------------------------------------------------------------
