"""Key rotation: re-seal every encrypted value and document not under the primary key, and rebuild blind
indexes. Works on ciphertexts directly (never through the model attributes), row by row, each row in its
own short transaction so a long rotation never holds locks for long and can be re-run after a stop."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from gongyi.aid import crypto, documents
from gongyi.aid.fields import EncryptedTextField, Sealed, aad_for
from gongyi.aid.keys import current_keyring
from gongyi.aid.models import (
    AidCase,
    Beneficiary,
    Disbursement,
    Document,
    FollowUp,
    Invoice,
    Objection,
    Review,
)

SEALED_MODELS = (Beneficiary, AidCase, Invoice, Document, Review, Objection, Disbursement, FollowUp)


@dataclass
class RotationReport:
    primary_key_id: str
    resealed: dict[str, int] = field(default_factory=dict)
    left: int = 0


def _sealed_fields(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def rotate_keys(*, dry_run: bool = False) -> RotationReport:
    """Re-seal every value under the primary key; the report counts what changed and what is left."""
    keyring = current_keyring()
    primary_prefix = f"{crypto.TOKEN_VERSION}:{keyring.primary_key_id}:"
    report = RotationReport(primary_key_id=keyring.primary_key_id)
    for model in SEALED_MODELS:
        names = _sealed_fields(model)
        stale = Q()
        for name in names:
            stale |= Q(**{f"{name}__isnull": False}) & ~Q(**{f"{name}__startswith": primary_prefix})
        count = 0
        for pk in model.objects.filter(stale).values_list("pk", flat=True).iterator():
            with transaction.atomic():
                row = model.objects.select_for_update().filter(pk=pk).values("uid", *names).first()
                changes = {}
                for name in names:
                    value = row[name]
                    token = value.token if isinstance(value, Sealed) else value
                    if token is None:
                        continue
                    fresh = crypto.reseal_text(keyring, token, aad=aad_for(model, name, row["uid"]))
                    if fresh is not None:
                        changes[name] = Sealed(fresh)
                if changes and not dry_run:
                    model.objects.filter(pk=pk).update(**changes)
                count += bool(changes)
        report.resealed[model._meta.label] = count
    resealed_files = 0
    for document in Document.objects.filter(deleted_at__isnull=True).exclude(key_id=keyring.primary_key_id).iterator():
        if not dry_run:
            with transaction.atomic():
                new_key = documents.reseal_document(document, keyring)
                if new_key is not None:
                    Document.objects.filter(pk=document.pk).update(key_id=new_key)
        resealed_files += 1
    report.resealed["aid.Document(file)"] = resealed_files
    if not dry_run:
        for model in SEALED_MODELS:
            stale = Q()
            for name in _sealed_fields(model):
                stale |= Q(**{f"{name}__isnull": False}) & ~Q(**{f"{name}__startswith": primary_prefix})
            report.left += model.objects.filter(stale).count()
        report.left += Document.objects.filter(deleted_at__isnull=True).exclude(key_id=keyring.primary_key_id).count()
    return report


def reindex_blind_indexes(*, dry_run: bool = False) -> int:
    """Recompute the ID-number and invoice blind indexes under the current blind-index key."""
    keyring = current_keyring()
    changed = 0
    for pk, uid, token, index in Beneficiary.objects.filter(id_number__isnull=False).values_list(
        "pk", "uid", "id_number", "id_number_index"
    ):
        number = crypto.open_text(keyring, token.token, aad=aad_for(Beneficiary, "id_number", uid))
        fresh = crypto.blind_index(keyring, "idcard", number)
        if fresh != index:
            changed += 1
            if not dry_run:
                Beneficiary.objects.filter(pk=pk).update(id_number_index=fresh)
    for pk, uid, token, key in Invoice.objects.filter(number__isnull=False).values_list(
        "pk", "uid", "number", "invoice_key"
    ):
        normalized = crypto.open_text(keyring, token.token, aad=aad_for(Invoice, "number", uid))
        fresh = crypto.blind_index(keyring, "invoice", normalized)
        if fresh != key:
            changed += 1
            if not dry_run:
                Invoice.objects.filter(pk=pk).update(invoice_key=fresh)
    return changed
