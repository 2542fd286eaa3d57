"""Text lookups that a NUL character cannot crash: a value no column can hold matches no row.

PostgreSQL text can never contain U+0000, and psycopg refuses to send a parameter that does: a lookup such as
``Gift.objects.filter(certificate_no="\\x00")`` (a certificate number typed into a URL) raised ``DataError``, a
500, where any other unknown number answers 404. Django treats integers out of a column's range the same way
(``IntegerFieldOverflow``: an empty result, never an error). These lookups, registered on every CharField and
TextField by ``CoreConfig.ready``, do that for text on every database: a value with NUL matches nothing (the
negation, ``exclude``, everything). Stored text never holds NUL: forms refuse it
(``ProhibitNullCharactersValidator``) and services refuse it in free text (``gongyi.core.text``).

Only the lookups' values are looked at; what is written is the writers' business.
"""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.db.models import CharField, TextField, lookups

NUL = "\x00"


def _has_nul(value) -> bool:
    return isinstance(value, str) and NUL in value


class _NulMatchesNothing:
    def as_sql(self, compiler, connection):
        if self.rhs_is_direct_value() and _has_nul(self.rhs):
            raise EmptyResultSet
        return super().as_sql(compiler, connection)


class NulSafeIn(lookups.In):
    def get_prep_lookup(self):
        if self.rhs_is_direct_value() and not isinstance(self.rhs, str):
            try:
                values = list(self.rhs)
            except TypeError:
                values = None
            if values is not None:
                # Django's own ``In`` drops None the same way; an empty list then matches nothing.
                self.rhs = [v for v in values if not _has_nul(v)]
        return super().get_prep_lookup()


def _nul_safe(base):
    return type(f"NulSafe{base.__name__}", (_NulMatchesNothing, base), {})


NUL_SAFE_LOOKUPS = [
    _nul_safe(lookup)
    for lookup in (
        lookups.Exact,
        lookups.IExact,
        lookups.Contains,
        lookups.IContains,
        lookups.StartsWith,
        lookups.IStartsWith,
        lookups.EndsWith,
        lookups.IEndsWith,
    )
] + [NulSafeIn]


def register() -> None:
    for field in (CharField, TextField):
        for lookup in NUL_SAFE_LOOKUPS:
            field.register_lookup(lookup)
