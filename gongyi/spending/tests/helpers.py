"""Helpers for spending tests: users, gifts through the real money path, small files."""

from __future__ import annotations

import itertools
from datetime import timedelta
from io import BytesIO

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from gongyi.giving.models import Gift
from gongyi.giving.services import confirm_payment
from gongyi.payments.interface import VerifiedPayment
from gongyi.payments.models import Order, SandboxTransaction

_sequence = itertools.count(1)


def make_user(django_user_model, username: str, *permissions: str, staff: bool = True):
    user = django_user_model.objects.create_user(username=username, password=None, is_staff=staff)
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return django_user_model.objects.get(pk=user.pk)


def give(project, fen: int, *, donor: str = "donor", unit_code: str = "", name: str = "", at=None) -> Gift:
    """A confirmed gift through the real money path (sandbox), like the matching replay tests."""
    n = next(_sequence)
    at = at or timezone.now() - timedelta(minutes=1)
    order = Order.objects.create(
        out_trade_no=f"GYSPEND{n:010d}",
        project=project,
        amount_fen=fen,
        gateway="sandbox",
        donor_name=name,
        unit_code=unit_code,
    )
    SandboxTransaction.objects.create(
        out_trade_no=order.out_trade_no,
        transaction_id=f"TSPEND{n}",
        amount_fen=fen,
        payer=donor,
        paid_at=at,
        notify_url="",
    )
    return confirm_payment(
        gateway="sandbox",
        payment=VerifiedPayment(
            out_trade_no=order.out_trade_no, provider_txn_id=f"TSPEND{n}", amount_fen=fen, payer=donor, paid_at=at
        ),
    ).gift


def png_bytes(color="red", size=(40, 30), exif: bytes | None = None, fmt: str = "PNG") -> bytes:
    image = Image.new("RGB", size, color)
    buffer = BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(buffer, fmt, **kwargs)
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_bytes(text: str = "voucher") -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PDF")
    return buffer.getvalue()


def make_unit(name: str = "鄂州市第一中学"):
    """An approved work unit whose code the give path credits (一日捐)."""
    from gongyi.drives.codes import new_code
    from gongyi.drives.models import Unit, UnitKind, UnitSource, UnitStatus
    from gongyi.orgs.models import Region

    district, _ = Region.objects.get_or_create(code="420704", defaults={"name": "鄂城区", "level": "district"})
    return Unit.objects.create(
        code=new_code(),
        name=name,
        kind=UnitKind.choices[0][0],
        district=district,
        status=UnitStatus.APPROVED,
        source=UnitSource.STAFF,
    )


def make_pool(campaign, *, ratio_bp: int = 5_000, total_fen: int = 10_000_000, **rules):
    """A fixed-ratio matching pool over the campaign's window, released in full at its start."""
    from gongyi.matching.models import MatchingPool, PoolTranche
    from gongyi.matching.services import save_pool

    pool = save_pool(
        pool=MatchingPool(
            campaign=campaign,
            sponsor=campaign.host,
            name="测试配捐池",
            total_fen=total_fen,
            window_start=campaign.starts_at,
            window_end=campaign.ends_at,
            min_gift_fen=100,
            ratio_kind="fixed",
            ratio_bp=ratio_bp,
            **rules,
        )
    )
    PoolTranche.objects.create(pool=pool, at=campaign.starts_at, fen=total_fen)
    return pool
