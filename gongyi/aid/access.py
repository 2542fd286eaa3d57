"""Reading personal data: check the scope, write the access log, then open the sealed fields.

This module is the only place (with the beneficiary's export and the tests) that enters ``unsealed``.
Each function writes one ``AccessLog`` row — who, with which roles, which case and fields, why, through
which page or endpoint — in the same transaction as the read, before anything is decrypted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.db import transaction

from gongyi.aid import documents
from gongyi.aid.fields import unsealed
from gongyi.aid.models import AccessLog, AccessReason, AidCase, Beneficiary, Document
from gongyi.aid.selectors import EXPORT_ROLES, READ_ROLES, scope_of

CASE_FIELDS = (
    "beneficiary.name",
    "beneficiary.id_number",
    "beneficiary.birth_date",
    "beneficiary.phone",
    "beneficiary.address",
    "beneficiary.household",
    "case.diagnosis",
    "case.hospital",
    "case.situation",
    "case.guardian",
    "invoices.number",
    "reviews.opinion",
    "disbursements.account",
    "follow_ups.notes",
    "objections.text",
)


class AccessRefused(PermissionError):
    """Not in scope, or no acceptable reason given."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class PersonalData:
    """A case's personal data, opened for one logged read."""

    name: str
    id_number: str
    birth_date: str
    phone: str
    address: str
    household: str
    diagnosis: str
    hospital: str
    situation: str
    guardian_name: str
    guardian_id_number: str
    guardian_phone: str
    guardian_relation: str
    invoices: list[dict]
    reviews: list[dict]
    disbursements: list[dict]
    follow_ups: list[dict]
    objections: list[dict]

    def as_dict(self) -> dict:
        return asdict(self)


def _check_reason(reason: str, note: str) -> None:
    if reason not in AccessReason.values:
        raise AccessRefused("reason", "请选择查阅个人信息的事由")
    if reason == AccessReason.OTHER and not note.strip():
        raise AccessRefused("note", "事由为“其他”时须填写说明")
    if len(note) > 200:
        raise AccessRefused("note", "说明不能超过200字")


def _log(*, user, scope, case=None, beneficiary=None, document=None, fields, reason, note, channel, path) -> AccessLog:
    return AccessLog.objects.create(
        user=user,
        roles=scope.label(),
        case=case,
        beneficiary=beneficiary,
        document=document,
        fields=",".join(fields)[:400],
        reason=reason,
        note=note.strip()[:200],
        channel=channel,
        path=path[:200],
    )


def _text(value) -> str:
    return value or ""


def reveal_case(
    *, user, case: AidCase, reason: str, note: str = "", channel: str = "page", path: str = ""
) -> PersonalData:
    """Log, then open, the personal data of a case the user may see; AccessRefused otherwise."""
    scope = scope_of(user)
    if not scope.covers(case.region_path, READ_ROLES):
        raise AccessRefused("case", "无权查看该案件")
    _check_reason(reason, note)
    with transaction.atomic():
        _log(
            user=user,
            scope=scope,
            case=case,
            beneficiary=case.beneficiary,
            fields=CASE_FIELDS,
            reason=reason,
            note=note,
            channel=channel,
            path=path,
        )
        with unsealed(f"case:{case.pk}"):
            person = case.beneficiary
            return PersonalData(
                name=_text(person.name),
                id_number=_text(person.id_number),
                birth_date=_text(person.birth_date),
                phone=_text(person.phone),
                address=_text(person.address),
                household=_text(person.household),
                diagnosis=_text(case.diagnosis),
                hospital=_text(case.hospital),
                situation=_text(case.situation),
                guardian_name=_text(case.guardian_name),
                guardian_id_number=_text(case.guardian_id_number),
                guardian_phone=_text(case.guardian_phone),
                guardian_relation=case.guardian_relation,
                invoices=[
                    {
                        "id": i.pk,
                        "number": _text(i.number),
                        "amount_fen": i.amount_fen,
                        "issued_on": i.issued_on.isoformat(),
                    }
                    for i in case.invoices.all()
                ],
                reviews=[{"id": r.pk, "opinion": _text(r.opinion)} for r in case.reviews.all()],
                disbursements=[
                    {
                        "id": d.pk,
                        "account_holder": _text(d.account_holder),
                        "bank_name": _text(d.bank_name),
                        "account_number": _text(d.account_number),
                    }
                    for d in case.disbursements.all()
                ],
                follow_ups=[
                    {"id": f.pk, "notes": _text(f.notes), "volunteers": _text(f.volunteers)}
                    for f in case.follow_ups.all()
                ],
                objections=[
                    {"id": o.pk, "text": _text(o.text), "contact": _text(o.contact), "resolution": _text(o.resolution)}
                    for o in case.objections.all()
                ],
            )


