"""The public API (django-ninja), OpenAPI 3.1 at /api/v1/openapi.json.

Errors always come back as JSON naming the field: ``{"message": "...", "errors": [{"field", "message"}]}``.
"""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.errors import HttpError, ValidationError

from gongyi.aid.api import router as aid_router
from gongyi.backoffice.api import router as backoffice_router
from gongyi.campaigns.api import router as campaigns_router
from gongyi.dashboard.api import router as dashboard_router
from gongyi.donors.api import router as donors_router
from gongyi.drives.api import router as drives_router
from gongyi.funds.api import router as funds_router
from gongyi.giving.api import orders_router
from gongyi.inkind.api import router as inkind_router
from gongyi.ledger.translog.api import router as log_router
from gongyi.offline.api import router as offline_router
from gongyi.oversight.api import router as oversight_router
from gongyi.payments.api import router as payments_router
from gongyi.projects.api import router as projects_router
from gongyi.reports.api import router as reports_router
from gongyi.spending.api import router as spending_router
from gongyi.stories.api import router as stories_router

api = NinjaAPI(
    title="gongyi API",
    version="1",
    description="公益平台接口：活动、项目、订单与支付通知。金额单位均为分（整数）。",
    urls_namespace="api-v1",
)


def _field_of(loc) -> str:
    # ninja locations look like ("body", "payload", "fen") or ("query", "domain").
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "body"


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = [{"field": _field_of(e.get("loc", ())), "message": e.get("msg", "invalid")} for e in exc.errors]
    message = "；".join(f"{e['field']}: {e['message']}" for e in errors) or "请求格式不正确"
    return api.create_response(request, {"message": message, "errors": errors}, status=422)


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return api.create_response(request, {"message": str(exc), "errors": []}, status=exc.status_code)


api.add_router("/campaigns", campaigns_router)
api.add_router("/projects", projects_router)
api.add_router("/orders", orders_router)
api.add_router("/payments", payments_router)
api.add_router("/log", log_router)
api.add_router("/accounts", spending_router)
api.add_router("/oversight", oversight_router)
api.add_router("/drives", drives_router)
api.add_router("/stories", stories_router)
api.add_router("/reports", reports_router)
api.add_router("/dashboard", dashboard_router)
api.add_router("/aid", aid_router)
api.add_router("/inkind", inkind_router)
api.add_router("/funds", funds_router)
api.add_router("/offline", offline_router)
api.add_router("/me", donors_router)
api.add_router("/office", backoffice_router)
