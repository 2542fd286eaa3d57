"""Provider notifications: verify first, then confirm, then answer in the provider's own format."""

from __future__ import annotations

import hashlib
import logging

from django.http import HttpResponse
from ninja import Router

from gongyi.payments.gateways import UnknownGateway, get_gateway
from gongyi.payments.interface import NotificationRefused

logger = logging.getLogger(__name__)
router = Router(tags=["payments"])


@router.post(
    "/{gateway}/notify",
    url_name="payment_notify",
    summary="Payment notification from a provider",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
def payment_notify(request, gateway: str):
    from gongyi.giving.services import confirm_payment

    try:
        plugin = get_gateway(gateway)
    except UnknownGateway as exc:
        return HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")
    body = request.body
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        payment = plugin.verify_notification(headers=headers, body=body)
        confirmation = confirm_payment(
            gateway=gateway, payment=payment, raw_body=body.decode("utf-8", "replace")
        )
    except NotificationRefused as exc:
        logger.warning(
            "refused %s notification (%s, sha256 %s): %s",
            gateway,
            exc.code,
            hashlib.sha256(body).hexdigest()[:16],
            exc.message,
        )
        answer = plugin.answer(ok=False, message=f"{exc.code}: {exc.message}")
        return HttpResponse(answer.body, status=exc.status, content_type=answer.content_type)
    answer = plugin.answer(ok=True, message="duplicate" if not confirmation.created else "OK")
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