def open_document(
    *, user, document: Document, reason: str, note: str = "", channel: str = "page", path: str = ""
) -> tuple[bytes, str, str]:
    """Log, then decrypt, an uploaded document: (content, content type, original file name)."""
    scope = scope_of(user)
    case = document.case
    if not scope.covers(case.region_path, READ_ROLES) or document.deleted_at is not None:
        raise AccessRefused("document", "无权查看该材料")
    _check_reason(reason, note)
    with transaction.atomic():
        _log(
            user=user,
            scope=scope,
            case=case,
            beneficiary=case.beneficiary,
            document=document,
            fields=(f"document.{document.kind}",),
            reason=reason,
            note=note,
            channel=channel,
            path=path,
        )
        with unsealed(f"document:{document.pk}"):
            content = documents.read_document(document)
            return content, document.content_type, _text(document.original_name)


def export_beneficiary(
    *, user, beneficiary: Beneficiary, note: str = "", channel: str = "page", path: str = ""
) -> dict:
    """Everything held about one person, for them (PIPL arts. 45 and 47): district, city or federation
    staff over the person's region, logged as a rights request."""
    scope = scope_of(user)
    if not scope.covers(beneficiary.region_path, EXPORT_ROLES):
        raise AccessRefused("beneficiary", "无权导出该受助人的信息")
    if beneficiary.anonymised_at is not None:
        raise AccessRefused("beneficiary", "该受助人的信息已匿名化，无可导出的个人信息")
    with transaction.atomic():
        _log(
            user=user,
            scope=scope,
            beneficiary=beneficiary,
            fields=("export:all",),
            reason=AccessReason.RIGHTS_REQUEST,
            note=note,
            channel=channel,
            path=path,
        )
        with unsealed(f"export:{beneficiary.pk}"):
            cases = []
            for case in beneficiary.cases.select_related("programme", "region").order_by("id"):
                cases.append(
                    {
                        "case_number": case.case_number,
                        "programme": case.programme.name,
                        "status": case.get_status_display(),
                        "village": case.region.name,
                        "hardship_class": case.get_hardship_class_display(),
                        "diagnosis": _text(case.diagnosis),
                        "hospital": _text(case.hospital),
                        "situation": _text(case.situation),
                        "guardian": {
                            "name": _text(case.guardian_name),
                            "id_number": _text(case.guardian_id_number),
                            "phone": _text(case.guardian_phone),
                            "relation": case.guardian_relation,
                        },
                        "costs_fen": {
                            "total_cost": case.total_cost_fen,
                            "basic_insurance": case.basic_insurance_fen,
                            "critical_illness_insurance": case.critical_illness_insurance_fen,
                            "medical_assistance": case.medical_assistance_fen,
                            "commercial_insurance": case.commercial_insurance_fen,
                            "employer": case.employer_fen,
                            "other_charity": case.other_charity_fen,
                        },
                        "calculation": case.calculation,
                        "approved_fen": case.approved_fen,
                        "disbursed_fen": case.disbursed_fen,
                        "invoices": [
                            {
                                "number": _text(i.number),
                                "amount_fen": i.amount_fen,
                                "issued_on": i.issued_on.isoformat(),
                            }
                            for i in case.invoices.all()
                        ],
                        "consents": [
                            {
                                "kind": c.get_kind_display(),
                                "signer": c.get_signer_display(),
                                "text_version": c.text_version,
                                "recorded_at": c.recorded_at.isoformat(),
                                "withdrawn_at": c.withdrawn_at.isoformat() if c.withdrawn_at else None,
                            }
                            for c in case.consents.all()
                        ],
                        "reviews": [
                            {
                                "step": r.step.name,
                                "decision": r.get_decision_display(),
                                "opinion": _text(r.opinion),
                                "at": r.at.isoformat(),
                            }
                            for r in case.reviews.select_related("step")
                        ],
                        "notices": [
                            {
                                "starts_on": n.starts_on.isoformat(),
                                "ends_on": n.ends_on.isoformat(),
                                "status": n.get_status_display(),
                            }
                            for n in case.notices.all()
                        ],
                        "disbursements": [
                            {
                                "amount_fen": d.amount_fen,
                                "method": d.get_method_display(),
                                "paid_on": d.paid_on.isoformat(),
                                "account_holder": _text(d.account_holder),
                                "bank_name": _text(d.bank_name),
                                "account_number": _text(d.account_number),
                                "hospital": d.hospital_name,
                            }
                            for d in case.disbursements.all()
                        ],
                        "follow_ups": [
                            {
                                "kind": f.get_kind_display(),
                                "on": f.on.isoformat(),
                                "services": f.services,
                                "notes": _text(f.notes),
                            }
                            for f in case.follow_ups.all()
                        ],
                        "documents": [
                            {"kind": d.get_kind_display(), "uploaded_at": d.uploaded_at.isoformat()}
                            for d in case.documents.filter(deleted_at__isnull=True)
                        ],
                        "retention_until": case.retention_until.isoformat() if case.retention_until else None,
                    }
                )
            return {
                "person": {
                    "name": _text(beneficiary.name),
                    "id_number": _text(beneficiary.id_number),
                    "birth_date": _text(beneficiary.birth_date),
                    "phone": _text(beneficiary.phone),
                    "address": _text(beneficiary.address),
                    "household": _text(beneficiary.household),
                    "village": beneficiary.region.name,
                },
                "cases": cases,
                "processor": "鄂州市慈善总会",
                "note": "依据《个人信息保护法》第四十五条提供。如需更正或删除，请联系受理服务站或市慈善总会。",
            }
