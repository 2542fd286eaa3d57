"""Writes for projects: the review workflow draft → in review → published → closed."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from gongyi.projects.models import PROJECT_TRANSITIONS, Project, ProjectStatus, ProjectStatusChange


class ProjectTransitionError(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def change_project_status(*, project: Project, to_status: str, actor=None, note: str = "") -> Project:
    """Move a project along its review workflow, recording who and when; refuse any other move."""
    if to_status not in ProjectStatus.values:
        raise ProjectTransitionError("status", f"未知状态 {to_status}")
    with transaction.atomic():
        current = Project.objects.select_for_update().get(pk=project.pk)
        if to_status not in PROJECT_TRANSITIONS[current.status]:
            raise ProjectTransitionError(
                "status", f"不能从“{current.get_status_display()}”变为“{ProjectStatus(to_status).label}”"
            )
        if to_status == ProjectStatus.PUBLISHED:
            if not current.filing_number.strip():
                raise ProjectTransitionError(
                    "filing_number", "发布前须填写备案编号（募捐方案须先在慈善中国备案）"
                )
            if not current.organisation.has_public_fundraising:
                raise ProjectTransitionError(
                    "organisation", "募捐组织不具有公开募捐资格，不能发布公开募捐项目"
                )
        now = timezone.now()
        ProjectStatusChange.objects.create(
            project=current, from_status=current.status, to_status=to_status, actor=actor, note=note[:200]
        )
        Project.objects.filter(pk=current.pk).update(
            status=to_status, status_changed_at=now, status_changed_by=actor
        )
        current.refresh_from_db()
    return current
