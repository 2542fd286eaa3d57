"""The shape every append-only trail of a staff-handled record shares: who did what, when, with which details.

Each app keeps its own table (its own ``kind`` choices and the record it belongs to); this is the common part.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TrailEvent(models.Model):
    """Subclasses add ``gift`` (or another record) as a foreign key and ``kind`` with their own choices."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    details = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.gift_id} {self.kind}"
