"""The encrypted model field: values sealed at rest, opened only inside an access-logged scope.

``EncryptedTextField`` stores ``v1:<key_id>:<…>`` (see ``crypto``). The associated data is
``gongyi.aid/<model label>.<field>/<row uid>``, so every model using it has an immutable ``uid``. Values
read from the database stay sealed in memory (``Sealed``) until the attribute is read; reading one outside
``unsealed(...)`` raises ``SealedFieldAccess``. ``unsealed`` is entered only by ``access`` (which writes
the access log first) and the tests — so no page, API answer or template can show a personal field whose
read was not logged, even by mistake.

Assigning a plain ``str`` to the attribute seals it on ``save()``. Filtering on the field is refused (the
ciphertext is randomised); use the blind index columns. The field is not editable in ModelForms and
serialises (``dumpdata``) as its ciphertext.
"""

from __future__ import annotations

import contextvars
import uuid
from contextlib import contextmanager

from django.db import models
from django.db.models.query_utils import DeferredAttribute

from gongyi.aid import crypto
from gongyi.aid.keys import current_keyring

_unseal_scope: contextvars.ContextVar[str | None] = contextvars.ContextVar("gongyi_aid_unseal", default=None)
# Set only while Django copies attributes between instances (refresh_from_db): reads return the ciphertext.
_raw_copy: contextvars.ContextVar[bool] = contextvars.ContextVar("gongyi_aid_raw_copy", default=False)


class SealedFieldAccess(RuntimeError):
    """A personal field was read outside an access-logged scope."""


@contextmanager
def unsealed(purpose: str):
    """Allow sealed fields to be opened inside this block (the caller has logged the access)."""
    if not purpose:
        raise ValueError("purpose required")
    token = _unseal_scope.set(purpose)
    try:
        yield
    finally:
        _unseal_scope.reset(token)


def unseal_allowed() -> bool:
    return _unseal_scope.get() is not None


class Sealed:
    """A ciphertext as loaded from (or just written to) the database."""

    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token

    def __repr__(self) -> str:
        return "<sealed>"

    def __eq__(self, other) -> bool:
        return isinstance(other, Sealed) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)


def aad_for(model, field_name: str, uid) -> str:
    return f"gongyi.aid/{model._meta.label_lower}.{field_name}/{uid}"


class SealedAttribute(DeferredAttribute):
    """Data descriptor: opens the ciphertext on read (only inside ``unsealed``); stores what is set."""

    def __get__(self, instance, cls=None):
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, Sealed) and not _raw_copy.get():
            if not unseal_allowed():
                raise SealedFieldAccess(f"{type(instance).__name__}.{self.field.name} 只能在记录访问日志的范围内读取")
            return crypto.open_text(
                current_keyring(), value.token, aad=aad_for(type(instance), self.field.name, instance.uid)
            )
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """Text sealed with AES-GCM under the aid keyring's primary key; NULL stays NULL."""

    descriptor_class = SealedAttribute

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("editable", False)
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return None if value is None else Sealed(value)

    def to_python(self, value):
        return value

    def pre_save(self, model_instance, add):
        value = model_instance.__dict__.get(self.attname)
        if value is None or isinstance(value, Sealed):
            return value
        if not isinstance(value, str):
            raise TypeError(f"{self.name} 只接受文本")
        sealed = Sealed(
            crypto.seal_text(current_keyring(), value, aad=aad_for(type(model_instance), self.name, model_instance.uid))
        )
        model_instance.__dict__[self.attname] = sealed
        return sealed

    def get_prep_value(self, value):
        if value is None:
            return None
        if isinstance(value, Sealed):
            return value.token
        raise TypeError(f"{self.name} 是加密字段：不能按明文查询或批量更新（请用盲索引或模型的 save()）")

    def value_from_object(self, obj):
        value = obj.__dict__.get(self.attname)
        return value.token if isinstance(value, Sealed) else value

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)


class SealedModel(models.Model):
    """A model with encrypted fields: ``uid`` binds each ciphertext to its row."""

    uid = models.UUIDField(unique=True, editable=False, default=uuid.uuid4)

    class Meta:
        abstract = True

    def refresh_from_db(self, *args, **kwargs):
        # Django copies each attribute from a fresh instance with getattr(); copy the ciphertexts as they are.
        token = _raw_copy.set(True)
        try:
            super().refresh_from_db(*args, **kwargs)
        finally:
            _raw_copy.reset(token)

    def sealed_field_names(self) -> list[str]:
        return [f.name for f in self._meta.concrete_fields if isinstance(f, EncryptedTextField)]

    def is_sealed_empty(self, name: str) -> bool:
        return self.__dict__.get(name) is None


def reseal_token(model, field_name: str, uid, token: str, keyring: crypto.Keyring) -> str | None:
    """The token re-sealed under the primary key, or None if it already is (used by rotate_aid_keys)."""
    return crypto.reseal_text(keyring, token, aad=aad_for(model, field_name, uid))
