"""Provider notifications: verify first, then apply in one transaction, then answer in the provider's format."""

from __future__ import annotations

import hashlib
import logging

from django.http import HttpResponse
from ninja import Router

from gongyi.payments.gateways import UnknownGateway, get_gateway
from gongyi.payments.interface import GatewayError, NotificationRefused

logger = logging.getLogger(__name__)
router = Router(tags=["payments"])


@router.post(
    "/{gateway}/notify",
    url_name="payment_notify",
    summary="Payment notification from a provider",
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
def payment_notify(request, gateway: str):
    from gongyi.payments.services import apply_notification

    try:
        plugin = get_gateway(gateway)
    except UnknownGateway as exc:
        return HttpResponse(str(exc), status=404, content_type="text/plain; charset=utf-8")
    except GatewayError as exc:
        # Configured but unusable (an unreadable key file): let the provider retry later.
        logger.error("%s notification cannot be verified: %s", gateway, exc)
        return HttpResponse("gateway misconfigured", status=503, content_type="text/plain; charset=utf-8")
    body = request.body
    headers = {k.lower(): v for k, v in request.headers.items()}
    try:
        # Pure: signature, freshness, decryption and fields are checked before the database is read.
        event = plugin.verify_notification(headers=headers, body=body)
        outcome = apply_notification(gateway=gateway, event=event, raw_body=body.decode("utf-8", "replace"))
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
    answer = plugin.answer(ok=True, message=outcome.message)
    return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
