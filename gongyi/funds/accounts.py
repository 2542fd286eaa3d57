"""The federation's own ledger accounts used by offline gifts, in-kind gifts and named funds.

Account codes hold ids only (every posted entry becomes a public-log leaf): ``bank:main``, ``cash:main``,
``org:<organisation id>:general_fund``, ``fund:<fund id>:principal`` / ``:available``,
``project:<project id>:fund_grants``.

Which organisation is "the federation" (慈善总会) is read at call time: the setting
``GONGYI_FEDERATION_USCC`` when it is set, else the only organisation of kind federation, else the
federation registered at city level (the demo also holds the province's federation), else the first.
"""

from __future__ import annotations

from django.conf import settings

from gongyi.ledger.models import Account, AccountKind
from gongyi.ledger.services import get_account
from gongyi.orgs.models import Organisation, OrganisationKind, RegionLevel


def federations():
    return Organisation.objects.filter(kind=OrganisationKind.FEDERATION).select_related("region").order_by("id")


def default_federation() -> Organisation | None:
    """The federation that receives unrestricted gifts when staff do not choose another."""
    uscc = (getattr(settings, "GONGYI_FEDERATION_USCC", "") or "").strip().upper()
    if uscc:
        return Organisation.objects.filter(uscc=uscc).first()
    candidates = list(federations())
    if len(candidates) <= 1:
        return candidates[0] if candidates else None
    for organisation in candidates:
        if organisation.region is not None and organisation.region.level == RegionLevel.CITY:
            return organisation
    return candidates[0]


def bank_account() -> Account:
    """The federation's basic bank account (the same account the drives app posts units' transfers to)."""
    return get_account(code="bank:main", name="银行存款（基本户）", kind=AccountKind.BANK)


def cash_account() -> Account:
    return get_account(code="cash:main", name="库存现金", kind=AccountKind.CASH)


def general_fund_account(organisation: Organisation) -> Account:
    """Unrestricted gifts (非限定性捐赠) the organisation uses where it is needed most."""
    return get_account(
        code=f"org:{organisation.pk}:general_fund",
        name=f"{organisation.name} · 非限定性捐赠",
        kind=AccountKind.GENERAL_FUND,
    )


def fund_principal_account(fund) -> Account:
    return get_account(
        code=f"fund:{fund.pk}:principal", name=f"{fund.name} · 留本本金", kind=AccountKind.NAMED_FUND_PRINCIPAL
    )


def fund_available_account(fund) -> Account:
    return get_account(code=f"fund:{fund.pk}:available", name=f"{fund.name} · 可用", kind=AccountKind.NAMED_FUND)


def project_fund_grants_account(project) -> Account:
    """What named funds granted to a project: income of the project beside donations and matching."""
    return get_account(
        code=f"project:{project.pk}:fund_grants",
        name=f"{project.title} · 冠名基金拨款",
        kind=AccountKind.PROJECT_FUND_GRANTS,
        project=project,
    )
