"""Helpers for tests: build a published project, sign sandbox notifications, count what was written."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from gongyi.campaigns.models import Campaign
from gongyi.giving.models import Gift
from gongyi.ledger.models import Account, JournalEntry, JournalLine
from gongyi.orgs.models import Organisation
from gongyi.payments.gateways.sandbox.gateway import SIGNATURE_HEADER, sign
from gongyi.payments.models import Order, PaymentNotification
from gongyi.projects.models import Project, ProjectStatus

VALID_USCC = "9144030071526726XG"


def make_project(
    *,
    title: str = "测试项目",
    status: str = ProjectStatus.PUBLISHED,
    campaign=None,
    org_name: str = "测试慈善会",
    uscc: str = VALID_USCC,
) -> Project:
    org = Organisation.objects.filter(name=org_name).first()
    if org is None:
        org = Organisation(
            name=org_name,
            uscc=uscc,
            has_public_fundraising=True,
            fundraising_certificate_no="测试公募证001",
            contact_phone="0711-1234567",
        )
        org.save()
    today = timezone.localdate()
    return Project.objects.create(
        organisation=org,
        campaign=campaign,
        title=title,
        summary="测试项目简介",
        story="故事",
        domain="hardship",
        target_fen=1_000_000,
        status=status,
        filing_number="TEST-0001" if status == ProjectStatus.PUBLISHED else "",
        purpose="目的",
        fundraising_starts_on=today - timedelta(days=1),
        fundraising_ends_on=today + timedelta(days=30),
        lead_name="负责人",
        lead_office_address="地址",
        bank_account_name="户名",
        bank_name="银行",
        bank_account_number="123",
        beneficiaries="受益人",
        use_of_funds="用途",
    )


def make_campaign(host: Organisation, **kwargs) -> Campaign:
    now = timezone.now()
    defaults = {
        "slug": "test-festival",
        "name": "测试公益节",
        "starts_at": now - timedelta(days=1),
        "ends_at": now + timedelta(days=2),
        "host": host,
    }
    defaults.update(kwargs)
    return Campaign.objects.create(**defaults)


def notification_body(
    order: Order,
    *,
    transaction_id: str,
    amount_fen: int | None = None,
    payer: str = "payer-1",
    paid_at: datetime | None = None,
) -> bytes:
    return json.dumps(
        {
            "out_trade_no": order.out_trade_no,
            "transaction_id": transaction_id,
            "amount_fen": order.amount_fen if amount_fen is None else amount_fen,
            "payer": payer,
            "paid_at": (paid_at or timezone.now()).isoformat(),
        }
    ).encode()


def signed_headers(body: bytes, key: str | None = None) -> dict[str, str]:
    return {SIGNATURE_HEADER: sign(key or settings.GONGYI["SANDBOX_KEY"], body)}


def row_counts() -> dict[str, int]:
    return {
        "orders_paid": Order.objects.exclude(status="pending").count(),
        "gifts": Gift.objects.count(),
        "entries": JournalEntry.objects.count(),
        "lines": JournalLine.objects.count(),
        "accounts": Account.objects.count(),
        "notifications": PaymentNotification.objects.count(),
    }
