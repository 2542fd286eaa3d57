"""The Alipay gateway: phone-web (wap) and page payments, async notifications, queries, refunds, bills.

Async notifications are form-encoded. ``sign`` and ``sign_type`` are removed *by us* before the SDK
sees the rest (it does not remove ``sign`` itself, and it mutates what it is given, so it gets a
copy); the remaining parameters, sorted, joined ``k=v&…``, are verified with RSA2 against Alipay's
public key. Then ``app_id`` must be ours, ``total_amount`` is converted from yuan text to fen
exactly (more than two decimals is refused), and only then does anything touch the database.

Every server call goes through ``server_api`` with an explicit Beijing-time timestamp (the SDK would
use the server's local clock) and a timeout; every SDK or network error becomes ``GatewayError``.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from urllib.parse import parse_qsl, urlsplit

from alipay import AliPay
from alipay.utils import AliPayConfig as SdkConfig
from django.conf import settings
from django.utils import timezone

from gongyi.core.money import MAX_GIFT_FEN
from gongyi.payments.config import AlipayConfig, ConfigError, key_fingerprint, read_pem
from gongyi.payments.gateways.alipay.bill import extract_detail_csv
from gongyi.payments.interface import (
    BillFile,
    GatewayError,
    NotificationAnswer,
    NotificationRefused,
    PaymentStart,
    QueryResult,
    RefundResult,
    RefundState,
    VerifiedClosure,
    VerifiedNotification,
    VerifiedPayment,
    VerifiedRefund,
)
from gongyi.payments.parsing import SHANGHAI, fen_to_yuan_text, shanghai_time, yuan_text_to_fen

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
BILL_MAX_BYTES = 200 * 1024 * 1024
SUCCESS = "10000"
RETRYABLE_SUB_CODES = {"ACQ.SYSTEM_ERROR", "aop.ACQ.SYSTEM_ERROR", "isp.unknow-error"}


def alipay_gateway(config: AlipayConfig) -> AlipayGateway:
    """A gateway for this configuration, reused while the configuration and key files are unchanged."""
    return _cached_gateway(config, key_fingerprint(config.private_key), key_fingerprint(config.public_key))


@lru_cache(maxsize=4)
def _cached_gateway(config: AlipayConfig, *_fingerprints) -> AlipayGateway:
    return AlipayGateway(config)


def _refused(status: int, code: str, message: str) -> NotificationRefused:
    return NotificationRefused(status, code, message)


class AlipayGateway:
    name = "alipay"

    def __init__(self, config: AlipayConfig):
        self.config = config
        private_pem = read_pem(config.private_key, variable="GONGYI_ALIPAY_PRIVATE_KEY")
        public_pem = read_pem(config.public_key, variable="GONGYI_ALIPAY_PUBLIC_KEY")
        try:
            self._client = AliPay(
                appid=config.appid,
                app_notify_url=None,
                app_private_key_string=private_pem,
                alipay_public_key_string=public_pem,
                sign_type="RSA2",
                config=SdkConfig(timeout=TIMEOUT_SECONDS),
            )
        except Exception as exc:
            raise ConfigError(f"支付宝密钥无法加载：{exc.__class__.__name__}") from None
        # The SDK keeps its gateway in a private attribute; staging and tests point it elsewhere.
        self._client._gateway = config.gateway_url

    # --- paying -------------------------------------------------------------------------------

    def create_payment(
        self, *, order, channel: str, return_url: str, notify_url: str, payer_id: str = "", client_ip: str = ""
    ) -> PaymentStart:
        channel = (channel or "").strip().lower()
        methods = {"h5": "alipay.trade.wap.pay", "wap": "alipay.trade.wap.pay", "page": "alipay.trade.page.pay"}
        method = methods.get(channel)
        if method is None:
            raise GatewayError(f"支付宝不支持支付方式 {channel!r}（可用 h5、wap、page）")
        biz = {
            "subject": f"捐赠-{order.project.title}"[:128],
            "out_trade_no": order.out_trade_no,
            "total_amount": fen_to_yuan_text(order.amount_fen),
            "product_code": "QUICK_WAP_PAY" if method == "alipay.trade.wap.pay" else "FAST_INSTANT_TRADE_PAY",
            "time_expire": _expiry(order),
        }
        try:
            query = self._client.client_api(
                method, biz, return_url=return_url, notify_url=notify_url, timestamp=_beijing_now()
            )
        except Exception as exc:
            raise GatewayError(f"无法签名支付宝支付请求：{exc.__class__.__name__}") from None
        return PaymentStart(kind="redirect", url=f"{self.config.gateway_url}?{query}")

    # --- notifications ------------------------------------------------------------------------

    def verify_notification(self, *, headers: dict[str, str], body: bytes) -> VerifiedNotification:
        try:
            text = body.decode("utf-8")
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict")
        except (UnicodeDecodeError, ValueError):
            raise _refused(400, "MALFORMED", "通知不是 UTF-8 的表单数据") from None
        params: dict[str, str] = {}
        for key, value in pairs:
            if key in params:
                raise _refused(400, "MALFORMED", f"参数 {key[:40]} 重复")
            params[key] = value
        signature = params.pop("sign", "")
        sign_type = params.pop("sign_type", "")
        if not signature:
            raise _refused(401, "SIGNATURE_MISSING", "缺少 sign")
        if sign_type != "RSA2":
            raise _refused(401, "SIGNATURE_TYPE_INVALID", "sign_type 必须是 RSA2")
        try:
            valid = self._client.verify(dict(params), signature)
        except Exception:  # bad base64, an unexpected sign type …
            valid = False
        if not valid:
            raise _refused(401, "SIGNATURE_INVALID", "签名校验失败")

        if params.get("app_id") != self.config.appid:
            raise _refused(409, "MERCHANT_MISMATCH", "app_id 不是本应用")
        if params.get("charset", "utf-8").lower().replace("-", "") != "utf8":
            raise _refused(400, "INVALID_FIELD", "charset 必须是 utf-8")
        if params.get("notify_type", "trade_status_sync") != "trade_status_sync":
            raise _refused(400, "EVENT_UNSUPPORTED", "不处理的通知类型")
        try:
            return self._event_from(params)
        except ValueError as exc:
            raise _refused(400, "INVALID_FIELD", str(exc)) from None

    def _event_from(self, params: dict[str, str]) -> VerifiedNotification:
        status = params.get("trade_status", "")
        out_trade_no = _text(params, "out_trade_no", 32)
        if params.get("out_biz_no") and params.get("refund_fee") and status in ("TRADE_CLOSED", "TRADE_SUCCESS"):
            refund_no = _text(params, "out_biz_no", 64)
            trade_no = _text(params, "trade_no", 64)
            return VerifiedRefund(
                out_trade_no=out_trade_no,
                refund_no=refund_no,
                provider_refund_id=_refund_id(trade_no, refund_no),
                amount_fen=_fen(params, "refund_fee"),
                state=RefundState.SUCCEEDED,
                finished_at=_time(params, "gmt_refund", "notify_time"),
            )
        if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            return VerifiedPayment(
                out_trade_no=out_trade_no,
                provider_txn_id=_text(params, "trade_no", 64),
                amount_fen=_fen(params, "total_amount"),
                payer=_payer(params),
                paid_at=_time(params, "gmt_payment", "notify_time"),
            )
        if status == "TRADE_CLOSED":
            return VerifiedClosure(out_trade_no=out_trade_no)
        raise ValueError(f"不处理的交易状态 {status[:30]!r}")

    def answer(self, *, ok: bool, message: str = "") -> NotificationAnswer:
        # Alipay stops resending only on exactly these seven bytes.
        return NotificationAnswer(200 if ok else 400, "text/plain", b"success" if ok else b"fail")

    # --- asking the provider ------------------------------------------------------------------

    def query(self, *, order) -> QueryResult:
        data = self._server_api("alipay.trade.query", {"out_trade_no": order.out_trade_no})
        if data.get("code") != SUCCESS:
            if data.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return QueryResult(state="pending")  # the donor never opened the cashier
            raise _business_error(data)
        status = data.get("trade_status")
        if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
            try:
                if _text(data, "out_trade_no", 32) != order.out_trade_no:
                    raise ValueError("订单号不符")
                payment = VerifiedPayment(
                    out_trade_no=order.out_trade_no,
                    provider_txn_id=_text(data, "trade_no", 64),
                    amount_fen=_fen(data, "total_amount"),
                    payer=_payer(data),
                    paid_at=_time(data, "send_pay_date"),
                )
            except ValueError as exc:
                raise GatewayError(f"支付宝查询结果不可用：{exc}") from None
            return QueryResult(state="paid", payment=payment)
        if status == "WAIT_BUYER_PAY":
            return QueryResult(state="pending")
        if status == "TRADE_CLOSED":
            return QueryResult(state="closed")
        return QueryResult(state="unknown")

    def close(self, *, order) -> None:
        data = self._server_api("alipay.trade.close", {"out_trade_no": order.out_trade_no})
        if data.get("code") != SUCCESS and data.get("sub_code") != "ACQ.TRADE_NOT_EXIST":
            raise _business_error(data)

    def refund(self, *, order, amount_fen: int, refund_no: str, reason: str) -> RefundResult:
        biz = {
            "out_trade_no": order.out_trade_no,
            "refund_amount": fen_to_yuan_text(amount_fen),
            "out_request_no": refund_no,
            "refund_reason": reason[:200],
        }
        data = self._server_api("alipay.trade.refund", biz)
        if data.get("code") != SUCCESS:
            if data.get("sub_code") in RETRYABLE_SUB_CODES or str(data.get("code", "")).startswith("20"):
                raise _business_error(data)
            return RefundResult(accepted=False, message=_message(data))
        if data.get("fund_change") != "Y":
            # "N" answers a repeat of an out_request_no already handled: ask how that one ended.
            return self.query_refund(order=order, refund_no=refund_no)
        try:
            return RefundResult(
                accepted=True,
                provider_refund_id=_refund_id(_text(data, "trade_no", 64), refund_no),
                state=RefundState.SUCCEEDED,
                amount_fen=amount_fen,
                finished_at=_time(data, "gmt_refund_pay") if data.get("gmt_refund_pay") else timezone.now(),
            )
        except ValueError as exc:
            raise GatewayError(f"支付宝退款结果不可用：{exc}") from None

    def query_refund(self, *, order, refund_no: str) -> RefundResult:
        biz = {"out_trade_no": order.out_trade_no, "out_request_no": refund_no, "query_options": ["gmt_refund_pay"]}
        data = self._server_api("alipay.trade.fastpay.refund.query", biz)
        if data.get("code") != SUCCESS:
            raise _business_error(data)
        if not data.get("refund_amount"):
            return RefundResult(accepted=True, state=RefundState.UNKNOWN, message="支付宝无此退款请求")
        status = data.get("refund_status", "")
        try:
            if status in ("", "REFUND_SUCCESS"):
                return RefundResult(
                    accepted=True,
                    provider_refund_id=_refund_id(_text(data, "trade_no", 64), refund_no),
                    state=RefundState.SUCCEEDED,
                    amount_fen=_fen(data, "refund_amount"),
                    finished_at=_time(data, "gmt_refund_pay") if data.get("gmt_refund_pay") else timezone.now(),
                )
        except ValueError as exc:
            raise GatewayError(f"支付宝退款结果不可用：{exc}") from None
        return RefundResult(accepted=True, state=RefundState.PENDING, message=str(status)[:60])

    def download_bill(self, *, bill_date: date) -> BillFile:
        data = self._server_api(
            "alipay.data.dataservice.bill.downloadurl.query", {"bill_type": "trade", "bill_date": bill_date.isoformat()}
        )
        if data.get("code") != SUCCESS:
            raise _business_error(data)
        url = data.get("bill_download_url")
        if not isinstance(url, str) or urlsplit(url).scheme not in ("https", "http"):
            raise GatewayError("支付宝应答缺少有效的 bill_download_url")
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - scheme checked
                archive = response.read(BILL_MAX_BYTES + 1)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"支付宝账单下载失败：{exc.__class__.__name__}") from None
        if len(archive) > BILL_MAX_BYTES:
            raise GatewayError("支付宝账单文件过大")
        try:
            content = extract_detail_csv(archive)
        except ValueError as exc:
            raise GatewayError(f"支付宝账单文件无法解开：{exc}") from None
        return BillFile(bill_date=bill_date, content=content, filename=f"alipay-trade-{bill_date}.csv")

    def _server_api(self, method: str, biz: dict) -> dict:
        """Call one open-platform method; the answer's signature is verified by the SDK."""
        try:
            data = self._client.server_api(method, biz, timestamp=_beijing_now())
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise GatewayError(f"无法连接支付宝：{exc.__class__.__name__}") from None
        except Exception as exc:  # AliPayException, AliPayValidationError (bad signature), bad JSON
            raise GatewayError(f"支付宝接口出错：{exc.__class__.__name__} {str(exc)[:200]}") from None
        if not isinstance(data, dict):
            raise GatewayError("支付宝应答不是 JSON 对象")
        return data


