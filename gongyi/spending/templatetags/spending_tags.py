"""Template tags for the accounts snippet on pages that are not the spending app's own."""

from django import template

from gongyi.spending.selectors import AccountsFigures, accounts_for_project

register = template.Library()


@register.simple_tag
def project_accounts_figures(project) -> AccountsFigures:
    """The project's ledger figures (income, spent, balance), for ``spending/_project_accounts.html``."""
    return accounts_for_project(project)


@register.filter
def permille_percent(value) -> str:
    """123 (‰) → '12.3%'."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return ""
    return f"{value // 10}.{value % 10}%"
