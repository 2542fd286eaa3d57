"""Demo oversight: complaints at different stages, a regulator login, the default finance limits.

``load_oversight_demo()`` is safe to run any number of times (a complaint is added only when none with the
same text exists; users are made once). Run it after ``load_demo()`` (and ``load_transparency_demo()`` for
spending figures). Every complaint goes through the services, so the demo writes the same events as real
use: one complaint is received three weeks ago and flagged overdue, one is answered publicly, one answered
privately (it would expose a person), one is being investigated, one refused.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from gongyi.core.roles import REGULATOR_GROUP
from gongyi.oversight.complaints import (
    answer_complaint,
    file_complaint,
    flag_overdue_complaints,
    reject_complaint,
    start_investigation,
    triage_complaint,
)
from gongyi.oversight.models import Complaint, ComplaintOutcome, ComplaintSubject
from gongyi.oversight.services import ensure_default_finance_limits

REGULATOR = "demo_regulator"
HANDLER = "demo_complaints"
PASSWORD_FILE = "regulator_password"  # noqa: S105 - a file name, not a password


@dataclass(frozen=True)
class OversightDemoReport:
    complaints_added: int
    regulator_username: str
    regulator_password: str | None  # None when the user already existed (see <DATA_DIR>/regulator_password)
    overdue_tracking_number: str | None
    answered_tracking_number: str | None

    @property
    def regulator_login(self) -> str:
        password = self.regulator_password or f"(unchanged; see {Path(settings.GONGYI['DATA_DIR']) / PASSWORD_FILE})"
        return f"{self.regulator_username} / {password}"


def _regulator() -> tuple[object, str | None]:
    User = get_user_model()
    user = User.objects.filter(username=REGULATOR).first()
    group, _ = Group.objects.get_or_create(name=REGULATOR_GROUP)
    password = None
    if user is None:
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(REGULATOR, f"{REGULATOR}@example.invalid", password, first_name="民政局")
        path = Path(settings.GONGYI["DATA_DIR"]) / PASSWORD_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(password)
        path.chmod(0o600)
    user.groups.add(group)
    return user, password


def _handler():
    User = get_user_model()
    user = User.objects.filter(username=HANDLER).first()
    if user is None:
        user = User.objects.create_user(HANDLER, f"{HANDLER}@example.invalid", None, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="handle_complaint", content_type__app_label="oversight"))
    return User.objects.get(pk=user.pk)  # fresh permission cache


def _subject(title: str) -> tuple[str, str]:
    from gongyi.projects.models import Project
    from gongyi.projects.selectors import PUBLIC_STATUSES

    project = Project.objects.filter(title=title, status__in=PUBLIC_STATUSES).first()
    if project is None:
        project = Project.objects.filter(status__in=PUBLIC_STATUSES).order_by("id").first()
    if project is None:
        return ComplaintSubject.OTHER, title
    return ComplaintSubject.PROJECT, str(project.pk)


def _organisation_subject() -> tuple[str, str]:
    from gongyi.orgs.models import Organisation

    organisation = Organisation.objects.filter(projects__isnull=False).order_by("id").first()
    if organisation is None:
        return ComplaintSubject.OTHER, "某慈善组织"
    return ComplaintSubject.ORGANISATION, organisation.name


def load_oversight_demo() -> OversightDemoReport:
    """Add the demo complaints and users (once); return the regulator's login and what was added."""
    ensure_default_finance_limits()
    _regulator_user, password = _regulator()
    handler = _handler()
    now = timezone.now()
    added = 0

    def complaint(text: str, kind_ref: tuple[str, str], *, days_ago: int, **kwargs) -> tuple[Complaint, bool]:
        existing = Complaint.objects.filter(text=text).first()
        if existing is not None:
            return existing, False
        kind, ref = kind_ref
        return (
            file_complaint(subject_kind=kind, subject_ref=ref, text=text, now=now - timedelta(days=days_ago), **kwargs),
            True,
        )

    overdue, made = complaint(
        "项目点发放的米和油数量与公示的清单不一致，村里有人反映少领了一袋米，请核实。",
        _subject("鄂州慈善幸福家园"),
        days_ago=21,
        is_anonymous=True,
    )
    added += made
    answered, made = complaint(
        "听说大病救助的钱拨给了不符合条件的人家，希望公开审核过程。",
        _subject("鄂州市慈善大病救助"),
        days_ago=12,
        is_anonymous=True,
        contact="13900001111",
    )
    if made:
        added += 1
        triage_complaint(complaint=answered, actor=handler, note="转项目组核查")
        start_investigation(complaint=answered, actor=handler, note="调阅四级审核记录和公示材料")
        answer_complaint(
            complaint=answered,
            actor=handler,
            outcome=ComplaintOutcome.NOT_UPHELD,
            answer=(
                "经核查，该救助案件经村、镇、区、市四级审核，公示7日无异议，受助家庭符合因病致贫救助条件，"
                "拨付金额与审核结果一致。反映问题不属实。感谢您对慈善工作的监督。"
            ),
        )
    private, made = complaint(
        "救助公示里的一户人家其实有两套房，邻居都知道，请调查。",
        (ComplaintSubject.AID_CASE, "DB-2025-017"),
        days_ago=9,
        is_anonymous=False,
        name="李某某",
        contact="13800002222",
    )
    if made:
        added += 1
        triage_complaint(complaint=private, actor=handler)
        start_investigation(complaint=private, actor=handler)
        answer_complaint(
            complaint=private,
            actor=handler,
            outcome=ComplaintOutcome.PARTLY_UPHELD,
            answer="经入户核查，该户名下另有一处房产，已按规定重新评估并调整救助金额。",
            is_public=False,
            private_reason="答复涉及受助家庭的财产情况，公开会暴露当事人",
        )
    investigating, made = complaint(
        "单位组织一日捐时，科室负责人要求每人至少捐两百元，这是不是摊派？",
        _organisation_subject(),
        days_ago=4,
        is_anonymous=True,
    )
    if made:
        added += 1
        triage_complaint(complaint=investigating, actor=handler)
        start_investigation(complaint=investigating, actor=handler, note="约谈单位工会，核实捐款通知原文")
    refused, made = complaint(
        "网上有人转发个人大病求助链接，说是你们的项目，是真的吗？",
        (ComplaintSubject.OTHER, "网络个人求助"),
        days_ago=6,
        is_anonymous=True,
    )
    if made:
        added += 1
        reject_complaint(
            complaint=refused,
            actor=handler,
            reason="所述个人求助不是本平台的募捐项目，不属于本会受理范围；个人求助不属于慈善募捐，请注意甄别。",
        )
    flag_overdue_complaints()
    return OversightDemoReport(
        complaints_added=added,
        regulator_username=REGULATOR,
        regulator_password=password,
        overdue_tracking_number=overdue.tracking_number,
        answered_tracking_number=answered.tracking_number,
    )
