"""What stories may know about an aid case: the one place that reads the aid app.

Only plain columns are read, through ``values()`` so no sealed model instance is ever loaded: the case's
status, whether the applicant was under 14, whether the person has been anonymised, the masked name the
aid app keeps for public notices (``张*``), and the case's consents (kind, when withdrawn, text version).
No personal field is read or decrypted here.

When the aid app is not installed, no case can be found and no case story can be published or shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps

CHILD_LABEL = "受助儿童"


@dataclass(frozen=True)
class CaseFacts:
    case_number: str
    status: str
    status_label: str
    helped: bool  # the case was approved (after its notice) or paid: a person the platform helped
    under_14: bool
    anonymised: bool
    masked_name: str
    consents: dict[str, str]  # live consents only: kind → "aid-consent:<id>@<text version>"
    needed_consents: tuple[str, ...]

    @property
    def missing_consents(self) -> list[str]:
        return [kind for kind in self.needed_consents if kind not in self.consents]

    @property
    def consent_reference(self) -> str:
        return ";".join(self.consents[kind] for kind in self.needed_consents if kind in self.consents)

    @property
    def public_name(self) -> str:
        """How a case story names the person: the masked name, a child not even that (PIPL art. 31)."""
        return CHILD_LABEL if self.under_14 else self.masked_name


def aid_installed() -> bool:
    return apps.is_installed("gongyi.aid")


def consent_label(kind: str) -> str:
    if not aid_installed():
        return kind
    from gongyi.aid.models import ConsentKind

    return str(ConsentKind(kind).label) if kind in ConsentKind.values else kind


def _needed(under_14: bool) -> tuple[str, ...]:
    from gongyi.aid.models import ConsentKind

    return (ConsentKind.PUBLICATION, ConsentKind.GUARDIAN) if under_14 else (ConsentKind.PUBLICATION,)


def case_facts(case_number: str) -> CaseFacts | None:
    """The facts a case story rests on, or None when the aid app is absent or the case does not exist."""
    if not aid_installed() or not case_number:
        return None
    from gongyi.aid.models import AidCase, CaseStatus, Consent

    row = (
        AidCase.objects.filter(case_number=case_number)
        .values(
            "pk",
            "status",
            "applicant_under_14",
            "anonymised_at",
            "beneficiary__masked_name",
            "beneficiary__anonymised_at",
        )
        .first()
    )
    if row is None:
        return None
    consents = {
        kind: f"aid-consent:{pk}@{version}"
        for pk, kind, version in Consent.objects.filter(case_id=row["pk"], withdrawn_at__isnull=True).values_list(
            "pk", "kind", "text_version"
        )
    }
    status = row["status"]
    return CaseFacts(
        case_number=case_number,
        status=status,
        status_label=str(CaseStatus(status).label) if status in CaseStatus.values else status,
        helped=status in (CaseStatus.APPROVED, CaseStatus.DISBURSED, CaseStatus.CLOSED),
        under_14=row["applicant_under_14"],
        anonymised=bool(row["anonymised_at"] or row["beneficiary__anonymised_at"]),
        masked_name=row["beneficiary__masked_name"] or "",
        consents=consents,
        needed_consents=_needed(row["applicant_under_14"]),
    )


def publishable_case_numbers(case_numbers: Iterable[str]) -> set[str]:
    """Of these case numbers, those whose stories may be shown now: every needed consent live, not anonymised.

    Two queries for any number of cases; used on every public read of case stories.
    """
    numbers = {n for n in case_numbers if n}
    if not numbers or not aid_installed():
        return set()
    from gongyi.aid.models import AidCase, Consent

    rows = AidCase.objects.filter(case_number__in=numbers, anonymised_at__isnull=True).values(
        "pk", "case_number", "applicant_under_14", "beneficiary__anonymised_at"
    )
    cases = {row["pk"]: row for row in rows if row["beneficiary__anonymised_at"] is None}
    live: dict[int, set[str]] = {}
    for case_id, kind in Consent.objects.filter(case_id__in=list(cases), withdrawn_at__isnull=True).values_list(
        "case_id", "kind"
    ):
        live.setdefault(case_id, set()).add(kind)
    return {
        row["case_number"]
        for pk, row in cases.items()
        if set(_needed(row["applicant_under_14"])) <= live.get(pk, set())
    }
