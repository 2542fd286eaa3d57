"""Builders for stories tests: a festival project, staff, a progress update with photos, photo uploads."""

from __future__ import annotations

import io

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gongyi.backoffice.models import OrgRole
from gongyi.backoffice.selectors import scope_for
from gongyi.backoffice.services import PhotoInput as UpdatePhoto
from gongyi.backoffice.services import grant_organisation_membership, post_progress_update
from gongyi.projects.models import Project
from gongyi.stories.demo import drawn_photo
from gongyi.testing import make_campaign, make_project


def festival_project(title: str = "鄂州慈善幸福家园") -> Project:
    project = make_project(title=title)
    campaign = make_campaign(project.organisation, slug="stories-festival", name="第二届湖北数字公益节")
    Project.objects.filter(pk=project.pk).update(campaign=campaign)
    return Project.objects.select_related("campaign", "organisation").get(pk=project.pk)


def staff(*codenames: str, username: str = "editor"):
    """A staff user with the given ``stories`` permissions (all three when none are named)."""
    user = get_user_model().objects.create_user(username, is_staff=True)
    for codename in codenames or ("view_story", "add_story", "change_story", "publish_story"):
        user.user_permissions.add(Permission.objects.get(codename=codename, content_type__app_label="stories"))
    return get_user_model().objects.get(pk=user.pk)


def jpeg(width: int = 2400, height: int = 1600, colour=(200, 80, 60), *, name: str = "photo.jpg", exif: bool = True):
    image = Image.new("RGB", (width, height), colour)
    out = io.BytesIO()
    kwargs = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "TestCamera"  # Make
        kwargs["exif"] = data.tobytes()
    image.save(out, format="JPEG", **kwargs)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def progress_update(project, *, photos: int = 2, title: str = "便民桥完工通行"):
    editor = get_user_model().objects.create_user(f"org-editor-{project.pk}-{title[:2]}")
    grant_organisation_membership(user=editor, organisation=project.organisation, role=OrgRole.EDITOR)
    return post_progress_update(
        scope=scope_for(editor),
        project=project,
        title=title,
        text="在村民互助资金和爱心捐赠的支持下，村湾便民桥于本周完工通行。",
        photos=[UpdatePhoto(drawn_photo(("bridge", "village")[n % 2], n), f"照片{n + 1}") for n in range(photos)],
        actor=editor,
    ), editor
