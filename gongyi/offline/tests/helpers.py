"""Builders shared by the offline, in-kind and named-fund tests: the federation, staff, files, gifts."""

from __future__ import annotations

import itertools
from datetime import timedelta

from django.utils import timezone

from gongyi.demo.data import FEDERATION, REGIONS, uscc
from gongyi.offline.models import DonorKind, Method, ReceiptChoice, VoucherKind
from gongyi.offline.services import VoucherUpload, confirm_offline_gift, record_offline_gift
from gongyi.orgs.models import Organisation, Region
from gongyi.spending.tests.helpers import make_user, pdf_bytes, png_bytes, upload

_sequence = itertools.count(1)

ENTER = ("offline.add_offlinegift",)
CHECK = ("offline.check_offlinegift", "offline.void_offlinegift", "offline.change_offlinereceipt")
IN_KIND_CLERK = ("inkind.add_inkindgift", "inkind.add_handout", "inkind.add_warehouse", "inkind.check_quality")
IN_KIND_CHECKER = ("inkind.accept_inkindgift", "inkind.check_quality", "inkind.change_handout", "inkind.add_handout")
FUND_CLERK = ("funds.add_namedfund", "funds.add_fundcontribution", "funds.add_fundgrant")
FUND_APPROVER = ("funds.approve_fundgrant", "funds.add_fundgrant")
COMPANY_USCC = uscc("91", "420704", "73110233")


def make_federation() -> Organisation:
    for code, name, level, parent in REGIONS:
        Region.objects.update_or_create(code=code, defaults={"name": name, "level": level, "parent_id": parent})
    organisation = Organisation.objects.filter(name=FEDERATION["name"]).first()
    if organisation is None:
        organisation = Organisation(
            name=FEDERATION["name"],
            kind="federation",
            uscc=FEDERATION["uscc"],
            region_id="420700",
            has_public_fundraising=True,
            fundraising_certificate_no=FEDERATION["fundraising_certificate_no"],
        )
        organisation.save()
    return organisation


def clerk_and_checker(django_user_model, prefix: str, clerk_perms, checker_perms):
    return (
        make_user(django_user_model, f"{prefix}_clerk", *clerk_perms),
        make_user(django_user_model, f"{prefix}_checker", *checker_perms),
    )


def slip(name: str = "slip.png"):
    return upload(name, png_bytes(), "image/png")


def document(name: str = "doc.pdf"):
    return upload(name, pdf_bytes(), "application/pdf")


def bank_reference() -> str:
    return f"TEST-BANK-{next(_sequence):06d}"


def enter_transfer(clerk, *, fen: int = 50_000_00, project=None, fund=None, to_principal=False, **kwargs):
    """A company's bank transfer as entered (not yet checked)."""
    values = {
        "method": Method.BANK_TRANSFER,
        "donor_kind": DonorKind.ORGANISATION,
        "donor_name": "鄂州市华耀建材有限公司",
        "donor_uscc": COMPANY_USCC,
        "amount_fen": fen,
        "received_on": timezone.localdate() - timedelta(days=1),
        "project": project,
        "fund": fund,
        "to_principal": to_principal,
        "bank_reference": bank_reference(),
        "payer_account_name": "鄂州市华耀建材有限公司",
        "receipt_choice": ReceiptChoice.WAIVED,
        "vouchers": [VoucherUpload(kind=VoucherKind.BANK_SLIP, file=slip())],
        "entered_by": clerk,
    }
    values.update(kwargs)
    return record_offline_gift(**values)


def confirmed_transfer(clerk, checker, **kwargs):
    gift = enter_transfer(clerk, **kwargs)
    return confirm_offline_gift(gift=gift, checker=checker)
