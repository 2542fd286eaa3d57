"""``{% project_updates project %}``: an organisation's progress updates, for the project's public page."""

from __future__ import annotations

from django import template

from gongyi.backoffice.selectors import public_updates

register = template.Library()


@register.inclusion_tag("backoffice/_project_updates_panel.html")
def project_updates(project):
    return {"project": project, "updates": public_updates(project)}
