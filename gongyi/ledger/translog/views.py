"""Public pages of the log: what it is and how to verify (/log/), a gift's proof bundle, the offline verifier."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from gongyi.config import REPO_ROOT

from . import keys, selectors

VERIFY_TOOL = REPO_ROOT / "tools" / "verify_proof.py"


def log_index(request):
    total, checkpoints = selectors.checkpoint_page(offset=0, limit=10)
    state = selectors.tree_state()
    return render(
        request,
        "translog/index.html",
        {
            "key": keys.public_key_info(),
            "checkpoints": checkpoints,
            "checkpoint_total": total,
            "latest": checkpoints[0] if checkpoints else None,
            "tree_size": state.size if state else 0,
            "queued": selectors.queued_count(),
            "api_base": request.build_absolute_uri("/api/v1/log"),
            "has_tool": VERIFY_TOOL.is_file(),
        },
    )


def _error(status: int, field: str, message: str) -> JsonResponse:
    return JsonResponse(
        {"message": f"{field}: {message}", "errors": [{"field": field, "message": message}]},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


def gift_proof_bundle(request, certificate_no: str):
    """The donor's proof bundle as a JSON download; ``?older=<size>`` adds consistency from that checkpoint."""
    # The certificate number is the key the donor holds; the gift is found through giving's own read.
    from gongyi.giving.selectors import gift_by_certificate_no

    gift = gift_by_certificate_no(certificate_no)
    if gift is None:
        raise Http404("证书不存在")
    older_text = request.GET.get("older", "").strip()
    older = None
    if older_text:
        if not older_text.isascii() or not older_text.isdigit() or len(older_text) > 18:
            return _error(422, "older", "须为已发布检查点的树大小（正整数）")
        older = int(older_text)
    try:
        bundle = selectors.gift_proof_bundle(gift, older_size=older)
    except selectors.NotYetLogged:
        response = _error(
            409, "certificate_no", "该捐赠的记录尚未被签名检查点收录，将在一分钟内的下一个检查点中收录，请稍后再试"
        )
        response["Retry-After"] = "60"
        return response
    except ValueError as exc:
        return _error(422, "older", str(exc).removeprefix("older: "))
    bundle["log_url"] = request.build_absolute_uri(reverse("log-index"))
    response = JsonResponse(bundle, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="gongyi-proof-{gift.certificate_no}.json"'
    return response


def verify_tool(request):
    """The standalone verifier, so a donor can fetch it from the site as well as from the repository."""
    if not VERIFY_TOOL.is_file():
        raise Http404("verify_proof.py is not installed with this deployment")
    return FileResponse(
        VERIFY_TOOL.open("rb"), as_attachment=True, filename="verify_proof.py", content_type="text/x-python"
    )


def public_key_pem(request):
    info = keys.public_key_info()
    return HttpResponse(info["public_key_pem"], content_type="text/plain; charset=utf-8")