def _business_error(data: dict) -> GatewayError:
    return GatewayError(f"支付宝返回 {_message(data)}")


def _message(data: dict) -> str:
    return f"{data.get('code', '')} {data.get('sub_code', '')}: {data.get('sub_msg') or data.get('msg', '')}"[:200]


def _refund_id(trade_no: str, refund_no: str) -> str:
    """Alipay has no refund id of its own: the trade number and our request number name a refund."""
    return f"{trade_no}/{refund_no}"[:64]


def _text(data: dict, name: str, max_length: int) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"字段 {name}：必须是非空字符串")
    if len(value) > max_length:
        raise ValueError(f"字段 {name}：长度不能超过 {max_length}")
    return value.strip()


def _fen(data: dict, name: str) -> int:
    value = data.get(name)
    if not isinstance(value, str):
        raise ValueError(f"字段 {name}：必须是元为单位的金额文本")
    try:
        fen = yuan_text_to_fen(value)
    except ValueError as exc:
        raise ValueError(f"字段 {name}：{exc}") from None
    if fen <= 0 or fen > MAX_GIFT_FEN:
        raise ValueError(f"字段 {name}：金额超出范围")
    return fen


def _payer(data: dict) -> str:
    for name in ("buyer_id", "buyer_user_id", "buyer_open_id"):
        value = data.get(name)
        if isinstance(value, str) and value.strip():
            return _text(data, name, 128)
    raise ValueError("缺少付款人（buyer_id / buyer_open_id）")


def _time(data: dict, name: str, fallback: str = "") -> datetime:
    value = data.get(name) or (data.get(fallback) if fallback else None)
    if not isinstance(value, str):
        raise ValueError(f"字段 {name}：缺少时间")
    try:
        return shanghai_time(value)
    except ValueError:
        raise ValueError(f"字段 {name}：时间格式必须是 yyyy-MM-dd HH:mm:ss") from None


def _beijing_now() -> str:
    return datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _expiry(order) -> str:
    ttl = timedelta(minutes=settings.GONGYI["ORDER_TTL_MINUTES"])
    return (order.created_at + ttl).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
