"""Template tags for the public accounts pages of other apps: in-kind figures (kept apart from cash),
named-fund grants, and a federation's unrestricted gifts and named funds.

``{% include "funds/_project_goods_and_funds.html" %}`` (needs ``project``) and
``{% include "funds/_organisation_goods_and_funds.html" %}`` (needs ``organisation``) use them.
"""

from django import template

register = template.Library()


@register.simple_tag
def project_goods_and_funds(project) -> dict:
    """A project's in-kind figures, its income from named funds (fen) and the grants behind it."""
    from gongyi.funds.selectors import fund_grants_for_projects, project_grants
    from gongyi.inkind.selectors import project_in_kind_figures

    return {
        "in_kind": project_in_kind_figures(project),
        "fund_grants_fen": fund_grants_for_projects([project.pk])[project.pk],
        "grants": project_grants(project),
    }


@register.simple_tag
def organisation_goods_and_funds(organisation) -> dict:
    """An organisation's own in-kind figures, unrestricted gifts (general fund) and named funds."""
    from gongyi.funds.selectors import organisation_fund_summaries
    from gongyi.inkind.selectors import organisation_in_kind_figures
    from gongyi.offline.selectors import general_fund_fen

    return {
        "in_kind": organisation_in_kind_figures(organisation),
        "general_fund_fen": general_fund_fen(organisation),
        "funds": organisation_fund_summaries(organisation),
    }
