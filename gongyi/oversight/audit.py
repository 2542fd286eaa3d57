"""Rule changes with their before and after (``RuleChangeEvent``): the hook other apps call, signal-free.

Call it inside the transaction that saves the rule, with a snapshot taken before the change::

    from gongyi.oversight.audit import record_rule_change, rule_snapshot

    before = rule_snapshot(locked_pool(pool.pk)) if pool.pk else None
    pool.save()
    record_rule_change(actor=actor, subject=pool, before=before, after=rule_snapshot(pool))

``rule_snapshot`` copies concrete fields (and many-to-many ids once the row exists) into JSON-safe values;
fields whose name says they are secret (``*seed``, ``*secret*``, ``*password*``, ``*key``) are left out, so
a random-ratio seed never reaches the audit trail before it is published (its SHA-256 is kept).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction

from gongyi.oversight.models import RuleChangeEvent

SECRET_SUFFIXES = ("seed", "key")
SECRET_PARTS = ("secret", "password", "token")


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered.endswith(SECRET_SUFFIXES) or any(part in lowered for part in SECRET_PARTS)


class _UtcEncoder(DjangoJSONEncoder):
    # One instant, one text: an aware time in UTC, so a form's local time is not a change of the rule.
    def default(self, o):
        if isinstance(o, datetime.datetime) and o.tzinfo is not None:
            o = o.astimezone(datetime.UTC)
        return super().default(o)


def _json_safe(value):
    return json.loads(json.dumps(value, cls=_UtcEncoder))


def rule_snapshot(instance: models.Model, *, exclude: Iterable[str] = ()) -> dict:
    """The rule's fields as JSON-safe values (foreign keys as ids), without secrets or ``exclude``d fields."""
    skip = set(exclude)
    data: dict = {}
    for field in instance._meta.concrete_fields:
        if field.primary_key or field.name in skip or _is_secret(field.name):
            continue
        data[field.name] = field.value_from_object(instance)
    if instance.pk is not None:
        for field in instance._meta.many_to_many:
            if field.name in skip or _is_secret(field.name):
                continue
            data[field.name] = sorted(obj.pk for obj in field.value_from_object(instance))
    return _json_safe(data)


def subject_type_of(instance: models.Model) -> str:
    return instance._meta.label  # e.g. "matching.MatchingPool"


def record_rule_change(
    *,
    actor,
    subject: models.Model,
    before: dict | None,
    after: dict | None,
    note: str = "",
) -> RuleChangeEvent | None:
    """Write one ``RuleChangeEvent`` when ``before`` and ``after`` differ (None = created / deleted).

    Only the changed fields are kept in both snapshots (all of them for a creation or a deletion), with
    their names in ``changed_fields``. Returns the event, or None when nothing changed. Runs in the caller's
    transaction; call it after the save so a refused save leaves no event.
    """
    before_data = _json_safe(before or {})
    after_data = _json_safe(after or {})
    if before is None or after is None:
        changed = sorted(set(before_data) | set(after_data))
        kept_before, kept_after = before_data, after_data
    else:
        changed = sorted(k for k in set(before_data) | set(after_data) if before_data.get(k) != after_data.get(k))
        if not changed:
            return None
        kept_before = {k: before_data.get(k) for k in changed}
        kept_after = {k: after_data.get(k) for k in changed}
    action = "新建" if before is None else ("删除" if after is None else "修改")
    with transaction.atomic():
        return RuleChangeEvent.objects.create(
            subject_type=subject_type_of(subject),
            subject_id=str(subject.pk or ""),
            subject_label=f"{action}：{subject}"[:200],
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            before=kept_before,
            after=kept_after,
            changed_fields=changed,
            note=note[:300],
        )
